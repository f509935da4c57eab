"""Load: wrk against gunicorn on loopback, kesu beside a bare Flask-Admin ModelView of the cases table.

    .venv/bin/python bench/load.py [--cases 100000] [--seconds 60] [--connections 16] [--postgres URL]

Serves kesu with gunicorn (``--workers``, two by default) over a database of ``--cases`` demo cases (SQLite under
bench/out/, or the PostgreSQL database ``--postgres`` names, loaded once), and the bare view with the same number
of workers over the same database. For each page — the 待办 inbox, the case list, a status-filtered list, a record
page, a workflow action (escalating a case: a write with its audit event) and a small export — runs wrk with
``--connections`` connections for ``--seconds`` seconds and prints requests/s, p50 and p95, the bare view's figures
beside kesu's where it has the page, and any error: a non-2xx/3xx answer, a socket error, or a traceback
("database is locked" included) in either server's log.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.panel import build_database  # noqa: E402
from tests.live_server import LiveClient, free_port  # noqa: E402

PASSWORD = "bench-password-7"
#: The case list with two workers: at least this many requests a second, and within this factor of the bare view.
LIST_TARGET_RPS, LIST_TARGET_RATIO = 200, 1.3


def prepare(url: str, cases: int) -> dict:
    """The database loaded (once), the bench accounts, and the ids and arguments the pages need."""
    from kesu import create_app
    from kesu.audit import acting_as
    from kesu.extensions import db
    from kesu.models import Case, Customer, User

    build_database(url, cases)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        with acting_as(None, "bench"):
            for username, role in (("bench-admin", "admin"), ("bench-clerk", "clerk")):
                user = db.session.scalar(select(User).where(User.username == username))
                if user is None:
                    user = User(username=username, role=role, full_name=username)
                    db.session.add(user)
                user.set_password(PASSWORD)
            db.session.commit()
        open_ids = db.session.scalars(select(Case.id).where(Case.status == "investigating").order_by(Case.id)
                                      .limit(2000)).all()
        customer = db.session.scalar(select(Customer.name).where(Customer.id == db.session.scalar(
            select(Case.customer_id).group_by(Case.customer_id).having(func.count() < 20).limit(1))))
        total = db.session.scalar(select(func.count()).select_from(Case))
        with app.test_request_context():
            views = {v.endpoint: v for v in app.extensions["admin"][0]._views if hasattr(v, "model")}
            status_arg = views["case"].equals_filter_arg("status")
        db.engine.dispose()
    rng = random.Random(7)
    return {"ids": [str(i) for i in rng.sample(list(open_ids), min(500, len(open_ids)))], "customer": customer,
            "status_arg": status_arg, "total": total}


@contextmanager
def gunicorn(target: str, env: dict[str, str], workers: int, log: Path):
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--timeout", "120", target]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if LiveClient(url, timeout=5).get("/admin/").status in (200, 302):
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{target} did not start:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def session_of(url: str, username: str) -> tuple[str, str]:
    """The cookie header and CSRF token of a logged-in browser."""
    client = LiveClient(url)
    reply = client.login(username, PASSWORD)
    assert reply.status == 302, (username, reply.status, reply.text[:300])
    client.get("/admin/case/")
    cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies)
    return cookie, client.csrf_token


def wrk(url: str, path: str, seconds: int, connections: int, cookie: str | None = None, method: str = "GET",
        body: str | None = None, ids: list[str] | None = None) -> dict:
    env = {**os.environ, "WRK_METHOD": method, "WRK_PATH": path, "WRK_IDS": ",".join(ids or [])}
    if body is not None:
        env["WRK_BODY"] = body
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s",
               "-s", str(ROOT / "bench" / "wrk_report.lua")]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    done = subprocess.run([*command, url], env=env, capture_output=True, text=True, check=True)
    match = re.search(r"WRK_REPORT (\{.*\})", done.stdout)
    assert match, done.stdout + done.stderr
    return json.loads(match.group(1))


def failures(report: dict) -> int:
    """Requests not served: socket errors, statuses other than 2xx/3xx, and redirects (every page measured
    answers 200; a redirect means the session was lost or a step refused)."""
    return report["errors"] + report["bad_status"] + report["redirects"]


def tracebacks(log: Path) -> list[str]:
    text = log.read_text(errors="replace")
    return [line for line in text.splitlines() if "Traceback" in line or "database is locked" in line]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", help="a PostgreSQL URL (postgresql+psycopg://…) instead of SQLite")
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "panel.sqlite3")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    url = args.postgres or f"sqlite:///{args.db}"
    args.db.parent.mkdir(parents=True, exist_ok=True)
    facts = prepare(url, args.cases)
    home = Path(tempfile.mkdtemp(prefix="kesu-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KESU_")}
    kesu_env = {**env, "KESU_DATABASE_URL": url, "KESU_SECRET_KEY": "bench", "KESU_FILE_STORE": str(home / "files"),
                "KESU_ACCESS_LOG": "off"}
    bare_env = {**env, "BENCH_DATABASE_URL": url}
    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\nload: {facts['total']:,} cases, {engine}, gunicorn --workers {args.workers}, wrk {args.connections} "
          f"connections × {args.seconds} s per page")
    status = f"{facts['status_arg']}=investigating"
    search = urllib.parse.quote(facts["customer"])
    with gunicorn("app:app", kesu_env, args.workers, home / "kesu.log") as ours, \
            gunicorn("bench.bare_app:app", bare_env, args.workers, home / "bare.log") as bare:
        admin_cookie, _token = session_of(ours, "bench-admin")
        clerk_cookie, clerk_token = session_of(ours, "bench-clerk")
        escalate = urllib.parse.urlencode({"csrf_token": clerk_token, "reason": "负载测试：升级"})
        pages = [
            ("inbox (clerk)", lambda: wrk(ours, "/admin/", args.seconds, args.connections, clerk_cookie), None),
            ("case list", lambda: wrk(ours, "/admin/case/", args.seconds, args.connections, admin_cookie),
             lambda: wrk(bare, "/admin/case/", args.seconds, args.connections)),
            ("filtered list", lambda: wrk(ours, f"/admin/case/?{status}", args.seconds, args.connections,
                                          admin_cookie),
             lambda: wrk(bare, f"/admin/case/?{bare_status_arg(url)}=investigating", args.seconds, args.connections)),
            ("record page", lambda: wrk(ours, "/admin/case/details/?id={id}", args.seconds, args.connections,
                                        admin_cookie, ids=facts["ids"]),
             lambda: wrk(bare, "/admin/case/details/?id={id}", args.seconds, args.connections, ids=facts["ids"])),
            ("workflow action", lambda: wrk(ours, "/admin/case/workflow-bulk/escalate/?ids={id}", args.seconds,
                                            args.connections, clerk_cookie, "POST", escalate, facts["ids"]), None),
            ("small export", lambda: wrk(ours, f"/admin/case/export/csv/?search={search}", args.seconds,
                                         args.connections, admin_cookie), None),
        ]
        print(f"{'page':<17}{'kesu req/s':>11}{'p50 ms':>8}{'p95 ms':>8}{'failed':>8}   "
              f"{'bare req/s':>10}{'p50 ms':>8}{'p95 ms':>8}")
        results = {}
        for name, run_ours, run_bare in pages:
            mine = run_ours()
            theirs = run_bare() if run_bare else None
            results[name] = (mine, theirs)
            line = (f"{name:<17}{mine['rps']:>11.1f}{mine['p50_ms']:>8.1f}{mine['p95_ms']:>8.1f}"
                    f"{failures(mine):>8}   ")
            if theirs:
                line += f"{theirs['rps']:>10.1f}{theirs['p50_ms']:>8.1f}{theirs['p95_ms']:>8.1f}"
            print(line, flush=True)
    problems = tracebacks(home / "kesu.log") + tracebacks(home / "bare.log")
    mine, theirs = results["case list"]
    ratio = mine["p50_ms"] / theirs["p50_ms"]
    print(f"case list: {mine['rps']:.0f} req/s (target ≥ {LIST_TARGET_RPS}), p50 {ratio:.2f}× the bare view's "
          f"(target ≤ {LIST_TARGET_RATIO})")
    failed = sum(failures(m) for m, _t in results.values())
    print(f"errors: {failed} failed requests, {len(problems)} tracebacks in the servers' logs"
          + ("" if not problems else "\n  " + "\n  ".join(problems[:10])))
    shutil.rmtree(home, ignore_errors=True)


def bare_status_arg(url: str) -> str:
    """The bare view's "status equals" argument (Flask-Admin numbers filters by position)."""
    from flask_admin.contrib.sqla.filters import FilterEqual

    from bench.panel import bare
    from kesu.models import Case

    bare_app = bare(url)
    with bare_app.test_request_context():
        view = next(v for v in bare_app.extensions["admin"][0]._views if getattr(v, "endpoint", "") == "case")
        return next(f"flt0_{arg}" for arg, (_i, flt) in view._filter_args.items()
                    if flt.column is Case.__table__.c.status and type(flt) is FilterEqual)


if __name__ == "__main__":
    main()
