"""Transfer 转办: a case under investigation moves to another department with a reason, the new department's clock
starts from the transfer, and the assign and transfer dialogs offer only the chosen department's handlers."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import select

from kesu.extensions import db
from kesu.models import AuditEvent, Case
from kesu.timeutil import local_to_utc, to_local
from kesu.workflow import WorkflowError, allowed_actions, perform
from tests.factories import department, make_case, user
from tests.test_browser import CHROMIUM, clerk_page, live_server  # noqa: F401 (a fixture)


def shanghai(text: str) -> datetime:
    return local_to_utc(datetime.strptime(text, "%Y-%m-%d %H:%M"))


def local(value: datetime) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M")


def investigating(**fields) -> Case:
    """A case the quality department's handler is investigating."""
    case = make_case(department_name=None, **fields)
    perform(case, "accept", user("clerk"), reason="投诉属实")
    perform(case, "assign", user("clerk"), department=department("质量管理部"), handler=user("handler"))
    db.session.commit()
    return case


def to_production(case: Case, actor: str = "clerk", reason: str = "失效系装配工序所致，属生产部") -> str:
    status = perform(case, "transfer", user(actor), department=department("生产部"), handler=user("other_handler"),
                     reason=reason)
    db.session.commit()
    return status


# --- the rule ---------------------------------------------------------------------------------------------
def test_transfer_moves_the_case_and_restarts_the_department_reply_clock(people_ctx):
    with time_machine.travel(shanghai("2026-11-20 10:00"), tick=False):  # a Friday
        case = investigating()
        assert local(case.next_due_at) == "2026-11-25 10:00"  # 3 working days from the assignment
    with time_machine.travel(shanghai("2026-11-24 15:30"), tick=False):
        assert to_production(case) == "investigating"
    assert case.department.name == "生产部" and case.handler == user("other_handler")
    assert case.due_clock == "department_reply"
    assert local(case.next_due_at) == "2026-11-27 15:30"  # 3 working days from the transfer


def test_an_8d_case_transferred_gets_the_hours_of_its_next_8d_step_from_the_transfer(people_ctx):
    with time_machine.travel(shanghai("2026-11-23 09:00"), tick=False):
        case = investigating(severity="major")
        case.containment = "库存 200 台已隔离"
        db.session.commit()
    with time_machine.travel(shanghai("2026-11-23 11:00"), tick=False):
        to_production(case)
    assert case.due_clock == "interim_report" and local(case.next_due_at) == "2026-11-23 19:00"  # 8 hours


def test_transfer_to_the_department_already_handling_the_case_is_refused(people_ctx):
    case = investigating()
    with pytest.raises(WorkflowError, match="案件已由质量管理部办理，请选择其他责任部门转办"):
        perform(case, "transfer", user("clerk"), department=department("质量管理部"), handler=user("handler"),
                reason="换人")


def test_transfer_to_a_handler_outside_the_chosen_department_is_refused(people_ctx):
    case = investigating()
    with pytest.raises(WorkflowError, match="handler 不属于生产部"):
        perform(case, "transfer", user("clerk"), department=department("生产部"), handler=user("handler"),
                reason="属生产问题")


def test_transfer_needs_a_reason(people_ctx):
    case = investigating()
    with pytest.raises(WorkflowError, match="请填写理由"):
        perform(case, "transfer", user("clerk"), department=department("生产部"), handler=user("other_handler"))


def test_the_handling_departments_handler_may_hand_the_case_on_but_no_other_handler(people_ctx):
    case = investigating()
    assert "transfer" not in {t.key for t in allowed_actions(case, user("other_handler"))}
    with pytest.raises(WorkflowError, match="只有责任部门的处理人"):
        to_production(case, actor="other_handler")
    db.session.rollback()
    assert "transfer" in {t.key for t in allowed_actions(case, user("handler"))}
    assert to_production(case, actor="handler") == "investigating"
    assert "transfer" in {t.key for t in allowed_actions(case, user("other_handler"))}  # now theirs


def test_transfer_is_a_workflow_step_in_the_trail_with_both_departments_and_the_reason(people_ctx):
    case = investigating()
    to_production(case, actor="approver", reason="失效系装配工序所致")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.record_type == "case",
                                                        AuditEvent.record_id == case.id)
                               .order_by(AuditEvent.id.desc())).first()
    assert event.action == "transition" and event.username == "approver"
    assert event.comment == "转办：质量管理部 → 生产部（处理人：other_handler）。理由：失效系装配工序所致"
    assert event.changes["department_id"] == [department("质量管理部").id, department("生产部").id]
    assert event.changes["handler_id"] == [user("handler").id, user("other_handler").id]


