"""The columns of an export, derived from a view's declarations (``column_export_list`` or its
``column_list``, ``column_labels``, ``choice_columns``, ``column_export_formatters``).

Each column is one SQL expression, so rows come from the database as tuples, not ORM objects: a related
name (``customer.name``) is a scalar subquery on an alias of the related table, which neither collides with
the joins a sort by that name adds nor multiplies rows.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import JSON, Boolean, Date, Integer, Numeric, String, Text, func, select
from sqlalchemy.orm import aliased

from kesu.choices import Choices
from kesu.models import User
from kesu.models.base import Money, UTCDateTime
from kesu.permissions import PERSONAL_MASKS, sees_personal_info
from kesu.readable import DISPLAY_COLUMN
from kesu.exports.sql import ShanghaiMinute, labelled, neutralised, yes_no


@dataclass
class ExportColumn:
    name: str
    header: str
    expression: Any
    #: "text", "money" or "number" (numbers stay numbers in XLSX).
    kind: str
    #: value from the database → what the cell holds (str, Decimal, int or None); None when the database
    #: already returns the cell (labels, Shanghai times, text made formula-safe).
    convert: Callable[[Any], Any] | None
    #: A formatter's text, which Python still has to make formula-safe.
    typed: bool = False
    #: XLSX column width in characters (a CJK character counts two).
    width: int = 16


def _related(model: type, relation_name: str, attribute: str | None):
    """The related record's display column, and a function putting a cell made of it in a scalar subquery
    (so the database works on the related value once per row, inside the subquery)."""
    relation = getattr(model, relation_name).property
    target = aliased(relation.mapper.class_)
    (local,) = relation.local_columns
    (remote,) = relation.remote_side
    attribute = attribute or DISPLAY_COLUMN[relation.mapper.class_]
    column = getattr(target, attribute)
    if relation.mapper.class_ is User and attribute == "full_name":
        column = func.coalesce(func.nullif(target.full_name, ""), target.username)
    correlation = getattr(target, remote.key) == local

    def scalar(cell):
        return select(cell).where(correlation).scalar_subquery()
    return column, scalar, getattr(relation.mapper.class_, attribute).property.columns[0].type, attribute


def _kind(column_type: Any) -> str:
    if isinstance(column_type, (Money, Numeric, Integer)):
        return "money" if isinstance(column_type, Money) else "number"
    return "text"


def _sql_cell(expression, column_type: Any, choices: Choices | None, masked: bool):
    """``expression`` turned into the cell by the database where it can be (labels, 是/否, text made safe),
    and whether Python still has to convert each value."""
    if choices is not None:
        return labelled(expression, {key: str(label) for key, label in choices.pairs()}), False
    if masked:
        return expression, True
    if isinstance(column_type, UTCDateTime):
        return ShanghaiMinute(expression), False
    if isinstance(column_type, Boolean):
        return yes_no(expression, _("是"), _("否")), False
    if isinstance(column_type, String):
        return neutralised(expression), False
    return expression, not isinstance(column_type, (Numeric, Integer)) or isinstance(column_type, Money)


def _converter(column_type: Any, mask: Callable[[str], str] | None) -> Callable[[Any], Any]:
    """Raw value → cell, for what the database cannot do: masks, money to 2 places, dates, JSON."""
    if mask is not None:
        return lambda value: mask(value) if value else None
    if isinstance(column_type, Date):
        return lambda value: value.isoformat() if isinstance(value, date) else value
    if isinstance(column_type, Money):
        return lambda value: None if value is None else Decimal(value).quantize(Decimal("0.01"))
    return lambda value: None if value is None else str(value)


def _width(column_type: Any, formatter) -> int:
    if formatter is not None or isinstance(column_type, (Text, JSON)):
        return 40
    if isinstance(column_type, UTCDateTime):
        return 17
    if isinstance(column_type, (Numeric, Integer, Date, Boolean)):
        return 12
    if isinstance(column_type, String) and column_type.length:
        return min(max(column_type.length, 10), 30)
    return 16


def export_columns(view: Any, user: Any) -> list[ExportColumn]:
    """The columns ``view`` exports for ``user`` (phones and e-mails masked as the user's lists are)."""
    model = view.model
    names = getattr(view, "column_export_list", None) or view.column_list
    labels = view.column_labels or {}
    formatters = getattr(view, "column_export_formatters", None) or {}
    columns = []
    for name in names:
        relation_name, _dot, attribute = name.partition(".")
        prop = getattr(model, relation_name).property
        if hasattr(prop, "mapper"):  # a relationship: its name or one of its columns
            expression, scalar, column_type, attribute = _related(model, relation_name, attribute or None)
        else:
            expression, scalar = getattr(model, name), None
            column_type, attribute = prop.columns[0].type, name
        choices = view.choice_columns.get(name)
        formatter = formatters.get(name)
        mask = PERSONAL_MASKS.get(attribute) if not sees_personal_info(user) else None
        masked = mask is not None
        if formatter is not None:  # Python's own formatting of the raw value; its text may start like a formula
            convert, typed = formatter, True
        else:
            expression, needs_python = _sql_cell(expression, column_type, choices, masked)
            convert = _converter(column_type, mask) if needs_python else None
            typed = masked  # a mask keeps the typed text's first character
        if scalar is not None:
            expression = scalar(expression)
        kind = "text" if choices is not None or formatter is not None else _kind(column_type)
        header = str(labels.get(name, name))
        columns.append(ExportColumn(name, header, expression.label(f"c{len(columns)}"), kind, convert, typed,
                                    max(_width(column_type, formatter), 2 * len(header) + 2)))
    return columns

