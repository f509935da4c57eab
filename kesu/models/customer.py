"""Customers who complain and claim."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kesu.choices import CUSTOMER_TIER
from kesu.models.base import Audited, Base, Timestamped


class Customer(Audited, Timestamped, Base):
    __tablename__ = "customer"
    __table_args__ = (CheckConstraint(CUSTOMER_TIER.check_sql("tier"), name="tier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    contact_person: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20), index=True, info={"kind": "phone"})
    email: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(10), default="normal", index=True)
    note: Mapped[str | None] = mapped_column(Text)

    def __str__(self) -> str:
        return self.name
