"""Security headers on every response (pages, redirects, errors, static files, downloads) through Flask-Talisman.

Scripts run only from this site or with the request's nonce, so an injected ``<script>`` or ``onclick`` does not
run; Flask-Admin's own inline handlers are replaced by ``kesu/static/kesu/admin.js`` and data attributes in
``kesu/templates/admin``, but for one harmless handler allowed by its hash. Styles may stay inline: Flask-Admin, select2 and the date picker write style attributes.
HTTPS (redirect, HSTS, Secure cookies) only when ``FORCE_HTTPS`` is on, so a plain-http set-up keeps working;
``SESSION_COOKIE_SECURE`` alone makes the session and remember-me cookies Secure.
"""
from __future__ import annotations

import base64
import hashlib

from flask import Flask, request
from flask_talisman import Talisman

#: Inline handlers Flask-Admin's list template still carries that only stop a placeholder link (its filter menu).
#: ``'unsafe-hashes'`` allows exactly these attribute texts; Chrome refuses any other as the page is parsed.
ALLOWED_INLINE_HANDLERS = ("return false;",)


def _source_hash(source: str) -> str:
    return "'sha256-{}'".format(base64.b64encode(hashlib.sha256(source.encode()).digest()).decode())


CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": " ".join(("'self'", "'unsafe-hashes'", *map(_source_hash, ALLOWED_INLINE_HANDLERS))),
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

def csp_nonce() -> str:
    """This request's script nonce (made by Talisman before the view runs), for Flask-Admin's script tags."""
    return getattr(request, "csp_nonce", "")


def init_app(app: Flask) -> None:
    """Register before the other extensions, so the nonce exists even when their checks (CSRF, upload size)
    refuse the request and an error page is rendered."""
    https = bool(app.config["FORCE_HTTPS"])
    secure_cookies = https or bool(app.config["SESSION_COOKIE_SECURE"])
    app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = secure_cookies
    Talisman(
        app,
        force_https=https,
        strict_transport_security=https,
        session_cookie_secure=secure_cookies,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",
        referrer_policy="same-origin",
    )
