"""The complaint case: registered → … → archived, with reject, send back, disagree, escalate, extend and appeal."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kesu.choices import CHANNEL, RESOLUTION_TYPE
from kesu.models import Case, ContactLog, Department, User
from kesu.settings import setting
from kesu.timeutil import local_today, to_local, utcnow
from kesu.workflow import approval
from kesu.workflow.core import Field, FieldType, Machine
from kesu.workflow.statuses import CASE_STATUSES

CASE = Machine("case", CASE_STATUSES)
#: The proposed solutions waiting at a user's approval level.
AWAITING_DECISION = approval.waits_for(Case)


def _log(case, actor, channel: str, content: str, opinion: str | None = None, outcome: str | None = None) -> None:
    case.contact_logs.append(ContactLog(channel=channel, direction="outbound", staff_id=actor.id, content=content,
                                        opinion=opinion, outcome=outcome, contacted_at=utcnow()))


# --- guards: None when fine, else the sentence shown to the user ------------------------------------------
def valid_assignment(case, actor, f):
    department, handler = f["department"], f["handler"]
    if not isinstance(department, Department) or not isinstance(handler, User):
        return _("请选择责任部门和处理人。")
    if handler.role != "handler" or not handler.active:
        return _("%(name)s 不是在岗的责任部门处理人。", name=handler)
    if handler.department_id != department.id:
        return _("%(name)s 不属于%(department)s。", name=handler, department=department.name)
    return None


def another_department(case, actor, f):
    if f["department"].id == case.department_id:
        return _("案件已由%(department)s办理，请选择其他责任部门转办。", department=f["department"].name)
    return None


def investigation_written(case, actor, f):
    if not (case.root_cause or "").strip() or not (case.corrective_action or "").strip():
        return _("请先在“调查（8D）”中填写根本原因和纠正措施，再拟定处理方案。")
    return None


def known_resolution(case, actor, f):
    return None if f["resolution_type"] in RESOLUTION_TYPE else _("请选择有效的处理方式。")


def non_negative_amount(case, actor, f):
    amount = f.get("amount")
    return _("金额不能为负数。") if amount is not None and amount < 0 else None


def known_channel(case, actor, f):
    return None if f["channel"] in CHANNEL else _("请选择有效的渠道。")


def satisfaction_one_to_five(case, actor, f):
    value = f.get("satisfaction")
    return None if isinstance(value, int) and 1 <= value <= 5 else _("满意度只能是 1 到 5。")


def confirmed_or_reason(case, actor, f):
    """Only the customer's signature counts as confirmation; an agreement by phone does not."""
    if not case.customer_confirmed and not (f.get("reason") or "").strip():
        return _("客户尚未签字确认处理结果，结案须写明理由。")
    return None


def not_signed_yet(case, actor, f):
    if case.customer_confirmed:
        return _("客户已于 %(date)s 签字确认。", date=case.customer_confirmed_on or "—")
    return None


def signed_on_a_possible_day(case, actor, f):
    signed_on = f["signed_on"]
    if signed_on > local_today():
        return _("签字日期不能晚于今天。")
    agreed_on = to_local(case.customer_agreed_at).date() if case.customer_agreed_at else None
    if agreed_on and signed_on < agreed_on:
        return _("签字日期不能早于客户同意处理方案的日期（%(date)s）。", date=agreed_on.isoformat())
    return None


def not_extended_before(case, actor, f):
    return _("此案件已延期过一次，不能再次延期。") if case.extension_reason else None


def deadline_within_limit(case, actor, f):
    new_deadline, current = f["new_deadline"], case.next_due_at or utcnow()
    if new_deadline <= current:
        return _("新的截止时间必须晚于当前截止时间。")
    if new_deadline > current + timedelta(days=setting("extension_max_days")):
        return _("延期不能超过 %(days)s 天。", days=setting("extension_max_days"))
    return None


def within_appeal_period(case, actor, f):
    if case.appeal_deadline is None or utcnow() > case.appeal_deadline:
        return _("已超过申诉期限，不能申诉。")
    return None


# --- effects --------------------------------------------------------------------------------------------
def record_valid(case, actor, f):
    case.is_valid, case.validity_reason = True, f["reason"]


def record_invalid(case, actor, f):
    case.is_valid, case.validity_reason = False, f["reason"]
    case.appeal_deadline = utcnow() + timedelta(days=setting("appeal_period_days"))
    case.next_due_at = None


def assign_department(case, actor, f):
    case.department, case.handler = f["department"], f["handler"]


