"""Admin views of the settings an administrator edits: categories, SLA rules, the holiday calendar, settings."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms.validators import ValidationError

from kesu.admin.base import KesuModelView
from kesu.choices import CUSTOMER_TIER, MARKET, SLA_CLOCK, SLA_UNIT
from kesu.labels import LABELS
from kesu.settings import DECLARED, Declared, stored_problem
from kesu.value_types import InvalidValue

HOLIDAY_SOURCE = {"chinesecalendar": _l("国务院安排（chinesecalendar）"), "admin": _l("管理员录入")}


class CategoryView(KesuModelView):
    column_labels = LABELS
    column_list = ("name", "description", "sort_order", "active")
    column_default_sort = ("sort_order", False)
    column_searchable_list = ("name",)
    column_filters = ("active",)
    form_columns = ("name", "description", "sort_order", "active")


class SlaRuleView(KesuModelView):
    column_labels = LABELS
    column_list = ("clock", "tier", "market", "amount", "unit", "active", "description")
    column_default_sort = ("id", False)
    choice_columns = {"clock": SLA_CLOCK, "tier": CUSTOMER_TIER, "market": MARKET, "unit": SLA_UNIT}
    column_filters = ("clock", "unit", "active")
    form_columns = ("clock", "tier", "market", "amount", "unit", "active", "description")


class HolidayView(KesuModelView):
    """The statutory calendar the working-day clocks count with; next year's schedule is entered here."""

    column_labels = LABELS
    column_list = ("day", "name", "is_working_day", "source")
    column_default_sort = ("day", True)
    column_searchable_list = ("name",)
    column_filters = ("day", "is_working_day", "source")
    column_formatters = {"source": lambda view, context, model, name: HOLIDAY_SOURCE.get(model.source, model.source)}
    form_columns = ("day", "name", "is_working_day")
    form_args = {"is_working_day": {"description": _l("勾选：周末调休上班；不勾选：工作日放假")}}

    def on_model_change(self, form, model, is_created: bool) -> None:
        model.source = "admin"
        super().on_model_change(form, model, is_created)


class DeclaredValue:
    """The edit form's check of a setting's value against its declaration (kind, range)."""

    def __init__(self, declared: Declared) -> None:
        self.declared = declared

    def __call__(self, form, field) -> None:
        try:
            self.declared.parse(field.data or "")
        except InvalidValue as exc:
            raise ValidationError(str(exc)) from exc


def _setting_key(view, context, model, name) -> Markup | str:
    declared = DECLARED.get(model.key)
    if declared is None:
        return model.key
    return Markup('{} <small class="text-muted">{}</small>').format(declared.label, model.key)


def _setting_value(view, context, model, name) -> str:
    declared = DECLARED.get(model.key)
    if declared is None:
        return model.value
    try:
        return declared.kind.with_unit(declared.parse(model.value))
    except InvalidValue:
        return model.value


def _setting_description(view, context, model, name) -> str:
    declared = DECLARED.get(model.key)
    return str(declared.description) if declared is not None else (model.description or "")


def _setting_status(view, context, model, name) -> Markup | str:
    """An invalid stored value is flagged: pages read the default instead (see :func:`kesu.settings.setting`)."""
    declared = DECLARED.get(model.key)
    problem = stored_problem(declared, model.value) if declared is not None else None
    if problem is None:
        return ""
    return Markup('<span class="text-danger" title="{}">{}</span>').format(
        problem, _("无效，正在使用默认值 %(default)s", default=declared.kind.with_unit(declared.default)))


class SettingView(KesuModelView):
    """Settings as declared in :mod:`kesu.settings`: shown by label with their unit, checked on save against
    their kind and range, stored as canonical text (``25000.00``)."""

    column_labels = LABELS
    column_list = ("key", "value", "description", "status")
    column_export_list = ("key", "value", "description")
    column_default_sort = ("key", False)
    column_searchable_list = ("key", "description")
    column_formatters = {"key": _setting_key, "value": _setting_value, "description": _setting_description,
                         "status": _setting_status}
    form_columns = ("value",)

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        declared = DECLARED.get(obj.key) if obj is not None else None
        if declared is not None:
            form.value.label.text = str(declared.label)
            form.value.description = declared.help_text()
            form.value.validators = [*form.value.validators, DeclaredValue(declared)]
        return form

    def on_model_change(self, form, model, is_created: bool) -> None:
        declared = DECLARED.get(model.key)
        if declared is not None:
            model.value = declared.kind.to_text(declared.parse(model.value))
        super().on_model_change(form, model, is_created)
