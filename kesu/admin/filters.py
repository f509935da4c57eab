"""List filters for our column types: dates typed in Shanghai time, money compared as Decimal, text "contains"
taken literally; and the one check every filter value passes before it reaches the database."""
from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.model import filters as model_filters

from flask_babel import lazy_gettext as _l


from kesu.sla import DUE_SOON
from kesu.timeutil import local_to_utc, utcnow
from kesu.validators import column_bounds, has_control_characters

#: Longer values are no filter anyone typed; they only make the query heavy.
MAX_FILTER_VALUE_LENGTH = 200
#: Numbers beyond NUMERIC(14, 2) with room to spare; a Decimal this size still rounds to cents.
NUMBER_LIMIT = Decimal(10) ** 15


def _parse_local(value: str) -> datetime:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
        try:
            return local_to_utc(parsed)
        except OverflowError:  # 0001-01-01 00:00 in Shanghai is before the first representable UTC moment
            raise ValueError(value) from None
    raise ValueError(value)


class _LocalDateTime:
    def validate(self, value: str) -> bool:
        try:
            self.clean(value)
        except ValueError:
            return False
        return True

    def clean(self, value: str):
        return _parse_local(value)


class _LocalDateTimeRange:
    def validate(self, value: str) -> bool:
        try:
            start, end = self.clean(value)
        except ValueError:
            return False
        return start <= end

    def clean(self, value: str):
        parts = value.split(" to ")
        if len(parts) != 2:
            raise ValueError(value)
        return [_parse_local(part) for part in parts]


class _Money:
    def validate(self, value: str) -> bool:
        try:
            self.clean(value)
        except (InvalidOperation, ValueError):
            return False
        return True

    def clean(self, value: str) -> Decimal:
        return Decimal(value.strip())


def _local(base):
    return type(base.__name__, (_LocalDateTime, base), {})


def _money(base):
    return type("Money" + base.__name__, (_Money, base), {})


LOCAL_DATETIME_FILTERS = (
    _local(sqla_filters.DateTimeGreaterFilter),
    _local(sqla_filters.DateTimeSmallerFilter),
    type("DateTimeBetweenFilter", (_LocalDateTimeRange, sqla_filters.DateTimeBetweenFilter), {}),
    sqla_filters.FilterEmpty,
)

MONEY_FILTERS = (
    _money(sqla_filters.FilterEqual),
    _money(sqla_filters.FilterGreater),
    _money(sqla_filters.FilterSmaller),
    sqla_filters.FilterEmpty,
)


class FilterLike(sqla_filters.FilterLike):
    """"包含": ``%`` and ``_`` typed in the value are characters, not wildcards. Flask-Admin's class name is kept:
    saved filters name a filter by its column and class (see :mod:`kesu.admin.saved_filters`)."""

    def apply(self, query, value, alias=None):
        return query.filter(self.get_column(alias).icontains(value, autoescape=True))


class FilterNotLike(sqla_filters.FilterNotLike):
    """"不包含", taken literally like :class:`FilterLike`."""

    def apply(self, query, value, alias=None):
        return query.filter(~self.get_column(alias).icontains(value, autoescape=True))


STRING_FILTERS = tuple({sqla_filters.FilterLike: FilterLike, sqla_filters.FilterNotLike: FilterNotLike}.get(f, f)
                       for f in sqla_filters.FilterConverter.strings)


class KesuFilterConverter(sqla_filters.FilterConverter):
    strings = STRING_FILTERS

    @model_filters.convert("UTCDateTime")
    def conv_utc_datetime(self, column, name, **kwargs):
        return [f(column, name, **kwargs) for f in LOCAL_DATETIME_FILTERS]

    @model_filters.convert("Money")
    def conv_money(self, column, name, **kwargs):
        return [f(column, name, **kwargs) for f in MONEY_FILTERS]


class DueFilter(sqla_filters.BaseSQLAFilter):
    """"已超时" / "24 小时内到期" on a deadline column: the at-a-glance views of the SLA."""

    OPTIONS = (("overdue", _l("已超时")), ("due_soon", _l("24 小时内到期")))

    def __init__(self, column, name) -> None:
        super().__init__(column, name, options=self.OPTIONS)

    def validate(self, value: str) -> bool:
        return value in dict(self.OPTIONS)

    def apply(self, query, value, alias=None):
        now = utcnow()
        if value == "overdue":
            return query.filter(self.column < now)
        return query.filter(self.column >= now, self.column < now + DUE_SOON)

    def operation(self):
        return _l("为")


def integer_limit(column) -> int:
    """The first whole number too large for ``column``: PostgreSQL casts a compared value to the column's type
    (``smallint out of range``), SQLite takes 64 bits at most."""
    bounds = column_bounds(getattr(column, "type", None))
    return int(bounds[0]) if bounds is not None and bounds[1] == 0 else 2**63


def _in_range(value: Any, limit: int) -> bool:
    """A cleaned filter value the database can compare: whole numbers within ``limit``, finite numbers within
    :data:`NUMBER_LIMIT` (no NaN or Infinity), each item of a list likewise."""
    if isinstance(value, (list, tuple)):
        return all(_in_range(item, limit) for item in value)
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -limit <= value < limit
    if isinstance(value, Decimal):
        return value.is_finite() and abs(value) < NUMBER_LIMIT
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) < NUMBER_LIMIT
    return True


def is_usable_filter_value(flt, value: str) -> bool:
    """Whether ``value`` typed for ``flt`` can be applied: short, no control characters (PostgreSQL refuses NUL),
    accepted by the filter, and once cleaned a value the database can compare (see :func:`_in_range`)."""
    if len(value) > MAX_FILTER_VALUE_LENGTH or has_control_characters(value):
        return False
    try:
        return bool(flt.validate(value)) and _in_range(flt.clean(value), integer_limit(getattr(flt, "column", None)))
    except (ArithmeticError, ValueError, TypeError):  # Flask-Admin's int(float("inf")) is an OverflowError
        return False


def filter_sentence(view, flt, value: str) -> str:
    """``状态 等于 调查中``: a filter as the list shows it, a choice by its label."""
    shown = dict(flt.get_options(view) or ()).get(value, value)
    return f"{flt.name} {flt.operation()} {shown}"
