"""The small dialogs behind the workflow buttons: one form per action, asking only what the step needs.

``ACTION_FORMS[(machine, action)]`` names the form; an action not listed asks for an optional comment.
A form's :meth:`ActionForm.workflow_fields` turns what was typed into the keyword arguments of
``kesu.workflow.perform``; the workflow checks them again, so a form is a convenience, never the rule.
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from wtforms import DecimalField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from forms.meta import KesuFormMeta
from kesu.admin.forms import LocalDateTimeField
from kesu.choices import CHANNEL, COMPENSATION_FORM, PAYMENT_METHOD, RESOLUTION_TYPE
from kesu.extensions import db
from kesu.models import Department, User
from kesu.validators import MoneyAmount

TEXT = (Length(max=2000, message=_l("最多 2000 个字。")),)


def required(label) -> DataRequired:
    return DataRequired(message=_l("请填写%(field)s。", field=label))


class ActionForm(FlaskForm):
    """Every dialog carries the version of the record the user looked at, so a stale click is refused.

    Its fields get the input rules of every form (:class:`kesu.admin.forms.KesuFormMeta`): text trimmed and
    free of control characters, required text not blank once invisible characters are gone, finite numbers,
    dates in range."""

    class Meta(KesuFormMeta):
        pass

    version = HiddenField()

    def prepare(self, record: Any) -> None:
        """Fill choices that depend on the database (departments, handlers)."""

    def workflow_fields(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items()
                if name not in ("version", "csrf_token") and field.data not in (None, "")}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self._fields.values():
            field.errors = [str(e) if isinstance(e, LazyString) else e for e in field.errors]
        return valid


def text_form(name: str, label, *, is_required: bool, description=None) -> type[ActionForm]:
    """A dialog with one text box (``reason``, ``comment``, ``opinion``, ``content`` or ``decision``)."""
    validators = [required(label)] if is_required else [Optional()]
    field = TextAreaField(label, validators=[*validators, *TEXT], description=description,
                          render_kw={"rows": 3})
    return type(f"{name.title()}Form", (ActionForm,), {name: field})


CommentForm = text_form("comment", _l("意见"), is_required=False)


class AssignForm(ActionForm):
    department = SelectField(_l("责任部门"), coerce=int, validators=[InputRequired(message=_l("请选择责任部门。"))])
    handler = SelectField(_l("处理人"), coerce=int, validators=[InputRequired(message=_l("请选择处理人。"))],
                          description=_l("处理人须属于所选责任部门"))
    comment = TextAreaField(_l("分派说明"), validators=[Optional(), *TEXT], render_kw={"rows": 2})

    def prepare(self, record: Any) -> None:
        departments = db.session.scalars(select(Department).order_by(Department.id)).all()
        handlers = db.session.scalars(select(User).where(User.role == "handler", User.active.is_(True))
                                      .order_by(User.department_id, User.full_name)).all()
        self.department.choices = [(d.id, d.name) for d in departments]
        self.handler.choices = [(u.id, f"{u}（{u.department.name if u.department else '—'}）") for u in handlers]
        if record.department_id and not self.is_submitted():
            self.department.data = record.department_id

    def workflow_fields(self) -> dict[str, Any]:
        return {"department": db.session.get(Department, self.department.data),
                "handler": db.session.get(User, self.handler.data), "comment": self.comment.data or None}


class ProposeForm(ActionForm):
    resolution_type = SelectField(_l("处理方式"), choices=RESOLUTION_TYPE.pairs(),
                                  validators=[InputRequired(message=_l("请选择处理方式。"))])
    amount = DecimalField(_l("金额（元）"), places=2, validators=[Optional(), MoneyAmount()],
                          description=_l("退款、赔偿等涉及金额时填写"))
    comment = TextAreaField(_l("方案说明"), validators=[required(_l("方案说明")), *TEXT], render_kw={"rows": 3})


class NotifyForm(ActionForm):
    channel = SelectField(_l("通知渠道"), choices=CHANNEL.pairs(), validators=[InputRequired()])


def _whole_number(value: Any) -> int | None:
    """A radio value as int; anything else becomes None, which the range check then refuses."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class CloseForm(ActionForm):
    satisfaction = RadioField(_l("满意度"), coerce=_whole_number, choices=[(n, str(n)) for n in range(1, 6)],
                              validate_choice=False,
                              validators=[InputRequired(message=_l("请选择满意度（1 到 5）。")),
                                          NumberRange(min=1, max=5, message=_l("满意度只能是 1 到 5。"))],
                              description=_l("1 非常不满意 … 5 非常满意"))
    feedback = TextAreaField(_l("回访意见"), validators=[required(_l("回访意见")), *TEXT], render_kw={"rows": 3})
    reason = TextAreaField(_l("未经客户确认结案的理由"), validators=[Optional(), *TEXT], render_kw={"rows": 2},
                           description=_l("客户未签字确认处理结果时必填"))


