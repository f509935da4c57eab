"""The 待办 inbox: the records on which a user can take a next step now, in deadline order; and 我经手的, the
records the user acted on.

Both are read from the declarations, never from a list of statuses kept here. A user's *steps* in a machine are
its transitions that are next steps (:attr:`~kesu.workflow.core.Transition.is_next_step`: accept, assign, approve,
pay, a countersign — not escalate, extend, appeal), declared for the user's role (the administrator's override is
for repairs, not a desk) and for which the user is eligible. A record awaits the user when its status is a source
of one of those steps, it is within the user's scope (:func:`kesu.permissions.row_condition`: a handler's
department) and the step's ``awaits`` condition holds (the approval level, a countersign still due, not a record
about oneself). A new transition appears in the inbox by being declared.

Everything is SQL, whatever the number of records: for each machine and status the first rows in deadline order
come from the ``(status, next_due_at)`` index, the database merges them and cuts the page, and one statement
counts them all (the top bar's badge).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, case, cast, func, literal, null, or_, select, union_all

from kesu.extensions import db
from kesu.models import Accountability, AuditEvent, Case, Claim
from kesu.models.base import UTCDateTime
from kesu.permissions import row_condition
from kesu.sla import deadline_state
from kesu.workflow import MACHINES
from kesu.workflow.core import Machine, Transition, precondition_refusal
from kesu.workflow.statuses import Status

PAGE_SIZE = 50
#: A machine with at most this many records awaiting the user is read in one query and sorted; above it, each
#: status is read from its index in deadline order (sorting tens of thousands of rows would take longer).
FEW = 1000


@dataclass(frozen=True)
class Listing:
    """How a machine's records are shown in the inbox: number, one line of text, deadline."""

    model: type
    #: What the record is called in the inbox's rows.
    label: Any
    number: Any
    text: Any
    due: Any = None
    #: Joined for the number (an accountability record is known by its case's number).
    join: Any = None

    @property
    def kind(self) -> str:
        """The record type of the audit trail, and the panel's endpoint."""
        return self.model.__tablename__

    @property
    def machine(self) -> Machine:
        return MACHINES[self.model]

    def deadline(self):
        return self.due if self.due is not None else cast(null(), UTCDateTime)  # typed, for PostgreSQL's UNION


LISTINGS = (
    Listing(Case, _l("投诉"), Case.case_no, Case.title, Case.next_due_at),
    Listing(Claim, _l("索赔"), Claim.claim_no, Claim.reason, Claim.next_due_at),
    Listing(Accountability, _l("责任追究"), Case.case_no, Accountability.facts, join=Accountability.case),
)
BY_KIND = {listing.kind: listing for listing in LISTINGS}


@dataclass
class Row:
    """One record of the inbox or of 我经手的."""

    kind: str
    id: int
    number: str
    text: str
    status: Status
    due: datetime | None = None
    #: The next steps the user can take on it, the one moving it furthest along the main path first.
    steps: list[Transition] = field(default_factory=list)
    #: Steps that something must precede (the countersign before the approval, the 8D before the proposal):
    #: step key → why, shown beside the step's disabled button.
    blocked: dict[str, str] = field(default_factory=dict)
    #: 我经手的: the user's last step on it, and when.
    last_step: str | None = None
    acted_at: datetime | None = None

    @property
    def deadline_state(self) -> str | None:
        return deadline_state(self.due)


@dataclass
class Page:
    rows: list[Row]
    total: int
    page: int
    per_page: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# --- which steps await whom ---------------------------------------------------------------------------------
def steps_for(user: Any, machine: Machine) -> list[Transition]:
    """The next steps of ``machine`` declared for ``user``'s role that ``user`` is eligible for."""
    return [t for t in machine.transitions.values()
            if t.is_next_step and user.role in t.roles and (t.eligible is None or t.eligible(user) is None)]


