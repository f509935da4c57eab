"""List filters for our column types: dates typed in Shanghai time, money compared as Decimal."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.model import filters as model_filters

from flask_babel import lazy_gettext as _l

from kesu.timeutil import local_to_utc, utcnow

DUE_SOON = timedelta(hours=24)


def _parse_local(value: str) -> datetime:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return local_to_utc(datetime.strptime(value.strip(), fmt))
        except ValueError:
            continue
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


class KesuFilterConverter(sqla_filters.FilterConverter):
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


def filter_sentence(view, flt, value: str) -> str:
    """``状态 等于 调查中``: a filter as the list shows it, a choice by its label."""
    shown = dict(flt.get_options(view) or ()).get(value, value)
    return f"{flt.name} {flt.operation()} {shown}"
