"""The one search box: records found by case or claim number, customer name, phone, contact person, lot, part
or model number and words of the summary, within the user's row scope.

Kept fast at 100,000 cases by matching each kind of term where an index can answer it: numbers by their
beginning (an index range on SQLite), customers in their own, five times smaller table, and words of the summary
by a scan of the newest cases that stops at the first :data:`PER_GROUP` + 1 matches. A term shaped like a
phone or a record number is not looked for in the summaries (no summary holds one, and that scan is the slow
one). Phones are matched as :mod:`kesu.permissions` says: a role that sees them masked finds a customer by
the whole number only.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select, union
from sqlalchemy.orm import selectinload

from kesu.admin.base import contains
from kesu.admin.filters_arguments import clean_term
from kesu.extensions import db
from kesu.models import Case, Claim, Customer
from kesu.permissions import (
    normalise_phone_for_search,
    row_condition,
    searches_whole_personal_values_only,
    whole_personal_value,
)
from kesu.workflow.statuses import CASE_STATUSES

#: Rows shown per record type; one more is read to know there are more.
PER_GROUP = 20
#: Words of a description are looked for in this many newest cases (a title's, in every case).
DESCRIPTION_WINDOW = 10_000
#: The numbers a case is found by from their beginning, each indexed (lot, part and model: migration 0009).
CASE_CODES = (Case.case_no, Case.lot_no, Case.part_no, Case.model_no)
_NUMBER_SHAPED = re.compile(r"[\d\s()+\-.]+|[A-Za-z]{2}-\d[\d-]*")


@dataclass
class SearchResults:
    term: str
    cases: list[Case] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    #: Record types with more matches than shown.
    more: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not (self.cases or self.claims or self.customers)


def normal_term(typed: str | None) -> str:
    """What was typed, as searched: control characters and surrounding space gone, full-width forms folded."""
    return unicodedata.normalize("NFKC", clean_term(typed)).strip()


def starts_with(column, term: str):
    """``column`` begins with ``term`` (as typed or in capitals: numbers are stored in capitals). On SQLite
    written as an index range too, which SQLite's case-insensitive LIKE cannot use; PostgreSQL's planner reads
    the prefix of ``LIKE`` itself where the collation allows."""
    conditions = []
    for prefix in dict.fromkeys((term, term.upper())):
        condition = column.startswith(prefix, autoescape=True)
        if db.engine.dialect.name == "sqlite":
            condition = and_(column >= prefix, column < prefix + "\U0010ffff", condition)
        conditions.append(condition)
    return or_(*conditions)


def is_number_shaped(term: str) -> bool:
    """Digits and phone separators only, or a record number such as ``KS-20261202-0001``."""
    return bool(_NUMBER_SHAPED.fullmatch(term))


def customer_condition(user: Any, term: str):
    """Customers whose phone holds a number-shaped ``term`` (the whole number only for roles that see phones
    masked), or whose name or contact person holds any other."""
    if not is_number_shaped(term):
        return or_(contains(Customer.name, term), contains(Customer.contact_person, term))
    if searches_whole_personal_values_only(user):
        return whole_personal_value("phone", Customer.phone, term)
    digits = normalise_phone_for_search(term)
    return contains(func.replace(func.replace(Customer.phone, "-", ""), " ", ""), digits)


def _scoped(statement, model: type, user: Any):
    condition = row_condition(model, user)
    return statement if condition is None else statement.where(condition)


def find_customers(user: Any, term: str, limit: int = PER_GROUP + 1) -> list[Customer]:
    """Newest first: read in the table's order, the scan stops at ``limit`` matches."""
    statement = select(Customer).where(customer_condition(user, term)).order_by(Customer.id.desc())
    return list(db.session.scalars(_scoped(statement, Customer, user).limit(limit)))


def _likely(condition):
    """On SQLite, ``condition`` marked as true of most rows: without statistics SQLite's planner takes a
    handler's department for the narrowest index and walks a quarter of the table, where the index of the
    number typed finds the few rows at once."""
    return func.likely(condition) if db.engine.dialect.name == "sqlite" else condition


def _case_ids(user: Any, condition, order):
    """The first :data:`PER_GROUP` + 1 cases in ``user``'s scope meeting ``condition``, in ``order``."""
    scope = row_condition(Case, user)
    statement = select(Case.id).where(condition).order_by(order).limit(PER_GROUP + 1)
    return (statement if scope is None else statement.where(_likely(scope))).subquery().select()


