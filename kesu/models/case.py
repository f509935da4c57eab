"""The complaint case and what hangs off it: categories, contact log, goods on hold, attachments."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kesu.choices import (
    CASE_STATUS,
    CHANNEL,
    CONTACT_DIRECTION,
    CUSTOMER_OPINION,
    HOLD_LOCATION,
    MARKET,
    RESOLUTION_TYPE,
    SEVERITY,
    SLA_CLOCK,
)
from kesu.models.base import Audited, Base, Money, Timestamped, UTCDateTime, trigram_index
from kesu.models.customer import Customer
from kesu.models.people import Department, User
from kesu.timeutil import utcnow

if TYPE_CHECKING:
    from kesu.models.claim import Approval


class Category(Audited, Timestamped, Base):
    """Complaint categories are data: administrators add and retire them."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str | None] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name


class Case(Audited, Timestamped, Base):
    __tablename__ = "case"
    __table_args__ = (
        CheckConstraint(CASE_STATUS.check_sql("status"), name="status"),
        CheckConstraint(CHANNEL.check_sql("channel"), name="channel"),
        CheckConstraint(SEVERITY.check_sql("severity"), name="severity"),
        CheckConstraint(MARKET.check_sql("market"), name="market"),
        CheckConstraint("resolution_type IS NULL OR " + RESOLUTION_TYPE.check_sql("resolution_type"),
                        name="resolution_type"),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction"),
        CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity"),
        CheckConstraint("defect_rate IS NULL OR (defect_rate >= 0 AND defect_rate <= 100)", name="defect_rate"),
        CheckConstraint("due_clock IS NULL OR " + SLA_CLOCK.check_sql("due_clock"), name="due_clock"),
        # The list's default order is newest first, ties by id: a page, however deep, is read from this index.
        Index("ix_case_received_at_id", "received_at", "id"),
        # These let a status filter or a handler's department scope read rows already in that order instead of
        # sorting them.
        Index("ix_case_status_received_at", "status", "received_at"),
        Index("ix_case_department_id_received_at", "department_id", "received_at"),
        # The search box (kesu.search) reads words of titles from this narrow index instead of the wide
        # table, a handler's department included; and a handler's customers from the second.
        Index("ix_case_title_department_id", "title", "department_id"),
        Index("ix_case_department_id_customer_id", "department_id", "customer_id"),
        # The inbox (kesu.inbox) reads each status's cases in deadline order, ties by id (300,000 closed cases
        # have no deadline), and whether they wait at an approval level, from the first; a handler's from the
        # second.
        Index("ix_case_inbox", "status", "next_due_at", "id", "passed_up_limit", "proposed_by_id"),
        Index("ix_case_department_inbox", "department_id", "status", "next_due_at", "id"),
        # The list's search box matches any part of these (LIKE '%…%'); on PostgreSQL trigram indexes serve it.
        *(trigram_index(f"ix_case_{column}_trgm", column) for column in ("case_no", "title", "product", "lot_no")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(20), unique=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(20), default="registered", index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(20), index=True)
    market: Mapped[str] = mapped_column(String(10), default="domestic", index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    severity: Mapped[str] = mapped_column(String(10), default="general", index=True)
    is_batch: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    product: Mapped[str | None] = mapped_column(String(100), index=True)
    model_no: Mapped[str | None] = mapped_column(String(50), index=True)
    part_no: Mapped[str | None] = mapped_column(String(50), index=True)
    lot_no: Mapped[str | None] = mapped_column(String(50), index=True)
    quantity: Mapped[int | None] = mapped_column(Integer)
    defect_rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    description: Mapped[str] = mapped_column(Text)
    customer_demand: Mapped[str | None] = mapped_column(Text)

    is_valid: Mapped[bool | None] = mapped_column(Boolean)
    validity_reason: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    containment: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(Text)
    corrective_action: Mapped[str | None] = mapped_column(Text)
    preventive_action: Mapped[str | None] = mapped_column(Text)

    resolution_type: Mapped[str | None] = mapped_column(String(20), index=True)
    resolution_detail: Mapped[str | None] = mapped_column(Text)
    proposed_amount: Mapped[Decimal | None] = mapped_column(Money)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: The highest approval limit of those who passed the pending proposal up (kesu.workflow.approval).
    passed_up_limit: Mapped[Decimal | None] = mapped_column(Money)
    #: When the customer agreed to the solution (by phone, in person…; their words are in the contact log).
    customer_agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The customer's signed confirmation of the result (客户签字确认) and the date they signed.
    customer_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_confirmed_on: Mapped[date | None] = mapped_column(Date)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger, index=True)
    feedback: Mapped[str | None] = mapped_column(Text)

    escalation_level: Mapped[int] = mapped_column(SmallInteger, default=0, index=True)
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: The SLA clock ``next_due_at`` belongs to, and when the status's clock started (kesu.sla).
    due_clock: Mapped[str | None] = mapped_column(String(30))
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    appeal_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    is_typical: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    lessons_learned: Mapped[str | None] = mapped_column(Text)

    customer: Mapped[Customer] = relationship()
    category: Mapped[Category] = relationship()
    department: Mapped[Department | None] = relationship()
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    contact_logs: Mapped[list[ContactLog]] = relationship(
        back_populates="case", order_by="ContactLog.contacted_at.desc()"
    )
    goods_holds: Mapped[list[GoodsHold]] = relationship(back_populates="case", cascade="all, delete-orphan")
    claims: Mapped[list["Claim"]] = relationship(back_populates="case", order_by="Claim.id")  # noqa: F821
    approvals: Mapped[list[Approval]] = relationship(back_populates="case", order_by="Approval.decided_at")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="case", foreign_keys="Attachment.case_id"
    )

    __mapper_args__ = {"version_id_col": version}
    #: Bookkeeping of the clocks, derived from the status and the rules: the deadline's changes are audited.
    audit_exclude = Audited.audit_exclude | {"due_clock", "clock_started_at"}

    def __str__(self) -> str:
        return f"{self.case_no} {self.title}" if self.case_no else self.title