def describe_transfer(case, actor, f):
    return _("%(old)s → %(new)s（处理人：%(handler)s）。理由：%(reason)s",
             old=case.department.name if case.department else "—", new=f["department"].name, handler=f["handler"],
             reason=f["reason"])


def record_proposal(case, actor, f):
    case.resolution_type = f["resolution_type"]
    case.proposed_amount = f.get("amount")
    if f.get("comment"):
        case.resolution_detail = f["comment"]
    case.proposed_by_id = actor.id


def notify_customer(case, actor, f):
    _log(case, actor, f["channel"], _("通知客户处理方案：%(plan)s", plan=case.resolution_detail or
                                   RESOLUTION_TYPE.label(case.resolution_type)))


def customer_agrees(case, actor, f):
    """Agreement, not yet the signed confirmation (:func:`record_signature`)."""
    _log(case, actor, f["channel"], f["opinion"], opinion="agree", outcome=_("客户同意处理方案"))
    case.customer_agreed_at = utcnow()


def customer_disagrees(case, actor, f):
    _log(case, actor, f["channel"], f["opinion"], opinion="disagree", outcome=_("客户不同意，方案退回重拟"))
    case.customer_agreed_at = None


def record_signature(case, actor, f):
    case.customer_confirmed, case.customer_confirmed_on = True, f["signed_on"]


def start_follow_up(case, actor, f):
    _log(case, actor, "phone", f["content"], outcome=_("回访"))


def close_case(case, actor, f):
    case.satisfaction, case.feedback = f["satisfaction"], f["feedback"]
    case.closed_at, case.next_due_at = utcnow(), None
    case.appeal_deadline = utcnow() + timedelta(days=setting("appeal_period_days"))


def archive_case(case, actor, f):
    case.archived_at = utcnow()


def raise_level(case, actor, f):
    case.escalation_level = (case.escalation_level or 0) + 1


def extend_deadline(case, actor, f):
    case.next_due_at, case.extension_reason = f["new_deadline"], f["reason"]


def reopen(case, actor, f):
    """The appeal reopens the decision: the customer agrees to and signs its new outcome again."""
    case.closed_at = None
    case.escalation_level = (case.escalation_level or 0) + 1
    case.customer_agreed_at, case.customer_confirmed, case.customer_confirmed_on = None, False, None


def reason(label, description=None) -> Field:
    return Field("reason", FieldType.LONG_TEXT, label, required=True, description=description)


def department_and_handler(current: bool) -> list[Field]:
    """The responsible department and one of its handlers: the dialog offers the chosen department's only, and
    opens on the case's ``current`` ones (a reopened case goes back to whom it had) or on none (a transfer)."""
    return [Field("department", FieldType.DEPARTMENT, _l("责任部门"), required=True,
                  initial=(lambda case: case.department) if current else None),
            Field("handler", FieldType.USER, _l("处理人"), required=True, role="handler", depends_on="department",
                  initial=(lambda case: case.handler) if current else None,
                  description=_l("处理人须属于所选责任部门"))]


def customer_opinion() -> list[Field]:
    """What the customer said of the solution and how (客户意见表), written to the contact log."""
    return [Field("channel", FieldType.CHOICE, _l("客户表达意见的渠道"), required=True, choices=CHANNEL),
            Field("opinion", FieldType.LONG_TEXT, _l("客户意见"), required=True,
                  description=_l("客户的原话或书面意见"))]


CASE.add("accept", _l("受理"), ["registered"], "accepted", ["clerk"],
         fields=[reason(_l("受理意见（投诉成立的依据）"))], effects=[record_valid])
CASE.add("reject", _l("不予受理"), ["registered"], "rejected", ["clerk"],
         fields=[reason(_l("不予受理的理由"), _l("将写入给客户的通知"))], effects=[record_invalid])
CASE.add("assign", _l("分派责任部门"), ["accepted", "reopened"], "investigating", ["clerk"],
         fields=[*department_and_handler(current=True), Field("comment", FieldType.LONG_TEXT, _l("分派说明"))],
         guards=[valid_assignment], effects=[assign_department])
# A case sent to the wrong department moves on with its reason; the new department gets its full reply time (an 8D
# case: the hours of its next 8D step) from the transfer, the regulator's limit stays. The department's handler may
# hand it on themselves.
CASE.add("transfer", _l("转办"), ["investigating"], "investigating", ["clerk", "approver", "handler"],
         fields=[*department_and_handler(current=False), reason(_l("转办理由"))],
         guards=[valid_assignment, another_department], effects=[assign_department], restarts_clock=True,
         describe=describe_transfer)
