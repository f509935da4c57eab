"""Panel speed at scale: kesu's case list and edit form beside a bare Flask-Admin ModelView, same tables, same run;
and the 待办 inbox (the home page) of a clerk, an approver and a handler, which have no bare counterpart.

    .venv/bin/python bench/panel.py [--cases 100000] [--repeat 25] [--postgres URL] [--pg-cases 1000000]

Builds (once) a SQLite database of demo data under bench/out/, then times, through the WSGI test client:
the first page of the case list, a filtered page, a search, page 2,000 and the case edit form. The bare view is
``ModelView(Case, db)`` with the same columns, page size, search and filters, no login, no scope, no
formatting — what Flask-Admin costs by itself. Prints medians in milliseconds and ours ÷ bare.

Then the same on PostgreSQL with ``--pg-cases`` cases (a million by default), in the database ``--postgres``
names or, when only ``KESU_TEST_DATABASE_URL`` is set, in a database ``kesu_bench`` beside the suite's own on
that server (created once; the suite's database is emptied by every run). ``--pg-cases 0`` skips it.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_admin import Admin  # noqa: E402
from flask_babel import Babel  # noqa: E402
from flask_admin.contrib.sqla import ModelView  # noqa: E402
from flask_admin.contrib.sqla.filters import FilterEqual  # noqa: E402
from flask_admin.theme import Bootstrap4Theme  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from flask_sqlalchemy import SQLAlchemy  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from kesu import create_app  # noqa: E402
from kesu.models import Base, Case  # noqa: E402

TARGETS_MS = {"list": 150, "filtered": 150, "search": 150, "page 2,000": 150, "edit form": 200, "inbox": 100}
#: Whose inbox is timed: (username, role, department, approval limit). The clerk's holds most of the records;
#: the approver's is the demo's lowest approval level; the handler's is one department's.
INBOX_USERS = (("bench-clerk", "clerk", "客户服务部", 0), ("bench-approver", "approver", "客户服务部", 20000),
               ("bench-handler", "handler", "质量管理部", 0))


def database_url(target: Path | str) -> str:
    """A SQLite file's URL, or the URL given."""
    return f"sqlite:///{target}" if isinstance(target, Path) else target