def _titles_with(user: Any, term: str):
    """The newest :data:`PER_GROUP` + 1 cases in ``user``'s scope whose title holds ``term``. On SQLite the
    titles are read with their department from their narrow index (migration 0009) rather than from the wide
    table: the inner query has no order, and its ``LIMIT -1`` (none) keeps SQLite from merging it into the
    outer one."""
    scope = row_condition(Case, user)
    statement = select(Case.id).where(contains(Case.title, term))
    statement = statement if scope is None else statement.where(_likely(scope))
    if db.engine.dialect.name == "sqlite":
        inner = statement.limit(-1).subquery()
        return select(inner.c.id).order_by(inner.c.id.desc()).limit(PER_GROUP + 1).subquery().select()
    return statement.order_by(Case.id.desc()).limit(PER_GROUP + 1).subquery().select()


def find_cases(user: Any, term: str, customer_ids: list[int]) -> list[Case]:
    """Cases by the beginning of their number or a lot, part or model number, of the customers found, or by a
    word of their title (every case) or description (the newest :data:`DESCRIPTION_WINDOW`). Each way is its own
    bounded query on its own index; the union is read newest first."""
    ways = [_case_ids(user, starts_with(column, term), column.desc()) for column in CASE_CODES]
    if customer_ids:
        ways.append(_case_ids(user, Case.customer_id.in_(customer_ids), Case.received_at.desc()))
    if not is_number_shaped(term):
        newest = select(func.max(Case.id)).scalar_subquery() - DESCRIPTION_WINDOW
        ways.append(_titles_with(user, term))
        ways.append(_scoped(select(Case.id).where(Case.id > newest, contains(Case.description, term)), Case, user)
                    .order_by(Case.id.desc()).limit(PER_GROUP + 1).subquery().select())
    statement = (select(Case).options(selectinload(Case.customer)).where(Case.id.in_(union(*ways)))
                 .order_by(Case.received_at.desc(), Case.id.desc()).limit(PER_GROUP + 1))
    return list(db.session.scalars(statement))


def find_claims(user: Any, term: str, customer_ids: list[int]) -> list[Claim]:
    """Claims by the beginning of their number, or of the customers found."""
    condition = starts_with(Claim.claim_no, term)
    if customer_ids:
        condition = or_(condition, Claim.case_id.in_(select(Case.id).where(Case.customer_id.in_(customer_ids))))
    statement = (select(Claim).options(selectinload(Claim.case)).where(condition)
                 .order_by(Claim.submitted_at.desc(), Claim.id.desc()))
    return list(db.session.scalars(_scoped(statement, Claim, user).limit(PER_GROUP + 1)))


def search_records(user: Any, typed: str | None) -> SearchResults:
    term = normal_term(typed)
    results = SearchResults(term)
    if not term:
        return results
    customers = find_customers(user, term)
    customer_ids = [customer.id for customer in customers]
    groups = {"customers": customers, "cases": find_cases(user, term, customer_ids),
              "claims": find_claims(user, term, customer_ids)}
    for name, rows in groups.items():
        if len(rows) > PER_GROUP:
            results.more.add(name)
        setattr(results, name, rows[:PER_GROUP])
    return results


def open_cases(user: Any, customer_ids: list[int], limit: int = 10) -> dict[int, list[Case]]:
    """Each customer's cases not yet closed, archived or rejected, newest first, within the user's scope."""
    if not customer_ids:
        return {}
    statement = (select(Case).where(Case.customer_id.in_(customer_ids), Case.status.in_(CASE_STATUSES.open))
                 .order_by(Case.received_at.desc(), Case.id.desc()))
    found: dict[int, list[Case]] = {customer_id: [] for customer_id in customer_ids}
    for case in db.session.scalars(_scoped(statement, Case, user)):
        if len(found[case.customer_id]) < limit:
            found[case.customer_id].append(case)
    return found


def records_of(user: Any, customer: Customer) -> tuple[list[Case], list[Claim]]:
    """A customer's cases and claims, newest first, within the user's scope."""
    cases = select(Case).where(Case.customer_id == customer.id).order_by(Case.received_at.desc(), Case.id.desc())
    claims = (select(Claim).join(Case, Claim.case_id == Case.id).where(Case.customer_id == customer.id)
              .order_by(Claim.submitted_at.desc(), Claim.id.desc()))
    return (list(db.session.scalars(_scoped(cases, Case, user))),
            list(db.session.scalars(_scoped(claims, Claim, user))))
