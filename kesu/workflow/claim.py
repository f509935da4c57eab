"""The claim: submitted → review → investigation → assessed → approval (limits, countersign) → confirmed → paid → closed."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, false, select

from kesu.choices import APPROVAL_KIND, COMPENSATION_FORM, PAYMENT_METHOD
from kesu.models import Approval, Claim, Payment
from kesu.models.claim import MAX_INSTALMENTS
from kesu.settings import setting
from kesu.timeutil import local_today, to_local, utcnow
from kesu.workflow import approval
from kesu.workflow.approval import money
from kesu.workflow.core import Field, FieldType, Machine, is_blank
from kesu.workflow.statuses import CLAIM_STATUSES

CLAIM = Machine("claim", CLAIM_STATUSES)
#: The proposed compensations waiting at a user's approval level.
AWAITING_DECISION = approval.waits_for(Claim)


#: Each countersign (会签) and the setting of the amount above which a claim needs it.
REVIEW_ABOVE = {"legal_review": "countersign_legal_above", "finance_review": "countersign_finance_above"}


def required_reviews(claim) -> set[str]:
    """Which countersigns the proposed amount needs, from the settings."""
    amount = claim.proposed_amount or Decimal(0)
    return {kind for kind, above in REVIEW_ABOVE.items() if amount > setting(above)}


def signed_reviews(claim) -> set[str]:
    return {a.kind for a in claim.approvals if a.kind != "approval" and a.decision == "approve"}


def review_kind(actor) -> str | None:
    """Legal staff sign as legal, finance staff as finance; anyone else cannot countersign."""
    kind = actor.department.kind if actor.department is not None else None
    if kind == "legal":
        return "legal_review"
    if actor.role == "finance" or kind == "finance":
        return "finance_review"
    return None


def assessed_loss(claim, f) -> Decimal | None:
    """The verified loss the assess step records: the figure typed, else the sum of the items' verified amounts."""
    typed = f.get("verified_loss")
    return claim.items_verified_total if typed is None else typed


def approved_on(claim) -> date | None:
    """The day (Beijing time) the claim's amount was approved."""
    approvals = [a.decided_at for a in claim.approvals if a.kind == "approval" and a.decision == "approve"]
    return to_local(max(approvals)).date() if approvals else None


# --- guards ------------------------------------------------------------------------------------------------
def loss_from_items_or_explained(claim, actor, f):
    """Without verified loss items the figure is typed; with them it is their sum, or another figure with a reason."""
    items = claim.items_verified_total
    loss = assessed_loss(claim, f)
    if loss is None:
        return _("请填写核定损失（损失明细都还没有核定金额）。")
    if items is not None and loss != items and is_blank(f.get("verified_loss_reason")):
        return _("核定损失 %(loss)s 与损失明细的核定合计 %(items)s 不一致，请填写调整理由。",
                 loss=money(loss), items=money(items))
    return None


def verified_within_claimed(claim, actor, f):
    loss = assessed_loss(claim, f)
    if loss < 0 or loss > claim.claimed_amount:
        return _("核定损失须在 0 到索赔金额 %(claimed)s 之间。", claimed=money(claim.claimed_amount))
    if f["compensation_form"] not in COMPENSATION_FORM:
        return _("请选择有效的赔偿形式。")
    return None


def proposal_within_verified(claim, actor, f):
    amount = f["amount"]
    if amount <= 0 or amount > (claim.verified_loss or 0):
        return _("拟赔金额须大于 0 且不超过核定损失 %(loss)s。", loss=money(claim.verified_loss))
    return None


def countersigner(actor):
    return None if review_kind(actor) is not None else _("只有法务部或财务人员可以会签。")


def can_countersign(claim, actor, f):
    kind = review_kind(actor)
    if kind is None:
        return countersigner(actor)
    if kind not in required_reviews(claim):
        return _("此索赔金额不需要%(kind)s。", kind=APPROVAL_KIND.label(kind))
    if kind in signed_reviews(claim):
        return _("%(kind)s已完成。", kind=APPROVAL_KIND.label(kind))
    return None


