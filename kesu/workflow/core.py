"""The machinery shared by the three state machines: a transition is data; ``perform`` is the only way a status changes.

A transition names its sources, target, roles, required fields, guards and effects. A guard returns ``None``
or the Chinese sentence saying why the step is refused. Effects change the record (timestamps, amounts,
contact-log entries) and may choose the target. ``perform`` checks everything before it changes anything, so
a refused call leaves the session as it found it; the audit trail gets one ``transition`` event carrying the
actor, the comment and every changed field (status old → new included), in the caller's transaction.

A transition also declares the fields its dialog asks for (:class:`Field`, typed); the panel's dialogs are made
from them (:mod:`forms.workflow`), and what each status means is declared in :mod:`kesu.workflow.statuses`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement
from sqlalchemy.orm.exc import StaleDataError

from kesu import permissions, sla  # modules, not their names: both read kesu.workflow.statuses while this imports
from kesu.audit import acting_as
from kesu.choices import ROLE, Choices
from kesu.extensions import db
from kesu.timeutil import utcnow
from kesu.workflow import approval
from kesu.workflow.statuses import Statuses

Guard = Callable[[Any, Any, dict], "str | None"]
Effect = Callable[[Any, Any, dict], "str | None"]
Describe = Callable[[Any, Any, dict], str]
#: The SQL condition, for a user, of the records a step waits for them on (see ``Transition.awaits``).
Awaits = Callable[[Any], ColumnElement[bool]]

#: Names of the fields transitions ask for, for "请填写…" messages and the action forms.
FIELD_LABELS = {
    "reason": _l("理由"),
    "comment": _l("意见"),
    "department": _l("责任部门"),
    "handler": _l("处理人"),
    "resolution_type": _l("处理方式"),
    "amount": _l("金额"),
    "channel": _l("渠道"),
    "opinion": _l("客户意见"),
    "content": _l("回访内容"),
    "satisfaction": _l("满意度"),
    "feedback": _l("回访意见"),
    "new_deadline": _l("新的截止时间"),
    "verified_loss": _l("核定损失"),
    "compensation_form": _l("赔偿形式"),
    "method": _l("支付方式"),
    "voucher_no": _l("凭证号"),
    "decision": _l("决定"),
    "signed_on": _l("客户签字日期"),
    "outcome": _l("申诉处理结果"),
    "payment_method": _l("约定的支付方式"),
    "instalments": _l("分期数"),
    "paid_on": _l("支付日期"),
}


class FieldType(StrEnum):
    TEXT = "text"  # one line
    LONG_TEXT = "long_text"  # a paragraph
    CHOICE = "choice"  # one key of ``Field.choices``
    MONEY = "money"  # yuan, two decimal places (the label says 元)
    DATE = "date"
    DATETIME = "datetime"  # Beijing time in the dialog, UTC in the record
    USER = "user"  # an active user of ``Field.role``
    DEPARTMENT = "department"
    INTEGER = "integer"  # within ``Field.minimum`` … ``Field.maximum`` when given
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class Field:
    """A value a transition asks for: its name in ``perform(**fields)``, its type and the dialog's label."""

    name: str
    type: FieldType
    label: Any
    #: ``perform`` refuses the step without it.
    required: bool = False
    #: Asked as required in the dialog (a person writes it) although ``perform`` does not insist on it.
    required_on_form: bool = False
    description: Any = None
    choices: Choices | None = None
    #: MONEY: whether 0 is refused; INTEGER: the range.
    positive: bool = False
    minimum: int | None = None
    maximum: int | None = None
    #: TEXT and LONG_TEXT: the longest value accepted.
    max_length: int = 2000
    #: USER: the role the user must have.
    role: str | None = None
    #: USER: the name of the DEPARTMENT field of the same dialog the user must belong to; the dialog offers the
    #: chosen department's users only (a guard of the transition still checks it).
    depends_on: str | None = None
    #: The value the dialog starts with, read from the record (a sum the user may keep or change, a reopened
    #: case's department).
    initial: Callable[[Any], Any] | None = None

    @property
    def asked_as_required(self) -> bool:
        return self.required or self.required_on_form


