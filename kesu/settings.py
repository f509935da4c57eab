"""The administrator-editable settings (``Setting`` rows), each declared once with its kind, range, unit, label,
description and default. The seed, the admin edit form and :func:`setting` all derive from the declaration.

A stored value that is not valid (written by an older version or by SQL) never breaks a page: :func:`setting`
logs a warning and answers the default, and the settings list flags the row.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kesu.extensions import db
from kesu.models import Setting
from kesu.value_types import Integer, InvalidValue, Money, Phone, Text, ValueType

log = logging.getLogger(__name__)

#: What :func:`setting` answers, by the declared kind.
SettingValue = Decimal | int | str | bool


@dataclass(frozen=True)
class Declared:
    key: str
    kind: ValueType
    default: SettingValue
    label: Any
    description: Any

    @property
    def default_text(self) -> str:
        return self.kind.to_text(self.default)

    def parse(self, text: str) -> SettingValue:
        """The typed value of ``text``, or :class:`~kesu.value_types.InvalidValue` saying what is accepted."""
        return self.kind.parse(text)

    def help_text(self) -> str:
        """The edit form's help under the field: what the setting does and what it accepts."""
        return _("%(description)s。%(refusal)s", description=self.description, refusal=self.kind.refusal())


DAYS = _l("天")

SETTINGS: tuple[Declared, ...] = (
    Declared("company_name", Text(100), "示例实业有限公司", _l("公司名称"), _l("文书上使用的公司名称")),
    Declared("company_phone", Phone(), "400-800-1234", _l("客服电话"),
             _l("文书上印的客服电话（经办人无电话时使用）")),
    Declared("company_address", Text(200), "江苏省苏州市工业园区星湖街 328 号", _l("公司地址"),
             _l("文书上印的公司地址")),
    Declared("appeal_period_days", Integer(1, 365, DAYS), 30, _l("申诉期"), _l("结案后客户可申诉的天数")),
    Declared("countersign_legal_above", Money(), Decimal("50000.00"), _l("法务会签金额"),
             _l("索赔金额超过此数（元）须法务会签")),
    Declared("countersign_finance_above", Money(), Decimal("10000.00"), _l("财务会签金额"),
             _l("索赔金额超过此数（元）须财务会签")),
    Declared("extension_max_days", Integer(1, 365, DAYS), 30, _l("延期上限"), _l("时限延期最多天数（监管规定）")),
)

DECLARED = {declared.key: declared for declared in SETTINGS}


def stored_problem(declared: Declared, text: str) -> str | None:
    """Why the stored ``text`` cannot be used (and the default is), or None when it is valid."""
    try:
        declared.parse(text)
    except InvalidValue as exc:
        return str(exc)
    return None


def setting(key: str) -> SettingValue:
    """The typed value of a declared setting: ``setting("countersign_legal_above")`` is a Decimal."""
    declared = DECLARED[key]
    text = db.session.scalar(select(Setting.value).where(Setting.key == key))
    if text is None:
        return declared.default
    try:
        return declared.parse(text)
    except InvalidValue as exc:
        log.warning("setting %s: stored value %r is invalid (%s); using the default %s",
                    key, text, exc, declared.default_text)
        return declared.default
