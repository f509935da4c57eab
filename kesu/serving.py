"""Serving behind a reverse proxy and in several processes: the proxy's headers, a request id on every request
and log line.

``KESU_PROXY_HOPS`` says how many proxies stand in front of the app (0: none, the default). Only then are their
``X-Forwarded-For/-Proto/-Host/-Prefix`` headers believed (Werkzeug's ProxyFix): believing them without a proxy
would let any client choose its own address, and so its own login-throttle counter.

Each request carries an id: the proxy's ``X-Request-ID`` when it sent a sensible one, else a new one. It is sent
back in the response's ``X-Request-ID``, added to every log record of the request (``request_id``), and gunicorn's
access log prints it (see ``gunicorn.conf.py``), so a user's error report, the app's log and the proxy's log meet.
"""
from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, g, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix

REQUEST_ID_HEADER = "X-Request-ID"
#: What a request id from outside may look like: letters, digits and ``-_.:``, at most 100 (it goes into logs).
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")


def request_id() -> str:
    """This request's id ("-" outside a request)."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if SAFE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    return g.request_id


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record, so a format string may name it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def _install_log_filter(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RequestIdFilter())
    app.logger.handlers[:] = [handler]
    kesu_logger = logging.getLogger("kesu")
    if not any(isinstance(f, RequestIdFilter) for h in kesu_logger.handlers for f in h.filters):
        kesu_logger.addHandler(handler)
        kesu_logger.propagate = False


def init_app(app: Flask) -> None:
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    if not app.testing:
        _install_log_filter(app)

    @app.after_request
    def send_request_id(response):
        response.headers[REQUEST_ID_HEADER] = request_id()
        return response
