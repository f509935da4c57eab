"""Accountability: proposed → approved → notified → (appealed → notified) → executed."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from sqlalchemy import ColumnElement, or_

from kesu.models import Accountability
from kesu.timeutil import utcnow
from kesu.workflow.core import Field, FieldType, Machine
from kesu.workflow.statuses import ACCOUNTABILITY_STATUSES

ACCOUNTABILITY = Machine("accountability", ACCOUNTABILITY_STATUSES, case_of=lambda record: record.case)


def not_about_oneself(record, actor, f):
    return _("不能批准追究自己责任的决定。") if record.person_id == actor.id else None


def not_held(user) -> ColumnElement[bool]:
    """SQL: the records that do not hold ``user`` responsible (the inbox's mirror of :func:`not_about_oneself`)."""
    return or_(Accountability.person_id.is_(None), Accountability.person_id != user.id)


def record_decision(record, actor, f):
    record.decided_by_id, record.decided_at = actor.id, utcnow()


def record_appeal(record, actor, f):
    record.appeal_reason = f["reason"]


def record_appeal_decision(record, actor, f):
    record.appeal_decision = f["decision"]


def record_execution(record, actor, f):
    record.executed_at = utcnow()


ACCOUNTABILITY.add("approve", _l("批准"), ["proposed"], "approved", ["approver"], preconditions=[not_about_oneself],
                   effects=[record_decision], awaits=not_held)
ACCOUNTABILITY.add("notify", _l("告知当事人"), ["approved"], "notified", ["clerk", "approver"])
ACCOUNTABILITY.add("appeal", _l("当事人申诉"), ["notified"], "appealed", ["clerk", "approver"],
                   fields=[Field("reason", FieldType.LONG_TEXT, _l("申诉理由"), required=True)],
                   effects=[record_appeal], moves_on=False)
ACCOUNTABILITY.add("decide_appeal", _l("申诉处理"), ["appealed"], "notified", ["approver"],
                   fields=[Field("decision", FieldType.LONG_TEXT, _l("申诉处理决定"), required=True)],
                   preconditions=[not_about_oneself], effects=[record_appeal_decision], awaits=not_held)
ACCOUNTABILITY.add("execute", _l("执行"), ["notified"], "executed", ["approver"], effects=[record_execution])
