"""PostgreSQL connections for kesu's short queries: without just-in-time compilation.

PostgreSQL compiles a query to machine code when its *estimated* cost passes ``jit_above_cost``. A search's
``LIKE '%…%'`` conditions are estimated to match far more rows than they do, so a search for one customer among
100,000 cases spent 330 ms compiling for 46 ms of work (an export's query, whose planner sees a full read). Every
kesu query is a short one; JIT is off for its connections, as the PostgreSQL documentation advises for such loads.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.engine import make_url


def engine_options(database_url: str, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` (Flask-SQLAlchemy's ``SQLALCHEMY_ENGINE_OPTIONS``) with ``jit=off`` for PostgreSQL
    connections, unless the configuration already sets the connections' ``options``."""
    if make_url(database_url).get_backend_name() != "postgresql":
        return options
    connect_args = dict(options.get("connect_args", {}))
    connect_args.setdefault("options", "-c jit=off")
    return {**options, "connect_args": connect_args}