#: The field of a transition that declares none: an optional comment.
COMMENT = Field("comment", FieldType.LONG_TEXT, _l("意见"))


class WorkflowError(Exception):
    """A refused step. ``str(error)`` is the Chinese sentence to show the user."""


@dataclass(frozen=True)
class Transition:
    key: str
    label: object
    sources: frozenset[str]
    target: str | None  # None: stays in its state (escalate, extend, countersign) unless an effect picks an outcome
    roles: frozenset[str]
    fields: tuple[Field, ...] = (COMMENT,)
    #: Narrows ``roles`` by who the actor is (legal or finance staff for a countersign): returns None or the
    #: reason; an ineligible user is not offered the button at all.
    eligible: Callable[[Any], "str | None"] | None = None
    #: Guards that look only at the record and the actor: checked before the dialog opens too, so the
    #: button is shown disabled with the reason instead of failing after the user filled the form.
    preconditions: tuple[Guard, ...] = ()
    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()
    #: Leads from a closed status back to an open one (an appeal): the only way out of a decided record.
    reopens: bool = False
    #: Statuses an effect may choose instead of ``target`` (a claim approved within the limit, paid in full).
    outcomes: frozenset[str] = frozenset()
    #: Starts the clock of the status again although the status stays (a transfer gives the new department its
    #: full reply time); leaving for another status always starts that status's clock.
    restarts_clock: bool = False
    #: How the step reads in the audit trail after its label, from the record as it was before the step; without
    #: it, the comment, reason or opinion typed.
    describe: Describe | None = None
    #: Whether the step is the record's next step, which the inbox (:mod:`kesu.inbox`) lists for whoever may take
    #: it (accept, assign, propose, approve, notify, pay, a countersign), or an occasional action open at any
    #: time (escalate, extend, appeal, transfer), which it does not. None: a step that leads to another status
    #: is a next step, one that keeps the status is occasional.
    moves_on: bool | None = None
    #: Narrows, in SQL, the records on which the step waits for a user beyond status, role and department (an
    #: approval at the user's level, a countersign still due): the inbox's mirror of ``preconditions``.
    awaits: Awaits | None = None

    @property
    def targets(self) -> frozenset[str]:
        """Every status the step can lead to."""
        return self.outcomes | ({self.target} if self.target else set())

    @property
    def is_next_step(self) -> bool:
        if self.moves_on is not None:
            return self.moves_on
        return bool(self.targets - self.sources)

    @property
    def required(self) -> tuple[str, ...]:
        """The names of the fields ``perform`` cannot go without."""
        return tuple(f.name for f in self.fields if f.required)


@dataclass
class Machine:
    name: str
    #: What each status means (:mod:`kesu.workflow.statuses`).
    states: Statuses
    transitions: dict[str, Transition] = field(default_factory=dict)

    @property
    def statuses(self) -> Choices:
        """The stored keys and their labels."""
        return self.states.choices

    def add(self, key: str, label, sources: Sequence[str], target: str | None, roles: Sequence[str], *,
            fields: Sequence[Field] = (COMMENT,), eligible: Callable[[Any], "str | None"] | None = None,
            preconditions: Sequence[Guard] = (), guards: Sequence[Guard] = (), effects: Sequence[Effect] = (),
            reopens: bool = False, outcomes: Sequence[str] = (), restarts_clock: bool = False,
            describe: Describe | None = None, moves_on: bool | None = None, awaits: Awaits | None = None) -> None:
        self.transitions[key] = Transition(
            key, label, frozenset(sources), target, frozenset(roles), tuple(fields), eligible=eligible,
            preconditions=tuple(preconditions), guards=tuple(guards), effects=tuple(effects), reopens=reopens,
            outcomes=frozenset(outcomes), restarts_clock=restarts_clock, describe=describe, moves_on=moves_on,
            awaits=awaits)


