"""Declarative base, the column types every model shares (UTC timestamps and CNY money), and indexes that only
PostgreSQL has."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import DateTime, Index, MetaData, Numeric
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from kesu.timeutil import utcnow

CENT = Decimal("0.01")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC, refuses naive input so no local time slips in."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class Money(TypeDecorator):
    """CNY amount as ``Decimal`` with two places, ``NUMERIC(14, 2)`` in the database."""

    impl = Numeric(14, 2)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Audited:
    """Marker: inserts, updates and deletes of this model are written to the audit trail."""

    audit_exclude: frozenset[str] = frozenset({"updated_at", "version"})
    audit_secret: frozenset[str] = frozenset()


def trigram_index(name: str, column: str) -> Index:
    """A pg_trgm GIN index on ``column``, which serves ``LIKE '%…%'`` (the list's search box) on PostgreSQL.
    Only PostgreSQL gets it: SQLite has no such index."""
    return Index(name, column, postgresql_using="gin",
                 postgresql_ops={column: "gin_trgm_ops"}).ddl_if(dialect="postgresql")


def declared_for(dialect_name: str) -> Callable[..., bool]:
    """Alembic's ``include_object`` for a database of ``dialect_name``: an index declared for another database
    only (:func:`trigram_index`) is not missing from this one."""
    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        condition = getattr(obj, "_ddl_if", None) if type_ == "index" and not reflected else None
        return condition is None or condition.dialect in (None, dialect_name)
    return include_object