@dataclass
class _Awaiting:
    """What of one machine awaits a user: their steps, and the statuses in which a record awaits them, grouped by
    the condition beyond its status that it must meet (None: none), within the user's scope."""

    listing: Listing
    steps: list[Transition]
    groups: list[tuple[tuple[str, ...], ColumnElement | None]]
    scope: ColumnElement | None
    #: Each step's ``awaits`` condition for the user, built once (an approval level is read from the users).
    built: dict[Any, ColumnElement[bool]]

    def _where(self, *conditions: ColumnElement | None) -> list[ColumnElement]:
        return [c for c in (*conditions, self.scope) if c is not None]

    def condition(self) -> ColumnElement[bool]:
        """Every status at once."""
        status = self.listing.model.status
        return and_(or_(*(and_(status.in_(keys), *(() if extra is None else (extra,))) for keys, extra in self.groups)),
                    *self._where())

    def by_status(self) -> list[ColumnElement[bool]]:
        """One condition per status, so each status's records can be read in deadline order from an index."""
        status = self.listing.model.status
        return [and_(status == key, *self._where(extra)) for keys, extra in self.groups for key in keys]


def _awaiting(user: Any, listing: Listing, steps: list[Transition]) -> _Awaiting:
    awaits_by_status: dict[str, set] = defaultdict(set)
    for step in steps:
        for status in step.sources:
            awaits_by_status[status].add(step.awaits)
    grouped: dict[frozenset, list[str]] = defaultdict(list)
    for status in listing.machine.states.keys:  # workflow order
        if status in awaits_by_status:
            found = awaits_by_status[status]
            grouped[frozenset() if None in found else frozenset(found)].append(status)
    built = {step.awaits: step.awaits(user) for step in steps if step.awaits is not None}
    groups = [(tuple(keys), or_(*(built[a] for a in awaits)) if awaits else None) for awaits, keys in grouped.items()]
    return _Awaiting(listing, steps, groups, row_condition(listing.model, user), built)


def _waiting(user: Any) -> list[_Awaiting]:
    waiting = []
    for listing in LISTINGS:
        steps = steps_for(user, listing.machine)
        if steps:
            waiting.append(_awaiting(user, listing, steps))
    return waiting


def has_steps(user: Any) -> bool:
    """Whether any step of any machine is ever the user's (an auditor's or administrator's never is)."""
    return any(steps_for(user, listing.machine) for listing in LISTINGS)


# --- the inbox ----------------------------------------------------------------------------------------------
def _counts(waiting: list[_Awaiting]) -> list[int]:
    """How many records of each machine await the user: one statement."""
    if not waiting:
        return []
    counts = [select(func.count()).select_from(awaiting.listing.model).where(awaiting.condition()).scalar_subquery()
              for awaiting in waiting]
    return [int(n or 0) for n in db.session.execute(select(*counts)).one()]


def count(user: Any) -> int:
    """How many records await ``user`` (the top bar's badge)."""
    return sum(_counts(_waiting(user)))


def _ordered(listing: Listing, condition: ColumnElement, first: int) -> Select:
    """The first ``first`` records of ``listing`` meeting ``condition``, in deadline order: for one status, read
    from a ``(…, status, next_due_at)`` index for cases and claims."""
    model, due = listing.model, listing.deadline()
    order = (due.nulls_last(), model.id) if listing.due is not None else (model.id,)
    part = (select(literal(listing.kind).label("kind"), model.id.label("id"), due.label("due"))
            .where(condition).order_by(*order).limit(first).subquery())
    return select(part.c.kind, part.c.id, part.c.due)


