"""The claim: submitted → review → investigation → assessed → approval (limits, countersign) → confirmed → paid → closed."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, false, select

from kesu.choices import APPROVAL_KIND, COMPENSATION_FORM, PAYMENT_METHOD
from kesu.models import Approval, Claim, Payment
from kesu.settings import setting
from kesu.timeutil import utcnow
from kesu.workflow import approval
from kesu.workflow.approval import money
from kesu.workflow.core import Field, FieldType, Machine
from kesu.workflow.statuses import CLAIM_STATUSES

CLAIM = Machine("claim", CLAIM_STATUSES, case_of=lambda claim: claim.case)
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


# --- guards ------------------------------------------------------------------------------------------------
def verified_within_claimed(claim, actor, f):
    loss = f["verified_loss"]
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
    claim.verified_loss, claim.compensation_form = f["verified_loss"], f["compensation_form"]


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
                                  paid_at=utcnow(), recorded_by_id=actor.id))
    return "paid" if paid_before + f["amount"] == claim.approved_amount else None


def close_claim(claim, actor, f):
    claim.closed_at, claim.next_due_at = utcnow(), None


CLAIM.add("review", _l("初审"), ["submitted"], "preliminary_review", ["clerk"])
CLAIM.add("investigate", _l("调查核实"), ["preliminary_review"], "investigating", ["clerk", "handler"])
CLAIM.add("assess", _l("核定损失"), ["investigating"], "assessed", ["clerk", "handler"],
          fields=[Field("verified_loss", FieldType.MONEY, _l("核定损失（元）"), required=True),
                  Field("compensation_form", FieldType.CHOICE, _l("赔偿形式"), required=True,
                        choices=COMPENSATION_FORM),
                  Field("comment", FieldType.LONG_TEXT, _l("核定说明"))],
          guards=[verified_within_claimed], effects=[record_assessment])
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
CLAIM.add("confirm", _l("客户确认"), ["approved"], "customer_confirmed", ["clerk"])
CLAIM.add("pay", _l("支付"), ["customer_confirmed"], None, ["finance"],
          fields=[Field("method", FieldType.CHOICE, _l("支付方式"), required=True, choices=PAYMENT_METHOD),
                  Field("amount", FieldType.MONEY, _l("支付金额（元）"), required=True, positive=True,
                        description=_l("可分次支付，累计不超过批准金额")),
                  Field("voucher_no", FieldType.TEXT, _l("凭证号"), required=True, max_length=50)],
          guards=[payment_within_approved], effects=[record_payment], outcomes=["paid"])
CLAIM.add("close", _l("结案"), ["paid", "rejected"], "closed", ["clerk"], effects=[close_claim])
