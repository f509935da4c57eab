"""The staff login form (its fields get every form's input rules: no NUL or other control characters)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from kesu.admin.forms import KesuFormMeta


class LoginForm(FlaskForm):
    class Meta(KesuFormMeta):
        pass

    username = StringField(_l("用户名"), validators=[DataRequired(message=_l("请输入用户名")), Length(max=50)])
    password = PasswordField(_l("密码"), validators=[DataRequired(message=_l("请输入密码")), Length(max=200)])
