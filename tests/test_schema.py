"""The schema: migrations create exactly the models; SQLite runs with WAL, foreign keys and a busy timeout."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect, text

from kesu.extensions import db
from kesu.models import Base, Customer, User
from kesu.models.base import declared_for
from kesu.postgresql import engine_options
from tests.conftest import PG_URL


def test_migrations_create_every_model_table(ctx):
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_migrations_match_the_models(ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": False, "include_object": declared_for(connection.dialect.name)})
        assert compare_metadata(context, Base.metadata) == []


def check_terms(sql: str) -> tuple[frozenset[str], frozenset[str]]:
    """The quoted values and the numbers of a CHECK body: what it allows, however the database rewrote it
    (PostgreSQL turns ``status IN ('a', 'b')`` into ``(status)::text = ANY (ARRAY['a'::character varying, …])``)."""
    quoted = re.findall(r"'([^']*)'", sql)
    numbers = re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", re.sub(r"'[^']*'", "", sql))
    return frozenset(quoted), frozenset(numbers)


def model_checks(table) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    return {str(c.name): check_terms(str(c.sqltext)) for c in table.constraints if isinstance(c, CheckConstraint)}


def test_migrations_create_the_check_constraints_of_the_models(ctx):
    """compare_metadata does not look at CHECK constraints: the allowed statuses, channels… are compared here."""
    inspector = inspect(db.engine)
    for name, table in Base.metadata.tables.items():
        migrated = {c["name"]: check_terms(c["sqltext"]) for c in inspector.get_check_constraints(name)}
        assert migrated == model_checks(table), name


def test_check_comparison_sees_a_missing_status():
    from kesu.models import Case

    body = str(next(c.sqltext for c in Case.__table__.constraints if c.name == "ck_case_status"))
    assert check_terms(body) != check_terms(body.replace(", 'reopened'", ""))


@pytest.mark.parametrize("table,column", [
    ("case", "status"), ("case", "received_at"), ("case", "channel"), ("case", "severity"),
    ("case", "category_id"), ("case", "department_id"), ("case", "handler_id"), ("case", "next_due_at"),
    ("claim", "status"), ("claim", "submitted_at"), ("accountability", "status"), ("contact_log", "contacted_at"),
    ("audit_event", "at"), ("audit_event", "record_id"),
])
def test_listed_and_filtered_columns_are_indexed(ctx, table, column):
    indexed = {col for index in inspect(db.engine).get_indexes(table) for col in index["column_names"]}
    assert column in indexed


@pytest.mark.skipif(bool(PG_URL), reason="SQLite only")
@pytest.mark.parametrize("pragma,expected", [("journal_mode", "wal"), ("foreign_keys", 1), ("busy_timeout", 10000)])
def test_sqlite_connection_settings(ctx, pragma, expected):
    with db.engine.connect() as connection:
        assert connection.execute(text(f"PRAGMA {pragma}")).scalar() == expected


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only")
def test_postgresql_connections_run_without_jit(ctx):
    """JIT compiled a misestimated search for 330 ms to do 46 ms of work (kesu.postgresql)."""
    assert db.session.execute(text("SHOW jit")).scalar() == "off"


def test_jit_is_turned_off_for_postgresql_only_and_never_over_configured_options():
    assert engine_options("sqlite:///x.sqlite3", {}) == {}
    assert engine_options("postgresql+psycopg://db/kesu", {"pool_size": 5}) == {
        "pool_size": 5, "connect_args": {"options": "-c jit=off"}}
    configured = {"connect_args": {"options": "-c jit=on", "sslmode": "require"}}
    assert engine_options("postgresql+psycopg://db/kesu", configured) == configured


def test_foreign_keys_are_enforced(ctx):
    from sqlalchemy.exc import IntegrityError

    user = User(username="ghost", role="clerk", department_id=9999, password_hash="x")
    db.session.add(user)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_money_round_trips_as_decimal(ctx):
    user = User(username="m", role="approver", approval_limit=Decimal("12345678.90"), password_hash="x")
    db.session.add(user)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, user.id).approval_limit == Decimal("12345678.90")
    assert isinstance(db.session.get(User, user.id).approval_limit, Decimal)


def test_timestamps_are_stored_in_utc_and_read_back_aware(ctx):
    from datetime import datetime, timezone

    from kesu.timeutil import SHANGHAI

    shanghai_morning = datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)
    customer = Customer(name="时区测试", phone="13812345678", created_at=shanghai_morning)
    db.session.add(customer)
    db.session.commit()
    stored = db.session.execute(text("SELECT created_at FROM customer WHERE id = :id"), {"id": customer.id}).scalar()
    assert str(stored).startswith("2026-11-23 01:30")  # 09:30 in Shanghai is 01:30 UTC
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).created_at == datetime(2026, 11, 23, 1, 30, tzinfo=timezone.utc)


@pytest.mark.skipif(bool(PG_URL), reason="SQLite only")
def test_page_views_do_not_hold_the_sqlite_write_lock(app, login_as):
    """A GET runs in a deferred transaction; a POST takes the write lock at BEGIN."""
    from kesu.sqlite import begin_statement

    with app.test_request_context("/admin/case/", method="GET"):
        assert begin_statement() == "BEGIN"
    with app.test_request_context("/admin/case/new/", method="POST"):
        assert begin_statement() == "BEGIN IMMEDIATE"
    with app.app_context():
        assert begin_statement() == "BEGIN IMMEDIATE"  # CLI and scripts write
