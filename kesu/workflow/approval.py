"""Approving a proposal within one's limit, passing it up above it: one rule for cases and claims.

A case's solution and a claim's compensation are proposed with an amount (``proposed_amount``) and approved by an
approver (主管) whose approval limit (授权额度, ``User.approval_limit``) covers it. Above the limit the approver's
"approve" records their approval as passed up (an :class:`~kesu.models.Approval` with decision ``escalate``) and
hands the proposal to the next level:

- **Levels** are the distinct positive approval limits of the active approvers, lowest first (an approver whose
  limit is 0, a legal reviewer say, is no level: they approve nothing).
- A proposal **waits at one level**: the lowest level above the highest limit of those who passed it up
  (``passed_up_limit``); one no one has passed up waits at the lowest level. The approvers of that level have it
  in their inbox (:func:`waits_for`), whatever its amount: within their limit they approve it, above it they pass
  it up to the next level.
- **Who may decide** (approve, reject, send back): an approver whose limit is above ``passed_up_limit`` — the
  waiting level or a higher one stepping in (:func:`decided_above_the_pass_ups`). Whoever passed it up, and
  anyone at their level or below, no longer decides it.
- Passing up needs an active approver whose limit covers the amount (:func:`someone_can_approve`), so a
  proposal is never passed up to nobody.
- Every new status ends the round (:func:`new_round`, called by the machinery on each status change): a proposal
  sent back and proposed again, or disagreed with by the customer, waits at the lowest level again; the
  ``escalate`` approvals stay as its history.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, false, func, or_, select

from kesu.extensions import db
from kesu.models import Approval, User
from kesu.timeutil import utcnow

APPROVER = "approver"
ZERO = Decimal("0.00")


def money(value: Decimal | None) -> str:
    return f"¥{value or 0:,.2f}"


def _limit(user: Any) -> Decimal:
    return user.approval_limit or ZERO


def _approvers():
    return select(User.approval_limit).where(User.role == APPROVER, User.active.is_(True))


def level_below(limit: Decimal) -> Decimal:
    """The highest level below ``limit`` (0 when ``limit`` is the lowest level)."""
    return db.session.scalar(select(func.max(User.approval_limit)).where(
        User.role == APPROVER, User.active.is_(True), User.approval_limit > 0, User.approval_limit < limit)) or ZERO


def next_level(limit: Decimal) -> Decimal | None:
    """The lowest level above ``limit``, or None."""
    return db.session.scalar(select(func.min(User.approval_limit)).where(
        User.role == APPROVER, User.active.is_(True), User.approval_limit > limit))


def waiting_level(record: Any) -> Decimal | None:
    """The limit of the approvers the pending proposal waits for, or None when there is no such approver."""
    return next_level(record.passed_up_limit or ZERO)


# --- preconditions (None when fine, else the sentence shown) ------------------------------------------------
def not_own_proposal(record, actor, f):
    return _("不能审批自己提交的方案。") if record.proposed_by_id == actor.id else None


def decided_above_the_pass_ups(record, actor, f):
    """Only an approver above everyone who passed the proposal up decides it."""
    floor = record.passed_up_limit or ZERO
    if _limit(actor) > floor:
        return None
    if floor == ZERO:
        return _("您的授权额度为 %(limit)s，不能审批。", limit=money(_limit(actor)))
    return _("此方案已上报授权额度高于 %(floor)s 的主管审批。", floor=money(floor))


def someone_can_approve(record, actor, f):
    """Passing a proposal up only makes sense if an active approver's limit covers it."""
    amount = record.proposed_amount or ZERO
    if amount <= _limit(actor):
        return None
    higher = db.session.scalar(_approvers().where(User.approval_limit >= amount).limit(1))
    return None if higher is not None else _("没有授权额度达到 %(amount)s 的主管，无法上报。", amount=money(amount))


#: The preconditions of every decision on a proposal (approve, reject, send back).
DECISION_PRECONDITIONS = (not_own_proposal, decided_above_the_pass_ups)
#: And of approving it, which may pass it up.
APPROVAL_PRECONDITIONS = DECISION_PRECONDITIONS + (someone_can_approve,)


# --- effects ------------------------------------------------------------------------------------------------
def record_decision(record: Any, actor: Any, decision: str, comment: str | None) -> None:
    record.approvals.append(Approval(user_id=actor.id, role=actor.role, kind="approval", decision=decision,
                                     amount=record.proposed_amount, comment=comment, decided_at=utcnow()))


def approve_or_pass_up(on_approval: Callable[[Any], None] | None = None):
    """The effect of "approve": within the approver's limit the proposal is approved (``on_approval`` runs and the
    record goes to ``approved``); above it the approval is recorded as passed up and the proposal waits at the
    next level, the record staying where it is."""
    def effect(record, actor, f):
        amount = record.proposed_amount or ZERO
        within = amount <= _limit(actor)
        record_decision(record, actor, "approve" if within else "escalate", f.get("comment"))
        if within:
            if on_approval is not None:
                on_approval(record)
            return "approved"
        record.passed_up_limit = max(record.passed_up_limit or ZERO, _limit(actor))
        record._workflow_notice = _(
            "您的审批意见已记录。金额 %(amount)s 超出您的授权额度 %(limit)s，已上报上一级主管（授权额度 %(next)s）审批。",
            amount=money(amount), limit=money(_limit(actor)), next=money(waiting_level(record)))
        return None
    return effect


def new_round(record: Any) -> None:
    """A new status ends the proposal's passing up: when it waits for approval again, it starts at the lowest
    level."""
    if getattr(record, "passed_up_limit", None) is not None:
        record.passed_up_limit = None


# --- the inbox ----------------------------------------------------------------------------------------------
def waits_for(model: type) -> Callable[[Any], ColumnElement[bool]]:
    """The SQL condition of ``model``'s pending proposals waiting at ``user``'s level that they did not propose
    (the inbox's mirror of the preconditions above, narrowed to the waiting level)."""
    def condition(user: Any) -> ColumnElement[bool]:
        limit = _limit(user)
        if limit <= ZERO:
            return false()
        floor = func.coalesce(model.passed_up_limit, ZERO)
        return and_(floor >= level_below(limit), floor < limit,
                    or_(model.proposed_by_id.is_(None), model.proposed_by_id != user.id))
    return condition
