"""Typed access to the administrator-editable key/value settings (``Setting`` rows)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from kesu.extensions import db
from kesu.models import Setting
from kesu.seed import SETTINGS

DEFAULTS = {key: value for key, value, _description in SETTINGS}


def setting(key: str) -> str:
    value = db.session.scalar(select(Setting.value).where(Setting.key == key))
    return value if value is not None else DEFAULTS[key]


def setting_int(key: str) -> int:
    return int(setting(key))


def setting_decimal(key: str) -> Decimal:
    return Decimal(setting(key))
