"""The one box on a list's 已保存的筛选 menu: a name for the list's current filters, search and sort."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from forms.meta import KesuFormMeta

NAME_LENGTH = 60


class SaveFilterForm(FlaskForm):
    class Meta(KesuFormMeta):
        pass

    name = StringField(_l("筛选名称"), validators=[
        DataRequired(message=_l("请给这组筛选起一个名称。")),
        Length(max=NAME_LENGTH, message=_l("名称最多 %(n)s 个字。", n=NAME_LENGTH)),
    ])
    #: The list page's query string (``flt0_3=investigating&search=…&sort=2``) as the user sees the list.
    query = HiddenField()
