"""SQL the exports push into the database so Python does less per cell."""
from __future__ import annotations

from sqlalchemy import Boolean, String, case, func, literal
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


class StartsLikeFormula(FunctionElement):
    """True when the text starts with one of :data:`FORMULA_STARTS`: one pattern match per cell (a GLOB on
    SQLite, a regular expression on PostgreSQL), a fifth of the cost of ``substr(...) IN (...)``."""

    type = Boolean()
    name = "starts_like_formula"
    inherit_cache = True


_FORMULA_CLASS = "-" + "".join(start for start in FORMULA_STARTS if start != "-")  # "-" first: a literal


@compiles(StartsLikeFormula)
def _formula_generic(element, compiler, **kw) -> str:
    (text,) = element.clauses
    return compiler.process(func.substr(text, 1, 1).in_(FORMULA_STARTS), **kw)


@compiles(StartsLikeFormula, "sqlite")
def _formula_sqlite(element, compiler, **kw) -> str:
    pattern = compiler.process(literal(f"[{_FORMULA_CLASS}]*"), **kw)
    return f"({compiler.process(element.clauses, **kw)} GLOB {pattern})"


@compiles(StartsLikeFormula, "postgresql")
def _formula_postgresql(element, compiler, **kw) -> str:
    pattern = compiler.process(literal(f"^[{_FORMULA_CLASS}]"), **kw)
    return f"({compiler.process(element.clauses, **kw)} ~ {pattern})"


def neutralised(expression):
    """Text someone typed, prefixed with ``'`` when it starts like a formula — the writers' rule, in SQL."""
    return case((StartsLikeFormula(expression), literal("'", String) + expression), else_=expression)


def labelled(expression, labels: dict[str, str]):
    """A stored key as its label (``investigating`` → ``调查中``); an unknown key as itself."""
    return case(labels, value=expression, else_=expression) if labels else expression


def yes_no(expression, yes: str, no: str):
    return case((expression.is_(True), yes), (expression.is_(False), no), else_=None)
