"""The audit trail, read-only for administrators and auditors."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from kesu import readable
from kesu.admin.base import KesuModelView
from kesu.audit_verification import ChainStatus, chain_status, verify_and_record
from kesu.choices import AUDIT_ACTION, RECORD_TYPE
from kesu.extensions import db
from kesu.labels import LABELS
from kesu.readable import request_names, want_all

#: What an event that is not a row change (an export, a chain verification) records, by label.
EVENT_DETAILS = {
    "list": _l("列表"), "filters": _l("筛选条件"), "search": _l("搜索"), "sort": _l("排序"), "format": _l("格式"),
    "rows": _l("行数"), "checked": _l("已核验事件"), "intact": _l("哈希链完整"), "broken_id": _l("断开于事件"),
    "last_id": _l("核验至事件"), "last_hash": _l("末条哈希"), "export_event": _l("导出事件"),
    "complete": _l("完整导出"),
}


def _is_event_detail(changes: dict) -> bool:
    """An export's or a verification's record (which always names the format or the events checked), not the
    change of a row whose columns happen to share a name (a saved filter's ``filters`` and ``search``)."""
    return changes.keys() <= EVENT_DETAILS.keys() and bool({"format", "checked"} & changes.keys())


def change_lines(changes: dict | None, record_type: str | None = None, action: str = "update") -> list[str]:
    """An event's changes as the record page's timeline writes them (:func:`kesu.readable.change_lines`: labels,
    names, Chinese words, Shanghai times, ¥ amounts, masked phones and e-mails); an export's or a verification's
    details read ``label：value``."""
    changes = changes or {}
    if _is_event_detail(changes):
        return [readable.fact_line(EVENT_DETAILS[key], new) for key, (_old, new) in changes.items()
                if new not in (None, "", [])]
    return readable.change_lines(record_type, changes, current_user, request_names(), action)


def format_comment(view, context, model, name) -> str:
    """A view of personal data names the fields viewed by their labels; other comments are words already."""
    if model.action == "view_personal_info" and model.record_type != "generated_document":
        return _("查看了%(what)s", what=readable.viewed_fields(model.comment))
    return model.comment or ""


def format_changes(view, context, model, name) -> Markup:
    lines = change_lines(model.changes, model.record_type, model.action)
    return Markup("<br>").join(escape(line) for line in lines)


class AuditEventView(KesuModelView):
    column_labels = LABELS
    column_list = ("at", "username", "action", "record_type", "record_id", "changes", "comment", "ip")
    column_default_sort = ("id", True)
    column_sortable_list = ("at", "username", "action", "record_type")
    column_searchable_list = ("username", "record_type", "comment")
    choice_columns = {"action": AUDIT_ACTION, "record_type": RECORD_TYPE}
    column_filters = ("action", "record_type", "record_id", "username", "at")
    column_formatters = {"changes": format_changes, "comment": format_comment}
    column_formatters_detail = {"changes": format_changes, "comment": format_comment}
    column_export_formatters = {"changes": lambda changes: "；".join(change_lines(changes)) or None}

    list_template = "admin/audit_list.html"

    def render(self, template: str, **kwargs):
        """The names a list page's changes refer to are loaded at once, not row by row."""
        if template == self.list_template and kwargs.get("data"):
            want_all(request_names(), kwargs["data"])
        return super().render(template, **kwargs)

    def chain_status(self) -> ChainStatus:
        return chain_status(db.session)

    @expose("/verify/", methods=("POST",))
    def verify_view(self):
        """Walk the whole hash chain now and say whether the trail is untouched (or where it is not)."""
        report = verify_and_record(db.session)
        db.session.commit()
        flash(report.sentence(), "success" if report.intact else "error")
        return redirect(url_for(".index_view"))
