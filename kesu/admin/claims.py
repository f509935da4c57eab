"""Admin views of claims, their loss items, approvals and payments."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import ValidationError

from kesu.admin.base import KesuModelView
from kesu.admin.documents import DocumentActionsMixin
from kesu.admin.record_page import RecordPageMixin
from kesu.admin.workflow_actions import WorkflowActionsMixin
from kesu.admin.cases import AJAX_CASE
from kesu.admin.filters_related import CaseDepartmentEqual, ForeignKeyEqual
from kesu.admin.filters import DueFilter
from kesu.admin.formatters import due_column, link_to, money_column
from kesu.choices import APPROVAL_DECISION, APPROVAL_KIND, CLAIM_STATUS, COMPENSATION_FORM, PAYMENT_METHOD, ROLE
from kesu.labels import LABELS
from kesu.models import Approval, Claim, LossItem, Payment, User
from kesu.workflow.statuses import CLAIM_STATUSES, FieldGroup

AJAX_CLAIM = {"fields": ("claim_no",), "placeholder": _l("输入索赔编号搜索"), "minimum_input_length": 2}
MONEY_FORMATTERS = {name: money_column for name in (
    "claimed_amount", "verified_loss", "proposed_amount", "approved_amount", "unit_price", "verified_amount",
    "amount")}


class ClaimView(RecordPageMixin, DocumentActionsMixin, WorkflowActionsMixin, KesuModelView):
    column_labels = LABELS
    column_list = ("claim_no", "case", "status", "claimed_amount", "verified_loss", "approved_amount",
                   "compensation_form", "submitted_at", "next_due_at")
    column_select_related_list = ("case",)
    column_default_sort = ("submitted_at", True)
    column_sortable_list = ("claim_no", "status", "claimed_amount", "verified_loss", "approved_amount",
                            "submitted_at", "next_due_at")
    column_searchable_list = ("claim_no", "reason", "case.case_no")
    choice_columns = {"status": CLAIM_STATUS, "compensation_form": COMPENSATION_FORM,
                      "agreed_payment_method": PAYMENT_METHOD}
    column_filters = ("status", DueFilter(Claim.next_due_at, _l("时限")), "compensation_form", "submitted_at",
                      "claimed_amount", "approved_amount", "next_due_at",
                      CaseDepartmentEqual(Claim.case_id, _l("责任部门")))
    column_formatters = {"case": link_to("case", "case_no", "case"), "next_due_at": due_column, **MONEY_FORMATTERS}
    column_details_list = ("claim_no", "case", "status", "submitted_at", "claimed_amount", "reason",
                           "verified_loss", "verified_loss_reason", "compensation_form", "proposed_amount",
                           "proposed_by", "approved_amount", "agreed_payment_method", "instalments", "payment_plan",
                           "payment_deadline", "next_due_at", "escalation_level", "closed_at", "created_at")
    #: What the actions decide, shown on the record page after the claim's own fields.
    stage_groups = (
        ("claim", FieldGroup("assessment", _l("核定"), ("verified_loss", "verified_loss_reason"))),
        ("claim", FieldGroup("approval", _l("审批"), ("proposed_amount", "proposed_by", "approved_amount"))),
        ("claim", FieldGroup("agreement", _l("客户确认与支付约定"),
                             ("agreed_payment_method", "instalments", "payment_plan"))),
        ("claim", FieldGroup("closure", _l("支付与结案"), ("closed_at",))),
        ("claim", FieldGroup("deadlines", _l("时限与升级"), ("next_due_at", "escalation_level"))),
    )
    details_template = "admin/claim_details.html"
    form_columns = CLAIM_STATUSES.form_fields
    form_ajax_refs = {"case": AJAX_CASE}
    inline_models = ((LossItem, {"form_columns": ("id", "description", "quantity", "unit_price"),
                                 "column_labels": LABELS}),)

    def create_form(self, obj=None):
        form = super().create_form(obj)
        self.prefill_case(form)
        return form

    def on_model_change(self, form, model: Claim, is_created: bool) -> None:
        if model.claimed_amount is None or model.claimed_amount <= 0:
            raise ValidationError(_("索赔金额必须大于 0。"))
        for item in model.loss_items:
            if item.quantity is None or item.quantity <= 0:
                raise ValidationError(_("损失明细的数量必须大于 0。"))
            if item.unit_price is None or item.unit_price < 0:
                raise ValidationError(_("损失明细的单价不能为负数。"))
        super().on_model_change(form, model, is_created)


class LossItemView(KesuModelView):
    column_labels = LABELS
    column_list = ("claim", "description", "quantity", "unit_price", "verified_amount")
    column_select_related_list = ("claim",)
    column_searchable_list = ("description", "claim.claim_no")
    column_filters = ("unit_price", "verified_amount")
    column_formatters = {"claim": link_to("claim", "claim_no", "claim"), **MONEY_FORMATTERS}
    form_columns = ("claim", "description", "quantity", "unit_price", "verified_amount")
    form_ajax_refs = {"claim": AJAX_CLAIM}

    def on_model_change(self, form, model: LossItem, is_created: bool) -> None:
        if model.quantity is None or model.quantity <= 0:
            raise ValidationError(_("数量必须大于 0。"))
        super().on_model_change(form, model, is_created)


class ApprovalView(KesuModelView):
    """Read-only: approvals (of a claim or a case) and countersigns are recorded by the workflow."""

    column_labels = LABELS
    column_list = ("decided_at", "claim", "case", "kind", "user", "role", "decision", "amount", "comment")
    column_select_related_list = ("claim", "case", "user")
    column_default_sort = ("decided_at", True)
    choice_columns = {"kind": APPROVAL_KIND, "decision": APPROVAL_DECISION, "role": ROLE}
    column_filters = ("kind", "decision", "role", "decided_at", ForeignKeyEqual(Approval.user_id, _l("审批人"), User))
    column_searchable_list = ("claim.claim_no", "case.case_no", "comment")
    column_formatters = {"claim": link_to("claim", "claim_no", "claim"), "case": link_to("case", "case_no", "case"),
                         **MONEY_FORMATTERS}


class PaymentView(KesuModelView):
    """Read-only: finance records payments through the claim's pay action."""

    column_labels = LABELS
    column_list = ("paid_on", "claim", "method", "amount", "voucher_no", "recorded_by", "paid_at")
    column_select_related_list = ("claim", "recorded_by")
    column_default_sort = [("paid_on", True), ("id", True)]
    choice_columns = {"method": PAYMENT_METHOD}
    column_filters = ("method", "paid_on", "amount", "paid_at")
    column_searchable_list = ("voucher_no", "claim.claim_no")
    column_formatters = {"claim": link_to("claim", "claim_no", "claim"), **MONEY_FORMATTERS}
