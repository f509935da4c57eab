"""Admin views of the complaint case and what hangs off it."""
from __future__ import annotations

import hashlib
import io

from flask import current_app, jsonify, request, send_file, url_for
from flask_admin import expose
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from wtforms import FileField, StringField, ValidationError
from wtforms.validators import InputRequired, Length, Optional
from sqlalchemy import select

from kesu import file_store
from kesu.admin.base import KesuModelView, Section
from kesu.admin.documents import DocumentActionsMixin
from kesu.admin.record_page import RecordPageMixin
from kesu.admin.workflow_actions import WorkflowActionsMixin
from kesu.admin.filters_related import ForeignKeyEqual, is_record_id
from kesu.admin.filters import DueFilter
from kesu.admin.formatters import choice, due_column, link_to, masked, money_column
from kesu.choices import (
    CASE_STATUS,
    CHANNEL,
    CONTACT_DIRECTION,
    CUSTOMER_OPINION,
    CUSTOMER_TIER,
    HOLD_LOCATION,
    MARKET,
    RESOLUTION_TYPE,
    SEVERITY,
    SLA_CLOCK,
)
from kesu.labels import LABELS
from kesu.extensions import db
from kesu.models import Case, Category, ContactLog, Customer, Department, GoodsHold, User
from kesu.permissions import personal_value_for, row_condition
from kesu.search import find_customers, normal_term, open_cases
from kesu.timeutil import format_local, utcnow
from kesu.uploads import UploadRefused, attachment_type, clean_filename
from kesu.validators import Phone
from kesu.workflow.statuses import CASE_STATUSES, FieldGroup

AJAX_CUSTOMER = {"fields": ("name", "contact_person", "phone"), "placeholder": _l("输入客户名称或电话搜索"),
                 "page_size": 20, "minimum_input_length": 1}
AJAX_USER = {"fields": ("username", "full_name"), "placeholder": _l("输入用户名或姓名搜索"), "page_size": 20,
             "minimum_input_length": 0}
AJAX_CASE = {"fields": ("case_no", "title"), "placeholder": _l("输入案件编号或摘要搜索"), "page_size": 20,
             "minimum_input_length": 2}


def check_goods_hold(hold: GoodsHold) -> None:
    if (hold.held_quantity or 0) > (hold.quantity or 0):
        raise ValidationError(_("已隔离数量不能大于受影响数量。"))


class GoodsHoldInline(InlineFormAdmin):
    """Goods on hold edited inside the case form, with the same check as their own view."""

    form_columns = ("id", "location", "quantity", "held_quantity", "on_hold", "note")
    form_choices = {"location": HOLD_LOCATION.pairs()}
    column_labels = LABELS

    def on_model_change(self, form, model: GoodsHold, is_created: bool) -> None:
        check_goods_hold(model)


#: Typed on the case form to register a customer not yet on file, with the case, in one transaction (declared in
#: the registration group; the edit form drops them).
NEW_CUSTOMER_FIELDS = ("new_customer_name", "new_customer_phone")
#: A repeat-complainant look-up answers at most this many customers, from this many characters typed.
REPEAT_CUSTOMERS, REPEAT_MIN_LENGTH = 5, 2


class NotOnRecord(StringField):
    """A form field read by the view, never written to the record."""

    def populate_obj(self, obj, name) -> None:
        return None


class CustomerChosenOrNamed:
    """A case needs a customer: one chosen from the file, or the name of a new one (not both)."""

    def __call__(self, form, field) -> None:
        chosen = form.customer.data is not None
        if chosen and (field.data or form.new_customer_phone.data):
            raise ValidationError(_("已选择客户时，不要再填写新客户；如要登记新客户，请先清除所选客户。"))
        if not chosen and not field.data:
            raise ValidationError(_("请选择客户，或填写新客户的名称。"))