def is_blank(value: Any) -> bool:
    """None, or text that is only white space."""
    return value is None or (isinstance(value, str) and not value.strip())


def role_refusal(transition: Transition, actor: Any) -> str | None:
    """Whether ``actor`` is someone who starts ``transition`` at all: its roles (an admin starts every step)
    narrowed by its ``eligible`` rule."""
    if actor.role == "admin":
        return None
    if actor.role not in transition.roles:
        return _("您的角色（%(role)s）不能执行「%(action)s」。", role=ROLE.label(actor.role), action=transition.label)
    return transition.eligible(actor) if transition.eligible is not None else None


def rule_refusal(machine: Machine, transition: Transition, record: Any, actor: Any) -> str | None:
    """Role, state and department: whether ``actor`` may start ``transition`` on ``record`` at all now."""
    message = role_refusal(transition, actor)
    if message:
        return message
    if record.status not in transition.sources:
        return _("案卷当前状态为「%(status)s」，不能执行「%(action)s」。",
                 status=machine.statuses.label(record.status), action=transition.label)
    if not permissions.in_scope(actor, record):
        return _("只有责任部门的处理人才能办理此案件。")
    return None


def precondition_refusal(transition: Transition, record: Any, actor: Any) -> str | None:
    """Why the step cannot be taken now whatever is typed in its dialog, or None."""
    for guard in transition.preconditions:
        message = guard(record, actor, {})
        if message:
            return message
    return None


def refusal(machine: Machine, transition: Transition, record: Any, actor: Any, fields: dict) -> str | None:
    """Why ``actor`` may not perform ``transition`` on ``record`` with ``fields``, or None when they may."""
    message = rule_refusal(machine, transition, record, actor) or precondition_refusal(transition, record, actor)
    if message:
        return message
    for name in transition.required:
        if is_blank(fields.get(name)):
            return _("请填写%(field)s。", field=FIELD_LABELS.get(name, name))
    for guard in transition.guards:
        message = guard(record, actor, fields)
        if message:
            return message
    return None


def available(machine: Machine, record: Any, actor: Any) -> list[Transition]:
    """The transitions ``actor`` may start on ``record`` now: the buttons to show (fields are asked next)."""
    return [t for t in machine.transitions.values() if rule_refusal(machine, t, record, actor) is None]


def run(machine: Machine, record: Any, action: str, actor: Any, fields: dict) -> str:
    """Check, then apply; returns the new status. Flushes, so an edit conflict surfaces here."""
    transition = machine.transitions.get(action)
    if transition is None:
        raise WorkflowError(_("未知的操作：%(action)s", action=action))
    message = refusal(machine, transition, record, actor, fields)
    if message:
        raise WorkflowError(message)
    old_status = record.status
    target = transition.target
    with db.session.no_autoflush:  # effects and clocks may query; the step must reach the trail as one event
        if transition.describe is not None:
            comment = transition.describe(record, actor, fields)
        else:
            comment = fields.get("comment") or fields.get("reason") or fields.get("opinion") or ""
        for effect in transition.effects:
            chosen = effect(record, actor, fields)
            if chosen:
                if chosen not in transition.outcomes:
                    raise ValueError(f"{machine.name}.{transition.key} chose undeclared status {chosen!r}")
                target = chosen
        if target:
            record.status = target
            if target != old_status:
                approval.new_round(record)
            if (target != old_status or transition.restarts_clock) and hasattr(record, "next_due_at"):
                sla.start_clock(record)  # the clock of the new status, from the SLA rules
    record.updated_at = utcnow()  # marks the record changed, so its version moves even when the status stays
    record._audit_action = "transition"
    record._audit_comment = f"{transition.label}" + (f"：{comment}" if comment else "")
    try:
        with acting_as(actor.id, actor.username):  # the trail names the actor, whoever runs the code
            db.session.flush()
    except StaleDataError as exc:
        raise WorkflowError(_("此记录刚被其他用户处理过，您的操作没有执行。请刷新页面后重试。")) from exc
    return record.status if target else old_status
