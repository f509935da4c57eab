"""The vocabulary of the Word templates: each schema dumps a record and what hangs off it to plain text.

A template may use exactly the names these schemas declare (the upload check enforces it). Dates are
Chinese (2026年11月23日), money has thousands separators (12,345.00), amounts a template prints in words
have an ``*_in_words`` twin (人民币壹万贰仟叁佰元整), stored keys appear as their labels.
"""
from __future__ import annotations

from typing import Any

from marshmallow import fields

from kesu.choices import (
    ACCOUNTABILITY_CAUSE,
    ACCOUNTABILITY_MEASURE,
    ACCOUNTABILITY_STATUS,
    APPEAL_OUTCOME,
    CASE_STATUS,
    CHANNEL,
    CLAIM_STATUS,
    COMPENSATION_FORM,
    CUSTOMER_TIER,
    HOLD_LOCATION,
    MARKET,
    PAYMENT_METHOD,
    RESOLUTION_TYPE,
    SEVERITY,
)
from kesu.documents.fields import (
    AmountInWords,
    ChineseDate,
    ChineseDateTime,
    DocumentSchema,
    Label,
    MoneyText,
    Number,
    Text,
    YesNo,
    chinese_datetime,
)
from kesu.settings import setting
from kesu.timeutil import utcnow


def appeal_period() -> fields.Function:
    """The appeal period (a setting, in days) a notice tells its reader."""
    return fields.Function(lambda _record: str(setting("appeal_period_days")))


class CustomerPart(DocumentSchema):
    name = Text()
    contact_person = Text()
    phone = Text()
    email = Text()
    address = Text()
    tier = Label(CUSTOMER_TIER)


class GoodsHoldPart(DocumentSchema):
    location = Label(HOLD_LOCATION)
    quantity = Number()
    held_quantity = Number()
    on_hold = YesNo()
    note = Text()


class CaseDocumentSchema(DocumentSchema):
    """投诉受理回执, 调查报告, 处理结果通知书, 客诉传递单."""

    case_no = Text()
    status = Label(CASE_STATUS)
    received_at = ChineseDateTime()
    received_date = ChineseDate(attribute="received_at")
    channel = Label(CHANNEL)
    market = Label(MARKET)
    category = Text()
    severity = Label(SEVERITY)
    is_batch = YesNo()
    title = Text()
    description = Text()
    customer_demand = Text()
    product = Text()
    model_no = Text()
    part_no = Text()
    lot_no = Text()
    quantity = Number()
    defect_rate = fields.Method("format_defect_rate")
    customer = fields.Nested(CustomerPart)
    is_valid = YesNo(yes="成立", no="不成立")
    validity_reason = Text()
    department = Text()
    handler = Text()
    handler_phone = Text(attribute="handler.phone")
    clerk = Text(attribute="created_by")
    clerk_phone = Text(attribute="created_by.phone")
    containment = Text()
    root_cause = Text()
    corrective_action = Text()
    preventive_action = Text()
    goods_holds = fields.Nested(GoodsHoldPart, many=True)
    resolution_type = Label(RESOLUTION_TYPE)
    resolution_detail = Text()
    proposed_amount = MoneyText()
    proposed_amount_in_words = AmountInWords(attribute="proposed_amount")
    first_response_due = ChineseDateTime()
    reply_due = fields.Method("department_reply_due")
    next_due_at = ChineseDateTime()
    extension_reason = Text()
    appeal_deadline = ChineseDate()
    appeal_period_days = appeal_period()
    customer_confirmed_on = ChineseDate()
    satisfaction = Number()
    feedback = Text()
    escalation_level = Number()

    def format_defect_rate(self, case: Any) -> str:
        return "" if case.defect_rate is None else f"{case.defect_rate:.2f}%"

    def department_reply_due(self, case: Any) -> str:
        """The responsible department's reply deadline: the running clock while it investigates, otherwise
        the department-reply rule counted from now (the slip is handed over today)."""
        from kesu import sla

        if sla.clock_for(case) == "department_reply" and case.next_due_at is not None:
            return chinese_datetime(case.next_due_at)
        rule = sla.rule_for_record("department_reply", case)
        return chinese_datetime(sla.deadline(rule, utcnow())) if rule else ""



class CasePart(DocumentSchema):
    case_no = Text()
    title = Text()
    received_date = ChineseDate(attribute="received_at")
    product = Text()
    model_no = Text()
    lot_no = Text()
    customer_name = Text(attribute="customer.name")


class LossItemPart(DocumentSchema):
    description = Text()
    quantity = Number()
    unit_price = MoneyText()
    claimed_amount = MoneyText()
    verified_amount = MoneyText()


class PaymentPart(DocumentSchema):
    method = Label(PAYMENT_METHOD)
    amount = MoneyText()
    paid_date = ChineseDate(attribute="paid_on")
    voucher_no = Text()


class ClaimDocumentSchema(DocumentSchema):
    """赔偿和解协议."""

    claim_no = Text()
    status = Label(CLAIM_STATUS)
    submitted_date = ChineseDate(attribute="submitted_at")
    claimed_amount = MoneyText()
    reason = Text()
    verified_loss = MoneyText()
    compensation_form = Label(COMPENSATION_FORM)
    proposed_amount = MoneyText()
    approved_amount = MoneyText()
    approved_amount_in_words = AmountInWords(attribute="approved_amount")
    payment_deadline = ChineseDate()
    # the payment plan as the customer agreed it (the confirm step)
    payment_method = Label(PAYMENT_METHOD, attribute="agreed_payment_method")
    instalments = Number()
    payment_plan = Text()
    paid_total = MoneyText()
    case = fields.Nested(CasePart, only=("case_no", "title", "received_date", "product", "model_no", "lot_no"))
    customer = fields.Nested(CustomerPart, attribute="case.customer")
    loss_items = fields.Nested(LossItemPart, many=True)
    payments = fields.Nested(PaymentPart, many=True)


class AccountabilityDocumentSchema(DocumentSchema):
    """责任追究决定书."""

    status = Label(ACCOUNTABILITY_STATUS)
    case = fields.Nested(CasePart, only=("case_no", "title", "received_date", "product", "customer_name"))
    person = Text()
    person_department = Text(attribute="person.department")
    department = Text()
    cause = Label(ACCOUNTABILITY_CAUSE)
    facts = Text()
    measure = Label(ACCOUNTABILITY_MEASURE)
    fine_amount = MoneyText()
    fine_amount_in_words = AmountInWords(attribute="fine_amount")
    improvement = Text()
    decided_by = Text()
    decided_date = ChineseDate(attribute="decided_at")
    appeal_reason = Text()
    appeal_outcome = Label(APPEAL_OUTCOME)
    appeal_decision = Text()
    appeal_period_days = appeal_period()
    executed_date = ChineseDate(attribute="executed_at")

