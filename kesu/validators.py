"""Field validators shared by every form; messages in the UI language."""
from __future__ import annotations

import unicodedata
from decimal import Decimal

import phonenumbers
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

MAX_MONEY = Decimal("999999999999.99")  # NUMERIC(14, 2)
ALLOWED_CONTROL = {"\t", "\n", "\r"}


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in ALLOWED_CONTROL for ch in text)


class NoControlCharacters:
    """Refuses invisible control characters (NUL, ESC, …) that corrupt exports and documents."""

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and has_control_characters(field.data):
            raise ValidationError(_l("不能包含不可见的控制字符。"))


def is_valid_phone(value: str) -> bool:
    """A mainland mobile or landline number (``13812345678``, ``021-12345678``) or one in +CC form."""
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


class Phone:
    def __call__(self, form, field) -> None:
        if field.data and not is_valid_phone(field.data.strip()):
            raise ValidationError(_l("电话号码无效，请填写手机号（如 13812345678）或带区号的座机（如 021-12345678）。"))


class MoneyAmount:
    """Non-negative, at most two decimal places, within NUMERIC(14, 2)."""

    def __init__(self, allow_zero: bool = True) -> None:
        self.allow_zero = allow_zero

    def __call__(self, form, field) -> None:
        value = field.data
        if value is None:
            return
        if value < 0 or (value == 0 and not self.allow_zero):
            raise ValidationError(_l("金额必须大于或等于 0。") if self.allow_zero else _l("金额必须大于 0。"))
        if value > MAX_MONEY:
            raise ValidationError(_l("金额过大，最多 999,999,999,999.99 元。"))
        if value != value.quantize(Decimal("0.01")):
            raise ValidationError(_l("金额最多保留两位小数。"))
