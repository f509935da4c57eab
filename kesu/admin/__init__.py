"""The Flask-Admin panel at /admin/: one view per table, grouped in menus."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from kesu.admin.account import AccountView
from kesu.admin.accountability import AccountabilityView
from kesu.admin.audit import AuditEventView
from kesu.admin.cases import AttachmentView, CaseView, ContactLogView, GoodsHoldView
from kesu.admin.claims import ApprovalView, ClaimView, LossItemView, PaymentView
from kesu.admin.documents import DocumentTemplateView, GeneratedDocumentView
from kesu.admin.home import HomeView
from kesu.admin.jobs import JobView
from kesu.admin.people import CustomerView, DepartmentView, UserView
from kesu.admin.search import SearchView
from kesu.admin.settings import CategoryView, HolidayView, SettingView, SlaRuleView
from kesu.models import (
    Accountability,
    Approval,
    Attachment,
    AuditEvent,
    Case,
    Category,
    Claim,
    ContactLog,
    Customer,
    Department,
    DocumentTemplate,
    GeneratedDocument,
    GoodsHold,
    Holiday,
    Job,
    LossItem,
    Payment,
    Setting,
    SlaRule,
    User,
)
from kesu.web_security import csp_nonce

CASES, CLAIMS, DOCUMENTS, SYSTEM = _l("投诉"), _l("索赔"), _l("文书"), _l("系统")

#: (view class, model, menu name, menu category); the endpoint is the model name in lower case.
VIEWS = (
    (CaseView, Case, _l("投诉案件"), CASES),
    (ContactLogView, ContactLog, _l("沟通记录"), CASES),
    (GoodsHoldView, GoodsHold, _l("受影响货物"), CASES),
    (AttachmentView, Attachment, _l("证据附件"), CASES),
    (CustomerView, Customer, _l("客户"), CASES),
    (ClaimView, Claim, _l("索赔"), CLAIMS),
    (LossItemView, LossItem, _l("损失明细"), CLAIMS),
    (ApprovalView, Approval, _l("审批记录"), CLAIMS),
    (PaymentView, Payment, _l("支付记录"), CLAIMS),
    (AccountabilityView, Accountability, _l("责任追究"), None),
    (DocumentTemplateView, DocumentTemplate, _l("文书模板"), DOCUMENTS),
    (GeneratedDocumentView, GeneratedDocument, _l("文书登记"), DOCUMENTS),
    (DepartmentView, Department, _l("部门"), SYSTEM),
    (UserView, User, _l("用户"), SYSTEM),
    (CategoryView, Category, _l("投诉类别"), SYSTEM),
    (SlaRuleView, SlaRule, _l("时限规则"), SYSTEM),
    (HolidayView, Holiday, _l("节假日"), SYSTEM),
    (SettingView, Setting, _l("系统设置"), SYSTEM),
    (AuditEventView, AuditEvent, _l("审计日志"), SYSTEM),
    (JobView, Job, _l("后台任务"), None),
)


def init_admin(app: Flask) -> Admin:
    admin = Admin(
        app,
        name=_l("客诉管理"),
        theme=Bootstrap4Theme(swatch=app.config["FLASK_ADMIN_SWATCH"], fluid=app.config["FLASK_ADMIN_FLUID_LAYOUT"],
                              base_template="admin/kesu_master.html"),
        index_view=HomeView(name=_l("待办"), url="/admin"),
        translations_path=str(Path(__file__).resolve().parent.parent / "translations_admin"),
        csp_nonce_generator=csp_nonce,
    )
    for view_class, model, name, category in VIEWS:
        admin.add_view(view_class(model, name=name, category=category, endpoint=model.__name__.lower()))
    admin.add_view(AccountView(name=_l("修改密码"), endpoint="account", url="account/password"))
    admin.add_view(SearchView(name=_l("搜索"), endpoint="search", url="search"))
    return admin