def customer_hint(customer: Customer, cases: list[Case]) -> dict:
    """One customer offered on the case form, with their open cases, phone masked for masked roles."""
    return {
        "id": customer.id, "text": str(customer), "name": customer.name,
        "contact_person": customer.contact_person or "",
        "phone": personal_value_for(current_user, "phone", customer.phone),
        "url": url_for("customer.details_view", id=customer.id),
        "hint": (_("重复投诉：该客户有 %(n)s 件未结案件", n=len(cases)) if cases else _("该客户暂无未结案件")),
        "open_cases": [{"case_no": case.case_no, "title": case.title, "status": CASE_STATUS.label(case.status),
                        "received_at": format_local(case.received_at),
                        "url": url_for("case.details_view", id=case.id)} for case in cases],
    }


class CaseView(RecordPageMixin, DocumentActionsMixin, WorkflowActionsMixin, KesuModelView):
    column_labels = LABELS
    column_list = ("case_no", "received_at", "status", "customer.name", "title", "category.name", "channel",
                   "severity", "department.name", "handler", "next_due_at")
    column_select_related_list = ("customer", "category", "department", "handler")
    column_sortable_list = ("case_no", "received_at", "status", "channel", "severity", "next_due_at",
                            ("customer.name", "customer.name"), ("category.name", "category.name"),
                            ("department.name", "department.name"))
    column_default_sort = ("received_at", True)
    column_searchable_list = ("case_no", "title", "product", "lot_no", "customer.name")
    choice_columns = {"status": CASE_STATUS, "channel": CHANNEL, "severity": SEVERITY, "market": MARKET,
                      "resolution_type": RESOLUTION_TYPE, "due_clock": SLA_CLOCK}
    column_filters = (
        "status", "channel", "severity", "market",
        ForeignKeyEqual(Case.category_id, _l("投诉类别"), Category),
        ForeignKeyEqual(Case.department_id, _l("责任部门"), Department),
        ForeignKeyEqual(Case.handler_id, _l("处理人"), User, where=User.role == "handler"),
        DueFilter(Case.next_due_at, _l("时限")), "received_at", "next_due_at", "closed_at", "is_batch",
        "is_typical", "escalation_level", "satisfaction",
        "product",
    )
    column_details_list = (
        "case_no", "status", "received_at", "channel", "market", "customer", "customer.phone", "customer.tier",
        "category", "severity", "is_batch", "title", "product", "model_no", "part_no", "lot_no", "quantity",
        "defect_rate", "description", "customer_demand", "is_valid", "validity_reason", "department", "handler",
        "containment", "root_cause", "corrective_action", "preventive_action", "resolution_type",
        "resolution_detail", "proposed_amount", "customer_agreed_at", "customer_confirmed", "customer_confirmed_on",
        "satisfaction", "proposed_by", "feedback", "escalation_level", "first_response_due", "next_due_at",
        "due_clock", "extension_reason", "appeal_deadline", "closed_at", "archived_at", "is_typical",
        "lessons_learned", "created_by", "created_at",
    )
    #: What the actions decide, shown on the record page after the machine's group they follow.
    stage_groups = (
        ("product", FieldGroup("acceptance", _l("受理"), ("is_valid", "validity_reason"))),
        ("investigation", FieldGroup("solution", _l("处理方案与审批"),
                                     ("resolution_type", "resolution_detail", "proposed_amount", "proposed_by"))),
        ("investigation", FieldGroup("customer_answer", _l("客户确认"),
                                                  ("customer_agreed_at", "customer_confirmed", "customer_confirmed_on"))),
        ("investigation", FieldGroup("closure", _l("回访与结案"),
                                     ("satisfaction", "feedback", "closed_at", "appeal_deadline", "archived_at"))),
        ("case_library", FieldGroup("deadlines", _l("时限与升级"),
                                    ("first_response_due", "next_due_at", "due_clock", "extension_reason",
                                     "escalation_level"))),
    )
    column_formatters = {
        "customer.phone": masked("phone", "customer.phone"),
        "customer.tier": choice(CUSTOMER_TIER, "customer.tier"),
        "proposed_amount": money_column,
        "next_due_at": due_column,
    }
    personal_info_columns = ("customer.phone",)
    details_template = "admin/case_details.html"

    # Status and what the workflow decides (validity, resolution, customer confirmation, satisfaction) are
    # never fields: only the action buttons change them. The groups, and who edits each in which status, are
    # declared with the statuses.
    form_columns = CASE_STATUSES.form_fields
    form_rules = tuple(Section(g.fields, g.label, locked_note=g.locked_note) for g in CASE_STATUSES.groups)
    form_ajax_refs = {"customer": AJAX_CUSTOMER, "handler": AJAX_USER}
    form_extra_fields = {
        "new_customer_name": NotOnRecord(
            _l("新客户名称"), validators=[CustomerChosenOrNamed(), Length(max=100)],
            description=_l("客户不在档案中时填写，保存案件时一并建立客户档案。")),
        "new_customer_phone": NotOnRecord(_l("新客户电话"), validators=[Optional(), Length(max=20), Phone()]),
    }
    create_template = "admin/case_create.html"
    form_args = {
        "customer": {"validators": [Optional()]},
        "title": {"description": _l("一句话概括投诉内容，便于列表查看")},
        "category": {"query_factory": lambda: db.session.scalars(
            select(Category).where(Category.active.is_(True)).order_by(Category.sort_order, Category.id)).all()},
    }
    inline_models = (GoodsHoldInline(GoodsHold),)
    bulk_actions = ("accept", "assign", "escalate", "archive")

    def create_form(self, obj=None):
        """With the repeat-complainant look-up on the new customer's fields, and ``?customer_id=`` from a
        customer's page choosing that customer."""
        form = super().create_form(obj)
        lookup = url_for(f"{self.endpoint}.repeat_complainant_view")
        for name in NEW_CUSTOMER_FIELDS:
            form[name].render_kw = {"data-kesu-repeat-url": lookup, "autocomplete": "off"}
        customer_id = request.args.get("customer_id", "")
        if is_record_id(customer_id) and request.method == "GET" and form.customer.data is None:
            form.customer.data = form.customer.loader.get_one(int(customer_id))
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        for name in NEW_CUSTOMER_FIELDS:
            if name in form:  # the registration group may be locked already
                del form[name]
        return form

    def on_model_change(self, form, model: Case, is_created: bool) -> None:
        if is_created:
            new_name = form.new_customer_name.data if "new_customer_name" in form else None
            if model.customer is None and new_name:
                model.customer = Customer(name=new_name, phone=form.new_customer_phone.data or None)
            model.created_by_id = current_user.id
            if model.received_at is None:
                model.received_at = utcnow()
        if model.customer is None:
            raise ValidationError(_("请选择客户，或填写新客户的名称。"))
        super().on_model_change(form, model, is_created)

    @expose("/repeat_complainant/")
    def repeat_complainant_view(self):
        """JSON for the case form: the customers matching what was typed (``q``, a name or phone, matched as the
        search box matches it) or the one chosen (``customer_id``), each with their open cases, in the user's
        scope."""
        customer_id = request.args.get("customer_id", "")
        if is_record_id(customer_id):
            statement = select(Customer).where(Customer.id == int(customer_id))
            condition = row_condition(Customer, current_user)
            customers = list(db.session.scalars(statement if condition is None else statement.where(condition)))
        else:
            term = normal_term(request.args.get("q"))
            customers = (find_customers(current_user, term, REPEAT_CUSTOMERS)
                         if len(term) >= REPEAT_MIN_LENGTH else [])
        cases = open_cases(current_user, [customer.id for customer in customers])
        return jsonify({"customers": [customer_hint(c, cases[c.id]) for c in customers],
                        "use": _("选用此客户"), "open": _("未结案件")})


