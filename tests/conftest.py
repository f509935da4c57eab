"""Fixtures: an app on a fresh migrated database per test, and a logged-in client per role.

The migrations run once per session into a template; each test then starts from a copy of it
(SQLite) or from emptied tables with the reference data copied back (PostgreSQL, when
``KESU_TEST_DATABASE_URL`` is set).
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from kesu import create_app
from kesu.audit import acting_as
from kesu.extensions import db, limiter
from kesu.seed import load_defaults

#: The local S3 API (moto) for the object-store tests: fixtures s3_endpoint and s3_config.
pytest_plugins = ["tests.s3_server"]

PG_URL = os.environ.get("KESU_TEST_DATABASE_URL")
PASSWORD = "correct-horse-42"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def pytest_collection_modifyitems(config, items) -> None:
    """The PostgreSQL run repeats what can behave differently on another database; tests marked
    ``engine_independent`` (real-browser pages, response headers, translations) run once, in the SQLite run."""
    if not PG_URL:
        return
    once = pytest.mark.skip(reason="engine-independent: runs in the SQLite run only")
    for item in items:
        if item.get_closest_marker("engine_independent"):
            item.add_marker(once)


def _config(url: str, tmp_path: Path) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "FILE_STORE": str(tmp_path / "files"),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # scrypt's deliberate slowness, 8 users a test, adds minutes
    }


SEED_SCHEMA = "kesu_seed"


def _reset_postgres(url: str) -> None:
    """Migrate an empty schema, load the reference data once, and keep a copy of every table in
    ``kesu_seed`` for :func:`_restore_postgres` to copy back before each test."""
    app = create_app(_config(url, Path("/tmp")))
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SEED_SCHEMA} CASCADE"))
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        with acting_as(None, "test setup"):
            load_defaults(db.session)
            db.session.commit()
        with db.engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {SEED_SCHEMA}"))
            for table in db.metadata.sorted_tables:
                conn.execute(text(f'CREATE TABLE {SEED_SCHEMA}."{table.name}" AS SELECT * FROM public."{table.name}"'))
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> str:
    if PG_URL:
        _reset_postgres(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    app = create_app(_config(f"sqlite:///{path}", path.parent))
    with app.app_context():
        upgrade()
        with acting_as(None, "test setup"):  # every copy starts with the reference data (holiday calendar…)
            load_defaults(db.session)
            db.session.commit()
        db.engine.dispose()
    return str(path)


def _restore_postgres(app) -> None:
    """Empty every table and copy the reference data back, in one round trip. DELETE with triggers off
    (``session_replication_role = replica``: the audit trail's append-only triggers and the foreign keys)
    takes a few milliseconds where TRUNCATE of every table takes a third of a second."""
    tables = list(db.metadata.sorted_tables)
    statements = ["SET LOCAL session_replication_role = replica"]
    statements += [f'DELETE FROM public."{table.name}"' for table in tables]
    for table in tables:
        statements.append(f'INSERT INTO public."{table.name}" SELECT * FROM {SEED_SCHEMA}."{table.name}"')
        if "id" in table.c and table.c.id.primary_key:
            statements.append(f"SELECT setval(pg_get_serial_sequence('public.\"{table.name}\"', 'id'), "
                              f'COALESCE((SELECT MAX(id) FROM public."{table.name}"), 0) + 1, false)')
    with app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql(";\n".join(statements))


class KesuClient(FlaskClient):
    """A test client that logs in through the form and sends the CSRF token with every form post."""

    csrf_token: str | None = None

    def fetch_csrf(self, url: str = "/login") -> str:
        page = self.get(url).get_data(as_text=True)
        match = CSRF_INPUT.search(page)
        assert match, f"no csrf token on {url}"
        self.csrf_token = match.group(1)
        return self.csrf_token

    def login(self, username: str, password: str = PASSWORD):
        token = self.fetch_csrf("/login")
        return self.post("/login", data={"username": username, "password": password, "csrf_token": token})

    def post_form(self, url: str, data: dict, **kwargs):
        data = dict(data)
        data.setdefault("csrf_token", self.csrf_token or self.fetch_csrf())
        return self.post(url, data=data, **kwargs)


@pytest.fixture(scope="session")
def _shared_app(database_template, tmp_path_factory):
    """One application for the whole run: building one (250 URL rules, 19 admin views) costs 0.2 s, a
    minute and a half over the suite. Each test still gets a fresh database and file store (see ``app``)."""
    home = tmp_path_factory.mktemp("app")
    url = PG_URL or f"sqlite:///{home / 'kesu.sqlite3'}"
    application = create_app(_config(url, home))
    application.test_client_class = KesuClient
    return application, home / "kesu.sqlite3"


def _fresh_sqlite(template: str, target: Path) -> None:
    """The template copied over the shared file, its write-ahead log and index gone with the old one."""
    for leftover in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copy(template, target)


@pytest.fixture
def app(_shared_app, database_template, tmp_path):
    application, sqlite_file = _shared_app
    config = dict(application.config)
    application.config["FILE_STORE"] = str(tmp_path / "files")
    if PG_URL:
        _restore_postgres(application)
    else:
        _fresh_sqlite(database_template, sqlite_file)
    limiter.reset()  # failed logins of one test do not lock the next one out
    yield application
    for engine in application.extensions.pop("kesu_job_engines", {}).values():
        if hasattr(engine, "executor"):  # jobs started in this process end before the next test's database
            engine.executor.shutdown(wait=True)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    application.config.clear()
    application.config.update(config)


@pytest.fixture
def ctx(app):
    """An application context for tests that work on models directly."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app) -> KesuClient:
    return app.test_client()


@pytest.fixture
def staff(app):
    """One account per role (two handlers in different departments), keyed by a short name."""
    from tests.factories import make_staff

    with app.app_context():
        return make_staff()


@pytest.fixture
def login_as(app, staff):
    """``login_as("clerk")`` → a client logged in as that staff member."""
    def _login(name: str) -> KesuClient:
        client = app.test_client()
        response = client.login(staff[name])
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client
    return _login


@pytest.fixture
def people_ctx(ctx, staff):
    """An app context with every staff account plus a legal reviewer (法务部, for countersigns)."""
    from tests.test_workflow import _make_legal_reviewer

    _make_legal_reviewer()
    return ctx


@pytest.fixture
def demo(app):
    """The app with ``kesu demo``'s data (160 cases and what hangs off them, the demo accounts)."""
    from kesu.demo import load_demo

    with app.app_context():
        with acting_as(None, "test setup"):
            load_demo(db.session, cases=160, seed=3, password=PASSWORD)
            db.session.commit()
    return app


@pytest.fixture
def demo_login(demo):
    """``demo_login("shenji")`` → a client logged in as that demo account."""
    def _login(username: str) -> KesuClient:
        client = demo.test_client()
        assert client.login(username).status_code == 302
        return client
    return _login
