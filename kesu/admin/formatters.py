"""How values look in lists and detail pages."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_admin.model import typefmt
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from kesu.choices import Choices
from kesu.permissions import personal_value_for
from kesu.sla import deadline_state
from kesu.timeutil import format_local


#: A list shows a longer text on one line, shortened, with the whole text in its title (the record page shows it
#: whole); numbers, times and amounts stay whole (kesu.css keeps them on one line).
CLIP_AFTER = 8
WHOLE_COLUMN_ENDINGS = ("_no", "_at", "_due", "amount")


def list_cell(value: object, column: str) -> Markup:
    """A list cell's content (the template's ``list_cell`` filter). In Python, not in the template: a list
    page has five hundred cells."""
    shown = escape(value)
    if column.endswith(WHOLE_COLUMN_ENDINGS):
        return shown
    text = shown.striptags() if isinstance(value, Markup) else str(value)
    if len(text) <= CLIP_AFTER:
        return shown
    return Markup(f'<span class="kesu-clip" title="{escape(text)}">{shown}</span>')


def money(value: Decimal | None) -> str:
    return f"¥{value:,.2f}" if value is not None else ""


def _bool(view, value, name=None) -> str:
    return _("是") if value else _("否")


TYPE_FORMATTERS = dict(typefmt.BASE_FORMATTERS)
TYPE_FORMATTERS.update({
    datetime: lambda view, value, name=None: format_local(value),
    date: lambda view, value, name=None: value.isoformat(),
    Decimal: lambda view, value, name=None: f"{value:,.2f}",
    bool: _bool,
})
DETAIL_TYPE_FORMATTERS = dict(TYPE_FORMATTERS)


def choice(choices: Choices, attribute: str):
    """Show a stored key by its label (for keys reached through a relation, e.g. ``customer.tier``)."""
    def format_(view, context, model, name):
        target = model
        for part in attribute.split("."):
            target = getattr(target, part, None) if target is not None else None
        return choices.label(target)
    return format_


def masked(kind: str, attribute: str | None = None):
    """Phone or e-mail, masked for every role but admin and clerk (个人信息保护法)."""
    def format_(view, context, model, name):
        target = model
        for part in (attribute or name).split("."):
            target = getattr(target, part, None) if target is not None else None
        return personal_value_for(current_user, kind, target)
    return format_


def money_column(view, context, model, name) -> str:
    return money(getattr(model, name))


def link_to(endpoint_attr: str, label_attr: str, endpoint: str):
    """A link to the related record's detail page, e.g. the case from a contact-log row."""
    from flask import url_for

    def format_(view, context, model, name):
        related = getattr(model, endpoint_attr)
        if related is None:
            return ""
        url = url_for(f"{endpoint}.details_view", id=related.id)
        return Markup(f'<a href="{escape(url)}">{escape(getattr(related, label_attr))}</a>')
    return format_


def due_column(view, context, model, name) -> str:
    """A deadline, marked overdue or due soon (:data:`kesu.sla.DUE_SOON`); the list colours the row from the mark."""
    due = getattr(model, name)
    state = deadline_state(due)
    if state == "overdue":
        return Markup('<span class="kesu-overdue" title="{}">{}</span>').format(_("已超时"), format_local(due))
    if state == "due_soon":
        return Markup('<span class="kesu-due-soon" title="{}">{}</span>').format(_("24 小时内到期"), format_local(due))
    return format_local(due)
