"""May this user do this to this record: one answer for every button, view, edit, export, document and bulk
action, with the reason (a Chinese sentence) when the answer is no.

The answer is read from the declarations that say who may do what, never from a list of its own:

- what each role may do with each kind of record: :data:`kesu.permissions.ACCESS`;
- which records a handler sees: :data:`kesu.permissions.DEPARTMENT_PATHS` (the lists' SQL scope is made from the
  same declaration, :func:`kesu.permissions.row_condition`);
- which field groups each status leaves open to which role: :mod:`kesu.workflow.statuses`;
- who starts each transition, from which statuses: the machines (:mod:`kesu.workflow`);
- who issues each document, in which statuses: :mod:`kesu.documents.types`.

``target`` is a record, or a model class for what is asked before there is a record (a list, its export, the
create form, a bulk action on the list).
"""
from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect
from sqlalchemy.orm import RelationshipDirection

from kesu.choices import ROLE
from kesu.documents.types import DOCUMENT_TYPES
from kesu.labels import LABELS
from kesu.permissions import can, in_scope
from kesu.workflow import MACHINES
from kesu.workflow.core import Machine, role_refusal, rule_refusal


class Act(StrEnum):
    READ = "read"
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    EXPORT = "export"
    #: ``what``: the document type's key.
    DOCUMENT = "document"
    #: ``what``: the transition's key.
    TRANSITION = "transition"


#: What a role without the right to an act on a kind of record reads.
ROLE_REFUSALS = {
    Act.READ: _l("您的角色（%(role)s）不能查看此类记录。"),
    Act.CREATE: _l("您的角色（%(role)s）不能新建此类记录。"),
    Act.EDIT: _l("您的角色（%(role)s）不能修改此类记录。"),
    Act.DELETE: _l("您的角色（%(role)s）不能删除此类记录。"),
    Act.EXPORT: _l("您的角色（%(role)s）不能导出此类记录。"),
}


def refusal(user: Any, act: Act | str, target: Any, what: str | None = None) -> str | None:
    """None when ``user`` may ``act`` on ``target``; else why not."""
    user = actual(user)
    if not getattr(user, "is_authenticated", False):
        return _("请先登录。")
    act = Act(act)
    model, record = (target, None) if isinstance(target, type) else (type(target), target)
    return CHECKS[act](user, act, model, record, what)


def may(user: Any, act: Act | str, target: Any, what: str | None = None) -> bool:
    return refusal(user, act, target, what) is None


def actual(user: Any) -> Any:
    """The user behind flask_login's ``current_user`` proxy, which looks the user up again at every attribute
    read: the checks read a few attributes each, and a list page asks them a few hundred times."""
    unwrap = getattr(user, "_get_current_object", None)
    return unwrap() if unwrap is not None else user


# --- the checks, one per act --------------------------------------------------------------------------------
def _role_refusal(user: Any, act: Act, model: type) -> str | None:
    if not can(user, act.value, model):
        return str(ROLE_REFUSALS[act]) % {"role": ROLE.label(user.role)}
    return None


def _read(user: Any, act: Act, model: type, record: Any, what: str | None) -> str | None:
    refused = _role_refusal(user, Act.READ, model)
    if refused or record is None:
        return refused
    return None if in_scope(user, record) else _("此记录不在您所在部门的权限范围内。")


def _write(user: Any, act: Act, model: type, record: Any, what: str | None) -> str | None:
    """Create, edit, delete: the role's right, the department, then what the record's stage leaves open."""
    refused = _role_refusal(user, act, model)
    if refused or record is None:
        return refused
    if not in_scope(user, record):
        return _("不能保存：该记录将不在您所在部门的权限范围内。")
    if act is Act.EDIT and model in MACHINES:
        return _stage_refusal(user, record)
    return _parent_field_refusal(user, record)


def _export(user: Any, act: Act, model: type, record: Any, what: str | None) -> str | None:
    return _role_refusal(user, Act.READ, model) or _role_refusal(user, Act.EXPORT, model)


def _document(user: Any, act: Act, model: type, record: Any, what: str | None) -> str | None:
    doc_type = DOCUMENT_TYPES.get(what or "")
    if doc_type is None or not issubclass(model, doc_type.model):
        return _("没有这种文书：%(key)s", key=what)
    if user.role not in doc_type.roles:
        return _("您的角色不能生成「%(doc)s」。", doc=doc_type.label)
    if record is None:
        return None
    refused = _read(user, Act.READ, model, record, None)
    if refused:
        return refused
    if not doc_type.applies_to(record):
        return _("「%(doc)s」不适用于当前状态（%(status)s）的记录。", doc=doc_type.label,
                 status=MACHINES[model].statuses.label(record.status))
    return None


