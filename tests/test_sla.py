"""Time limits: Chinese working days (with 调休), the clock each status runs, overdue lists and escalation."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from kesu.extensions import db
from kesu.models import AuditEvent, Case, Holiday, SlaRule
from kesu.sla import add_working_days, calendar_warning, is_working_day, unknown_years
from kesu.timeutil import local_to_utc, to_local, utcnow
from kesu.workflow import perform
from tests.factories import department, make_case, make_claim, make_customer, user


def shanghai(text: str) -> datetime:
    return local_to_utc(datetime.strptime(text, "%Y-%m-%d %H:%M"))


def plus(start: str, n: int) -> str:
    return to_local(add_working_days(shanghai(start), n)).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize("start, n, expected", [
    # 春节 2025: 1/28–2/4 off, Sunday 1/26 and Saturday 2/8 worked
    ("2025-01-24 10:00", 1, "2025-01-26 10:00"),
    ("2025-01-27 10:00", 1, "2025-02-05 10:00"),
    ("2025-02-07 09:00", 1, "2025-02-08 09:00"),
    # 劳动节 2025: 5/1–5/5 off, Sunday 4/27 worked
    ("2025-04-25 16:30", 1, "2025-04-27 16:30"),
    ("2025-04-30 16:30", 2, "2025-05-07 16:30"),
    # 国庆 + 中秋 2025: 10/1–10/8 off, Sunday 9/28 and Saturday 10/11 worked
    ("2025-09-26 11:00", 1, "2025-09-28 11:00"),
    ("2025-09-30 11:00", 3, "2025-10-11 11:00"),
    # 春节 2026: 2/15–2/23 off, Saturdays 2/14 and 2/28 worked
    ("2026-02-13 10:00", 1, "2026-02-14 10:00"),
    ("2026-02-14 10:00", 1, "2026-02-24 10:00"),
    ("2026-02-13 10:00", 3, "2026-02-25 10:00"),
    # 劳动节 2026: 5/1–5/5 off, Saturday 5/9 worked
    ("2026-04-30 10:00", 1, "2026-05-06 10:00"),
    ("2026-04-30 10:00", 4, "2026-05-09 10:00"),
    # 国庆 2026: 10/1–10/7 off, Sunday 9/20 and Saturday 10/10 worked
    ("2026-09-18 15:00", 1, "2026-09-20 15:00"),
    ("2026-09-30 15:00", 1, "2026-10-08 15:00"),
    ("2026-09-30 15:00", 3, "2026-10-10 15:00"),
    # an ordinary week: Friday plus one is Monday
    ("2026-11-20 09:00", 1, "2026-11-23 09:00"),
])
def test_working_days_follow_the_statutory_calendar(ctx, start, n, expected):
    assert plus(start, n) == expected


def test_working_days_are_counted_in_shanghai_not_utc(ctx):
    start = local_to_utc(datetime(2026, 2, 14, 1, 0))  # Saturday 01:00 in Shanghai is Friday 17:00 UTC
    assert start.weekday() == 4
    assert to_local(add_working_days(start, 1)).strftime("%Y-%m-%d %H:%M") == "2026-02-24 01:00"


def test_calendar_tells_holidays_and_in_lieu_working_days(ctx):
    assert not is_working_day(date(2026, 10, 1)) and is_working_day(date(2026, 10, 10))
    assert is_working_day(date(2026, 11, 23)) and not is_working_day(date(2026, 11, 22))


def test_unknown_year_counts_monday_to_friday_and_warns(ctx):
    assert plus("2027-02-04 10:00", 3) == "2027-02-09 10:00"  # Thu + 3 → Tue, weekends skipped only
    assert unknown_years(shanghai("2026-12-30 10:00"), shanghai("2027-01-04 10:00")) == [2027]
    with time_machine.travel(shanghai("2026-12-30 10:00"), tick=False):
        warning = calendar_warning(shanghai("2027-01-04 10:00"))
    assert "2027 年的法定节假日尚未录入" in warning


def test_holiday_entered_by_an_admin_counts_and_silences_the_warning(app, login_as):
    admin = login_as("admin")
    response = admin.post_form("/admin/holiday/new/", {"day": "2027-02-08", "name": "春节", "is_working_day": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    admin.post_form("/admin/holiday/new/", {"day": "2027-02-06", "name": "春节调休上班", "is_working_day": "y"})
    with app.app_context():
        assert db.session.scalar(select(Holiday.source).where(Holiday.day == date(2027, 2, 8))) == "admin"
        assert plus("2027-02-04 10:00", 2) == "2027-02-06 10:00"  # Friday, then the worked Saturday
        assert plus("2027-02-04 10:00", 3) == "2027-02-09 10:00"  # Monday 2/8 off
        assert unknown_years(shanghai("2027-01-04 10:00"), shanghai("2027-02-09 10:00")) == []
    assert login_as("clerk").post_form("/admin/holiday/new/", {"day": "2027-02-09", "name": "x"}).status_code == 403


def _hours_until(due: datetime, start: datetime) -> float:
    return round((due - start).total_seconds() / 3600, 2)


@pytest.mark.parametrize("tier, market, hours", [
    ("normal", "domestic", 24), ("vip", "domestic", 4), ("normal", "export", 8), ("vip", "export", 4)])
def test_first_response_clock_depends_on_tier_and_market(ctx, staff, tier, market, hours):
    received = shanghai("2026-11-23 09:00")
    case = make_case(customer=make_customer(tier=tier), market=market, received_at=received)
    assert _hours_until(case.first_response_due, received) == hours
    assert case.next_due_at == case.first_response_due


def test_admin_edited_rule_applies_to_the_next_case(ctx, staff):
    rule = db.session.scalar(select(SlaRule).where(SlaRule.clock == "first_response", SlaRule.tier.is_(None),
                                                   SlaRule.market.is_(None)))
    rule.amount = 12
    db.session.commit()
    received = shanghai("2026-11-23 09:00")
    assert _hours_until(make_case(received_at=received).first_response_due, received) == 12


def test_each_status_starts_its_clock(ctx, staff):
    clerk, handler = user("clerk"), user("handler")
    with time_machine.travel(shanghai("2026-11-20 10:00"), tick=False):  # a Friday
        case = make_case(department_name=None)
        perform(case, "accept", clerk, reason="属实")
        assert _hours_until(case.next_due_at, utcnow()) == 8  # internal check
        perform(case, "assign", clerk, department=department("质量管理部"), handler=handler)
        assert to_local(case.next_due_at).strftime("%Y-%m-%d %H:%M") == "2026-11-25 10:00"  # 3 working days
        serious = make_case(department_name=None, severity="major")
        perform(serious, "accept", clerk, reason="批量失效")
        perform(serious, "assign", clerk, department=department("质量管理部"), handler=handler)
        assert _hours_until(serious.next_due_at, utcnow()) == 4  # 8D containment
        db.session.commit()


def test_claim_review_and_investigation_run_on_working_days(ctx, staff):
    with time_machine.travel(shanghai("2026-09-30 10:00"), tick=False):  # eve of 国庆
        claim = make_claim(make_case())
        assert to_local(claim.next_due_at).strftime("%Y-%m-%d") == "2026-10-09"  # 2 working days: 10/8, 10/9
        perform(claim, "review", user("clerk"))
        perform(claim, "investigate", user("clerk"))
        assert to_local(claim.next_due_at).strftime("%Y-%m-%d") == "2026-10-10"  # 3: 10/8, 10/9, Sat 10/10
        db.session.commit()


def test_closing_stops_the_clock(ctx, staff):
    case = make_case(status="follow_up", customer_confirmed=True)
    perform(case, "close", user("clerk"), satisfaction=4, feedback="好")
    db.session.commit()
    assert case.next_due_at is None


def _overdue_and_due_soon_cases():
    now = utcnow()
    late = make_case(title="已经超时的投诉")
    soon = make_case(title="快到期的投诉")
    later = make_case(title="还早的投诉")
    late.next_due_at, soon.next_due_at, later.next_due_at = (now - timedelta(hours=2), now + timedelta(hours=3),
                                                            now + timedelta(days=3))
    db.session.commit()
    return late, soon, later


def test_lists_filter_overdue_and_due_soon_and_colour_those_rows(app, login_as):
    with app.app_context():
        _overdue_and_due_soon_cases()
    clerk = login_as("clerk")
    page = clerk.get("/admin/case/").get_data(as_text=True)
    assert 'class="kesu-overdue"' in page and 'class="kesu-due-soon"' in page
    assert "tr:has(.kesu-overdue)" in clerk.get("/static/kesu/kesu.css").get_data(as_text=True)  # the row's colour
    assert "已超时" in page and "24 小时内到期" in page  # the filter's options are offered


def test_overdue_filter_lists_exactly_the_overdue_cases(app, login_as):
    with app.app_context():
        _overdue_and_due_soon_cases()
    clerk = login_as("clerk")
    with app.test_request_context():
        view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", "") == "case")
        arg = next(f"flt0_{key}" for key, (_i, flt) in view._filter_args.items() if flt.name == "时限")
    overdue = clerk.get(f"/admin/case/?{arg}=overdue").get_data(as_text=True)
    soon = clerk.get(f"/admin/case/?{arg}=due_soon").get_data(as_text=True)
    assert "已经超时的投诉" in overdue and "快到期的投诉" not in overdue and "还早的投诉" not in overdue
    assert "快到期的投诉" in soon and "已经超时的投诉" not in soon and "还早的投诉" not in soon


def test_check_sla_escalates_each_overdue_record_once_with_an_audit_event(app, staff):
    with app.app_context():
        late, soon, _later = _overdue_and_due_soon_cases()
        late_id = late.id
    runner = app.test_cli_runner()
    result = runner.invoke(args=["kesu", "check-sla"])
    assert result.exit_code == 0, result.output
    assert "超时记录 1 条，已全部升级" in result.output
    with app.app_context():
        case = db.session.get(Case, late_id)
        assert case.escalation_level == 1 and case.next_due_at > utcnow()
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.record_type == "case",
                                                           AuditEvent.record_id == late_id,
                                                           AuditEvent.action == "transition"))
        assert "超时自动升级" in event.comment and event.changes["escalation_level"] == [0, 1]
    again = runner.invoke(args=["kesu", "check-sla"])
    assert "超时记录 0 条" in again.output


def test_record_page_shows_its_next_deadline(app, login_as):
    with app.app_context():
        late, _soon, _later = _overdue_and_due_soon_cases()
        late_id = late.id
    page = login_as("clerk").get(f"/admin/case/details/?id={late_id}").get_data(as_text=True)
    assert "下一截止时间" in page and "text-danger" in page

