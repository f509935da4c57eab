"""Admin views of the settings an administrator edits: categories, SLA rules, key/value settings."""
from __future__ import annotations

from kesu.admin.base import KesuModelView
from kesu.choices import CUSTOMER_TIER, MARKET, SLA_CLOCK, SLA_UNIT
from kesu.labels import LABELS


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


class SettingView(KesuModelView):
    column_labels = LABELS
    column_list = ("key", "value", "description")
    column_default_sort = ("key", False)
    column_searchable_list = ("key", "description")
    form_columns = ("value",)
