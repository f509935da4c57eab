"""``/healthz``: whether this instance can serve — its database, its Redis (when one is configured) and its file
store answer. A load balancer takes an instance out of rotation on anything but 200.

The answer is JSON naming each part ``ok`` or what failed, and never the address or password of a service. It needs
no login, writes nothing (no audit event, no session cookie) and is not rate limited.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Flask, current_app, jsonify, session
from sqlalchemy import text

from kesu.extensions import csrf, db
from kesu.file_store import file_store

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


def check_database() -> None:
    db.session.execute(text("SELECT 1"))
    db.session.rollback()


def check_redis() -> None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def check_file_store() -> None:
    file_store().check()


#: The parts an instance needs, each checked on its own: one failing does not hide another's state.
CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "file_store": check_file_store,
}


@bp.route("/healthz")
def healthz():
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # a health check reports every failure instead of raising it
            log.warning("health check %s failed: %s", name, type(exc).__name__)
            results[name] = f"error: {type(exc).__name__}"
        else:
            results[name] = "ok"
    healthy = all(value == "ok" for value in results.values())
    session.modified = False
    response = jsonify(status="ok" if healthy else "error", checks=results)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
