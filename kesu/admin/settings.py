"""Admin views of the settings an administrator edits: categories, SLA rules, the holiday calendar, settings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from kesu.admin.base import KesuModelView
from kesu.choices import CUSTOMER_TIER, MARKET, SLA_CLOCK, SLA_UNIT
from kesu.labels import LABELS

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


class SettingView(KesuModelView):
    column_labels = LABELS
    column_list = ("key", "value", "description")
    column_default_sort = ("key", False)
    column_searchable_list = ("key", "description")
    form_columns = ("value",)
