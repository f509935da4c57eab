"""Accountability: proposed → approved → notified → (appealed → notified | revoked) → executed.

Whoever proposed a record or is named in it neither approves it nor decides its appeal. An appeal is decided
once: the decision upholds the measure, changes it (the new measure and fine replace the old ones, which the
step's audit event keeps) or revokes it (the record ends there).
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from sqlalchemy import ColumnElement, and_, or_

from kesu.choices import ACCOUNTABILITY_MEASURE, APPEAL_OUTCOME
from kesu.models import Accountability
from kesu.timeutil import utcnow
from kesu.workflow.core import Field, FieldType, Machine
from kesu.workflow.statuses import ACCOUNTABILITY_STATUSES

ACCOUNTABILITY = Machine("accountability", ACCOUNTABILITY_STATUSES)


# --- preconditions -----------------------------------------------------------------------------------------
def not_proposed_by_oneself(record, actor, f):
    if record.proposed_by_id is not None and record.proposed_by_id == actor.id:
        return _("这项责任追究是您提出的，须由其他主管审批或处理申诉。")
    return None


def not_about_oneself(record, actor, f):
    return _("这项责任追究涉及您本人，须由其他主管审批或处理申诉。") if record.person_id == actor.id else None


def not_appealed_before(record, actor, f):
    if record.appeal_outcome is not None or record.appeal_decision:
        return _("此决定已经过申诉处理（%(outcome)s），不能再次申诉。",
                 outcome=APPEAL_OUTCOME.label(record.appeal_outcome) or _("已处理"))
    return None


def not_held(user) -> ColumnElement[bool]:
    """SQL: the records ``user`` neither proposed nor is held responsible by (the inbox's mirror of
    :data:`NOT_ONESELF`)."""
    return and_(or_(Accountability.person_id.is_(None), Accountability.person_id != user.id),
                or_(Accountability.proposed_by_id.is_(None), Accountability.proposed_by_id != user.id))


# --- guards ------------------------------------------------------------------------------------------------
def outcome_consistent(record, actor, f):
    """A changed measure names the new one (with its fine when it is a fine) and differs from the old one;
    upholding or revoking takes no new measure."""
    outcome, measure, fine = f["outcome"], f.get("new_measure"), f.get("new_fine")
    if outcome not in APPEAL_OUTCOME:
        return _("请选择有效的申诉处理结果。")
    if outcome != "changed":
        if measure or fine is not None:
            return _("只有「变更处理措施」时才填写新的处理措施和罚款金额。")
        return None
    if measure not in ACCOUNTABILITY_MEASURE:
        return _("变更处理措施须选择新的处理措施。")
    if measure == "fine" and (fine is None or fine <= 0):
        return _("新的处理措施为经济处罚，须填写大于 0 的罚款金额。")
    if measure != "fine" and fine is not None:
        return _("只有经济处罚才填写罚款金额。")
    if measure == record.measure and (measure != "fine" or fine == record.fine_amount):
        return _("新的处理措施与原决定相同，请选择「维持原决定」。")
    return None


# --- effects -----------------------------------------------------------------------------------------------
def record_decision(record, actor, f):
    record.decided_by_id, record.decided_at = actor.id, utcnow()


def record_appeal(record, actor, f):
    record.appeal_reason = f["reason"]


def record_appeal_decision(record, actor, f):
    """The decision and its outcome; a changed measure replaces the old one; a revoked decision ends here."""
    record.appeal_decision, record.appeal_outcome = f["decision"], f["outcome"]
    if f["outcome"] == "changed":
        record.measure = f["new_measure"]
        record.fine_amount = f.get("new_fine") if f["new_measure"] == "fine" else None
    return "revoked" if f["outcome"] == "revoked" else None


def record_execution(record, actor, f):
    record.executed_at = utcnow()


NOT_ONESELF = [not_proposed_by_oneself, not_about_oneself]

ACCOUNTABILITY.add("approve", _l("批准"), ["proposed"], "approved", ["approver"], preconditions=NOT_ONESELF,
                   effects=[record_decision], awaits=not_held)
ACCOUNTABILITY.add("notify", _l("告知当事人"), ["approved"], "notified", ["clerk", "approver"])
ACCOUNTABILITY.add("appeal", _l("当事人申诉"), ["notified"], "appealed", ["clerk", "approver"],
                   fields=[Field("reason", FieldType.LONG_TEXT, _l("申诉理由"), required=True)],
                   preconditions=[not_appealed_before], effects=[record_appeal], moves_on=False)
ACCOUNTABILITY.add("decide_appeal", _l("申诉处理"), ["appealed"], "notified", ["approver"],
                   fields=[Field("outcome", FieldType.CHOICE, _l("申诉处理结果"), required=True,
                                 choices=APPEAL_OUTCOME),
                           Field("new_measure", FieldType.CHOICE, _l("新的处理措施"), choices=ACCOUNTABILITY_MEASURE,
                                 description=_l("仅在「变更处理措施」时选择")),
                           Field("new_fine", FieldType.MONEY, _l("新的罚款金额（元）"),
                                 description=_l("新的处理措施为经济处罚时填写")),
                           Field("decision", FieldType.LONG_TEXT, _l("申诉处理决定"), required=True)],
                   preconditions=NOT_ONESELF, guards=[outcome_consistent], effects=[record_appeal_decision],
                   outcomes=["revoked"], awaits=not_held)
ACCOUNTABILITY.add("execute", _l("执行"), ["notified"], "executed", ["approver"], effects=[record_execution])
