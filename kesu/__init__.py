"""kesu — complaint, claim and accountability handling (客诉·索赔·责任追究)."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, redirect, url_for
from flask_babel import lazy_gettext as _l

from kesu import serving, web_security
from kesu.config import default_database_uri, defaults, env_overrides, secret_key_for

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(defaults())
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(env_overrides())
    if test_config:
        app.config.update(test_config)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", default_database_uri(app.instance_path))
    app.config.setdefault("FILE_STORE", os.path.join(app.instance_path, "files"))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PACKAGE_DIR / "translations")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key_for(app.instance_path)

    serving.init_app(app)
    web_security.init_app(app)
    _init_extensions(app)
    _register_blueprints(app)

    from kesu import errors, templating
    from kesu.admin import init_admin
    from kesu.cli import kesu_cli

    init_admin(app)
    templating.register(app)
    errors.register(app)
    app.cli.add_command(kesu_cli)

    @app.route("/")
    def root():
        return redirect(url_for("admin.index"))

    return app


def _init_extensions(app: Flask) -> None:
    from kesu import audit, file_store, login_throttle, numbering, sla  # noqa: F401  (numbering: mapper events)
    from kesu.extensions import babel, csrf, db, login_manager, migrate
    from kesu.i18n import select_locale, select_timezone
    from kesu.postgresql import engine_options
    from kesu.sqlite import configure_sqlite_engine

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"],
                                                             app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    db.init_app(app)
    with app.app_context():
        configure_sqlite_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    audit.install(db.session.session_factory.class_)
    sla.install(db.session.session_factory.class_)
    file_store.install(db.session.session_factory.class_)
    migrate.init_app(app, db, directory=str(PROJECT_DIR / "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_throttle.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录。")


def _register_blueprints(app: Flask) -> None:
    from kesu import auth, health, i18n

    health.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(i18n.bp)