class ExtendForm(ActionForm):
    new_deadline = LocalDateTimeField(_l("新的截止时间"), validators=[InputRequired(message=_l("请填写新的截止时间。"))],
                                      description=_l("北京时间，如 2026-12-20 17:30；只能延期一次，最多 30 天"))
    reason = TextAreaField(_l("延期理由"), validators=[required(_l("延期理由")), *TEXT], render_kw={"rows": 3})


class AssessForm(ActionForm):
    verified_loss = DecimalField(_l("核定损失（元）"), places=2,
                                 validators=[InputRequired(message=_l("请填写核定损失。")), MoneyAmount()])
    compensation_form = SelectField(_l("赔偿形式"), choices=COMPENSATION_FORM.pairs(), validators=[InputRequired()])
    comment = TextAreaField(_l("核定说明"), validators=[Optional(), *TEXT], render_kw={"rows": 2})


class SubmitForApprovalForm(ActionForm):
    amount = DecimalField(_l("拟赔金额（元）"), places=2,
                          validators=[InputRequired(message=_l("请填写拟赔金额。")), MoneyAmount(allow_zero=False)])
    comment = TextAreaField(_l("说明"), validators=[Optional(), *TEXT], render_kw={"rows": 2})


class PayForm(ActionForm):
    method = SelectField(_l("支付方式"), choices=PAYMENT_METHOD.pairs(), validators=[InputRequired()])
    amount = DecimalField(_l("支付金额（元）"), places=2,
                          validators=[InputRequired(message=_l("请填写支付金额。")), MoneyAmount(allow_zero=False)],
                          description=_l("可分次支付，累计不超过批准金额"))
    voucher_no = StringField(_l("凭证号"), validators=[required(_l("凭证号")), Length(max=50)])


ACTION_FORMS: dict[tuple[str, str], type[ActionForm]] = {
    ("case", "accept"): text_form("reason", _l("受理意见（投诉成立的依据）"), is_required=True),
    ("case", "reject"): text_form("reason", _l("不予受理的理由"), is_required=True,
                                  description=_l("将写入给客户的通知")),
    ("case", "assign"): AssignForm,
    ("case", "propose"): ProposeForm,
    ("case", "send_back"): text_form("comment", _l("退回意见"), is_required=True),
    ("case", "notify"): NotifyForm,
    ("case", "customer_agree"): text_form("opinion", _l("客户意见"), is_required=True),
    ("case", "customer_disagree"): text_form("opinion", _l("客户意见"), is_required=True),
    ("case", "follow_up"): text_form("content", _l("回访内容"), is_required=True),
    ("case", "close"): CloseForm,
    ("case", "escalate"): text_form("reason", _l("升级理由"), is_required=True),
    ("case", "extend"): ExtendForm,
    ("case", "appeal"): text_form("reason", _l("申诉理由"), is_required=True),
    ("claim", "assess"): AssessForm,
    ("claim", "submit_for_approval"): SubmitForApprovalForm,
    ("claim", "reject"): text_form("comment", _l("驳回理由"), is_required=True),
    ("claim", "pay"): PayForm,
    ("accountability", "appeal"): text_form("reason", _l("申诉理由"), is_required=True),
    ("accountability", "decide_appeal"): text_form("decision", _l("申诉处理决定"), is_required=True),
}


def action_form_class(machine: str, action: str) -> type[ActionForm]:
    return ACTION_FORMS.get((machine, action), CommentForm)
