"""Several people at once against gunicorn with two workers on SQLite: nobody gets a 500 because somebody else writes.

Writers register cases, fail to log in and open pages that show personal data (each such view writes an audit
event); readers page through lists, open records and export. Run for ``KESU_LOAD_SECONDS`` (60 by default).
"""
from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from kesu.audit_verification import verify_chain
from kesu.extensions import db
from kesu.models import AuditEvent, Case, Category, Customer
from kesu.timeutil import format_local, utcnow
from tests.conftest import PASSWORD, PG_URL
from tests.live_server import LiveClient, demo_database, gunicorn, server_environment

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="SQLite's single writer is what this load is about")

SECONDS = float(os.environ.get("KESU_LOAD_SECONDS", "60"))


def _facts(app) -> dict:
    with app.app_context():
        facts = {
            "customers": list(db.session.scalars(select(Customer.id).limit(40))),
            "cases": list(db.session.scalars(select(Case.id).limit(80))),
            "category": db.session.scalar(select(Category.id).limit(1)),
        }
        db.engine.dispose()
    return facts


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.failures: list[str] = []

    def add(self, what: str, status: int, body: str = "") -> None:
        with self.lock:
            self.statuses[status] += 1
            if status >= 500:
                self.failures.append(f"{what} → {status}: {body[:300]}")

    def guard(self, work):
        """A client that dies of an exception (a dropped connection, a time-out) counts as a failure."""
        def run(*args):
            try:
                work(*args)
            except Exception as exc:  # noqa: BLE001 - reported as the test's failure
                with self.lock:
                    self.failures.append(f"{work.__name__}: {exc!r}")
        return run


def _registering_clerk(url, facts, tally, stop, index):
    client = LiveClient(url)
    client.login("kefu" if index % 2 else "kefu2", PASSWORD)
    rng = random.Random(index)
    while not stop.is_set():
        form = client.get("/admin/case/new/")
        tally.add("case form", form.status, form.text)
        reply = client.post_form("/admin/case/new/", {
            "received_at": format_local(utcnow()), "channel": "phone", "market": "domestic",
            "customer": str(rng.choice(facts["customers"])), "category": str(facts["category"]),
            "severity": "general", "title": f"负载测试 {index}-{rng.random():.6f}",
            "description": "多人同时登记", "department": "__None"})
        tally.add("register case", reply.status, reply.text)


def _failing_login(url, _facts, tally, stop, index):
    """From an address of its own: it is soon throttled (429, each refusal audited), the others are not."""
    client = LiveClient(url, source_address=f"127.0.0.{10 + index}")
    while not stop.is_set():
        reply = client.login(f"nobody{index}", "wrong-password-1")
        tally.add("failed login", reply.status, reply.text)


def _personal_data_viewer(url, facts, tally, stop, index):
    """A clerk opening customers and cases: each view of an unmasked phone is an audit event (a write)."""
    client = LiveClient(url)
    client.login("kefu", PASSWORD)
    rng = random.Random(100 + index)
    while not stop.is_set():
        reply = client.get(f"/admin/customer/details/?id={rng.choice(facts['customers'])}")
        tally.add("customer details", reply.status, reply.text)
        reply = client.get(f"/admin/case/details/?id={rng.choice(facts['cases'])}")
        tally.add("case details", reply.status, reply.text)


def _exporting_auditor(url, _facts, tally, stop, index):
    client = LiveClient(url)
    client.login("shenji", PASSWORD)
    formats = ("csv", "xlsx")
    while not stop.is_set():
        reply = client.get(f"/admin/case/export/{formats[index % 2]}/")
        tally.add("export", reply.status, reply.text)


def _list_reader(url, facts, tally, stop, index):
    client = LiveClient(url)
    client.login(("zhuguan", "shenji", "caiwu")[index % 3], PASSWORD)
    rng = random.Random(200 + index)
    pages = ("/admin/", "/admin/case/", "/admin/claim/", "/admin/case/?search=质量", "/admin/auditevent/")
    while not stop.is_set():
        path = rng.choice(pages)
        if path == "/admin/auditevent/" and index % 3 != 1:
            path = f"/admin/case/details/?id={rng.choice(facts['cases'])}"
        reply = client.get(path)
        tally.add(path, reply.status, reply.text)


WRITERS = [_registering_clerk] * 4 + [_failing_login] * 2 + [_personal_data_viewer] * 2
READERS = [_exporting_auditor] * 2 + [_list_reader] * 6


def test_eight_writers_and_eight_readers_on_sqlite_get_no_server_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'kesu.sqlite3'}"
    app = demo_database(url, tmp_path, cases=160)
    facts = _facts(app)
    with app.app_context():
        cases_before = db.session.scalar(select(func.count(Case.id)))
        db.engine.dispose()
    tally, stop = Tally(), threading.Event()
    with gunicorn(server_environment(url, tmp_path), tmp_path, workers=2) as server:
        threads = [threading.Thread(target=tally.guard(work), args=(server.url, facts, tally, stop, index))
                   for index, work in enumerate(WRITERS + READERS)]
        for thread in threads:
            thread.start()
        time.sleep(SECONDS)
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
        tracebacks = server.tracebacks()
    assert tally.failures == [], f"{len(tally.failures)} server errors, first: {tally.failures[:3]}"
    assert tracebacks == []
    assert sum(tally.statuses.values()) > 16 * 5, tally.statuses
    with app.app_context():
        registered = db.session.scalar(select(func.count(Case.id))) - cases_before
        assert registered > 0
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "login_failed")) > 0
        assert verify_chain(db.session).intact
        db.engine.dispose()
