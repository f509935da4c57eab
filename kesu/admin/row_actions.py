"""The icons at the start of each list row — open, edit, delete — drawn in Python.

Flask-Admin draws them with a Jinja macro per icon per row, which is most of a list page's time after the query;
here each row costs a string format, with what every row shares (addresses, the return address, the CSRF token,
the titles) made once a page. The markup is Flask-Admin 2.2's, with two changes: the delete button asks for
confirmation through ``data-kesu-confirm`` (kesu/static/kesu/admin.js; the CSP refuses an inline ``onclick``),
and the open and edit links are marked ``data-kesu-open`` (Enter on a list row follows the row's first,
kesu/static/kesu/shortcuts.js). The edit icon shows only on rows this user may edit now.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import g
from flask_admin.babel import gettext as admin_gettext
from flask_admin.model.template import BaseListRowAction
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

LINK = Markup('<a class="icon" href="{}" title="{}" aria-label="{}" data-kesu-open>'
              '<span class="{}" aria-hidden="true"></span></a>')
DELETE = Markup('<form class="icon" method="POST" action="{}"><input id="id" name="id" type="hidden" value="{}">'
                '<input id="url" name="url" type="hidden" value="{}">'
                '<input type="hidden" name="csrf_token" value="{}">'
                '<button data-kesu-confirm="{}" title="{}"><span class="fa fa-trash glyphicon glyphicon-trash">'
                '</span></button></form>')


def _page(context) -> dict[str, Any]:
    """What every row of this list page shares, made at the first row."""
    if "kesu_row_actions" not in g:
        view = context.resolve("admin_view")
        g.kesu_row_actions = {
            "view": view, "return_url": context.resolve("return_url"), "csrf": generate_csrf(),
            "details": view.get_url(".details_view"), "edit": view.get_url(".edit_view"),
            "delete": view.get_url(".delete_view"),
        }
    return g.kesu_row_actions


class OpenRowAction(BaseListRowAction):
    ICON = "fa fa-eye glyphicon glyphicon-eye-open"

    def __init__(self) -> None:
        super().__init__(title=admin_gettext("View Record"))

    def render(self, context, row_id: str, row: Any):
        page = _page(context)
        url = page["details"] + "?" + urlencode({"id": row_id, "url": page["return_url"]})
        return LINK.format(url, self.title, self.title, self.ICON)


class EditIfAllowedRowAction(BaseListRowAction):
    """The edit icon, only on the rows this user may edit now (:meth:`StageLocksMixin.edit_refusal`)."""

    ICON = "fa fa-pencil glyphicon glyphicon-pencil"

    def __init__(self) -> None:
        super().__init__(title=admin_gettext("Edit Record"))

    def render(self, context, row_id: str, row: Any):
        page = _page(context)
        if page["view"].edit_refusal(row) is not None:
            return ""
        url = page["edit"] + "?" + urlencode({"id": row_id, "url": page["return_url"]})
        return LINK.format(url, self.title, self.title, self.ICON)


class DeleteRowAction(BaseListRowAction):
    def __init__(self) -> None:
        super().__init__(title=admin_gettext("Delete Record"))
        self.question = admin_gettext("Are you sure you want to delete this record?")

    def render(self, context, row_id: str, row: Any):
        page = _page(context)
        return DELETE.format(page["delete"], row_id, page["return_url"], page["csrf"], self.question, self.title)


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
