"""SQL the exports push into the database so Python does less per cell."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class ShanghaiMinute(FunctionElement):
    """A stored UTC time as Shanghai wall-clock text, ``2026-11-23 15:30`` (as :func:`kesu.timeutil.format_local`
    writes it). Asia/Shanghai has been UTC+8 all year since 1991, so SQLite may add eight hours."""

    type = String()
    name = "shanghai_minute"
    inherit_cache = True


@compiles(ShanghaiMinute, "sqlite")
def _sqlite(element, compiler, **kw) -> str:
    return "strftime('%%Y-%%m-%%d %%H:%%M', %s, '+8 hours')" % compiler.process(element.clauses, **kw)


@compiles(ShanghaiMinute, "postgresql")
def _postgresql(element, compiler, **kw) -> str:
    return ("to_char((%s) AT TIME ZONE 'UTC' AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')"
            % compiler.process(element.clauses, **kw))