class ContactLogView(KesuModelView):
    column_labels = LABELS
    column_list = ("contacted_at", "case", "channel", "direction", "staff", "content", "outcome", "opinion")
    column_select_related_list = ("case", "staff")
    column_default_sort = ("contacted_at", True)
    column_sortable_list = ("contacted_at", "channel", "direction")
    column_searchable_list = ("content", "outcome", "case.case_no")
    choice_columns = {"channel": CHANNEL, "direction": CONTACT_DIRECTION, "opinion": CUSTOMER_OPINION}
    column_filters = ("channel", "direction", "opinion", "contacted_at",
                      ForeignKeyEqual(ContactLog.staff_id, _l("经办人"), User))
    column_formatters = {"case": link_to("case", "case_no", "case")}
    form_columns = ("case", "contacted_at", "channel", "direction", "content", "outcome", "opinion")
    form_ajax_refs = {"case": AJAX_CASE}

    def create_form(self, obj=None):
        form = super().create_form(obj)
        self.prefill_case(form)
        return form

    def on_model_change(self, form, model, is_created: bool) -> None:
        if is_created:
            model.staff_id = current_user.id
            if model.contacted_at is None:
                model.contacted_at = utcnow()
        super().on_model_change(form, model, is_created)


class GoodsHoldView(KesuModelView):
    column_labels = LABELS
    column_list = ("case", "location", "quantity", "held_quantity", "on_hold", "note")
    column_select_related_list = ("case",)
    choice_columns = {"location": HOLD_LOCATION}
    column_filters = ("location", "on_hold")
    column_searchable_list = ("case.case_no",)
    column_formatters = {"case": link_to("case", "case_no", "case")}
    form_columns = ("case", "location", "quantity", "held_quantity", "on_hold", "note")
    form_ajax_refs = {"case": AJAX_CASE}

    def on_model_change(self, form, model, is_created: bool) -> None:
        """Besides the quantities, the case's investigation must be open to this user (kesu.policy)."""
        check_goods_hold(model)
        super().on_model_change(form, model, is_created)


