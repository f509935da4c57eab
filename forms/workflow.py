"""The small dialogs behind the workflow buttons, made from the fields each transition declares.

``action_form_class(machine, action)`` is the dialog of that step: one form field per declared
:class:`kesu.workflow.core.Field`, in declaration order, its widget and input rules chosen by the field's type.
A form's :meth:`ActionForm.workflow_fields` turns what was typed into the keyword arguments of
``kesu.workflow.perform``; the workflow checks them again, so a form is a convenience, never the rule.
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from wtforms import (BooleanField, DateField, DecimalField, HiddenField, IntegerField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from forms.meta import KesuFormMeta
from kesu.admin.forms import LocalDateTimeField
from kesu.extensions import db
from kesu.models import Department, User
from kesu.validators import MoneyAmount
from kesu.workflow import MACHINES
from kesu.workflow.core import Field, FieldType, Transition


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


def _record_id(value: Any) -> int | None:
    """A chosen record's id; the empty "please choose" option is None, which the presence check then refuses."""
    return None if value in (None, "") else int(value)


def _whole_number(value: Any) -> int | None:
    """A radio value as int; anything else becomes None, which the range check then refuses."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(field: Field, rows: int):
    validators = [required(field.label) if field.asked_as_required else Optional(),
                  Length(max=field.max_length, message=_l("最多 %(n)s 个字。", n=field.max_length))]
    if field.type is FieldType.TEXT:
        return StringField(field.label, validators=validators, description=field.description or "")
    return TextAreaField(field.label, validators=validators, description=field.description or "",
                         render_kw={"rows": rows})


def _presence(field: Field, message) -> list:
    return [InputRequired(message=message)] if field.asked_as_required else [Optional()]


def _form_field(field: Field, rows: int):
    """The WTForms field that asks for ``field``."""
    kind, label = field.type, field.label
    if kind in (FieldType.TEXT, FieldType.LONG_TEXT):
        return _text(field, rows)
    if kind is FieldType.CHOICE:  # an optional choice can be left unchosen
        choices = field.choices.pairs() if field.asked_as_required else [("", "—"), *field.choices.pairs()]
        return SelectField(label, choices=choices, description=field.description or "",
                           validators=_presence(field, _l("请选择%(field)s。", field=label)))
    if kind in (FieldType.USER, FieldType.DEPARTMENT):  # choices from the database: TransitionForm.prepare
        narrowed = {"data-kesu-depends-on": field.depends_on} if field.depends_on else {}
        return SelectField(label, coerce=_record_id, description=field.description or "", render_kw=narrowed,
                           validators=_presence(field, _l("请选择%(field)s。", field=label)))
    if kind is FieldType.MONEY:
        return DecimalField(label, places=2, description=field.description or "",
                            validators=[*_presence(field, _l("请填写%(field)s。", field=label)),
                                        MoneyAmount(allow_zero=not field.positive)])
    if kind is FieldType.INTEGER and field.minimum is not None and field.maximum is not None:
        span = {"field": label, "min": field.minimum, "max": field.maximum}
        return RadioField(label, coerce=_whole_number, validate_choice=False, description=field.description or "",
                          choices=[(n, str(n)) for n in range(field.minimum, field.maximum + 1)],
                          validators=[*_presence(field, _l("请选择%(field)s（%(min)s 到 %(max)s）。", **span)),
                                      NumberRange(min=field.minimum, max=field.maximum,
                                                  message=_l("%(field)s只能是 %(min)s 到 %(max)s。", **span))])
    if kind is FieldType.INTEGER:
        return IntegerField(label, description=field.description or "",
                            validators=_presence(field, _l("请填写%(field)s。", field=label)))
    if kind is FieldType.DATETIME:
        return LocalDateTimeField(label, description=field.description or "",
                                  validators=_presence(field, _l("请填写%(field)s。", field=label)))
    if kind is FieldType.DATE:
        return DateField(label, description=field.description or "",
                         validators=_presence(field, _l("请填写%(field)s。", field=label)))
    return BooleanField(label, description=field.description or "")


#: The first option of a department or user select: nothing chosen yet.
CHOOSE = ("", _l("请选择…"))


class TransitionForm(ActionForm):
    """A dialog made from a transition's fields (the generated classes set ``fields``)."""

    fields: tuple[Field, ...] = ()

    def prepare(self, record: Any) -> None:
        for field in self.fields:
            if field.type is FieldType.DEPARTMENT:
                departments = db.session.scalars(select(Department).order_by(Department.id)).all()
                self[field.name].choices = [CHOOSE, *((d.id, d.name) for d in departments)]
            elif field.type is FieldType.USER:
                users = db.session.scalars(select(User).where(User.role == field.role, User.active.is_(True))
                                           .order_by(User.department_id, User.full_name)).all()
                # Each user carries their department, so the dialog can offer the chosen department's only.
                self[field.name].choices = [CHOOSE, *((u.id, f"{u}（{u.department.name if u.department else '—'}）",
                                                       {"data-department": u.department_id or ""}) for u in users)]
            if field.initial is not None and not self.is_submitted():
                value = field.initial(record)
                self[field.name].data = value.id if isinstance(value, (Department, User)) else value

    def workflow_fields(self) -> dict[str, Any]:
        """What was typed; departments and users as records (an unknown id becomes None)."""
        values = super().workflow_fields()
        for field in self.fields:
            if field.type is FieldType.DEPARTMENT and field.name in values:
                values[field.name] = db.session.get(Department, values[field.name])
            elif field.type is FieldType.USER and field.name in values:
                values[field.name] = db.session.get(User, values[field.name])
        return values


def dialog_for(machine: str, transition: Transition) -> type[TransitionForm]:
    """The dialog class of ``transition``: a lone text box gets three rows, an optional note beside other
    fields two."""
    alone = len(transition.fields) == 1
    attributes: dict[str, Any] = {"fields": transition.fields}
    for field in transition.fields:
        rows = 3 if alone or field.asked_as_required else 2
        attributes[field.name] = _form_field(field, rows)
    name = "".join(part.title() for part in f"{machine}_{transition.key}".split("_")) + "Form"
    return type(name, (TransitionForm,), attributes)


ACTION_FORMS: dict[tuple[str, str], type[TransitionForm]] = {
    (machine.name, transition.key): dialog_for(machine.name, transition)
    for machine in MACHINES.values() for transition in machine.transitions.values()}


def action_form_class(machine: str, action: str) -> type[ActionForm]:
    return ACTION_FORMS[(machine, action)]
