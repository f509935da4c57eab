"""Login and logout; failed logins are audit events too."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from forms.login import LoginForm
from kesu.audit import record_event
from kesu.extensions import db, login_manager
from kesu.models import User
from kesu.redirects import safe_return_url
from kesu.timeutil import utcnow

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def _safe_next(target: str | None) -> str:
    """Only on-site addresses are followed after login."""
    return safe_return_url(target) or url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None and user.active and user.check_password(form.password.data):
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
    record_event(db.session, "logout", current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("auth.login"))
