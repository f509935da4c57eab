"""Configuration: defaults here, then ``instance/config.py``, then ``KESU_*`` environment variables."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ENV_PREFIX = "KESU_"


class Defaults:
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_Hans_CN": "简体中文", "en": "English"}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Served over HTTPS (directly, or behind a proxy that sets X-Forwarded-Proto): http is redirected to https,
    # HSTS is sent and the session and remember-me cookies are Secure. Off by default: tests and a plain-http
    # intranet set-up keep working. SESSION_COOKIE_SECURE alone makes only the cookies Secure.
    FORCE_HTTPS = False
    SESSION_COOKIE_SECURE = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    FLASK_ADMIN_SWATCH = "cerulean"
    FLASK_ADMIN_FLUID_LAYOUT = True
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
    # Uploaded Word templates: file size, and what the zip may unpack to (a zip bomb is refused).
    TEMPLATE_MAX_BYTES = 5 * 1024 * 1024
    TEMPLATE_MAX_UNCOMPRESSED = 50 * 1024 * 1024
    TEMPLATE_MAX_RATIO = 100
    TEMPLATE_MAX_MEMBERS = 500
    # LibreOffice for PDF copies of documents: a path, or None to look for ``soffice`` on PATH.
    SOFFICE = None
    PDF_TIMEOUT_SECONDS = 120
    SQLITE_BUSY_TIMEOUT_MS = 10_000
    PASSWORD_HASH_METHOD = "scrypt"


def env_overrides() -> dict[str, str]:
    """``KESU_DATABASE_URL`` → ``SQLALCHEMY_DATABASE_URI``; any other ``KESU_X`` → ``X``."""
    values: dict[str, str] = {}
    for name, value in os.environ.items():
        if not name.startswith(ENV_PREFIX) or name.startswith("KESU_TEST_"):
            continue
        key = name[len(ENV_PREFIX):]
        values["SQLALCHEMY_DATABASE_URI" if key == "DATABASE_URL" else key] = value
    return values


def secret_key_for(instance_path: str) -> str:
    """The secret from ``KESU_SECRET_KEY``, or one generated once and kept in ``instance/secret_key``."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def default_database_uri(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "kesu.sqlite3")
