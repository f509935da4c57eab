"""Holding a person or department to account for an internal cause (责任追究)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kesu.choices import ACCOUNTABILITY_CAUSE, ACCOUNTABILITY_MEASURE, ACCOUNTABILITY_STATUS, APPEAL_OUTCOME
from kesu.models.base import Audited, Base, Money, Timestamped, UTCDateTime
from kesu.models.case import Case
from kesu.models.people import Department, User


class Accountability(Audited, Timestamped, Base):
    __tablename__ = "accountability"
    __table_args__ = (
        CheckConstraint(ACCOUNTABILITY_STATUS.check_sql("status"), name="status"),
        CheckConstraint(ACCOUNTABILITY_CAUSE.check_sql("cause"), name="cause"),
        CheckConstraint(ACCOUNTABILITY_MEASURE.check_sql("measure"), name="measure"),
        CheckConstraint("person_id IS NOT NULL OR department_id IS NOT NULL", name="held"),
        CheckConstraint("fine_amount IS NULL OR fine_amount >= 0", name="fine_amount"),
        CheckConstraint("appeal_outcome IS NULL OR " + APPEAL_OUTCOME.check_sql("appeal_outcome"),
                        name="appeal_outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    cause: Mapped[str] = mapped_column(String(30), index=True)
    facts: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(String(30), index=True)
    fine_amount: Mapped[Decimal | None] = mapped_column(Money)
    improvement: Mapped[str | None] = mapped_column(Text)
    #: Who proposed it (created the record): they may not approve it nor decide its appeal.
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    appeal_reason: Mapped[str | None] = mapped_column(Text)
    appeal_decision: Mapped[str | None] = mapped_column(Text)
    appeal_outcome: Mapped[str | None] = mapped_column(String(20))
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    person: Mapped[User | None] = relationship(foreign_keys=[person_id])
    department: Mapped[Department | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        held = self.person or self.department
        return f"{self.case.case_no if self.case else ''} {held or ''}"
