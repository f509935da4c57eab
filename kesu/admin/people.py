"""Admin views of customers, departments and staff accounts."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import PasswordField, ValidationError
from wtforms.validators import Email, Optional

from kesu.admin.base import KesuModelView
from kesu.admin.filters_related import ForeignKeyEqual
from kesu.admin.formatters import masked, money_column
from kesu.choices import CASE_STATUS, CUSTOMER_TIER, DEPARTMENT_KIND, ROLE
from kesu.extensions import db
from kesu.labels import LABELS
from kesu.models import Case, Claim, Customer, Department, User
from kesu.passwords import password_problem
from kesu.search import records_of
from kesu.usernames import normalise_username, username_problem

EMAIL = Email(message=_l("电子邮箱格式不正确，例如 name@example.com。"), check_deliverability=False,
              granular_message=False)


class CustomerView(KesuModelView):
    column_labels = LABELS
    column_list = ("name", "contact_person", "phone", "email", "tier", "created_at")
    column_sortable_list = ("name", "tier", "created_at")
    column_searchable_list = ("name", "contact_person", "phone")
    choice_columns = {"tier": CUSTOMER_TIER}
    column_filters = ("tier", "created_at")
    column_formatters = {"phone": masked("phone"), "email": masked("email")}
    column_details_list = ("name", "contact_person", "phone", "email", "address", "tier", "note", "created_at")
    personal_info_columns = ("phone", "email")
    form_columns = ("name", "contact_person", "phone", "email", "address", "tier", "note")
    form_args = {"email": {"validators": [Optional(), EMAIL]}}
    details_template = "admin/customer_details.html"

    def records_of(self, customer: Customer) -> tuple[list[Case], list[Claim]]:
        """The customer's cases and claims this user may see, for their page."""
        return records_of(current_user, customer)

    def case_status(self, key: str) -> str:
        return CASE_STATUS.label(key)


class DepartmentView(KesuModelView):
    column_labels = LABELS
    column_list = ("name", "code", "kind", "active")
    column_default_sort = ("id", False)
    column_searchable_list = ("name", "code")
    choice_columns = {"kind": DEPARTMENT_KIND}
    column_filters = ("kind", "active")
    form_columns = ("name", "code", "kind", "active")


class DistinctUsername:
    """Normalised like every stored username, and not a look-alike of another account's."""

    def __call__(self, form, field) -> None:
        field.data = normalise_username(field.data or "")
        record = getattr(form, "_obj", None)
        problem = username_problem(db.session, field.data, exclude_id=getattr(record, "id", None))
        if problem:
            raise ValidationError(problem)


class AccountPassword:
    """The password policy, for the account the form is about."""

    def __call__(self, form, field) -> None:
        problem = password_problem(field.data or "", form.username.data or "", form.full_name.data or "")
        if problem:
            raise ValidationError(problem)


class UserView(KesuModelView):
    """Staff accounts. Never deleted (the audit trail names them): deactivate instead."""

    column_labels = LABELS
    column_list = ("username", "full_name", "role", "department", "approval_limit", "active", "last_login_at")
    column_select_related_list = ("department",)
    column_default_sort = ("id", False)
    column_searchable_list = ("username", "full_name")
    choice_columns = {"role": ROLE}
    column_filters = ("role", "active", ForeignKeyEqual(User.department_id, _l("部门"), Department))
    column_formatters = {"approval_limit": money_column, "phone": masked("phone"), "email": masked("email")}
    column_details_list = ("username", "full_name", "role", "department", "approval_limit", "active", "email",
                           "phone", "last_login_at", "created_at")
    personal_info_columns = ("phone", "email")
    form_columns = ("username", "full_name", "password", "role", "department", "approval_limit", "active", "email",
                    "phone")
    form_extra_fields = {
        "password": PasswordField(_l("新密码"), validators=[Optional(), AccountPassword()],
                                  description=_l("新建用户必填；修改用户时留空表示不改密码。至少 10 位，不能包含用户名，"
                                                 "不能是常见密码。改密码、角色、部门或停用账号后，该用户须重新登录。")),
    }
    form_args = {"email": {"validators": [Optional(), EMAIL]}, "username": {"validators": [DistinctUsername()]}}

    def on_model_change(self, form, model: User, is_created: bool) -> None:
        if form.password.data:
            model.set_password(form.password.data)
        elif is_created:
            raise ValidationError(_("新建用户必须设置密码。"))
        if model.role == "handler" and model.department is None:
            raise ValidationError(_("责任部门处理人必须属于一个部门。"))
        super().on_model_change(form, model, is_created)
