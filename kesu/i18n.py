"""Language: Simplified Chinese by default, English selectable per session; times in Asia/Shanghai."""
from __future__ import annotations

from flask import Blueprint, current_app, has_request_context, redirect, request, session, url_for

from kesu.redirects import safe_return_url

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


@bp.route("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_return_url(request.referrer) or url_for("admin.index"))
