"""Login throttling: failed logins are counted per account and per address (Flask-Limiter on the ``limits``
engine); past the limit further attempts are refused until the window ends, and a client that keeps hitting the
limit is locked out for longer (a meta limit, so the wait grows: minutes, then up to an hour). Only failures count,
so a colleague who types the password right is never slowed. Counters live in memory for one process, or in
Redis when ``KESU_REDIS_URL`` is set, shared by every worker and instance. Each refusal is an audit event.
"""
from __future__ import annotations

import math
import time
from datetime import datetime, timezone

from flask import Flask, Response, current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_limiter import MetaLimit, RequestLimit

from kesu.audit import record_event
from kesu.extensions import db, limiter
from kesu.timeutil import format_local
from kesu.usernames import normalise_username

ACCOUNT, ADDRESS = "account", "address"


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)


def attempted_username() -> str:
    return normalise_username(request.form.get("username", ""))[:50]


def _installation() -> str:
    """``RATELIMIT_KEY_PREFIX`` in the key itself: Flask-Limiter leaves it out of its meta limits' keys, so two
    installations sharing one Redis would otherwise share their longer locks."""
    return current_app.config.get("RATELIMIT_KEY_PREFIX") or ""


def _account_key() -> str:
    return f"{_installation()}{ACCOUNT}:{attempted_username()}"


def _address_key() -> str:
    return f"{_installation()}{ADDRESS}:{request.remote_addr or '-'}"


def _failed(response: Response) -> bool:
    """A login that did not succeed: the form came back (400), whatever was wrong with it."""
    return response.status_code == 400


def _refuse(breached: RequestLimit) -> Response:
    """The login page with the lock's end, status 429; the refusal goes on the audit trail. Flask-Limiter stops at
    the first limit breached, so a request is refused once even when both are reached."""
    from forms.login import LoginForm

    until = max(breached.reset_at, int(time.time()) + 1)
    minutes = max(1, math.ceil((until - time.time()) / 60))
    kind = ACCOUNT if f"{ACCOUNT}:" in breached.key else ADDRESS
    who = attempted_username() if kind == ACCOUNT else (request.remote_addr or "-")
    until_local = format_local(datetime.fromtimestamp(until, tz=timezone.utc), "%H:%M")
    record_event(db.session, "login_locked", record_type="user", user_id=None, username=attempted_username() or "-",
                 comment=f"{'账号' if kind == ACCOUNT else '地址'} {who} 登录失败次数过多，锁定至 {until_local}")
    db.session.commit()
    flash(_("登录失败次数过多，已暂时锁定，请 %(minutes)s 分钟后再试。", minutes=minutes), "error")
    return Response(render_template("login.html", form=LoginForm()), status=429)


def _limit(config_key: str, key_function) -> dict:
    return {
        "key_func": key_function,
        "methods": ["POST"],
        "deduct_when": _failed,
        "on_breach": _refuse,
        "meta_limits": [MetaLimit(lambda: current_app.config["LOGIN_LOCK_AFTER"], key_function=key_function)],
        "limit_value": lambda: current_app.config[config_key],
    }


def throttled(view):
    """The login view, limited per account and per address."""
    per_account = _limit("LOGIN_LIMIT_PER_ACCOUNT", _account_key)
    per_address = _limit("LOGIN_LIMIT_PER_ADDRESS", _address_key)
    return limiter.limit(**per_account)(limiter.limit(**per_address)(view))