def inbox(user: Any, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
    """The ``page``-th page of the records awaiting ``user``: by deadline (none last), then kind and number."""
    waiting = _waiting(user)
    counts = _counts(waiting)
    total = sum(counts)
    page = max(1, min(page, -(-total // per_page) or 1))
    first = page * per_page
    parts = []
    for awaiting, found in zip(waiting, counts):
        if found > FEW:
            parts += [_ordered(awaiting.listing, condition, first) for condition in awaiting.by_status()]
        elif found:
            parts.append(_ordered(awaiting.listing, awaiting.condition(), first))
    if not parts:
        return Page([], total, page, per_page)
    merged = union_all(*parts).subquery()
    picked = [tuple(key) for key in db.session.execute(
        select(merged.c.kind, merged.c.id).order_by(merged.c.due.nulls_last(), merged.c.kind, merged.c.id)
        .offset(first - per_page).limit(per_page))]
    rows: dict[tuple[str, int], Row] = {}
    for awaiting in waiting:
        listing = awaiting.listing
        guarded = [step for step in awaiting.steps if step.awaits is not None]
        flags = [case((awaiting.built[step.awaits], True), else_=False) for step in guarded]
        for row, held in _fetch(listing, [i for kind, i in picked if kind == listing.kind], flags):
            holding = {step.key for step, flag in zip(guarded, held) if flag}
            row.steps = _forward_first(row.status, [step for step in awaiting.steps if row.status.key in step.sources
                                                    and (step.awaits is None or step.key in holding)],
                                       listing.machine)
            rows[listing.kind, row.id] = row
        _mark_blocked([row for (kind, _id), row in rows.items() if kind == listing.kind], listing, user)
    return Page([rows[key] for key in picked if key in rows], total, page, per_page)


def _mark_blocked(rows: list[Row], listing: Listing, user: Any) -> None:
    """The steps of a page's rows whose preconditions refuse them now, with the reason (the record page's rule)."""
    stepped = [row for row in rows if any(step.preconditions for step in row.steps)]
    if not stepped:
        return
    model = listing.model
    records = {record.id: record for record in
               db.session.scalars(select(model).where(model.id.in_([row.id for row in stepped])))}
    for row in stepped:
        row.blocked = {step.key: reason for step in row.steps
                       if (reason := precondition_refusal(step, records[row.id], user))}


def _forward_first(status: Status, steps: list[Transition], machine: Machine) -> list[Transition]:
    """The steps leading further along the main path first (approve before send back, the customer agreeing
    before disagreeing), each group in declaration order."""
    path = machine.states.path
    here = path.index(status.key) if status.key in path else -1

    def back(step: Transition) -> bool:
        return bool(step.targets) and all(path.index(t) <= here if t in path else True for t in step.targets)
    return sorted(steps, key=back)


def _fetch(listing: Listing, ids: list[int], extra: list[ColumnElement] = (),
           scope: ColumnElement | None = None) -> list[tuple[Row, tuple]]:
    """The records of ``listing`` with these ids (within ``scope``), and the ``extra`` columns of each."""
    if not ids:
        return []
    model = listing.model
    query = select(model.id, listing.number, listing.text, model.status, listing.deadline(), *extra)
    if listing.join is not None:
        query = query.join(listing.join)
    if scope is not None:
        query = query.where(scope)
    states = listing.machine.states
    found = []
    for record_id, number, text, status, due, *more in db.session.execute(query.where(model.id.in_(ids))):
        found.append((Row(listing.kind, record_id, number or "", text or "", states[status], due), tuple(more)))
    return found


# --- 我经手的 -------------------------------------------------------------------------------------------------
def acted_on(user: Any, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
    """The records ``user`` took a workflow step on, the latest first, each with that step; only those the user
    may still see are shown, the others counted."""
    mine = (select(func.max(AuditEvent.id).label("last"))
            .where(AuditEvent.user_id == user.id, AuditEvent.action == "transition",
                   AuditEvent.record_type.in_(BY_KIND))
            .group_by(AuditEvent.record_type, AuditEvent.record_id))
    total = db.session.scalar(select(func.count()).select_from(mine.subquery())) or 0
    page = max(1, min(page, -(-total // per_page) or 1))
    last_ids = db.session.scalars(mine.order_by(func.max(AuditEvent.id).desc())
                                  .offset((page - 1) * per_page).limit(per_page)).all()
    events = db.session.execute(select(AuditEvent.record_type, AuditEvent.record_id, AuditEvent.comment,
                                       AuditEvent.at).where(AuditEvent.id.in_(last_ids))
                                .order_by(AuditEvent.id.desc())).all()
    rows: dict[tuple[str, int], Row] = {}
    for listing in LISTINGS:
        ids = [record_id for kind, record_id, *_rest in events if kind == listing.kind]
        for row, _more in _fetch(listing, ids, scope=row_condition(listing.model, user)):
            rows[listing.kind, row.id] = row
    shown = []
    for kind, record_id, comment, at in events:
        row = rows.get((kind, record_id))
        if row is not None:
            row.last_step, row.acted_at = comment, at
            shown.append(row)
    return Page(shown, total, page, per_page)
