"""SQL the exports push into the database so Python does less per cell."""
from __future__ import annotations

from sqlalchemy import String, case, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

#: A text cell starting with one of these would run as a formula in Excel and WPS (OWASP CSV Injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def neutralised(expression, starts: tuple[str, ...]):
    """Text someone typed, prefixed with ``'`` when it starts like a formula — the writers' rule, in SQL."""
    return case((func.substr(expression, 1, 1).in_(starts), literal("'", String) + expression), else_=expression)


def labelled(expression, labels: dict[str, str]):
    """A stored key as its label (``investigating`` → ``调查中``); an unknown key as itself."""
    return case(labels, value=expression, else_=expression) if labels else expression


def yes_no(expression, yes: str, no: str):
    return case((expression.is_(True), yes), (expression.is_(False), no), else_=None)