def countersign_due(user) -> ColumnElement[bool]:
    """SQL: the claims on which ``user``'s countersign is required and not yet given (the inbox's mirror of
    :func:`can_countersign`)."""
    kind = review_kind(user)
    if kind is None:
        return false()
    signed = select(Approval.id).where(Approval.claim_id == Claim.id, Approval.kind == kind,
                                       Approval.decision == "approve")
    return and_(Claim.proposed_amount > setting(REVIEW_ABOVE[kind]), ~signed.exists())


def countersigns_in(claim, actor, f):
    missing = required_reviews(claim) - signed_reviews(claim)
    if missing:
        names = "、".join(str(APPROVAL_KIND.label(kind)) for kind in APPROVAL_KIND if kind in missing)
        return _("审批前须先完成%(missing)s。", missing=names)
    return None


def plan_complete(claim, actor, f):
    """One instalment or several (1–12); several are paid as the written plan says."""
    if f["payment_method"] not in PAYMENT_METHOD:
        return _("请选择有效的支付方式。")
    instalments = f["instalments"]
    if not isinstance(instalments, int) or not 1 <= instalments <= MAX_INSTALMENTS:
        return _("分期数只能是 1 到 %(max)s。", max=MAX_INSTALMENTS)
    if instalments > 1 and is_blank(f.get("payment_plan")):
        return _("分 %(n)s 期支付须写明分期计划（每期金额和日期）。", n=instalments)
    return None


def paid_on_a_possible_day(claim, actor, f):
    """Money is paid on or after the approval, and not later than today (Beijing time)."""
    paid_on, today, approved = f["paid_on"], local_today(), approved_on(claim)
    if not isinstance(paid_on, date) or isinstance(paid_on, datetime):
        return _("请填写支付日期。")
    if paid_on > today:
        return _("支付日期不能晚于今天（%(today)s）。", today=today.isoformat())
    if approved is not None and paid_on < approved:
        return _("支付日期不能早于批准日期（%(approved)s）。", approved=approved.isoformat())
    return None


def payment_within_approved(claim, actor, f):
    amount = f["amount"]
    if f["method"] not in PAYMENT_METHOD:
        return _("请选择有效的支付方式。")
    if amount <= 0:
        return _("支付金额必须大于 0。")
    if claim.paid_total + amount > (claim.approved_amount or 0):
        return _("支付总额不能超过批准金额 %(approved)s（已支付 %(paid)s）。",
                 approved=money(claim.approved_amount), paid=money(claim.paid_total))
    return None


# --- effects -----------------------------------------------------------------------------------------------
def record_assessment(claim, actor, f):
    loss, items = assessed_loss(claim, f), claim.items_verified_total
    claim.verified_loss, claim.compensation_form = loss, f["compensation_form"]
    claim.verified_loss_reason = f["verified_loss_reason"] if items is not None and loss != items else None


def record_payment_plan(claim, actor, f):
    claim.agreed_payment_method, claim.instalments = f["payment_method"], f["instalments"]
    claim.payment_plan = f["payment_plan"] if f["instalments"] > 1 else None


def record_proposal(claim, actor, f):
    claim.proposed_amount, claim.proposed_by_id = f["amount"], actor.id


def record_countersign(claim, actor, f):
    claim.approvals.append(Approval(user_id=actor.id, role=actor.role, kind=review_kind(actor), decision="approve",
                                    amount=claim.proposed_amount, comment=f.get("comment"), decided_at=utcnow()))


def grant_proposed_amount(claim) -> None:
    claim.approved_amount = claim.proposed_amount


def record_rejection(claim, actor, f):
    approval.record_decision(claim, actor, "reject", f["comment"])


def record_payment(claim, actor, f):
    paid_before = claim.paid_total
    claim.payments.append(Payment(method=f["method"], amount=f["amount"], voucher_no=f["voucher_no"],
                                  paid_on=f["paid_on"], paid_at=utcnow(), recorded_by_id=actor.id))
    return "paid" if paid_before + f["amount"] == claim.approved_amount else None


