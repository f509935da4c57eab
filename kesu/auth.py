"""Login and logout; sessions that end.

A session cookie names the account and its session token (:meth:`User.get_id`). Logging out, a new password, a new
role or department and deactivation replace the token, so every copy of an older cookie gets the login page.
Failed logins are audit events and are throttled (:mod:`kesu.login_throttle`); an unknown account takes as long
to refuse as a wrong password.
"""
from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from forms.login import LoginForm
from kesu.audit import record_event
from kesu.extensions import db, login_manager
from kesu.login_throttle import throttled
from kesu.models import User
from kesu.redirects import safe_return_url
from kesu.sqlite import reading
from kesu.timeutil import utcnow
from kesu.usernames import normalise_username

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """``<id>:<session token>``; an old token (or an old cookie holding only the id) ends the session."""
    record_id, _colon, token = session_id.partition(":")
    if not (record_id.isascii() and record_id.isdigit() and token) or len(record_id) > 18:
        return None
    user = db.session.get(User, int(record_id))
    if user is None or not user.active or not user.holds_session(token):
        return None
    return user


def _safe_next(target: str | None) -> str:
    """Only on-site addresses are followed after login."""
    return safe_return_url(target) or url_for("admin.index")


@lru_cache(maxsize=4)
def _stand_in_hash(method: str) -> str:
    """A hash to check when there is no account to check, so both refusals cost the same."""
    return generate_password_hash("kesu: no such account", method=method)


def _credentials_match(stored_hash: str | None, active: bool, password: str) -> bool:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    matches = check_password_hash(stored_hash or _stand_in_hash(method), password)
    return matches and stored_hash is not None and active


@bp.route("/login", methods=["GET", "POST"])
@throttled
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        username = normalise_username(form.username.data)
        with reading():  # the password check is slow: no write lock held meanwhile
            found = db.session.execute(select(User.id, User.password_hash, User.active)
                                       .where(User.username == username)).first()
            db.session.rollback()
        user_id, stored_hash, active = found if found else (None, None, False)
        if _credentials_match(stored_hash, active, form.password.data):
            user = db.session.get(User, user_id)
            login_user(user)
            user.last_login_at = utcnow()
            record_event(db.session, "login", user, user_id=user.id, username=user.username)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        record_event(db.session, "login_failed", record_type="user", user_id=None, username=username[:50],
                     comment=_("用户名或密码错误"))
        db.session.commit()
        flash(_("用户名或密码错误，或账号已停用。"), "error")
    return render_template("login.html", form=form), (400 if form.errors or request.method == "POST" else 200)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    user = current_user._get_current_object()
    user.end_sessions()
    record_event(db.session, "logout", user)
    db.session.commit()
    logout_user()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("auth.login"))
