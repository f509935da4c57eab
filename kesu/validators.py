"""Field rules shared by every form, and the filters that tidy what was typed; messages in the UI language.

The rules for text, numbers, dates and choices are applied to every field of every form by
:class:`kesu.admin.forms.KesuFormMeta`; limits of numbers come from the column they are stored in.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import phonenumbers
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Integer, Numeric, SmallInteger
from sqlalchemy.types import TypeDecorator, TypeEngine
from wtforms.validators import StopValidation, ValidationError

from kesu.models.base import Money
from kesu.timeutil import to_local

#: Control characters allowed in text (multi-line or not); every other C0, DEL and C1 character is refused.
ALLOWED_CONTROL = {"\t", "\n", "\r"}
#: Dates typed into any form lie in this range: far enough from year 1 and 9999 that the Shanghai/UTC
#: conversion and both databases are safe, wide enough for any complaint, deadline or holiday.
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2099, 12, 31)


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in ALLOWED_CONTROL for ch in text)


class NoControlCharacters:
    """Refuses NUL (PostgreSQL cannot store it, nor compare it in a query), ESC and the other invisible control
    characters. It stops the field's other rules, so none of them sends the text to the database."""

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and has_control_characters(field.data):
            raise StopValidation(_l("不能包含不可见的控制字符。"))


def is_invisible(ch: str) -> bool:
    """White space of any kind (U+3000 too) and the invisible format characters: zero-width U+200B–U+200D,
    U+2060, U+FEFF, the bidi marks and overrides U+200E/F, U+202A–U+202E, U+2066–U+2069."""
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def trim_invisible(value: Any) -> Any:
    """A text without the white space and invisible characters around it; other values as they are."""
    if not isinstance(value, str):
        return value
    start, end = 0, len(value)
    while start < end and is_invisible(value[start]):
        start += 1
    while end > start and is_invisible(value[end - 1]):
        end -= 1
    return value[start:end]


class NotBlank:
    """For required fields: text that is empty once white space and invisible characters are gone is no value."""

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and not trim_invisible(field.data):
            raise StopValidation(_l("请填写%(field)s（不能只有空格或不可见字符）。", field=field.label.text))


# --- numbers ------------------------------------------------------------------------------------------------
def column_bounds(type_: TypeEngine) -> tuple[Decimal, int | None] | None:
    """(smallest number too large, decimal places) that a column of ``type_`` stores, or None if not a number.

    ``Integer`` is 32 bits on both databases, ``SmallInteger`` 16 and ``BigInteger`` 64; ``Numeric(p, s)``
    holds ``p - s`` digits before the point and ``s`` after it."""
    if isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    if isinstance(type_, SmallInteger):
        return Decimal(2) ** 15, 0
    if isinstance(type_, BigInteger):
        return Decimal(2) ** 63, 0
    if isinstance(type_, Integer):
        return Decimal(2) ** 31, 0
    if isinstance(type_, Numeric) and type_.precision is not None:
        scale = type_.scale or 0
        return Decimal(10) ** (type_.precision - scale), scale
    return None


def is_id_of(value: object, type_: TypeEngine) -> bool:
    """``value`` is ASCII digits (``"²".isdigit()`` is true) naming an id a column of ``type_`` can hold; anything
    else would fail in the database's cast (PostgreSQL) instead of finding nothing."""
    text = str(value)
    if not (text.isascii() and text.isdecimal()) or len(text) > 20:
        return False
    limit, _places = column_bounds(type_)
    return int(text) < limit


class ColumnRange:
    """A number the column can hold: within its bits or digits, with no more decimal places than it keeps."""

    def __init__(self, type_: TypeEngine) -> None:
        limit, self.places = column_bounds(type_)
        if self.places == 0 and not isinstance(type_, Numeric):
            self.low, self.high = -limit, limit - 1
        else:
            self.high = limit - Decimal(1).scaleb(-self.places)
            self.low = -self.high

    def __call__(self, form, field) -> None:
        value = field.data
        if value is None:
            return
        value = Decimal(value)
        if not self.low <= value <= self.high:
            raise ValidationError(_l("数值超出范围，应在 %(low)s 到 %(high)s 之间。",
                                     low=f"{self.low:,}", high=f"{self.high:,}"))
        if value != value.quantize(Decimal(1).scaleb(-self.places)):
            raise ValidationError(_l("最多保留 %(n)s 位小数。", n=self.places))


MONEY_LIMIT, MONEY_PLACES = column_bounds(Money())
MAX_MONEY = MONEY_LIMIT - Decimal(1).scaleb(-MONEY_PLACES)


