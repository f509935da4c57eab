"""Pages of the panel that are not a table: open to every signed-in user, the login page for anyone else."""
from __future__ import annotations

from flask import redirect, request, url_for
from flask_login import current_user


class SignedInPage:
    """Mixed into a Flask-Admin view (the home page, the search results, the own-password page)."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path))


class HiddenSignedInPage(SignedInPage):
    """A page reached from the top bar, not from a menu entry."""

    def is_visible(self) -> bool:
        return False
