"""How many rows a list has, without counting a million of them on every page view.

PostgreSQL counts by reading every matching row (its MVCC keeps no row count); at 1,000,000 cases that is the
slowest part of a list page. A list counts exactly up to ``COUNT_EXACT_UP_TO`` rows (reading at most one more),
and above that shows the planner's estimate, marked 约 ("about"): a pager of 20,000 pages does not need its last
digit right. SQLite counts an indexed table fast enough and has no estimate; it always counts exactly.
"""
from __future__ import annotations

import json
import logging

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Query
from sqlalchemy.sql.expression import ClauseElement, Executable

log = logging.getLogger(__name__)


class EstimatedCount(int):
    """A row count that is the planner's estimate. It is an ``int`` for the pager's arithmetic and reads
    "约 1,000,000" where it is printed (Flask-Admin's list prints ``count`` in its tab)."""

    estimated = True

    def __str__(self) -> str:
        return _("约 %(count)s", count=format_decimal(int(self)))


class Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON) <statement>``, compiled and bound like the statement itself (its parameters go
    through their column types, e.g. a UTC time)."""

    inherit_cache = False

    def __init__(self, statement) -> None:
        self.statement = statement


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler, **kw) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def planner_estimate(rows: Query) -> int | None:
    """PostgreSQL's estimate of how many rows ``rows`` returns, from ``EXPLAIN`` (nothing is read); None if the
    planner could not say (the list then shows the limit as its estimate rather than fail)."""
    try:
        with rows.session.begin_nested():
            plan = rows.session.execute(Explain(rows.statement)).scalar()
    except SQLAlchemyError:
        log.exception("EXPLAIN of a list's count failed")
        return None
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


class ListCount(Query):
    """A list's ``SELECT count(*) … WHERE …``, counted as :meth:`scalar` says. Flask-Admin's ``get_list`` reads
    the count with ``count_query.scalar()``, after adding the search and filters to this query."""

    #: The counted table's id (a query's copies keep it).
    key_column = None

    def scalar(self) -> int:
        """Exact up to ``COUNT_EXACT_UP_TO`` rows, else an :class:`EstimatedCount` of at least one more."""
        limit = current_app.config["COUNT_EXACT_UP_TO"]
        if self.session.get_bind().dialect.name != "postgresql" or not limit:
            return super().scalar()
        rows = self.with_entities(self.key_column)  # narrow rows: an index-only scan can count them
        capped = self.session.scalar(select(func.count()).select_from(rows.limit(limit + 1).subquery()))
        if capped <= limit:
            return capped
        return EstimatedCount(max(planner_estimate(rows) or 0, limit + 1))


def list_count_query(session, model: type) -> ListCount:
    """``SELECT count(*) FROM model``, to be narrowed with ``filter``."""
    query = ListCount([func.count()], session=session).select_from(model)
    query.key_column = model.id
    return query