class AttachmentView(KesuModelView):
    """Evidence files: stored under the file store, never under static, served after a scope check."""

    column_labels = LABELS
    column_list = ("filename", "case", "claim", "content_type", "size", "uploaded_by", "created_at")
    column_select_related_list = ("case", "claim", "uploaded_by")
    column_searchable_list = ("filename", "description", "case.case_no")
    column_filters = ("content_type", "created_at")
    column_formatters = {"case": link_to("case", "case_no", "case"), "claim": link_to("claim", "claim_no", "claim")}
    column_details_list = ("filename", "case", "claim", "content_type", "size", "sha256", "description",
                           "uploaded_by", "created_at")
    details_template = "admin/attachment_details.html"
    form_columns = ("file", "case", "claim", "description")
    form_extra_fields = {"file": FileField(_l("文件"), validators=[InputRequired(message=_l("请选择要上传的文件。"))])}
    form_ajax_refs = {"case": AJAX_CASE, "claim": {"fields": ("claim_no",), "minimum_input_length": 2}}

    def on_model_change(self, form, model, is_created: bool) -> None:
        upload = form.file.data
        limit = current_app.config["ATTACHMENT_MAX_BYTES"]
        content = upload.read(limit + 1) if isinstance(upload, FileStorage) else b""
        try:
            kind = attachment_type(content, limit)
        except UploadRefused as refused:
            raise ValidationError(str(refused)) from refused
        if model.case is None and model.claim is None:
            raise ValidationError(_("附件必须关联一个投诉案件或索赔。"))
        model.filename = clean_filename(upload.filename, kind.extension)
        model.stored_name = file_store.new_name()
        model.content_type = kind.mime
        model.size = len(content)
        model.sha256 = hashlib.sha256(content).hexdigest()
        model.uploaded_by_id = current_user.id
        super().on_model_change(form, model, is_created)  # scope check before anything reaches the store
        file_store.write(db.session, "attachments", content, model.stored_name)  # goes again unless committed

    @expose("/download/")
    def download_view(self):
        attachment = self.get_one(request.args.get("id"))
        content = file_store.read("attachments", attachment.stored_name)
        # names stored before they were cleaned on upload may hold CR/LF or bidi controls: cleaned here too
        return send_file(io.BytesIO(content), mimetype=attachment.content_type, as_attachment=True,
                         download_name=clean_filename(attachment.filename))
