"""Marshmallow fields that turn record values into the text a Chinese notice prints."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields, post_dump

from kesu.choices import Choices
from kesu.documents.capitals import amount_in_chinese
from kesu.timeutil import to_local

#: Characters XML 1.0 cannot carry; a value holding one would break the document.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def chinese_date(value: date | datetime | None) -> str:
    """``2026年11月23日``; a datetime is taken in Shanghai time first."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def chinese_datetime(value: datetime | None) -> str:
    """``2026年11月23日 14:30`` in Shanghai time."""
    if value is None:
        return ""
    local = to_local(value)
    return f"{chinese_date(local.date())} {local:%H:%M}"


def money_text(value: Decimal | None) -> str:
    """``12345.6`` → ``12,345.60``."""
    return "" if value is None else f"{Decimal(value):,.2f}"


class OutputField(fields.Field):
    """Documents only ever dump: two fields may read one attribute (``received_at`` and ``received_date``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("dump_only", True)
        super().__init__(**kwargs)


class Text(OutputField):
    """Any value as clean text: objects by their ``str()``, characters XML cannot hold removed."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return "" if value is None else _NOT_XML.sub("", str(value))


class Label(OutputField):
    """A stored key shown by its Chinese label."""

    def __init__(self, choices: Choices, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = choices

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return self.choices.label(value)


class YesNo(OutputField):
    def __init__(self, yes: str = "是", no: str = "否", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.yes, self.no = yes, no

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        if value is None:
            return ""
        return self.yes if value else self.no


class ChineseDate(OutputField):
    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return chinese_date(value)


class ChineseDateTime(OutputField):
    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return chinese_datetime(value)


class MoneyText(OutputField):
    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return money_text(value)


class AmountInWords(OutputField):
    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return "" if value is None else amount_in_chinese(value)


class Number(OutputField):
    """A quantity without trailing zeros: ``Decimal("12.50")`` → ``12.5``, ``3`` → ``3``."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        if value is None:
            return ""
        text = f"{Decimal(value):f}"
        return text.rstrip("0").rstrip(".") if "." in text else text


class DocumentSchema(Schema):
    """Every declared field is in the output, a missing value as ``""``: a template never prints "None"."""

    @post_dump
    def fill_missing(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        for name, field in self.dump_fields.items():
            if data.get(name) is None:
                data[name] = [] if isinstance(field, fields.List) or getattr(field, "many", False) else ""
        return data
