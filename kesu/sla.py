"""Time limits (SLA): Chinese working days, the clock each status runs, and what happens when one runs out.

Working days follow the statutory calendar: Monday–Friday, minus public holidays, plus the weekend days
worked in lieu (调休). The calendar is the ``holiday`` table, seeded from ``chinesecalendar`` and edited by
administrators. A year with no row in that table is *unknown*: it is counted Monday–Friday and the record
says so (:func:`unknown_years`); nothing crashes.

Which clock runs is data too: each status declares the clocks it starts (:mod:`kesu.workflow.statuses`), and
``SlaRule`` rows (clock, customer tier, market → amount and unit) their limits, the most specific active rule
winning and, between equally specific ones, the shorter limit. A record keeps the clock its deadline belongs to
(``due_clock``) and when its status's clock started (``clock_started_at``): a clock that depends on what has been
written (the 8D steps) hands over to the next one, counted from that same start, as soon as it is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import chinese_calendar
from flask_babel import gettext as _
from sqlalchemy import event, extract, select
from sqlalchemy.orm import Session

from kesu.extensions import db
from kesu.models import Case, Claim, Customer, Holiday, SlaRule
from kesu.choices import SLA_CLOCK
from kesu.timeutil import format_local, local_to_utc, to_local, utcnow
from kesu.workflow.statuses import CASE_STATUSES, CLAIM_STATUSES, ClockRule

#: Which clock each status starts is declared with the status (:mod:`kesu.workflow.statuses`).
STATUSES_OF = {Case: CASE_STATUSES, Claim: CLAIM_STATUSES}

#: Deadlines are never counted back before this year, so older calendars are not copied.
CALENDAR_SEED_FROM = 2024

#: A deadline this close is due soon: the lists, their deadline filter and the inbox mark it.
DUE_SOON = timedelta(hours=24)


HOLIDAY_NAMES = {holiday.value: holiday.chinese for holiday in chinese_calendar.constants.Holiday}


# --- the calendar --------------------------------------------------------------------------------------
def seed_holidays(session: Session) -> int:
    """Copy ``chinesecalendar``'s holidays and in-lieu working days into the table; admin rows are kept."""
    existing = set(session.scalars(select(Holiday.day)))
    added = 0
    for days, working in ((chinese_calendar.constants.holidays, False), (chinese_calendar.constants.workdays, True)):
        for day, holiday in sorted(days.items()):
            if day in existing or day.year < CALENDAR_SEED_FROM:
                continue
            is_weekday = day.weekday() < 5
            if is_weekday != working:  # only the days that differ from Monday–Friday
                name = HOLIDAY_NAMES.get(holiday, holiday) + ("调休上班" if working else "")
                session.add(Holiday(day=day, is_working_day=working, name=name, source="chinesecalendar"))
                added += 1
    return added


