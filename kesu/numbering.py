"""Case numbers ``KS-YYYYMMDD-NNNN`` and claim numbers ``SP-YYYYMMDD-NNNN``.

The per-day counter is one row per prefix, incremented with a single
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` inside the inserting transaction: the row lock
(PostgreSQL) or the write lock (SQLite) serialises concurrent creators, so no number is issued twice.
The number is assigned in ``before_insert``, so every path that creates a case gets one.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from kesu.models import Case, Claim, NumberSequence
from kesu.timeutil import local_today

_INSERT_BY_DIALECT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def next_value(connection: Connection, prefix: str) -> int:
    """Atomically take the next counter value for ``prefix`` (1 for a new prefix)."""
    insert = _INSERT_BY_DIALECT[connection.dialect.name]
    statement = (
        insert(NumberSequence)
        .values(prefix=prefix, last_value=1)
        .on_conflict_do_update(
            index_elements=[NumberSequence.prefix],
            set_={"last_value": NumberSequence.last_value + 1},
        )
        .returning(NumberSequence.last_value)
    )
    return connection.execute(statement).scalar_one()


def format_number(kind: str, day: date, value: int) -> str:
    return f"{kind}-{day:%Y%m%d}-{value:04d}"


def issue_number(connection: Connection, kind: str, day: date | None = None) -> str:
    day = day or local_today()
    prefix = f"{kind}-{day:%Y%m%d}"
    return format_number(kind, day, next_value(connection, prefix))


@event.listens_for(Case, "before_insert")
def _number_case(_mapper, connection: Connection, case: Case) -> None:
    if not case.case_no:
        case.case_no = issue_number(connection, "KS")


@event.listens_for(Claim, "before_insert")
def _number_claim(_mapper, connection: Connection, claim: Claim) -> None:
    if not claim.claim_no:
        claim.claim_no = issue_number(connection, "SP")
