"""The audit trail, read-only for administrators and auditors."""
from __future__ import annotations

from markupsafe import Markup, escape

from kesu.admin.base import KesuModelView
from kesu.choices import AUDIT_ACTION
from kesu.labels import LABELS


def format_changes(view, context, model, name) -> Markup:
    """``field: old → new`` one per line."""
    changes = model.changes or {}
    lines = []
    for field, (old, new) in changes.items():
        label = LABELS.get(field, field)
        old_text = "∅" if old is None else str(old)
        lines.append(f"{escape(label)}: {escape(old_text)} → {escape(new)}")
    return Markup("<br>".join(lines))


class AuditEventView(KesuModelView):
    column_labels = LABELS
    column_list = ("at", "username", "action", "record_type", "record_id", "changes", "comment", "ip")
    column_default_sort = ("id", True)
    column_sortable_list = ("at", "username", "action", "record_type")
    column_searchable_list = ("username", "record_type", "comment")
    choice_columns = {"action": AUDIT_ACTION}
    column_filters = ("action", "record_type", "record_id", "username", "at")
    column_formatters = {"changes": format_changes}
    column_formatters_detail = {"changes": format_changes}