CASE.add("propose", _l("拟定处理方案"), ["investigating"], "solution_proposed", ["handler"],
         fields=[Field("resolution_type", FieldType.CHOICE, _l("处理方式"), required=True, choices=RESOLUTION_TYPE),
                 Field("amount", FieldType.MONEY, _l("金额（元）"), description=_l("退款、赔偿等涉及金额时填写")),
                 Field("comment", FieldType.LONG_TEXT, _l("方案说明"), required_on_form=True)],
         preconditions=[investigation_written], guards=[known_resolution, non_negative_amount],
         effects=[record_proposal])
CASE.add("send_back", _l("退回重新调查"), ["solution_proposed"], "investigating", ["approver"],
         fields=[Field("comment", FieldType.LONG_TEXT, _l("退回意见"), required=True)],
         preconditions=approval.DECISION_PRECONDITIONS, awaits=AWAITING_DECISION)
CASE.add("approve", _l("审批"), ["solution_proposed"], None, ["approver"],
         preconditions=approval.APPROVAL_PRECONDITIONS, effects=[approval.approve_or_pass_up()],
         outcomes=["approved"], awaits=AWAITING_DECISION)
CASE.add("notify", _l("通知客户"), ["approved"], "customer_notified", ["clerk"],
         fields=[Field("channel", FieldType.CHOICE, _l("通知渠道"), required=True, choices=CHANNEL)],
         guards=[known_channel], effects=[notify_customer])


CASE.add("customer_agree", _l("客户同意"), ["customer_notified"], "customer_confirmed", ["clerk"],
         fields=customer_opinion(), guards=[known_channel], effects=[customer_agrees])
CASE.add("customer_disagree", _l("客户不同意"), ["customer_notified"], "solution_proposed", ["clerk"],
         fields=customer_opinion(), guards=[known_channel], effects=[customer_disagrees])
# The signature comes back after the agreement, often with the goods or the money: it is its own step.
CASE.add("confirm_signed", _l("客户签字确认"), ["customer_confirmed", "implementing", "follow_up"], None, ["clerk"],
         fields=[Field("signed_on", FieldType.DATE, _l("客户签字日期"), required=True,
                       description=_l("客户在处理结果确认书上签字的日期")),
                 Field("comment", FieldType.LONG_TEXT, _l("备注"))],
         preconditions=[not_signed_yet], guards=[signed_on_a_possible_day], effects=[record_signature])
CASE.add("implement", _l("开始执行"), ["customer_confirmed"], "implementing", ["clerk", "handler"])
CASE.add("follow_up", _l("回访客户"), ["implementing"], "follow_up", ["clerk"],
         fields=[Field("content", FieldType.LONG_TEXT, _l("回访内容"), required=True)], effects=[start_follow_up])
CASE.add("close", _l("结案"), ["follow_up"], "closed", ["clerk"],
         fields=[Field("satisfaction", FieldType.INTEGER, _l("满意度"), required=True, minimum=1, maximum=5,
                       description=_l("1 非常不满意 … 5 非常满意")),
                 Field("feedback", FieldType.LONG_TEXT, _l("回访意见"), required=True),
                 Field("reason", FieldType.LONG_TEXT, _l("未经客户确认结案的理由"),
                       description=_l("客户未签字确认处理结果时必填"))],
         guards=[satisfaction_one_to_five, confirmed_or_reason], effects=[close_case])
CASE.add("archive", _l("归档"), ["closed"], "archived", ["clerk"], effects=[archive_case])
CASE.add("escalate", _l("升级"), CASE_STATUSES.open, None, ["clerk", "handler", "approver"],
         fields=[reason(_l("升级理由"))], effects=[raise_level])
CASE.add("extend", _l("延期"), CASE_STATUSES.open, None, ["clerk", "approver"],
         fields=[Field("new_deadline", FieldType.DATETIME, _l("新的截止时间"), required=True,
                       description=_l("北京时间，如 2026-12-20 17:30；只能延期一次，最多 30 天")),
                 reason(_l("延期理由"))],
         preconditions=[not_extended_before], guards=[deadline_within_limit], effects=[extend_deadline])
CASE.add("appeal", _l("客户申诉"), ["closed", "rejected"], "reopened", ["clerk"], fields=[reason(_l("申诉理由"))],
         preconditions=[within_appeal_period], effects=[reopen], reopens=True, moves_on=False)