class ContactLog(Audited, Timestamped, Base):
    """Every contact with the customer about a case."""

    __tablename__ = "contact_log"
    __table_args__ = (
        CheckConstraint(CHANNEL.check_sql("channel"), name="channel"),
        CheckConstraint(CONTACT_DIRECTION.check_sql("direction"), name="direction"),
        CheckConstraint("opinion IS NULL OR " + CUSTOMER_OPINION.check_sql("opinion"), name="opinion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    contacted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(20), index=True)
    direction: Mapped[str] = mapped_column(String(10), default="outbound")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    opinion: Mapped[str | None] = mapped_column(String(10))

    case: Mapped[Case] = relationship(back_populates="contact_logs")
    staff: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.case.case_no if self.case else ''} {self.content[:20]}"


class GoodsHold(Audited, Timestamped, Base):
    """Affected stock found in the investigation, by location, and whether it is put on hold (隔离)."""

    __tablename__ = "goods_hold"
    __table_args__ = (
        CheckConstraint(HOLD_LOCATION.check_sql("location"), name="location"),
        CheckConstraint("quantity >= 0", name="quantity"),
        CheckConstraint("held_quantity >= 0 AND held_quantity <= quantity", name="held_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    location: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    held_quantity: Mapped[int] = mapped_column(Integer, default=0)
    on_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(String(200))

    case: Mapped[Case] = relationship(back_populates="goods_holds")

    def __str__(self) -> str:
        return f"{self.location} {self.quantity}"


class Attachment(Audited, Timestamped, Base):
    """Evidence on a case or a claim; the file lives outside static and is served only after login."""

    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint("case_id IS NOT NULL OR claim_id IS NOT NULL", name="owner"),
        CheckConstraint("size >= 0", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(200))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    case: Mapped[Case | None] = relationship(back_populates="attachments", foreign_keys=[case_id])
    claim: Mapped["Claim | None"] = relationship(back_populates="attachments")  # noqa: F821
    uploaded_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.filename
