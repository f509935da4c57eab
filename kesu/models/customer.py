"""Customers who complain and claim."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kesu.choices import CUSTOMER_TIER
from kesu.models.base import Audited, Base, Timestamped, trigram_index

if TYPE_CHECKING:
    from kesu.models.case import Case


class Customer(Audited, Timestamped, Base):
    __tablename__ = "customer"
    __table_args__ = (CheckConstraint(CUSTOMER_TIER.check_sql("tier"), name="tier"),
                      trigram_index("ix_customer_name_trgm", "name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    contact_person: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20), index=True, info={"kind": "phone"})
    email: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(10), default="normal", index=True)
    note: Mapped[str | None] = mapped_column(Text)

    #: Read only (a case names its customer): how a customer reaches the departments of their cases.
    cases: Mapped[list[Case]] = relationship(viewonly=True, order_by="Case.id")

    def __str__(self) -> str:
        return self.name