@dataclass
class Calendar:
    """The exceptions to Monday–Friday between two dates, and the years the table knows."""

    exceptions: dict[date, bool]
    known_years: set[int]

    @classmethod
    def load(cls, first: date, last: date) -> "Calendar":
        rows = db.session.execute(select(Holiday.day, Holiday.is_working_day)
                                  .where(Holiday.day >= first, Holiday.day <= last)).all()
        years = set(db.session.scalars(select(extract("year", Holiday.day)).where(
            Holiday.day >= date(first.year, 1, 1), Holiday.day <= date(last.year, 12, 31)).distinct()))
        return cls({day: working for day, working in rows}, {int(y) for y in years})

    def is_working_day(self, day: date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5


def add_working_days(start: datetime, n: int) -> datetime:
    """``start`` plus ``n`` Chinese working days, at the same Shanghai wall-clock time (returned in UTC).

    Each following day that is a working day counts one; a start on a holiday therefore ends ``n`` working
    days after it, at the same time of day (a Saturday 10:00 plus one working day is Monday 10:00).
    """
    local = to_local(start)
    horizon = local.date() + timedelta(days=n * 3 + 40)  # longer than any run of holidays
    calendar = Calendar.load(local.date(), horizon)
    day, counted = local.date(), 0
    while counted < n:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return local_to_utc(datetime.combine(day, local.time().replace(tzinfo=None)))


def is_working_day(day: date) -> bool:
    return Calendar.load(day, day).is_working_day(day)


def unknown_years(start: datetime, end: datetime) -> list[int]:
    """The years between ``start`` and ``end`` the holiday table knows nothing of (counted Monday–Friday)."""
    first, last = to_local(start).date(), to_local(end).date()
    calendar = Calendar.load(first, last)
    return [year for year in range(first.year, last.year + 1) if year not in calendar.known_years]


def calendar_warning(due: datetime | None) -> str | None:
    """The warning a record shows when its deadline was counted without a holiday calendar."""
    if due is None:
        return None
    years = unknown_years(utcnow(), due) if due > utcnow() else unknown_years(due, due)
    if not years:
        return None
    return _("%(years)s 年的法定节假日尚未录入（系统设置 → 节假日），截止时间暂按周一至周五计算。",
             years="、".join(str(y) for y in years))


# --- rules and clocks -----------------------------------------------------------------------------------
def rule_for(clock: str, tier: str | None, market: str | None) -> SlaRule | None:
    """The active rule for ``clock``: matching tier and market beat generic ones; ties go to the shorter."""
    candidates = db.session.scalars(select(SlaRule).where(SlaRule.clock == clock, SlaRule.active.is_(True))).all()
    matching = [r for r in candidates if r.tier in (None, tier) and r.market in (None, market)]
    if not matching:
        return None
    def specificity(rule: SlaRule) -> int:
        return (rule.tier is not None) + (rule.market is not None)
    best = max(specificity(r) for r in matching)
    return min((r for r in matching if specificity(r) == best), key=lambda r: deadline(r, utcnow()))


def deadline(rule: SlaRule, start: datetime) -> datetime:
    if rule.unit == "hours":
        return start + timedelta(hours=rule.amount)
    if rule.unit == "calendar_days":
        return start + timedelta(days=rule.amount)
    return add_working_days(start, rule.amount)


def _customer_terms(record: Any) -> tuple[str | None, str | None]:
    case = record if isinstance(record, Case) else record.case
    if case is None:
        return None, None
    tier = case.customer.tier if case.customer is not None else None
    return tier, case.market


def rule_for_record(clock: str, record: Any) -> SlaRule | None:
    """The active rule for ``clock`` as it applies to ``record``'s customer tier and market."""
    return rule_for(clock, *_customer_terms(record))


def _clock_rule(record: Any) -> ClockRule | None:
    statuses = STATUSES_OF.get(type(record))
    if statuses is None or record.status not in statuses:
        return None
    return statuses[record.status].clock_rule_for(record)


def clock_for(record: Any) -> str | None:
    """The clock that runs while ``record`` is in its current status, if any."""
    declared = _clock_rule(record)
    return declared.clock if declared else None


def _set_deadline(record: Any) -> datetime | None:
    """``next_due_at`` and ``due_clock`` from the clock that applies now, counted from its declared start or
    from when the status's clock started."""
    declared = _clock_rule(record)
    rule = rule_for_record(declared.clock, record) if declared else None
    start = (declared.since(record) if declared and declared.since else None) or record.clock_started_at
    record.due_clock = declared.clock if declared else None
    record.next_due_at = deadline(rule, start) if rule else None
    return record.next_due_at


def start_clock(record: Any, now: datetime | None = None) -> datetime | None:
    """Set ``next_due_at`` for the status ``record`` has just entered, or restart its clock (a transfer) (None
    when no clock runs there)."""
    record.clock_started_at = now or utcnow()
    return _set_deadline(record)


def follow_clock(record: Any) -> bool:
    """Move to the next clock of the status when what was written changed which one applies (an 8D case whose
    containment is now written runs on to its interim report), counted from the same start. Records whose clock
    was started before clocks were tracked, and deadlines extended or escalated within the same clock, are
    left as they are. Returns whether the deadline was set again."""
    if record.clock_started_at is None or clock_for(record) == record.due_clock:
        return False
    _set_deadline(record)
    return True


def keep_clocks(session: Session, flush_context: Any, instances: Any) -> None:
    """``before_flush``: a new case gets its first-response deadline, a new claim its review deadline; a changed
    one follows its status's clocks (:func:`follow_clock`)."""
    for record in list(session.new):
        if isinstance(record, Case) and record.first_response_due is None:
            if record.customer is None and record.customer_id is not None:
                record.customer = session.get(Customer, record.customer_id)
            record.status = record.status or "registered"
            start_clock(record, record.received_at)
            record.first_response_due = record.next_due_at
        elif isinstance(record, Claim) and record.next_due_at is None:
            if record.case is None and record.case_id is not None:
                record.case = session.get(Case, record.case_id)
            record.status = record.status or "submitted"
            start_clock(record, record.submitted_at)
    for record in list(session.dirty):
        if isinstance(record, (Case, Claim)):
            follow_clock(record)


def install(session_class: type) -> None:
    if not event.contains(session_class, "before_flush", keep_clocks):
        event.listen(session_class, "before_flush", keep_clocks)


def deadline_state(due: datetime | None, now: datetime | None = None) -> str | None:
    """``overdue`` once ``due`` has passed, ``due_soon`` within :data:`DUE_SOON` of it, else None."""
    if due is None:
        return None
    now = now or utcnow()
    if due < now:
        return "overdue"
    return "due_soon" if due < now + DUE_SOON else None


def overdue(model: type, now: datetime | None = None) -> list[Any]:
    """Open records of ``model`` whose deadline has passed, oldest deadline first."""
    return list(db.session.scalars(select(model).where(model.next_due_at < (now or utcnow()))
                                   .order_by(model.next_due_at)))


@dataclass
class Escalation:
    record: Any
    clock: str | None
    was_due: datetime
    level: int
    next_due: datetime


def escalate_overdue(now: datetime | None = None) -> list[Escalation]:
    """Every overdue case and claim goes up one escalation level and gets a fresh deadline of the same
    clock (24 hours where no clock runs), so the next run escalates it again only if that passes too.
    Each escalation is an audit event; the caller commits."""
    now = now or utcnow()
    done = []
    for model in (Case, Claim):
        for record in overdue(model, now):
            clock = clock_for(record)
            rule = rule_for_record(clock, record) if clock else None
            was_due = record.next_due_at
            record.escalation_level = (record.escalation_level or 0) + 1
            record.next_due_at = deadline(rule, now) if rule else now + timedelta(hours=24)
            record._audit_action = "transition"
            record._audit_comment = _("超时自动升级：%(clock)s，截止 %(due)s，升至 %(level)s 级",
                                      clock=SLA_CLOCK.label(clock) if clock else _("延期截止时间"),
                                      due=format_local(was_due), level=record.escalation_level)
            done.append(Escalation(record, clock, was_due, record.escalation_level, record.next_due_at))
    db.session.flush()
    return done


def record_calendar_warning(record: Any) -> str | None:
    """Shown on a record whose working-day deadline falls in a year the holiday table does not know."""
    due = getattr(record, "next_due_at", None)
    clock = clock_for(record)
    rule = rule_for_record(clock, record) if clock else None
    if due is None or rule is None or rule.unit != "working_days":
        return None
    return calendar_warning(due)

