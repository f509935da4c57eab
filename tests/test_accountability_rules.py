"""Accountability: nobody decides on a record they proposed or that names them; an appeal is decided once, and its
decision can uphold, change or revoke the measure."""
from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from kesu.extensions import db
from kesu.models import Accountability, AuditEvent
from kesu.workflow import WorkflowError, allowed_actions, perform
from kesu.workflow.core import precondition_refusal
from tests.factories import department, make_case, user

PROPOSED_BY_YOU = "这项责任追究是您提出的，须由其他主管审批或处理申诉。"
ABOUT_YOU = "这项责任追究涉及您本人，须由其他主管审批或处理申诉。"



def blocked_reason(page: str, action: str) -> str | None:
    """The reason written beside a disabled action button on a record page."""
    match = re.search(rf'id="wf-{action}-why">([^<]*)<', page)
    return html.unescape(match.group(1)) if match else None

def make_record(proposer: str | None = "approver", person: str | None = "handler", status: str = "proposed",
                **fields) -> Accountability:
    record = Accountability(case=make_case(), person=user(person) if person else None,
                            department=department("质量管理部"), cause="misoperation", facts="装配扭矩设置错误",
                            measure=fields.pop("measure", "written_warning"), status=status,
                            proposed_by=user(proposer) if proposer else None, **fields)
    db.session.add(record)
    db.session.commit()
    return record


def act(record, action, who, **fields):
    status = perform(record, action, user(who), **fields)
    db.session.commit()
    return status


def appealed(**fields) -> Accountability:
    """A record approved by the manager, notified and appealed; the approver proposed it."""
    record = make_record(**fields)
    act(record, "approve", "manager")
    act(record, "notify", "clerk")
    act(record, "appeal", "clerk", reason="设备故障所致，非本人操作")
    return record


def transition_events(record) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "transition", AuditEvent.record_type == "accountability",
        AuditEvent.record_id == record.id).order_by(AuditEvent.id)))


# --- who may decide ---------------------------------------------------------------------------------------------
def test_nobody_approves_an_accountability_record_they_proposed(people_ctx):
    record = make_record(proposer="approver")
    with pytest.raises(WorkflowError, match=PROPOSED_BY_YOU):
        perform(record, "approve", user("approver"))
    db.session.rollback()
    assert act(record, "approve", "manager") == "approved"


def test_nobody_approves_an_accountability_record_that_names_them(people_ctx):
    record = make_record(proposer="approver", person="manager")
    with pytest.raises(WorkflowError, match=ABOUT_YOU):
        perform(record, "approve", user("manager"))


def test_nobody_decides_the_appeal_of_a_record_they_proposed(people_ctx):
    record = appealed(proposer="approver")
    with pytest.raises(WorkflowError, match=PROPOSED_BY_YOU):
        perform(record, "decide_appeal", user("approver"), outcome="upheld", decision="维持")


def test_nobody_decides_the_appeal_of_a_record_that_names_them(people_ctx):
    record = appealed(proposer="admin", person="approver")
    with pytest.raises(WorkflowError, match=ABOUT_YOU):
        perform(record, "decide_appeal", user("approver"), outcome="upheld", decision="维持")


def test_the_refused_steps_are_offered_disabled_with_the_reason(people_ctx):
    record = make_record(proposer="approver")
    approve = next(t for t in allowed_actions(record, user("approver")) if t.key == "approve")
    assert precondition_refusal(approve, record, user("approver")) == PROPOSED_BY_YOU
    assert precondition_refusal(approve, record, user("manager")) is None


def test_a_record_from_before_proposers_were_kept_is_approved_by_anyone_not_named(people_ctx):
    record = make_record(proposer=None)
    assert act(record, "approve", "approver") == "approved"


# --- the appeal decision ------------------------------------------------------------------------------------
def test_an_upheld_appeal_keeps_the_measure(people_ctx):
    record = appealed()
    assert act(record, "decide_appeal", "manager", outcome="upheld", decision="证据不足，维持原决定") == "notified"
    assert (record.measure, record.appeal_outcome, record.appeal_decision) == ("written_warning", "upheld",
                                                                                 "证据不足，维持原决定")


def test_an_appeal_decision_can_change_the_measure_and_the_audit_event_keeps_the_old_one(people_ctx):
    record = appealed(measure="written_warning")
    act(record, "decide_appeal", "manager", outcome="changed", new_measure="fine", new_fine=Decimal("300"),
        decision="设备确有故障，改为罚款")
    assert (record.status, record.measure, record.fine_amount) == ("notified", "fine", Decimal("300.00"))
    event = transition_events(record)[-1]
    assert event.changes["measure"] == ["written_warning", "fine"]
    assert event.changes["fine_amount"][0] is None and Decimal(event.changes["fine_amount"][1]) == 300
    assert event.changes["appeal_outcome"] == [None, "changed"]
    assert act(record, "execute", "manager") == "executed"


def test_a_fine_changed_to_a_warning_drops_the_fine(people_ctx):
    record = appealed(measure="fine", fine_amount=Decimal("500"))
    act(record, "decide_appeal", "manager", outcome="changed", new_measure="verbal_warning", decision="减轻处理")
    assert (record.measure, record.fine_amount) == ("verbal_warning", None)


