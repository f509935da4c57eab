"""Kinds of value typed as text by an administrator (a setting) or an operator (a ``KESU_*`` variable).

Each kind reads the text with a marshmallow field (the vocabulary the forms' schemas and a later REST API share),
checks its range, gives back a typed value, writes it back as canonical text, and says in one sentence what it
accepts, which is both the error message and the documentation.
"""
from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from kesu.validators import MAX_MONEY, has_control_characters, is_valid_company_phone

INTEGER_TEXT = re.compile(r"\s*[+-]?\d+\s*")
CENT = Decimal("0.01")


class InvalidValue(ValueError):
    """The text is not a value of the kind; the message (in the UI language) says what is accepted."""


class ValueType(ABC):
    """A kind of value: subclasses give the marshmallow field and the phrase saying what is accepted."""

    unit: Any = None

    @abstractmethod
    def field(self) -> fields.Field:
        """The marshmallow field reading the text; its messages are :meth:`refusal` or more precise ones."""

    @abstractmethod
    def accepted(self) -> str:
        """What the kind accepts, as a phrase (“1 到 365 之间的整数（天）”)."""

    def refusal(self) -> str:
        return _("请输入%(what)s。", what=self.accepted())

    def refusing_unless(self, valid: Callable[[str], bool]) -> Callable[[str], None]:
        """A field validator refusing, with :meth:`refusal`, what ``valid`` says no to."""
        def check(value: str) -> None:
            if not valid(value):
                raise ValidationError(self.refusal())
        return check

    def prepare(self, text: str) -> Any:
        """The text as the field reads it (a kind may refuse a spelling its field would let through)."""
        return text.strip()

    def parse(self, text: str) -> Any:
        """The typed value of ``text``, or :class:`InvalidValue`."""
        if has_control_characters(text):
            raise InvalidValue(_("不能包含不可见的控制字符。"))
        try:
            return self.field().deserialize(self.prepare(text))
        except ValidationError as exc:
            messages = exc.messages if isinstance(exc.messages, list) else [exc.messages]
            raise InvalidValue(str(messages[0])) from exc

    def to_text(self, value: Any) -> str:
        """The canonical text of a value of this kind (what is stored and shown)."""
        return "" if value is None else str(value)

    def with_unit(self, value: Any) -> str:
        text = self.to_text(value)
        return f"{text} {self.unit}" if self.unit and text else text


@dataclass(frozen=True)
class Money(ValueType):
    """An amount in yuan with at most two decimal places, stored as ``25000.00``."""

    minimum: Decimal = Decimal(0)
    maximum: Decimal = MAX_MONEY
    unit: Any = _l("元")

    def field(self) -> fields.Field:
        invalid = _("请输入金额，例如 25000.00。")
        return fields.Decimal(allow_nan=False, error_messages={"invalid": invalid, "special": invalid},
                              validate=[validate.Range(self.minimum, self.maximum, error=self.refusal()),
                                        self._cents])

    def _cents(self, value: Decimal) -> None:
        """Checked within the range only: quantizing 1E+30 would overflow the decimal context."""
        if self.minimum <= value <= self.maximum and value != value.quantize(CENT):
            raise ValidationError(_("金额最多保留两位小数。"))

    def accepted(self) -> str:
        return _("介于 %(min)s 到 %(max)s 之间的金额（%(unit)s）", min=f"{self.minimum:,.2f}",
                      max=f"{self.maximum:,.2f}", unit=self.unit)

    def parse(self, text: str) -> Decimal:
        return super().parse(text).quantize(CENT)

    def to_text(self, value: Any) -> str:
        return f"{Decimal(value):.2f}"


@dataclass(frozen=True)
class Integer(ValueType):
    """A whole number within a range, in a unit (天, 毫秒, 字节…)."""

    minimum: int
    maximum: int
    unit: Any = None

    def field(self) -> fields.Field:
        return fields.Integer(error_messages={"invalid": self.refusal()},
                              validate=validate.Range(self.minimum, self.maximum, error=self.refusal()))

    def prepare(self, text: str) -> Any:
        """Digits only: ``int()`` would also take ``1_000``."""
        if not INTEGER_TEXT.fullmatch(text):
            raise InvalidValue(self.refusal())
        return text.strip()

    def accepted(self) -> str:
        if self.unit:
            return _("介于 %(min)s 到 %(max)s 之间的整数（%(unit)s）", min=self.minimum, max=self.maximum,
                          unit=self.unit)
        return _("介于 %(min)s 到 %(max)s 之间的整数", min=self.minimum, max=self.maximum)


