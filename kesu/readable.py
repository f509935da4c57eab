"""How a stored value and a recorded change read for a person, in one place: the record page's timeline and the
audit trail both write ``部门：— → 质量管理部``, never ``department_id: ∅ → 2``.

What a column means is read from the models themselves: its label from :data:`kesu.labels.LABELS` (a foreign key
``department_id`` by its relation's label), its vocabulary from the CHECK constraint made of a
:class:`~kesu.choices.Choices` (the words the database accepts are the words shown), money, times and yes/no from
its type, a reference by the referenced row's name (:class:`Names` loads them, one query per table). Phones and
e-mails are masked for the roles that see them masked (:func:`kesu.permissions.personal_value_for`).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from flask import g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import Boolean, CheckConstraint, Date, Table, func, select

from kesu import choices as vocabulary
from kesu.audit import SECRET
from kesu.choices import Choices
from kesu.extensions import db
from kesu.labels import LABELS
from kesu.models import Base, Case, Category, Claim, Customer, Department, DocumentTemplate, User
from kesu.models.base import Money, UTCDateTime
from kesu.permissions import PERSONAL_MASKS, personal_kind, personal_value_for
from kesu.timeutil import format_local

#: Shown for nothing: a value not set, an empty text.
EMPTY = "—"

#: The column that names a row when another row refers to it (a user by their name, a case by its number).
DISPLAY_COLUMN = {User: "full_name", Case: "case_no", Claim: "claim_no", Customer: "name", Department: "name",
                  Category: "name", DocumentTemplate: "version"}

#: Events whose changes are ``[old, new]`` pairs read as ``old → new``; other events record values (an insert's
#: new values, a delete's old ones, a document's details) read as ``label：value``.
CHANGE_ACTIONS = frozenset({"update", "transition"})


@dataclass(frozen=True)
class Meaning:
    """What the values of one column are."""

    label: Any
    #: text, money, datetime, date, boolean, choice or reference
    kind: str = "text"
    choices: Choices | None = None
    #: The table a reference points to.
    target: str | None = None
    #: ``phone`` or ``email``: masked for roles that see personal data masked.
    personal: str | None = None


@cache
def _models() -> dict[str, type]:
    return {mapper.local_table.name: mapper.class_ for mapper in Base.registry.mappers}


def model_of(table: str) -> type | None:
    """The model stored in ``table`` (an audit event's ``record_type``)."""
    return _models().get(table)


_ALL_CHOICES = tuple(value for value in vars(vocabulary).values() if isinstance(value, Choices))


def _vocabulary(table: Table, column: str) -> Choices | None:
    """The Choices a CHECK constraint of ``table`` limits ``column`` to (``… IN (…)``, or ``col IS NULL OR …``)."""
    checks = [str(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint)]
    for candidate in _ALL_CHOICES:
        sql = candidate.check_sql(column)
        if any(check == sql or check.endswith(" OR " + sql) for check in checks):
            return candidate
    return None


def _label(name: str, target: str | None) -> Any:
    relation = name[:-3] if name.endswith("_id") else None
    if target is not None and relation in LABELS:
        return LABELS[relation]
    return LABELS.get(name, name)


def _meaning(table: Table, name: str) -> Meaning:
    column = table.c[name]
    target = next((fk.column.table.name for fk in column.foreign_keys), None)
    label = _label(name, target)
    personal = column.info.get("kind") or personal_kind(name)
    if personal in PERSONAL_MASKS:
        return Meaning(label, personal=personal)
    if target is not None:
        return Meaning(label, "reference", target=target)
    found = _vocabulary(table, name)
    if found is not None:
        return Meaning(label, "choice", choices=found)
    kinds = ((Money, "money"), (UTCDateTime, "datetime"), (Date, "date"), (Boolean, "boolean"))
    return Meaning(label, next((kind for type_, kind in kinds if isinstance(column.type, type_)), "text"))


def _identity(what: Meaning) -> tuple:
    return id(what.label), what.kind, id(what.choices), what.target, what.personal


@cache
def meaning(table: str | None, name: str) -> Meaning:
    """What column ``name`` of ``table`` holds. Without a table (an export's cell), a name that means the same in
    every table having it is still read by its meaning; otherwise only its label is known."""
    tables = Base.metadata.tables
    if table in tables and name in tables[table].c:
        return _meaning(tables[table], name)
    found = {_identity(m): m for m in (_meaning(t, name) for t in tables.values() if name in t.c)}
    if len(found) == 1:
        return found.popitem()[1]
    return Meaning(LABELS.get(name, name), personal=personal_kind(name))


@cache
def _relation_columns(table: str | None) -> dict[str, str]:
    """A many-to-one relation's name → its foreign-key column (``department`` → ``department_id``)."""
    model = model_of(table or "")
    if model is None:
        return {}
    return {rel.key: next(iter(rel.local_columns)).key for rel in model.__mapper__.relationships
            if rel.direction.name == "MANYTOONE"}


def _display(model: type):
    if model is User:
        return func.coalesce(func.nullif(User.full_name, ""), User.username)
    attribute = DISPLAY_COLUMN.get(model)
    return getattr(model, attribute) if attribute else None


class Names:
    """The names of rows other rows refer to, loaded in one query per table: say what is wanted, then read."""

    def __init__(self) -> None:
        self._wanted: defaultdict[str, set[int]] = defaultdict(set)
        self._names: dict[tuple[str, int], str] = {}

    def want(self, table: str, key: Any) -> None:
        if isinstance(key, int) and not isinstance(key, bool) and (table, key) not in self._names:
            self._wanted[table].add(key)

    def want_changes(self, table: str | None, changes: Mapping[str, Any] | None) -> None:
        """Every reference in an audit event's changes."""
        for name, pair in (changes or {}).items():
            target = meaning(table, name).target
            if target is not None and isinstance(pair, (list, tuple)):
                for value in pair:
                    self.want(target, value)

    def load(self) -> None:
        for table, keys in self._wanted.items():
            model = model_of(table)
            if model is None or not keys:
                continue
            display = _display(model)
            if display is not None:
                rows = db.session.execute(select(model.id, display).where(model.id.in_(keys))).all()
            else:
                rows = [(row.id, row) for row in db.session.scalars(select(model).where(model.id.in_(keys)))]
            self._names.update({(table, key): str(name) for key, name in rows})
            self._names.update({(table, key): _("（已删除）") for key in keys if (table, key) not in self._names})
        self._wanted.clear()

    def name(self, table: str, key: Any) -> str:
        if (table, key) not in self._names:
            self.want(table, key)
            self.load()
        return self._names.get((table, key), str(key))


def request_names() -> Names:
    """The request's :class:`Names`, so a page's rows share their lookups (a fresh one outside a request)."""
    if not has_app_context():
        return Names()
    if "kesu_names" not in g:
        g.kesu_names = Names()
    return g.kesu_names


def _money(value: Any) -> str:
    try:
        return f"¥{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


def _local(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return format_local(value) if isinstance(value, datetime) else str(value)


def shown(what: Meaning, value: Any, viewer: Any, names: Names) -> str:
    """``value`` of a column that means ``what``, as ``viewer`` may read it."""
    if value is None or value == "" or value == []:
        return EMPTY
    if value == SECRET:
        return SECRET
    if what.personal:
        return personal_value_for(viewer, what.personal, value)
    if isinstance(value, bool) or what.kind == "boolean":
        return _("是") if value else _("否")
    if what.kind == "choice":
        return what.choices.label(value)
    if what.kind == "reference":
        return names.name(what.target, value)
    if what.kind == "money":
        return _money(value)
    if what.kind == "datetime":
        return _local(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "；".join(map(str, value))
    return str(value)


def fact_line(label: Any, value: Any) -> str:
    """``label：value`` for a value that is neither a reference nor personal data (an event's detail)."""
    return f"{label}：{shown(Meaning(label), value, None, Names())}"


def fact(table: str | None, name: str, value: Any, viewer: Any, names: Names) -> str:
    """``label：value`` for one column's value (a detail of a timeline entry)."""
    what = meaning(table, name)
    return f"{what.label}：{shown(what, value, viewer, names)}"


def change_lines(table: str | None, changes: Mapping[str, Any] | None, viewer: Any, names: Names,
                 action: str = "update") -> list[str]:
    """An audit event's changes, one readable line each: ``label：old → new`` for an update or a workflow step,
    ``label：value`` for the values an insert, a delete or a document records. A relation recorded beside its
    foreign key (``department`` with ``department_id``) is read once, by the key."""
    changes = changes or {}
    relations = _relation_columns(table)
    lines = []
    for name, pair in changes.items():
        if relations.get(name) in changes:
            continue
        old, new = pair if isinstance(pair, (list, tuple)) and len(pair) == 2 else (None, pair)
        what = meaning(table, name)
        if action in CHANGE_ACTIONS:
            before, after = shown(what, old, viewer, names), shown(what, new, viewer, names)
            if before != after:  # a deadline moved by seconds reads as no change
                lines.append(f"{what.label}：{before} → {after}")
        else:
            lines.append(f"{what.label}：{shown(what, new if new is not None else old, viewer, names)}")
    return lines


def want_all(names: Names, events: Iterable[Any]) -> Names:
    """Ask ``names`` for every reference in ``events`` (audit events) and load them at once."""
    for event in events:
        names.want_changes(event.record_type, event.changes)
    names.load()
    return names


def viewed_fields(comment: str | None) -> str:
    """The personal data a ``view_personal_info`` event names (its comment lists column keys: ``customer.phone``),
    as their labels: 客户电话、邮箱."""
    return "、".join(str(LABELS.get(name, name)) for name in (comment or "").split(",") if name)
