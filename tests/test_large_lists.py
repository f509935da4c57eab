"""Lists that stay fast at a million rows: counts estimated above a limit on PostgreSQL, deep pages found by their
ids first (a deferred join) yet holding exactly the rows plain paging gives."""
from __future__ import annotations

import re

import pytest
from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import event, text

import kesu.admin.base
from kesu.admin.cases import CaseView
from kesu.counting import EstimatedCount, planner_estimate
from kesu.extensions import db
from kesu.timeutil import utcnow
from tests.conftest import PG_URL
from tests.factories import make_case

postgresql_only = pytest.mark.skipif(not PG_URL, reason="PostgreSQL estimates; set KESU_TEST_DATABASE_URL")
sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="the SQLite run")

LIST_TAB = re.compile(r'class="nav-link active">[^<(]*\(([^)]*)\)')
ROW_IDS = re.compile(r"/admin/case/details/\?id=(\d+)")


def list_tab_count(client, url: str = "/admin/case/") -> str:
    page = client.get(url).get_data(as_text=True)
    return LIST_TAB.search(page).group(1)


@pytest.fixture
def eight_cases(ctx):
    for n in range(8):
        make_case(title=f"第{n}号冰箱不制冷")


def test_a_list_counts_exactly_up_to_the_limit(app, eight_cases, login_as):
    app.config["COUNT_EXACT_UP_TO"] = 8
    assert list_tab_count(login_as("admin")) == "8"


@postgresql_only
def test_above_the_limit_postgresql_shows_the_planner_estimate_marked_about(app, eight_cases, login_as):
    app.config["COUNT_EXACT_UP_TO"] = 5
    shown = list_tab_count(login_as("admin"))
    assert shown.startswith("约 ")
    assert int(shown.removeprefix("约 ").replace(",", "")) >= 6  # never less than what was seen to be there


@postgresql_only
def test_the_estimate_is_the_planners_row_count(app, eight_cases, login_as):
    """Once the table's statistics are taken, the planner knows it holds eight rows: the tab says 约 8."""
    with app.app_context():
        db.session.execute(text('ANALYZE "case"'))
        db.session.commit()
    app.config["COUNT_EXACT_UP_TO"] = 5
    assert list_tab_count(login_as("admin")) == "约 8"


@postgresql_only
def test_the_planner_is_asked_with_typed_parameters(ctx, eight_cases):
    """A UTC time and a list of statuses are bound as the columns' types (an aware time sent as timestamptz
    would be compared in the session's time zone)."""
    from kesu.models import Case

    db.session.execute(text('ANALYZE "case"'))
    recent = db.session.query(Case.id).filter(Case.received_at > utcnow() - timedelta(days=1),
                                                Case.status.in_(["registered", "accepted"]))
    assert planner_estimate(recent) >= 1
    assert planner_estimate(db.session.query(Case.id).filter(Case.received_at > utcnow() + timedelta(days=1))) <= 1


@postgresql_only
def test_a_filtered_list_above_the_limit_is_estimated_and_below_it_exact(app, eight_cases, login_as):
    app.config["COUNT_EXACT_UP_TO"] = 5
    client = login_as("admin")
    assert list_tab_count(client, "/admin/case/?search=冰箱").startswith("约 ")
    assert list_tab_count(client, "/admin/case/?search=第3号") == "1"


@sqlite_only
def test_sqlite_counts_exactly_whatever_the_limit(app, eight_cases, login_as):
    app.config["COUNT_EXACT_UP_TO"] = 5
    assert list_tab_count(login_as("admin")) == "8"


def test_an_estimate_reads_about_in_each_language(app):
    with app.test_request_context():
        assert str(EstimatedCount(1_000_000)) == "约 1,000,000"
        with force_locale("en"):
            assert str(EstimatedCount(1_000_000)) == "about 1,000,000"
    assert EstimatedCount(120) / 50 == 2.4  # the pager's arithmetic


@pytest.mark.parametrize("query", [
    "", "sort=3", "sort=3&desc=1", "search=KS", "sort=2",
])
@pytest.mark.parametrize("who", ["shenji", "zhiliang"])  # the auditor reads every case, the handler a department's
def test_deep_pages_hold_the_rows_plain_paging_gives(demo, demo_login, monkeypatch, query, who):
    """The deferred join is switched on from the first row and compared with plain OFFSET paging, page by page,
    for the default order, a sort on the customer's name (a join), a search and a handler's department scope."""
    client = demo_login(who)
    monkeypatch.setattr(CaseView, "page_size", 10)  # a department holds a few dozen of the demo's cases

    def pages(deferred_from: int) -> list[list[str]]:
        monkeypatch.setattr(kesu.admin.base, "DEFERRED_JOIN_FROM", deferred_from)
        return [list(dict.fromkeys(ROW_IDS.findall(
            client.get(f"/admin/case/?page={page}&{query}").get_data(as_text=True)))) for page in range(4)]

    plain = pages(10**9)
    statements: list[str] = []
    listen = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    with demo.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        deferred = pages(0)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert any("IN (SELECT anon_1.id" in statement for statement in statements)  # the deferred join ran
    assert deferred == plain
    assert [len(page) for page in plain[:3]] == [10] * 3  # three full pages and a part were compared