@dataclass(frozen=True)
class Number(ValueType):
    """A decimal number (a float) within a range, in a unit (秒…)."""

    minimum: float
    maximum: float
    unit: Any = None

    def field(self) -> fields.Field:
        return fields.Float(allow_nan=False, error_messages={"invalid": self.refusal(), "special": self.refusal()},
                            validate=validate.Range(self.minimum, self.maximum, error=self.refusal()))

    def accepted(self) -> str:
        if self.unit:
            return _("介于 %(min)s 到 %(max)s 之间的数（%(unit)s）", min=self.minimum, max=self.maximum,
                          unit=self.unit)
        return _("介于 %(min)s 到 %(max)s 之间的数", min=self.minimum, max=self.maximum)


TRUTHY = frozenset({"true", "1", "yes", "on"})
FALSY = frozenset({"false", "0", "no", "off"})


@dataclass(frozen=True)
class Boolean(ValueType):
    """true/false, 1/0, yes/no or on/off, in any case."""

    def field(self) -> fields.Field:
        return fields.Boolean(truthy=set(TRUTHY), falsy=set(FALSY), error_messages={"invalid": self.refusal()})

    def prepare(self, text: str) -> Any:
        return text.strip().casefold()

    def accepted(self) -> str:
        return _("以下之一：true/false、1/0、yes/no、on/off（不区分大小写）")

    def to_text(self, value: Any) -> str:
        return "true" if value else "false"


@dataclass(frozen=True)
class Text(ValueType):
    """Text that is not blank, up to a length."""

    max_length: int = 200

    def field(self) -> fields.Field:
        return fields.String(validate=[validate.Length(max=self.max_length, error=self.refusal()), self._visible])

    def _visible(self, value: str) -> None:
        """Refuses text made only of spaces and invisible characters (full-width space, zero-width, bidi)."""
        if all(unicodedata.category(ch)[0] == "Z" or unicodedata.category(ch) == "Cf" for ch in value):
            raise ValidationError(self.refusal())

    def accepted(self) -> str:
        return _("不超过 %(n)s 个字符、不为空的文字", n=self.max_length)


@dataclass(frozen=True)
class Phone(ValueType):
    """A mainland mobile or landline number, or a 400/800 service number."""

    def field(self) -> fields.Field:
        return fields.String(validate=self.refusing_unless(is_valid_company_phone))

    def accepted(self) -> str:
        return _("电话号码，如 400-800-1234、021-12345678 或 13812345678")


@dataclass(frozen=True)
class Choice(ValueType):
    """One of a fixed list of words."""

    values: tuple[str, ...] = ()

    def field(self) -> fields.Field:
        return fields.String(validate=validate.OneOf(self.values, error=self.refusal()))

    def accepted(self) -> str:
        return _("以下之一：%(values)s", values=", ".join(self.values))


@dataclass(frozen=True)
class FilePath(ValueType):
    """A file or folder path (not checked for existence: a folder is created when first written to)."""

    def field(self) -> fields.Field:
        return fields.String(validate=validate.Length(min=1, max=4096, error=self.refusal()))

    def accepted(self) -> str:
        return _("文件或目录的路径")


@dataclass(frozen=True)
class Url(ValueType):
    """An address whose scheme is one of ``schemes`` (``sqlite``, ``postgresql+psycopg``, ``redis``…)."""

    schemes: tuple[str, ...] = ()

    def field(self) -> fields.Field:
        return fields.String(validate=self.refusing_unless(self._known_scheme))

    def _known_scheme(self, value: str) -> bool:
        scheme, separator, _rest = value.partition("://")
        return bool(separator) and scheme in self.schemes

    def accepted(self) -> str:
        return _("以 %(schemes)s 开头的地址", schemes=", ".join(f"{s}://" for s in self.schemes))


@dataclass(frozen=True)
class RateLimit(ValueType):
    """A rate in the ``limits`` library's notation (``5 per 5 minutes``), as Flask-Limiter reads it."""

    def field(self) -> fields.Field:
        return fields.String(validate=self.refusing_unless(self._parses))

    @staticmethod
    def _parses(value: str) -> bool:
        from limits import parse_many

        try:
            return bool(parse_many(value))
        except ValueError:
            return False

    def accepted(self) -> str:
        return _("次数与时段，如 5 per 5 minutes、20/hour")
