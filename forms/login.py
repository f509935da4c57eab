"""The staff login form and the own-password form (their fields get every form's input rules: no NUL or other
control characters)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, ValidationError
from wtforms.validators import DataRequired, EqualTo, Length

from forms.meta import KesuFormMeta
from kesu.passwords import password_problem


class LoginForm(FlaskForm):
    class Meta(KesuFormMeta):
        pass

    username = StringField(_l("用户名"), validators=[DataRequired(message=_l("请输入用户名")), Length(max=50)])
    password = PasswordField(_l("密码"), validators=[DataRequired(message=_l("请输入密码")), Length(max=200)])


class NewPassword:
    """The password policy (:mod:`kesu.passwords`) as a field validator; the account comes from the form."""

    def __call__(self, form, field) -> None:
        account = getattr(form, "account", None)
        problem = password_problem(field.data or "", getattr(account, "username", "") or "",
                                   getattr(account, "full_name", "") or "")
        if problem:
            raise ValidationError(problem)


class PasswordChangeForm(FlaskForm):
    class Meta(KesuFormMeta):
        pass

    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(message=_l("请输入当前密码"))])
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(message=_l("请输入新密码")), NewPassword()])
    confirm = PasswordField(_l("再次输入新密码"), validators=[
        DataRequired(message=_l("请再次输入新密码")), EqualTo("new_password", message=_l("两次输入的新密码不一致"))])

    def __init__(self, account, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.account = account

    def validate_current_password(self, field) -> None:
        if not self.account.check_password(field.data or ""):
            raise ValidationError(_l("当前密码不正确"))