class MoneyAmount:
    """Non-negative, at most two decimal places, within the ``Money`` column (NUMERIC(14, 2))."""

    def __init__(self, allow_zero: bool = True) -> None:
        self.allow_zero = allow_zero

    def __call__(self, form, field) -> None:
        value = field.data
        if value is None:
            return
        if value < 0 or (value == 0 and not self.allow_zero):
            raise ValidationError(_l("金额必须大于或等于 0。") if self.allow_zero else _l("金额必须大于 0。"))
        if value > MAX_MONEY:
            raise ValidationError(_l("金额过大，最多 %(max)s 元。", max=f"{MAX_MONEY:,}"))
        if value != value.quantize(Decimal(1).scaleb(-MONEY_PLACES)):
            raise ValidationError(_l("金额最多保留两位小数。"))


# --- dates --------------------------------------------------------------------------------------------------
def in_date_range(value: date | datetime) -> bool:
    """Aware datetimes are judged by their Shanghai date, as they were typed."""
    if isinstance(value, datetime):
        day = (to_local(value) if value.tzinfo else value).date()
    else:
        day = value
    return FIRST_DATE <= day <= LAST_DATE


def date_range_message():
    return _l("日期须在 %(first)s 到 %(last)s 之间。", first=FIRST_DATE.isoformat(), last=LAST_DATE.isoformat())


class DateInRange:
    def __call__(self, form, field) -> None:
        if isinstance(field.data, date) and not in_date_range(field.data):
            raise ValidationError(date_range_message())


# --- choices ------------------------------------------------------------------------------------------------
class ExistingChoice:
    """A select or search box answered with an id that is not there (deleted, out of scope, ``abc``): a field
    error naming the field, instead of Flask-Admin's silent "no value" for optional fields."""

    def __call__(self, form, field) -> None:
        raw = field.raw_data[0] if field.raw_data else None
        if raw not in (None, "", "__None") and field.data is None:
            field.errors[:] = []
            raise StopValidation(_l("所选的“%(field)s”不存在或您无权选择，请重新选择。", field=field.label.text))


# --- phone numbers ------------------------------------------------------------------------------------------
_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x|#|,)\s*(\d{1,6})\s*$", re.IGNORECASE)
_DASHED_EXTENSION = re.compile(r"^(\(?0\d{2,3}\)?[\s-]*\d{7,8})-(\d{1,6})$")
_SEPARATORS = re.compile(r"[\s().\-]")


def phone_digits(text: str) -> str:
    """A phone number as typed, without its spaces, dots, dashes and brackets (full-width digits read as digits)."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).strip())
_PHONE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normal_phone(value: str) -> str | None:
    """A mainland mobile or landline number in the stored form, or None if it is not one.

    Mobile ``13812345678``; landline ``010-88886666`` (area code with its 0, a dash, the number); an extension
    (typed after 转, 分机, ext, x, # or a second dash) follows with a dash: ``010-88886666-123``. ``+86``/``0086``,
    spaces, dashes, dots, brackets and full-width digits are accepted as typed; other countries are refused."""
    text = unicodedata.normalize("NFKC", value).strip()
    extension = ""
    if match := _EXTENSION.search(text):
        text, extension = text[:match.start()], match.group(1)
    elif match := _DASHED_EXTENSION.match(text):
        text, extension = match.group(1), match.group(2)
    digits = _SEPARATORS.sub("", text)
    if not re.fullmatch(r"(\+|00)?\d{7,15}", digits):
        return None
    try:
        number = phonenumbers.parse(digits.replace("00", "+", 1) if digits.startswith("0086") else digits, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    kind = phonenumbers.number_type(number)
    if kind not in _PHONE_TYPES:
        return None
    national = phonenumbers.national_significant_number(number)
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return national if not extension else None
    area = phonenumbers.length_of_geographical_area_code(number) or 2
    stored = f"0{national[:area]}-{national[area:]}"
    return f"{stored}-{extension}" if extension else stored


_SERVICE_TYPES = {phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.SHARED_COST}


def normal_service_number(value: str) -> str | None:
    """A company's 400 or 800 service number as ``400-800-1234``, or None if it is not one."""
    digits = phone_digits(value)
    if not re.fullmatch(r"[48]00\d{7}", digits):
        return None
    number = phonenumbers.parse(digits, "CN")
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in _SERVICE_TYPES:
        return None
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def is_valid_company_phone(value: str) -> bool:
    """A number a company publishes: a landline or mobile, or a 400/800 service number."""
    return normal_phone(value) is not None or normal_service_number(value) is not None


class Phone:
    """Checks a phone number and replaces what was typed with its stored form (see :func:`normal_phone`)."""

    def __call__(self, form, field) -> None:
        if not field.data:
            return
        normal = normal_phone(field.data)
        if normal is None:
            raise ValidationError(_l("电话号码无效，请填写手机号（如 13812345678）或带区号的座机"
                                     "（如 021-12345678，分机写在后面：021-12345678-8001）。"))
        field.data = normal
