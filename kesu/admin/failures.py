"""Failed saves and deletes in the panel: a Chinese message, never the exception's text.

Flask-Admin flashes ``str(exception)`` when a save or delete fails ("Failed to create record. %(error)s"): the
SQL, its parameters, personal data. Here the exception goes to the log with its traceback, and the user reads
what happened and what to do.
"""
from __future__ import annotations

from flask import current_app, flash
from flask_babel import gettext as _


class FailureMessagesMixin:
    """Mixed into :class:`~kesu.admin.base.KesuModelView` below its own handling of known database errors."""

    def handle_view_exception(self, exc: Exception) -> bool:
        if super().handle_view_exception(exc):  # a validation error (its own message); debug mode re-raises
            return True
        current_app.logger.exception("%s: the change failed", self.endpoint)
        flash(_("操作失败：系统出错，没有做任何修改。请检查填写的内容后重试；如果一直出现，请联系管理员。"), "error")
        return True
