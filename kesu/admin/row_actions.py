"""The icons at the start of each list row — open, edit, delete — drawn in Python.

Flask-Admin draws them with a Jinja macro per icon per row, which is most of a list page's time after the query;
here each row costs a string format, with what every row shares (addresses, the return address, the CSRF token,
the titles) made and escaped once a page, and the markup written with f-strings: ``Markup.format`` escapes
through ``string.Formatter``, several times slower. The markup is Flask-Admin 2.2's, with two changes: the delete
button asks for confirmation through ``data-kesu-confirm`` (kesu/static/kesu/admin.js; the CSP refuses an inline
``onclick``), and the open and edit links are marked ``data-kesu-open`` (Enter on a list row follows the row's
first, kesu/static/kesu/shortcuts.js). The edit icon shows only on rows this user may edit now.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import request
from flask_admin.babel import gettext as admin_gettext
from flask_admin.model.template import BaseListRowAction
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape


def page_shared(context) -> dict[str, Any]:
    """What every row of this list page shares, made at the first row, escaped for HTML (the document menu keeps
    its forms here too). Kept in the request's environ: ``g`` outlives a request where an application context
    was pushed before it (tests, jobs)."""
    view = context.resolve("admin_view")
    key = f"kesu.row_actions.{view.endpoint}"
    if key not in request.environ:
        return_url = context.resolve("return_url")
        request.environ[key] = {
            "view": view, "return_url": escape(return_url), "csrf": escape(generate_csrf()),
            "back": escape(urlencode({"url": return_url})), "details": escape(view.get_url(".details_view")),
            "edit": escape(view.get_url(".edit_view")), "delete": escape(view.get_url(".delete_view")),
        }
    return request.environ[key]


def row_key(row_id: Any) -> Markup:
    """A row id as it stands in an address: percent-encoded, then escaped for HTML."""
    return escape(quote(str(row_id), safe=""))


class _IconLink(BaseListRowAction):
    """A link icon to one of the record's pages (``TARGET``: a key of :func:`page_shared`)."""

    TARGET = ICON = TITLE = ""

    def __init__(self) -> None:
        super().__init__(title=escape(admin_gettext(self.TITLE)))

    def shown(self, view: Any, row: Any) -> bool:
        return True

    def render(self, context, row_id: str, row: Any):
        page = page_shared(context)
        if not self.shown(page["view"], row):
            return ""
        return Markup(f'<a class="icon" href="{page[self.TARGET]}?id={row_key(row_id)}&amp;{page["back"]}" '
                      f'title="{self.title}" aria-label="{self.title}" data-kesu-open>'
                      f'<span class="{self.ICON}" aria-hidden="true"></span></a>')


class OpenRowAction(_IconLink):
    TARGET, ICON, TITLE = "details", "fa fa-eye glyphicon glyphicon-eye-open", "View Record"


class EditIfAllowedRowAction(_IconLink):
    """The edit icon, only on the rows this user may edit now (:meth:`StageLocksMixin.edit_refusal`)."""

    TARGET, ICON, TITLE = "edit", "fa fa-pencil glyphicon glyphicon-pencil", "Edit Record"

    def shown(self, view: Any, row: Any) -> bool:
        return view.edit_refusal(row) is None


class DeleteRowAction(BaseListRowAction):
    def __init__(self) -> None:
        super().__init__(title=escape(admin_gettext("Delete Record")))
        self.question = escape(admin_gettext("Are you sure you want to delete this record?"))

    def render(self, context, row_id: str, row: Any):
        page = page_shared(context)
        return Markup(
            f'<form class="icon" method="POST" action="{page["delete"]}"><input id="id" name="id" type="hidden" '
            f'value="{escape(row_id)}"><input id="url" name="url" type="hidden" value="{page["return_url"]}">'
            f'<input type="hidden" name="csrf_token" value="{page["csrf"]}"><button data-kesu-confirm='
            f'"{self.question}" title="{self.title}"><span class="fa fa-trash glyphicon glyphicon-trash"></span>'
            f'</button></form>')


def row_actions(view: Any) -> list[BaseListRowAction]:
    """A list's row icons: open, edit and delete as the view allows, then the view's own."""
    actions: list[BaseListRowAction] = []
    if view.can_view_details:
        actions.append(OpenRowAction())
    if view.can_edit:
        actions.append(EditIfAllowedRowAction())
    if view.can_delete:
        actions.append(DeleteRowAction())
    return actions + list(view.column_extra_row_actions or [])
