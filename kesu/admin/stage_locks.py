"""Fields locked by stage in the panel's forms (the rule is :func:`kesu.policy.locked_fields`).

A locked field is left out of the form, so nothing posted can reach it; a group left with no field shows why
(its ``locked_note``). A post that would change a locked field all the same (an old tab, a crafted request) is
refused with a sentence naming the field, and nothing is written; a locked field posted unchanged is no error.
A record locked whole for this user has no edit button, and its edit page leads back to the record.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.fields import InlineModelFormList, get_field_id
from flask_admin.helpers import is_form_submitted
from flask_login import current_user

from kesu import policy
from kesu.policy import Act
from kesu.redirects import safe_return_url
from kesu.timeutil import to_local

#: The form's datetime fields carry minutes: a stored value is compared as the form shows it.
MINUTES = "%Y-%m-%d %H:%M"


def comparable(value: Any) -> Any:
    """A value as a form would post it back unchanged: text without surrounding spaces and with the browser's
    line breaks, blank as None, a time to the minute in Shanghai, a record by its table and id."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip() or None
    if isinstance(value, datetime):
        return to_local(value).strftime(MINUTES)
    if hasattr(value, "__table__"):
        return value.__tablename__, value.id
    return value


def _posted(name: str) -> bool:
    """Whether the post carries the field ``name`` (for inline rows: any of its rows' inputs)."""
    return any(key == name or key.startswith(f"{name}-") or key.startswith(f"del-{name}-") for key in request.form)


def _rows_differ(field: InlineModelFormList, rows: Any) -> bool:
    """Inline rows posted: a new row, a row marked for deletion or a row with another value is a change."""
    stored = {str(row.id): row for row in rows or ()}
    for entry in field.entries:
        row = stored.get(get_field_id(entry))
        if row is None or field.should_delete(entry):
            return True
        if any(comparable(sub.data) != comparable(getattr(row, key)) for key, sub in entry.form._fields.items()
               if key not in (entry._pk, "csrf_token")):
            return True
    return False


def differs(field: Any, record: Any, name: str) -> bool:
    """Whether the posted ``field`` would change ``record``'s ``name`` (a record not saved yet holds nothing)."""
    stored = getattr(record, name, None) if record is not None else None
    if isinstance(field, InlineModelFormList):
        return _rows_differ(field, stored)
    return comparable(field.data) != comparable(stored)


class StageLocksMixin:
    """Mixed into :class:`~kesu.admin.base.KesuModelView`."""

    def locked_fields(self, record: Any) -> tuple[str, ...]:
        """Form fields ``current_user`` may not change on ``record`` (None when creating)."""
        return policy.locked_fields(current_user, self.model if record is None else record)

    def edit_refusal(self, record: Any) -> str | None:
        """Why ``current_user`` may not edit ``record`` now (none of it), or None."""
        return policy.refusal(current_user, Act.EDIT, record)

    def _locked_change(self, form, record: Any) -> str | None:
        """The sentence refusing the first locked field the post would change, or None."""
        if not is_form_submitted():
            return None
        for name in self.locked_fields(record):
            if name in form and hasattr(self.model, name) and _posted(name) and differs(form[name], record, name):
                return policy.field_refusal(current_user, self.model if record is None else record, name)
        return None

    def _without_locked(self, form, record: Any):
        form.kesu_locked_change = self._locked_change(form, record)
        for name in self.locked_fields(record):
            if name in form:
                del form[name]
        return form

    def create_form(self, obj=None):
        return self._without_locked(super().create_form(obj), None)

    def edit_form(self, obj=None):
        return self._without_locked(super().edit_form(obj), obj)

    def validate_form(self, form) -> bool:
        refused = getattr(form, "kesu_locked_change", None)
        if refused:
            flash(refused, "error")
            return False
        return super().validate_form(form)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        """A record locked whole leads back to its page, saying why (or which posted field it refused)."""
        if request.args.get("id") is not None:
            record = self.get_one(request.args.get("id"))
            refused = self.edit_refusal(record)
            if refused:
                flash(self.edit_form(record).kesu_locked_change or refused, "error")
                return redirect(url_for(".details_view", id=record.id, url=safe_return_url(request.args.get("url"))))
        return super().edit_view()