def _transition(user: Any, act: Act, model: type, record: Any, what: str | None) -> str | None:
    machine = MACHINES.get(model)
    transition = machine.transitions.get(what or "") if machine is not None else None
    if transition is None:
        return _("未知的操作：%(action)s", action=what)
    if record is None:
        return role_refusal(transition, user)
    return _read(user, Act.READ, model, record, None) or rule_refusal(machine, transition, record, user)


def allowed_transitions(user: Any, record: Any) -> list[Any]:
    """The transitions ``user`` may start on ``record`` now, in declaration order: its action buttons."""
    return [t for t in MACHINES[type(record)].transitions.values()
            if may(user, Act.TRANSITION, record, t.key)]


CHECKS = {Act.READ: _read, Act.CREATE: _write, Act.EDIT: _write, Act.DELETE: _write, Act.EXPORT: _export,
          Act.DOCUMENT: _document, Act.TRANSITION: _transition}


# --- fields locked by stage ---------------------------------------------------------------------------------
def _status_of(machine: Machine, record: Any) -> str:
    """The record's status; a record not yet saved is in its machine's first."""
    return getattr(record, "status", None) or machine.states.initial


def _how(machine: Machine, status: str, editors: frozenset[str]) -> str:
    """What to do instead: who may edit now, else the path that reopens the record, else the steps."""
    if editors:
        return _("只能由%(roles)s修改", roles="、".join(ROLE.label(role) for role in ROLE if role in editors))
    reopen = next((t for t in machine.transitions.values() if t.reopens and status in t.sources), None)
    if reopen is not None:
        return _("请通过「%(action)s」流程重新处理后修改", action=reopen.label)
    return _("只能通过流程操作改变")


def locked_fields(user: Any, target: Any) -> tuple[str, ...]:
    """The form fields of ``target`` (a record, or its model for a new one) that ``user`` may not change now."""
    model, record = (target, None) if isinstance(target, type) else (type(target), target)
    machine = MACHINES.get(model)
    if machine is None:
        return ()
    return machine.states.locked_fields(_status_of(machine, record), user.role)


def field_refusal(user: Any, target: Any, name: str) -> str | None:
    """Why ``user`` may not change the form field ``name`` of ``target`` now (naming the field), or None."""
    model, record = (target, None) if isinstance(target, type) else (type(target), target)
    machine = MACHINES.get(model)
    group = machine.states.group_of(name) if machine is not None else None
    if group is None:
        return None
    status = _status_of(machine, record)
    if machine.states.may_edit(status, group.key, user.role):
        return None
    return _("「%(field)s」在“%(status)s”状态下不能修改，%(how)s。", field=LABELS.get(name, name),
             status=machine.statuses.label(status), how=_how(machine, status, machine.states.editors(status, group.key)))


def _stage_refusal(user: Any, record: Any) -> str | None:
    """A record none of whose groups the status leaves open to ``user`` changes only through its steps."""
    machine = MACHINES[type(record)]
    status = _status_of(machine, record)
    if any(machine.states.may_edit(status, group.key, user.role) for group in machine.states.groups):
        return None
    return _("此记录在“%(status)s”状态下不能修改，%(how)s。", status=machine.statuses.label(status),
             how=_how(machine, status, machine.states.editors(status)))


@cache
def parent_field(model: type) -> tuple[str, str] | None:
    """``(relationship, field)`` when ``model``'s rows are edited as a field of a workflow record's form too
    (goods on hold: the case's ``goods_holds``; loss items: the claim's ``loss_items``): their own views then
    follow that field's lock. Read from the relationship the parent's form field is the other side of."""
    for relationship in inspect(model).relationships:
        parent = relationship.mapper.class_
        if (relationship.direction is RelationshipDirection.MANYTOONE and parent in MACHINES
                and relationship.back_populates in MACHINES[parent].states.form_fields):
            return relationship.key, relationship.back_populates
    return None


def _parent_field_refusal(user: Any, record: Any) -> str | None:
    link = parent_field(type(record))
    if link is None:
        return None
    relationship, name = link
    parent = getattr(record, relationship)
    return field_refusal(user, parent, name) if parent is not None else None