def test_a_regulator_case_keeps_the_regulators_deadline_when_transferred(people_ctx):
    with time_machine.travel(shanghai("2026-11-23 09:00"), tick=False):
        case = investigating(channel="regulator", received_at=shanghai("2026-11-20 16:00"))
        due = case.next_due_at
    with time_machine.travel(shanghai("2026-11-25 09:00"), tick=False):
        to_production(case)
    assert case.due_clock == "regulator_case" and case.next_due_at == due


# --- the dialogs ------------------------------------------------------------------------------------------
def _accepted(app) -> int:
    with app.app_context():
        case = make_case(department_name=None)
        perform(case, "accept", user("clerk"), reason="属实")
        db.session.commit()
        return case.id


def _select(page: str, name: str) -> str:
    return re.search(rf'<select [^>]*name="{name}".*?</select>', page, re.S).group(0)


def _option(page: str, user_id: int) -> str:
    return re.search(rf'<option [^>]*value="{user_id}"[^>]*>', _select(page, "handler")).group(0)


def test_the_assign_dialogs_handlers_carry_their_department_and_follow_the_department_select(app, login_as):
    case_id = _accepted(app)
    page = login_as("clerk").get(f"/admin/case/workflow/assign/?id={case_id}").get_data(as_text=True)
    with app.app_context():
        quality, production = department("质量管理部").id, department("生产部").id
        handler, other = user("handler").id, user("other_handler").id
    assert f'data-department="{quality}"' in _option(page, handler)
    assert f'data-department="{production}"' in _option(page, other)
    assert re.search(r'<select [^>]*data-kesu-depends-on="department"[^>]*name="handler"', page)
    assert "kesu/dependent_select.js" in page


def test_assigning_a_handler_of_another_department_is_refused_and_nothing_changes(app, login_as):
    case_id = _accepted(app)
    clerk = login_as("clerk")
    with app.app_context():
        production, handler = department("生产部").id, user("handler").id
        version = db.session.get(Case, case_id).version
    page = clerk.post_form(f"/admin/case/workflow/assign/?id={case_id}",
                           {"version": str(version), "department": production, "handler": handler},
                           follow_redirects=True).get_data(as_text=True)
    assert "handler 不属于生产部。" in page
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.status == "accepted" and case.department_id is None and case.handler_id is None
    with app.app_context():
        other = user("other_handler").id
    clerk.post_form(f"/admin/case/workflow/assign/?id={case_id}",
                    {"version": str(version), "department": production, "handler": other})
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.status == "investigating" and case.department_id == production and case.handler_id == other


def test_the_handler_transfers_from_the_case_page_and_the_same_department_is_refused(app, login_as):
    with app.app_context():
        case_id = investigating().id
        quality, production = department("质量管理部").id, department("生产部").id
        handler, other = user("handler").id, user("other_handler").id
        version = db.session.get(Case, case_id).version
    client = login_as("handler")
    page = client.get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    assert 'data-target="#wf-transfer"' in page and 'name="reason"' in page
    refused = client.post_form(f"/admin/case/workflow/transfer/?id={case_id}",
                               {"version": str(version), "department": quality, "handler": handler, "reason": "换人"},
                               follow_redirects=True).get_data(as_text=True)
    assert "案件已由质量管理部办理，请选择其他责任部门转办。" in refused
    moved = client.post_form(f"/admin/case/workflow/transfer/?id={case_id}",
                             {"version": str(version), "department": production, "handler": other,
                              "reason": "属生产问题"})
    assert moved.headers["Location"].endswith("/admin/")  # the case left the handler's scope: back to the inbox
    assert "此记录已转由其他部门办理" in client.get("/admin/").get_data(as_text=True)
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.department_id == production and case.handler_id == other and case.status == "investigating"


def test_the_transfer_dialog_asks_for_a_department_instead_of_offering_the_current_one(app, login_as):
    with app.app_context():
        case_id = investigating().id
    page = login_as("clerk").get(f"/admin/case/workflow/transfer/?id={case_id}").get_data(as_text=True)
    assert '<option selected value="">' in _select(page, "department")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
@pytest.mark.engine_independent
def test_choosing_a_department_in_the_browser_offers_only_its_handlers(app, live_server):
    case_id = _accepted(app)
    with app.app_context():
        production, other = str(department("生产部").id), str(user("other_handler").id)
    with clerk_page(live_server) as (page, refused):
        page.goto(live_server + f"/admin/case/details/?id={case_id}")
        page.click('button[data-target="#wf-assign"]')
        dialog = page.locator("#wf-assign")
        dialog.wait_for(state="visible")
        offered = 'e => Array.from(e.options).filter(o => !o.disabled && o.value).map(o => o.value)'
        handlers = dialog.locator('select[name="handler"]')
        assert handlers.evaluate(offered) == []  # no department chosen yet
        dialog.locator('select[name="department"]').select_option(production)
        assert handlers.evaluate(offered) == [other]
    assert refused == []
