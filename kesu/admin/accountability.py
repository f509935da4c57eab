"""Admin view of accountability records (责任追究)."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import ValidationError

from kesu.admin.base import KesuModelView
from kesu.admin.cases import AJAX_CASE, AJAX_USER
from kesu.admin.documents import DocumentActionsMixin
from kesu.admin.record_page import RecordPageMixin
from kesu.admin.workflow_actions import WorkflowActionsMixin
from kesu.admin.filters_related import ForeignKeyEqual
from kesu.admin.formatters import link_to, money_column
from kesu.choices import ACCOUNTABILITY_CAUSE, ACCOUNTABILITY_MEASURE, ACCOUNTABILITY_STATUS, APPEAL_OUTCOME
from kesu.labels import LABELS
from kesu.models import Accountability, Department
from kesu.workflow.statuses import ACCOUNTABILITY_STATUSES, FieldGroup


class AccountabilityView(RecordPageMixin, DocumentActionsMixin, WorkflowActionsMixin, KesuModelView):
    column_labels = {**LABELS, "proposed_by": _l("提出人")}
    column_list = ("case", "person", "department", "cause", "measure", "status", "decided_at", "created_at")
    column_select_related_list = ("case", "person", "department")
    column_sortable_list = ("status", "cause", "measure", "decided_at", "created_at")
    column_searchable_list = ("facts", "improvement", "case.case_no")
    choice_columns = {"status": ACCOUNTABILITY_STATUS, "cause": ACCOUNTABILITY_CAUSE,
                      "measure": ACCOUNTABILITY_MEASURE, "appeal_outcome": APPEAL_OUTCOME}
    column_filters = ("status", "cause", "measure", "decided_at", "created_at",
                      ForeignKeyEqual(Accountability.department_id, _l("责任部门"), Department))
    column_formatters = {"case": link_to("case", "case_no", "case"), "fine_amount": money_column}
    column_details_list = ("case", "status", "person", "department", "cause", "facts", "measure", "fine_amount",
                           "improvement", "proposed_by", "decided_by", "decided_at", "appeal_reason",
                           "appeal_outcome", "appeal_decision", "executed_at", "created_at")
    #: What the actions decide, shown on the record page after the decision's fields.
    stage_groups = (
        ("decision", FieldGroup("approval", _l("批准"), ("proposed_by", "decided_by", "decided_at"))),
        ("decision", FieldGroup("appeal", _l("申诉"), ("appeal_reason", "appeal_outcome", "appeal_decision"))),
        ("decision", FieldGroup("execution", _l("执行"), ("executed_at",))),
    )
    form_columns = ACCOUNTABILITY_STATUSES.form_fields
    form_ajax_refs = {"case": AJAX_CASE, "person": AJAX_USER}
    details_template = "admin/workflow_details.html"

    def create_form(self, obj=None):
        """"追究责任" on a case page opens this form with the case and its responsible department filled in."""
        form = super().create_form(obj)
        self.prefill_case(form)
        if form.case.data is not None and request.method == "GET" and not form.department.data:
            form.department.data = form.case.data.department
        return form

    def on_model_change(self, form, model: Accountability, is_created: bool) -> None:
        if model.person is None and model.department is None:
            raise ValidationError(_("请至少填写责任人或责任部门之一。"))
        if model.measure == "fine" and not model.fine_amount:
            raise ValidationError(_("经济处罚须填写罚款金额。"))
        if is_created:
            model.proposed_by_id = current_user.id
        super().on_model_change(form, model, is_created)
