"""SQLite done right: WAL, foreign keys, a busy timeout and write-ready transactions on every connection.

pysqlite opens transactions lazily with a plain ``BEGIN`` (DEFERRED). In WAL mode a deferred
transaction that has read and then tries to write after another connection committed fails at
once with "database is locked" (SQLITE_BUSY_SNAPSHOT), ignoring the busy timeout. So transactions
that are meant to write start with ``BEGIN IMMEDIATE`` and queue on the busy timeout instead (as
Rails 7.1 and Django 5.1's ``transaction_mode`` do). Page views (GET/HEAD) start deferred, so they
never hold the write lock and read alongside writers; a GET that must write (an audit event for
viewing personal data, an export) ends its read transaction first and writes in a fresh one begun inside
:func:`writing`. A read-only stretch of a POST (a login's password check) can run inside :func:`reading`.
"""
from __future__ import annotations

import contextlib
import contextvars
import sqlite3
from collections.abc import Iterator

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_mode: contextvars.ContextVar[str | None] = contextvars.ContextVar("kesu_sqlite_mode", default=None)


@contextlib.contextmanager
def _transactions(mode: str) -> Iterator[None]:
    token = _mode.set(mode)
    try:
        yield
    finally:
        _mode.reset(token)


def reading() -> contextlib.AbstractContextManager[None]:
    """Transactions begun inside only read (a long walk of the audit trail): deferred, so writers go on."""
    return _transactions("BEGIN")


def writing() -> contextlib.AbstractContextManager[None]:
    """Transactions begun inside write, even during a GET: they take the write lock first and queue for it."""
    return _transactions("BEGIN IMMEDIATE")


def begin_statement() -> str:
    mode = _mode.get()
    if mode is not None:
        return mode
    if has_request_context() and request.method in READ_ONLY_METHODS:
        return "BEGIN"
    return "BEGIN IMMEDIATE"


def configure_sqlite_engine(engine: Engine, busy_timeout_ms: int) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql(begin_statement())
