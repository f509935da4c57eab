"""Two app instances, as two machines would run them, over one PostgreSQL, one Redis and one S3 store: nothing that
must be shared lives in one process."""
from __future__ import annotations

import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from kesu.extensions import db
from kesu.models import Case, Category, Customer, GeneratedDocument
from kesu.timeutil import format_local, utcnow
from tests.conftest import PASSWORD, PG_URL
from tests.live_server import LiveClient, demo_database, gunicorn, server_environment
from tests.s3_server import new_bucket

REDIS_URL = os.environ.get("KESU_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not (PG_URL and REDIS_URL),
                                reason="needs KESU_TEST_DATABASE_URL (PostgreSQL) and KESU_TEST_REDIS_URL")

CREATES_PER_INSTANCE = 12


@pytest.fixture(scope="module")
def shared(tmp_path_factory, s3_endpoint):
    """A PostgreSQL database of its own with the demo, a bucket, a Redis key prefix, and an app on the database."""
    import psycopg

    home = tmp_path_factory.mktemp("two-instances")
    source = make_url(PG_URL)
    name = f"{source.database}_two_instances"
    with psycopg.connect(source.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    url = source.set(database=name).render_as_string(hide_password=False)
    app = demo_database(url, home, cases=20)
    bucket = new_bucket(s3_endpoint)
    environment = server_environment(
        url, home, KESU_REDIS_URL=REDIS_URL, KESU_RATELIMIT_KEY_PREFIX=f"kesu-two-{uuid.uuid4().hex}",
        **{f"KESU_{key}": value for key, value in bucket.items()})
    with gunicorn(environment, home / "a", workers=1) as first, gunicorn(environment, home / "b", workers=1) as second:
        yield app, first, second
    assert not first.tracebacks() and not second.tracebacks()


def test_a_document_issued_on_one_downloads_byte_for_byte_from_the_other(shared):
    app, first, second = shared
    with app.app_context():
        case_id = db.session.scalar(select(Case.id).where(Case.status == "accepted").order_by(Case.id))
    clerk = LiveClient(first.url)
    assert clerk.login("kefu", PASSWORD).status == 302
    clerk.get(f"/admin/case/details/?id={case_id}")
    issued = clerk.post_form(f"/admin/case/document/acknowledgement/?id={case_id}", {})
    assert issued.status == 200 and issued.body.startswith(b"PK")
    with app.app_context():
        document_id = db.session.scalar(select(GeneratedDocument.id).order_by(GeneratedDocument.id.desc()))
    auditor = LiveClient(second.url)
    assert auditor.login("shenji", PASSWORD).status == 302
    again = auditor.get(f"/admin/generateddocument/download/?id={document_id}")
    assert again.status == 200 and again.body == issued.body


def test_a_session_works_on_both_and_ends_on_both(shared):
    _app, first, second = shared
    on_first = LiveClient(first.url)
    assert on_first.login("zhuguan", PASSWORD).status == 302
    on_second = LiveClient(second.url)
    for cookie in on_first.cookies:  # the same browser, sent to the other machine by the load balancer
        on_second.cookies.set_cookie(cookie)
    assert on_second.get("/admin/").status == 200
    assert on_second.post_form("/logout", {}).status == 302
    assert on_first.request("GET", "/admin/").status == 302  # the session ended on the other instance too


def test_a_rate_limit_counts_across_both(shared):
    _app, first, second = shared
    for attempt in range(5):
        assert LiveClient((first, second)[attempt % 2].url).login("caiwu", "wrong-password-x").status == 400
    assert LiveClient(second.url).login("caiwu", PASSWORD).status == 429
    assert LiveClient(first.url).login("caiwu", PASSWORD).status == 429


def test_case_numbers_stay_unique_under_concurrent_creates_on_both(shared):
    app, first, second = shared
    with app.app_context():
        customer = db.session.scalar(select(Customer.id).order_by(Customer.id))
        category = db.session.scalar(select(Category.id).order_by(Category.id))
        before = db.session.scalar(select(func.count()).select_from(Case))
    start = threading.Barrier(4)
    run = uuid.uuid4().hex[:8]

    def register(server_url: str, worker: int) -> list[int]:
        client = LiveClient(server_url)
        assert client.login("kefu", PASSWORD).status == 302
        client.get("/admin/case/new/")
        start.wait()
        statuses = []
        for n in range(CREATES_PER_INSTANCE // 2):
            reply = client.post_form("/admin/case/new/", {
                "received_at": format_local(utcnow()), "channel": "phone", "market": "domestic",
                "customer": str(customer), "category": str(category), "severity": "general",
                "title": f"双实例并发 {run} {worker}-{n}", "description": "两台服务器同时登记"})
            statuses.append(reply.status)
        return statuses

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(register, [first.url, first.url, second.url, second.url], range(4)))
    assert all(status == 302 for statuses in results for status in statuses), results
    with app.app_context():
        numbers = db.session.scalars(select(Case.case_no).where(Case.title.like(f"双实例并发 {run}%"))).all()
        assert len(numbers) == 2 * CREATES_PER_INSTANCE == len(set(numbers))
        assert db.session.scalar(select(func.count()).select_from(Case)) == before + 2 * CREATES_PER_INSTANCE