def close_claim(claim, actor, f):
    claim.closed_at, claim.next_due_at = utcnow(), None


CLAIM.add("review", _l("初审"), ["submitted"], "preliminary_review", ["clerk"])
CLAIM.add("investigate", _l("调查核实"), ["preliminary_review"], "investigating", ["clerk", "handler"])
CLAIM.add("assess", _l("核定损失"), ["investigating"], "assessed", ["clerk", "handler"],
          fields=[Field("verified_loss", FieldType.MONEY, _l("核定损失（元）"), required_on_form=True,
                        initial=lambda claim: claim.items_verified_total,
                        description=_l("有损失明细的核定金额时，默认为其合计")),
                  Field("verified_loss_reason", FieldType.LONG_TEXT, _l("调整理由"),
                        description=_l("核定损失与损失明细的核定合计不同时必填")),
                  Field("compensation_form", FieldType.CHOICE, _l("赔偿形式"), required=True,
                        choices=COMPENSATION_FORM),
                  Field("comment", FieldType.LONG_TEXT, _l("核定说明"))],
          guards=[loss_from_items_or_explained, verified_within_claimed], effects=[record_assessment])
CLAIM.add("submit_for_approval", _l("提交审批"), ["assessed"], "pending_approval", ["clerk"],
          fields=[Field("amount", FieldType.MONEY, _l("拟赔金额（元）"), required=True, positive=True),
                  Field("comment", FieldType.LONG_TEXT, _l("说明"))],
          guards=[proposal_within_verified], effects=[record_proposal])
CLAIM.add("countersign", _l("会签"), ["pending_approval"], None, ["approver", "finance"],
          eligible=countersigner,
          preconditions=[can_countersign], effects=[record_countersign], moves_on=True, awaits=countersign_due)
CLAIM.add("approve", _l("审批"), ["pending_approval"], None, ["approver"],
          preconditions=[*approval.APPROVAL_PRECONDITIONS, countersigns_in],
          effects=[approval.approve_or_pass_up(grant_proposed_amount)], outcomes=["approved"],
          awaits=AWAITING_DECISION)
CLAIM.add("reject", _l("驳回"), ["pending_approval"], "rejected", ["approver"],
          fields=[Field("comment", FieldType.LONG_TEXT, _l("驳回理由"), required=True)],
          preconditions=approval.DECISION_PRECONDITIONS, effects=[record_rejection], awaits=AWAITING_DECISION)
CLAIM.add("confirm", _l("客户确认"), ["approved"], "customer_confirmed", ["clerk"],
          fields=[Field("payment_method", FieldType.CHOICE, _l("约定的支付方式"), required=True,
                        choices=PAYMENT_METHOD),
                  Field("instalments", FieldType.INTEGER, _l("分期数"), required=True, minimum=1,
                        maximum=MAX_INSTALMENTS, description=_l("一次付清选 1")),
                  Field("payment_plan", FieldType.LONG_TEXT, _l("分期计划"),
                        description=_l("分期支付时写明每期金额和日期，例如：2026年12月31日前支付 ¥5,000.00")),
                  Field("comment", FieldType.LONG_TEXT, _l("意见"))],
          guards=[plan_complete], effects=[record_payment_plan])
CLAIM.add("pay", _l("支付"), ["customer_confirmed"], None, ["finance"],
          fields=[Field("method", FieldType.CHOICE, _l("支付方式"), required=True, choices=PAYMENT_METHOD),
                  Field("amount", FieldType.MONEY, _l("支付金额（元）"), required=True, positive=True,
                        description=_l("可分次支付，累计不超过批准金额")),
                  Field("voucher_no", FieldType.TEXT, _l("凭证号"), required=True, max_length=50),
                  Field("paid_on", FieldType.DATE, _l("支付日期"), required=True,
                        description=_l("款项实际付出的日期（以凭证为准）"))],
          guards=[paid_on_a_possible_day, payment_within_approved], effects=[record_payment], outcomes=["paid"])
CLAIM.add("close", _l("结案"), ["paid", "rejected"], "closed", ["clerk"], effects=[close_claim])