@pytest.mark.parametrize("fields,message", [
    ({"outcome": "changed"}, "变更处理措施须选择新的处理措施"),
    ({"outcome": "changed", "new_measure": "fine"}, "须填写大于 0 的罚款金额"),
    ({"outcome": "changed", "new_measure": "fine", "new_fine": Decimal("0")}, "须填写大于 0 的罚款金额"),
    ({"outcome": "changed", "new_measure": "written_warning"}, "与原决定相同，请选择「维持原决定」"),
    ({"outcome": "changed", "new_measure": "verbal_warning", "new_fine": Decimal("100")}, "只有经济处罚才填写罚款金额"),
    ({"outcome": "upheld", "new_measure": "fine"}, "只有「变更处理措施」时才填写新的处理措施"),
    ({"outcome": "revoked", "new_fine": Decimal("100")}, "只有「变更处理措施」时才填写新的处理措施"),
    ({"outcome": "pardoned"}, "请选择有效的申诉处理结果"),
    ({}, "请填写申诉处理结果"),
])
def test_an_inconsistent_appeal_decision_is_refused_and_changes_nothing(people_ctx, fields, message):
    record = appealed(measure="written_warning")
    with pytest.raises(WorkflowError, match=message):
        perform(record, "decide_appeal", user("manager"), decision="处理意见", **fields)
    db.session.rollback()
    record = db.session.get(Accountability, record.id)
    assert (record.status, record.measure, record.appeal_outcome) == ("appealed", "written_warning", None)


def test_a_revoked_decision_ends_the_record_with_nothing_to_execute(people_ctx):
    record = appealed()
    assert act(record, "decide_appeal", "manager", outcome="revoked", decision="申诉成立，撤销原决定") == "revoked"
    assert record.appeal_outcome == "revoked"
    assert allowed_actions(record, user("manager")) == []
    with pytest.raises(WorkflowError, match="不能执行「执行」"):
        perform(record, "execute", user("manager"))


def test_a_decided_appeal_cannot_be_appealed_again(people_ctx):
    record = appealed()
    act(record, "decide_appeal", "manager", outcome="upheld", decision="维持原决定")
    appeal = next(t for t in allowed_actions(record, user("clerk")) if t.key == "appeal")
    assert precondition_refusal(appeal, record, user("clerk")) == "此决定已经过申诉处理（维持原决定），不能再次申诉。"
    with pytest.raises(WorkflowError, match="不能再次申诉"):
        perform(record, "appeal", user("clerk"), reason="再次申诉")


# --- through the panel ------------------------------------------------------------------------------------------
def test_the_record_created_in_the_panel_names_its_proposer_who_then_sees_approve_disabled(app, staff, login_as):
    with app.app_context():
        case = make_case()
        case_id, quality, handler = case.id, department("质量管理部").id, user("handler").id
    approver = login_as("approver")
    response = approver.post_form("/admin/accountability/new/", {
        "case": str(case_id), "person": str(handler), "department": str(quality), "cause": "misoperation",
        "facts": "出厂检验漏检", "measure": "written_warning", "improvement": "加强培训"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    with app.app_context():
        record = db.session.scalar(select(Accountability))
        record_id, proposer = record.id, record.proposed_by.username
    assert proposer == "approver"
    page = approver.get(f"/admin/accountability/details/?id={record_id}").get_data(as_text=True)
    assert blocked_reason(page, "approve") == PROPOSED_BY_YOU and 'data-target="#wf-approve"' not in page
    manager_page = login_as("manager").get(f"/admin/accountability/details/?id={record_id}").get_data(as_text=True)
    assert 'data-target="#wf-approve"' in manager_page
    refused = approver.post_form(f"/admin/accountability/workflow/approve/?id={record_id}",
                                 {"version": "1"}, follow_redirects=True).get_data(as_text=True)
    assert PROPOSED_BY_YOU in refused
    with app.app_context():
        assert db.session.get(Accountability, record_id).status == "proposed"


def test_appeal_decision_changing_the_measure_through_the_panel_then_no_second_appeal(app, staff, login_as):
    with app.app_context():
        record = appealed()
        record_id, version = record.id, record.version
    manager = login_as("manager")
    dialog = manager.get(f"/admin/accountability/details/?id={record_id}").get_data(as_text=True)
    assert 'name="new_measure"' in dialog and 'name="new_fine"' in dialog and "撤销原决定" in dialog
    page = manager.post_form(f"/admin/accountability/workflow/decide_appeal/?id={record_id}", {
        "version": str(version), "outcome": "changed", "new_measure": "fine", "new_fine": "200",
        "decision": "改为经济处罚 200 元"}, follow_redirects=True).get_data(as_text=True)
    assert "已完成「申诉处理」" in page and "经济处罚" in page and "变更处理措施" in page
    with app.app_context():
        record = db.session.get(Accountability, record_id)
        assert (record.measure, record.fine_amount, record.status) == ("fine", Decimal("200.00"), "notified")
    clerk_page = login_as("clerk").get(f"/admin/accountability/details/?id={record_id}").get_data(as_text=True)
    assert blocked_reason(clerk_page, "appeal") == "此决定已经过申诉处理（变更处理措施），不能再次申诉。"
    assert 'data-target="#wf-appeal"' not in clerk_page
