"""Failed saves and deletes in the panel: a Chinese message, never the exception's text.

Flask-Admin flashes ``str(exception)`` when a save or delete fails ("Failed to create record. %(error)s"): the
SQL, its parameters, personal data. Here the exception goes to the log with its traceback, and the user reads
what happened and what to do.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, flash
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.babel import ngettext as admin_ngettext
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from kesu.admin.filters_related import is_record_id
from kesu.extensions import db


class FailureMessagesMixin:
    """Mixed into :class:`~kesu.admin.base.KesuModelView` below its own handling of known database errors."""

    def handle_view_exception(self, exc: Exception) -> bool:
        if super().handle_view_exception(exc):  # a validation error (its own message); debug mode re-raises
            return True
        current_app.logger.exception("%s: the change failed", self.endpoint)
        flash(_("操作失败：系统出错，没有做任何修改。请检查填写的内容后重试；如果一直出现，请联系管理员。"), "error")
        return True

    @action("delete", admin_lazy_gettext("Delete"),
            admin_lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids: list[Any]) -> None:
        """Flask-Admin's bulk delete, record by record through ``delete_model`` (which reports its own
        failures). Flask-Admin's own version flashed the exception text when its query failed, and compared
        the ids as text, which PostgreSQL refuses; every kesu table has an integer ``id``."""
        wanted = [int(value) for value in ids if is_record_id(value)]
        try:
            records = self.get_query().filter(self.model.id.in_(wanted)).all()
        except SQLAlchemyError as exc:
            db.session.rollback()
            self.handle_view_exception(exc)
            return
        count = sum(1 for record in records if self.delete_model(record))
        flash(admin_ngettext("Record was successfully deleted.", "%(count)s records were successfully deleted.",
                             count, count=count), "success")
