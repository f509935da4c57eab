"""The claim for compensation: loss items, approvals and countersigns, payments."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kesu.choices import (APPROVAL_DECISION, APPROVAL_KIND, CLAIM_STATUS, COMPENSATION_FORM, PAYMENT_METHOD, ROLE,
                          SLA_CLOCK)
from kesu.models.base import Audited, Base, Money, Timestamped, UTCDateTime
from kesu.models.case import Attachment, Case
from kesu.models.people import User
from kesu.timeutil import utcnow


#: The most instalments a settlement may be paid in.
MAX_INSTALMENTS = 12


class Claim(Audited, Timestamped, Base):
    __tablename__ = "claim"
    __table_args__ = (
        CheckConstraint(CLAIM_STATUS.check_sql("status"), name="status"),
        CheckConstraint("compensation_form IS NULL OR " + COMPENSATION_FORM.check_sql("compensation_form"),
                        name="compensation_form"),
        CheckConstraint("claimed_amount >= 0", name="claimed_amount"),
        CheckConstraint("verified_loss IS NULL OR verified_loss >= 0", name="verified_loss"),
        CheckConstraint("proposed_amount IS NULL OR proposed_amount >= 0", name="proposed_amount"),
        CheckConstraint("approved_amount IS NULL OR approved_amount >= 0", name="approved_amount"),
        CheckConstraint("due_clock IS NULL OR " + SLA_CLOCK.check_sql("due_clock"), name="due_clock"),
        CheckConstraint("agreed_payment_method IS NULL OR " + PAYMENT_METHOD.check_sql("agreed_payment_method"),
                        name="agreed_payment_method"),
        CheckConstraint(f"instalments IS NULL OR instalments BETWEEN 1 AND {MAX_INSTALMENTS}", name="instalments"),
        Index("ix_claim_status_submitted_at", "status", "submitted_at"),
        # The inbox (kesu.inbox) reads each status's claims in deadline order, ties by id, and whether they wait
        # at an approval level, from this index.
        Index("ix_claim_inbox", "status", "next_due_at", "id", "passed_up_limit", "proposed_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_no: Mapped[str] = mapped_column(String(20), unique=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text)
    verified_loss: Mapped[Decimal | None] = mapped_column(Money)
    #: Why the verified loss differs from the sum of the loss items' verified amounts (empty when it does not).
    verified_loss_reason: Mapped[str | None] = mapped_column(Text)
    compensation_form: Mapped[str | None] = mapped_column(String(20))
    proposed_amount: Mapped[Decimal | None] = mapped_column(Money)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_amount: Mapped[Decimal | None] = mapped_column(Money, index=True)
    #: The highest approval limit of those who passed the pending proposal up (kesu.workflow.approval).
    passed_up_limit: Mapped[Decimal | None] = mapped_column(Money)
    payment_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The payment plan the customer agreed to when confirming (the settlement agreement states it).
    agreed_payment_method: Mapped[str | None] = mapped_column(String(20))
    instalments: Mapped[int | None] = mapped_column(SmallInteger)
    #: The instalments' amounts and dates, when paid in more than one.
    payment_plan: Mapped[str | None] = mapped_column(Text)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: The SLA clock ``next_due_at`` belongs to, and when the status's clock started (kesu.sla).
    due_clock: Mapped[str | None] = mapped_column(String(30))
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(back_populates="claims")
    proposed_by: Mapped[User | None] = relationship()
    loss_items: Mapped[list[LossItem]] = relationship(back_populates="claim", cascade="all, delete-orphan",
                                                      order_by="LossItem.id")
    approvals: Mapped[list[Approval]] = relationship(back_populates="claim", order_by="Approval.decided_at")
    payments: Mapped[list[Payment]] = relationship(back_populates="claim", order_by="[Payment.paid_on, Payment.id]")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="claim")

    __mapper_args__ = {"version_id_col": version}
    audit_exclude = Audited.audit_exclude | {"due_clock", "clock_started_at"}

    def __str__(self) -> str:
        return self.claim_no or ""

    @property
    def paid_total(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal("0.00"))

    @property
    def items_verified_total(self) -> Decimal | None:
        """The sum of the loss items' verified amounts; None when no item has been verified."""
        amounts = [item.verified_amount for item in self.loss_items if item.verified_amount is not None]
        return sum(amounts, Decimal("0.00")) if amounts else None


class LossItem(Audited, Timestamped, Base):
    __tablename__ = "loss_item"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        CheckConstraint("verified_amount IS NULL OR verified_amount >= 0", name="verified_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    verified_amount: Mapped[Decimal | None] = mapped_column(Money)

    claim: Mapped[Claim] = relationship(back_populates="loss_items")

    def __str__(self) -> str:
        return self.description

    @property
    def claimed_amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class Approval(Audited, Timestamped, Base):
    """One decision on a claim's or a case's proposal: an approval at a level (or its passing up), or a
    countersign by legal or finance (claims only)."""

    __tablename__ = "approval"
    __table_args__ = (
        CheckConstraint("(case_id IS NULL) <> (claim_id IS NULL)", name="owner"),
        CheckConstraint(APPROVAL_KIND.check_sql("kind"), name="kind"),
        CheckConstraint(APPROVAL_DECISION.check_sql("decision"), name="decision"),
        CheckConstraint(ROLE.check_sql("role"), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default="approval")
    decision: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    claim: Mapped[Claim | None] = relationship(back_populates="approvals")
    case: Mapped[Case | None] = relationship(back_populates="approvals")
    user: Mapped[User] = relationship()

    def __str__(self) -> str:
        record = self.claim or self.case
        return f"{record.claim_no if self.claim else record.case_no if record else ''} {self.decision}"


class Payment(Audited, Timestamped, Base):
    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(PAYMENT_METHOD.check_sql("method"), name="method"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    #: The day the money was paid, as finance records it from the voucher.
    paid_on: Mapped[date] = mapped_column(Date, index=True)
    #: When the payment was recorded.
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    voucher_no: Mapped[str] = mapped_column(String(50))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    claim: Mapped[Claim] = relationship(back_populates="payments")
    recorded_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.voucher_no} ¥{self.amount}"
