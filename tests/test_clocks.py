"""Clocks that depend on more than the status: the regulator's limit for a case forwarded by 12315 (10 working days
from receipt, an SLA rule), and the 8D steps of a serious case (containment 4 h, interim report 8 h, final report
48 h from when the department took it)."""
from __future__ import annotations

from datetime import datetime, timedelta

import time_machine
from sqlalchemy import select

from kesu.extensions import db
from kesu.models import Case, SlaRule
from kesu.timeutil import local_to_utc, to_local, utcnow
from kesu.workflow import perform
from tests.factories import department, make_case, user
from tests.forms import case_form


def shanghai(text: str) -> datetime:
    return local_to_utc(datetime.strptime(text, "%Y-%m-%d %H:%M"))


def local(value: datetime | None) -> str | None:
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value else None


def assign(case: Case) -> None:
    perform(case, "assign", user("clerk"), department=department("质量管理部"), handler=user("handler"))
    db.session.commit()


# --- the regulator's clock --------------------------------------------------------------------------------
def test_a_regulator_case_is_due_ten_working_days_after_receipt_across_the_national_day_holiday(people_ctx):
    received = shanghai("2026-09-28 10:00")  # Monday; 10/1–10/7 off, Saturday 10/10 worked
    case = make_case(department_name=None, channel="regulator", received_at=received)
    assert local(case.first_response_due) == "2026-09-29 10:00"  # the first response stays the company's own
    with time_machine.travel(shanghai("2026-09-28 11:00"), tick=False):
        perform(case, "accept", user("clerk"), reason="12315 平台转来，属实")
    assert case.due_clock == "regulator_case" and local(case.next_due_at) == "2026-10-16 10:00"
    with time_machine.travel(shanghai("2026-09-29 09:00"), tick=False):
        assign(case)
    assert case.due_clock == "regulator_case" and local(case.next_due_at) == "2026-10-16 10:00"


def test_the_regulators_deadline_runs_until_the_customer_is_answered(people_ctx):
    case = make_case(channel="regulator", root_cause="来料不良", corrective_action="换批次")
    due = None
    for action, actor, fields in (("accept", "clerk", {"reason": "属实"}), ("assign", "clerk", {
            "department": department("质量管理部"), "handler": user("handler")}),
            ("propose", "handler", {"resolution_type": "repair"}), ("approve", "approver", {})):
        perform(case, action, user(actor), **fields)
        assert case.due_clock == "regulator_case", action
        assert due is None or case.next_due_at == due, action
        due = case.next_due_at
    perform(case, "notify", user("clerk"), channel="phone")
    assert case.next_due_at is None and case.due_clock is None


def test_the_regulators_limit_is_the_sla_rule_an_administrator_sets(people_ctx):
    rule = db.session.scalar(select(SlaRule).where(SlaRule.clock == "regulator_case"))
    assert (rule.amount, rule.unit) == (10, "working_days")
    rule.amount = 5
    db.session.commit()
    case = make_case(department_name=None, channel="regulator", received_at=shanghai("2026-11-23 09:00"))
    perform(case, "accept", user("clerk"), reason="属实")
    assert local(case.next_due_at) == "2026-11-30 09:00"


def test_a_case_from_another_channel_runs_the_companys_own_clocks(people_ctx):
    case = make_case(department_name=None, channel="third_party")
    perform(case, "accept", user("clerk"), reason="属实")
    assert case.due_clock == "internal_check"


# --- the 8D steps -------------------------------------------------------------------------------------------
def test_an_8d_investigation_runs_containment_then_interim_then_final_report_from_its_start(people_ctx):
    case = make_case(department_name=None, severity="critical")
    perform(case, "accept", user("clerk"), reason="批量失效")
    with time_machine.travel(shanghai("2026-11-23 09:00"), tick=False):
        assign(case)
    assert (case.due_clock, local(case.next_due_at)) == ("containment", "2026-11-23 13:00")
    with time_machine.travel(shanghai("2026-11-23 10:30"), tick=False):
        case.containment = "库存 200 台已隔离"
        db.session.commit()
    assert (case.due_clock, local(case.next_due_at)) == ("interim_report", "2026-11-23 17:00")
    case.root_cause = "来料电容批次失效"
    db.session.commit()
    assert (case.due_clock, local(case.next_due_at)) == ("final_report", "2026-11-25 09:00")
    case.corrective_action, case.preventive_action = "更换供应商批次", "加严来料检验"
    db.session.commit()
    assert (case.due_clock, local(case.next_due_at)) == ("department_reply", "2026-11-26 09:00")


def test_the_handler_writing_the_containment_in_the_edit_form_moves_the_case_to_the_interim_report(app, login_as):
    with app.app_context():
        case = make_case(department_name=None, severity="major")
        perform(case, "accept", user("clerk"), reason="重大质量投诉")
        assign(case)
        case_id, started = case.id, case.clock_started_at
        data = case_form(case, containment="同批次库存已隔离")
    response = login_as("handler").post_form(f"/admin/case/edit/?id={case_id}", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.due_clock == "interim_report" and case.next_due_at == started + timedelta(hours=8)


def test_a_deadline_extended_or_escalated_stays_while_the_same_clock_runs(people_ctx):
    case = make_case(department_name=None)
    perform(case, "accept", user("clerk"), reason="属实")
    assign(case)
    extended = case.next_due_at + timedelta(days=5)
    perform(case, "extend", user("clerk"), new_deadline=extended, reason="需第三方检测")
    db.session.commit()
    case.root_cause = "来料电容批次失效"
    case.title = "空气净化器开机无反应（批量）"
    db.session.commit()
    assert case.due_clock == "department_reply" and case.next_due_at == extended


def test_records_whose_clock_was_started_before_clocks_were_tracked_keep_their_deadline(people_ctx):
    case = make_case(department_name=None, severity="major", status="investigating")
    due = utcnow() + timedelta(days=2)
    case.next_due_at, case.due_clock, case.clock_started_at = due, None, None
    db.session.commit()
    case.containment = "已隔离"
    db.session.commit()
    assert case.next_due_at == due
