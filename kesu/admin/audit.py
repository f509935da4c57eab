"""The audit trail, read-only for administrators and auditors."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup, escape

from kesu.admin.base import KesuModelView
from kesu.audit import verify_chain
from kesu.extensions import db
from kesu.choices import AUDIT_ACTION
from kesu.labels import LABELS
from kesu.permissions import PERSONAL_MASKS, personal_value_for


def _shown(field: str, value) -> str:
    """A value of the trail; phone and e-mail fields of any table are personal data."""
    if value is None:
        return "∅"
    return personal_value_for(current_user, field, value) if field in PERSONAL_MASKS else str(value)


def change_lines(changes: dict | None) -> list[str]:
    """``field: old → new`` for each change; phones and e-mails masked for roles that see them masked."""
    return [f"{LABELS.get(field, field)}: {_shown(field, old)} → {_shown(field, new)}"
            for field, (old, new) in (changes or {}).items()]


def format_changes(view, context, model, name) -> Markup:
    return Markup("<br>").join(escape(line) for line in change_lines(model.changes))


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
    column_export_formatters = {"changes": lambda changes: "；".join(change_lines(changes)) or None}

    list_template = "admin/audit_list.html"

    @expose("/verify/", methods=("POST",))
    def verify_view(self):
        """Walk the whole hash chain now and say whether the trail is untouched (or where it is not)."""
        report = verify_chain(db.session)
        flash(report.sentence(), "success" if report.intact else "error")
        return redirect(url_for(".index_view"))