def build_database(target: Path | str, cases: int) -> None:
    """Migrate and load demo data unless the database (a SQLite file or a URL) already holds that many cases;
    on PostgreSQL, then refresh the planner's statistics (the list's estimated counts read them)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(target), "SECRET_KEY": "bench"})
    from kesu.extensions import db

    with app.app_context():
        upgrade()
        have = db.session.scalar(select(func.count()).select_from(Case))
        db.session.remove()
        if have < cases:
            runner = app.test_cli_runner()
            runner.invoke(args=["kesu", "init"])
            started = time.perf_counter()
            result = runner.invoke(args=["kesu", "demo", "--cases", str(cases - have)])
            print(result.output.strip())
            print(f"demo --cases {cases - have}: {time.perf_counter() - started:.1f} s")
        if db.engine.dialect.name == "postgresql":  # as autovacuum leaves a settled database (quick when it has)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        db.engine.dispose()


def ours(target: Path | str) -> tuple[Flask, dict[str, str]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(target), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    from kesu.extensions import db
    from kesu.models import Department, User

    with app.app_context():
        departments = {d.name: d for d in db.session.scalars(select(Department))}
        for username, role, department, limit in (("bench-admin", "admin", None, 0), *INBOX_USERS):
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None:
                user = User(username=username, role=role, department=departments.get(department),
                            approval_limit=limit, password_hash="")
                db.session.add(user)
            user.set_password("bench-password")
        db.session.commit()
        case_id = db.session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
    return app, {"case_id": str(case_id), "login": "bench-admin"}


def bare(database_url: str) -> Flask:
    """Plain Flask-Admin over the same tables: the reference the targets compare with."""
    app = Flask("bare")
    app.config.update(SQLALCHEMY_DATABASE_URI=database_url, SECRET_KEY="bench")
    bare_db = SQLAlchemy(model_class=Base)
    bare_db.init_app(app)
    Babel(app)

    class BareCaseView(ModelView):
        page_size = 50
        column_list = ("case_no", "received_at", "status", "customer.name", "title", "category.name", "channel",
                       "severity", "department.name", "handler", "next_due_at")
        column_default_sort = ("received_at", True)
        column_searchable_list = ("case_no", "title", "product", "lot_no", "customer.name")
        column_filters = ("status", "channel", "severity")
        column_select_related_list = (Case.customer, Case.category, Case.department, Case.handler)
        form_ajax_refs = {"customer": {"fields": ("name",)}, "handler": {"fields": ("username",)}}
        form_excluded_columns = ("contact_logs", "claims", "attachments", "goods_holds", "version")

    Admin(app, theme=Bootstrap4Theme()).add_view(BareCaseView(Case, bare_db, endpoint="case"))
    return app


def logged_in(app: Flask, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": "bench-password"})
    assert response.status_code == 302, response.status_code
    return client


def median_ms(client, url: str, repeat: int) -> float:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(times)


def bench_postgres_url(args: argparse.Namespace) -> str | None:
    """The PostgreSQL database to measure in: ``--postgres``, or ``kesu_bench`` beside the test suite's."""
    if args.postgres or not os.environ.get("KESU_TEST_DATABASE_URL"):
        return args.postgres
    suite = make_url(os.environ["KESU_TEST_DATABASE_URL"])
    engine = create_engine(suite, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = 'kesu_bench'")):
            connection.exec_driver_sql("CREATE DATABASE kesu_bench")
    engine.dispose()
    return suite.set(database="kesu_bench").render_as_string(hide_password=False)


def measure(target: Path | str, cases: int, repeat: int) -> None:
    build_database(target, cases)
    our_app, info = ours(target)
    bare_app = bare(database_url(target))
    our_client = logged_in(our_app, info["login"])
    bare_client = bare_app.test_client()

    # Flask-Admin numbers filters by position; find each view's "status equals" filter argument.
    status_filter = {}
    for name, app in (("ours", our_app), ("bare", bare_app)):
        with app.test_request_context():
            view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", "") == "case")
            status_filter[name] = next(f"flt0_{arg}" for arg, (_i, flt) in view._filter_args.items()
                                       if flt.column is Case.__table__.c.status and type(flt) is FilterEqual)
    search = "?search=" + "净化器"
    pages = {
        "list": ("/admin/case/", "/admin/case/"),
        "filtered": (f"/admin/case/?{status_filter['ours']}=investigating",
                     f"/admin/case/?{status_filter['bare']}=investigating"),
        "search": ("/admin/case/" + search, "/admin/case/" + search),
        "page 2,000": ("/admin/case/?page=1999", "/admin/case/?page=1999"),
        # The bare edit form lists every customer and user in its selects: seconds at 100,000 cases, minutes at a
        # million, where it is left out.
        "edit form": (f"/admin/case/edit/?id={info['case_id']}",
                      f"/admin/case/edit/?id={info['case_id']}" if cases <= 100_000 else None),
    }
    with our_app.app_context():
        from kesu.extensions import db

        count = db.session.scalar(select(func.count()).select_from(Case))
        engine = db.engine.dialect.name
    print(f"\nkesu panel vs bare Flask-Admin ModelView — {count:,} cases, {engine}, median of {repeat} "
          f"(ms; pid {os.getpid()})")
    print(f"{'page':<16}{'kesu':>10}{'bare':>10}{'ratio':>8}{'target':>10}")
    for name, (our_url, bare_url) in pages.items():
        mine = median_ms(our_client, our_url, repeat)
        theirs = median_ms(bare_client, bare_url, repeat) if bare_url else None
        flag = "ok" if mine < TARGETS_MS[name] and (theirs is None or mine <= 2 * theirs) else "MISS"
        beside = f"{theirs:>10.1f}{mine / theirs:>8.2f}" if theirs else f"{'—':>10}{'—':>8}"
        print(f"{name:<16}{mine:>10.1f}{beside}{'<' + str(TARGETS_MS[name]):>10} {flag}")
    for username, role, _department, _limit in INBOX_USERS:
        client = logged_in(our_app, username)
        mine = median_ms(client, "/admin/", repeat)
        waiting = re.search(r'kesu-inbox-count"[^>]*>(\d+)<', client.get("/admin/").get_data(as_text=True)).group(1)
        flag = "ok" if mine < TARGETS_MS["inbox"] else "MISS"
        print(f"{'inbox ' + role:<16}{mine:>10.1f}{'—':>10}{'—':>8}{'<' + str(TARGETS_MS['inbox']):>10} {flag}"
              f"  ({int(waiting):,} records wait)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "panel.sqlite3")
    parser.add_argument("--postgres", help="a PostgreSQL URL (default: kesu_bench beside KESU_TEST_DATABASE_URL)")
    parser.add_argument("--pg-cases", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.cases:
        args.db.parent.mkdir(parents=True, exist_ok=True)
        measure(args.db, args.cases, args.repeat)
    postgres = bench_postgres_url(args)
    if postgres and args.pg_cases:
        measure(postgres, args.pg_cases, args.repeat)


if __name__ == "__main__":
    main()
