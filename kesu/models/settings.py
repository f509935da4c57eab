"""Settings an administrator edits: SLA rules and key/value settings."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kesu.choices import CUSTOMER_TIER, MARKET, SLA_CLOCK, SLA_UNIT
from kesu.models.base import Audited, Base, Timestamped


class SlaRule(Audited, Timestamped, Base):
    """How long a clock runs; the most specific active rule (tier, market) wins."""

    __tablename__ = "sla_rule"
    __table_args__ = (
        UniqueConstraint("clock", "tier", "market", name="uq_sla_rule_clock_tier_market"),
        CheckConstraint(SLA_CLOCK.check_sql("clock"), name="clock"),
        CheckConstraint(SLA_UNIT.check_sql("unit"), name="unit"),
        CheckConstraint("tier IS NULL OR " + CUSTOMER_TIER.check_sql("tier"), name="tier"),
        CheckConstraint("market IS NULL OR " + MARKET.check_sql("market"), name="market"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clock: Mapped[str] = mapped_column(String(30), index=True)
    tier: Mapped[str | None] = mapped_column(String(10))
    market: Mapped[str | None] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return f"{self.clock} {self.amount} {self.unit}"


class Holiday(Audited, Timestamped, Base):
    """One day of the statutory calendar that differs from Monday–Friday: a public holiday on a weekday,
    or a weekend day worked in lieu (调休上班). Seeded from ``chinesecalendar``; admins enter next year's
    State Council schedule before the package knows it. A year with no row at all is unknown."""

    __tablename__ = "holiday"
    __table_args__ = (CheckConstraint("source IN ('chinesecalendar', 'admin')", name="source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_working_day: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(20), default="admin")

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class Setting(Audited, Timestamped, Base):
    """A key/value setting an administrator edits. ``value`` is text; each key's kind, range, unit and default
    are declared in :mod:`kesu.settings`, which checks it on edit and reads it typed."""

    __tablename__ = "setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(50), unique=True)
    value: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(String(200))

    def __str__(self) -> str:
        return self.key


class NumberSequence(Base):
    """Per-prefix counters for case and claim numbers (``KS-20261123`` → last number issued)."""

    __tablename__ = "number_sequence"

    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)
