"""The state machines, without the web layer: legal paths, refusals with their reasons, limits, countersign, payments."""
from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

from kesu.extensions import db
from kesu.models import Accountability, AuditEvent, Case, Claim
from kesu.timeutil import local_today, utcnow
from kesu.workflow import allowed_actions, perform, WorkflowError
from tests.factories import department, make_case, make_claim, user


@pytest.fixture
def people(ctx, staff):
    names = ("admin", "clerk", "handler", "other_handler", "approver", "manager", "finance", "auditor")
    found = {name: user(name) for name in names}
    found["legal"] = _make_legal_reviewer()
    return found


def _make_legal_reviewer():
    from kesu.models import User

    legal = User(username="legal", role="approver", department=department("法务部"), approval_limit=0)
    legal.set_password("long-enough-pw")
    db.session.add(legal)
    db.session.commit()
    return legal


def act(record, action, actor, **fields):
    status = perform(record, action, actor, **fields)
    db.session.commit()
    return status


def transitions_of(record) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "transition", AuditEvent.record_type == type(record).__tablename__,
        AuditEvent.record_id == record.id).order_by(AuditEvent.id)))


def investigated_case(people) -> Case:
    case = make_case(department_name=None)
    act(case, "accept", people["clerk"], reason="投诉属实")
    act(case, "assign", people["clerk"], department=department("质量管理部"), handler=people["handler"])
    case.root_cause, case.corrective_action = "来料电容批次失效", "更换供应商批次"
    db.session.commit()
    return case


def test_case_goes_from_registration_to_archive(people):
    case = investigated_case(people)
    act(case, "propose", people["handler"], resolution_type="replacement", amount=Decimal("800"), comment="换新机")
    act(case, "approve", people["approver"])
    act(case, "notify", people["clerk"], channel="phone")
    act(case, "customer_agree", people["clerk"], channel="phone", opinion="同意换新")
    act(case, "implement", people["handler"])
    act(case, "confirm_signed", people["clerk"], signed_on=local_today())
    act(case, "follow_up", people["clerk"], content="新机已送达，运行正常")
    act(case, "close", people["clerk"], satisfaction=5, feedback="满意")
    act(case, "archive", people["clerk"])
    assert case.status == "archived" and case.archived_at and case.closed_at
    events = transitions_of(case)
    assert [e.changes["status"] for e in events if "status" in e.changes] == [
        ["registered", "accepted"], ["accepted", "investigating"], ["investigating", "solution_proposed"],
        ["solution_proposed", "approved"], ["approved", "customer_notified"],
        ["customer_notified", "customer_confirmed"], ["customer_confirmed", "implementing"],
        ["implementing", "follow_up"], ["follow_up", "closed"], ["closed", "archived"]]
    assert events[0].username == "clerk" and events[0].comment == "受理：投诉属实"
    opinions = [log.opinion for log in case.contact_logs]
    assert "agree" in opinions and len(case.contact_logs) == 3  # notify, customer's opinion, follow-up


def test_refused_step_changes_nothing_and_says_why(people):
    case = make_case()
    with pytest.raises(WorkflowError, match="请填写理由"):
        perform(case, "reject", people["clerk"])
    with pytest.raises(WorkflowError, match="审计.*不能执行「受理」"):
        perform(case, "accept", people["auditor"], reason="x")
    with pytest.raises(WorkflowError, match="当前状态为「已登记」，不能执行「结案」"):
        perform(case, "close", people["clerk"], satisfaction=5, feedback="x")
    db.session.rollback()
    assert db.session.get(Case, case.id).status == "registered"
    assert transitions_of(case) == []


def test_reject_sets_reason_and_appeal_deadline_then_appeal_reopens(people):
    case = make_case()
    act(case, "reject", people["clerk"], reason="系客户使用不当所致")
    assert case.status == "rejected" and case.is_valid is False
    assert timedelta(days=29) < case.appeal_deadline - utcnow() <= timedelta(days=30)
    act(case, "appeal", people["clerk"], reason="客户提供了新的检测报告")
    assert case.status == "reopened"


def test_appeal_after_the_period_is_refused(people):
    case = make_case()
    act(case, "reject", people["clerk"], reason="不属于质量问题")
    with time_machine.travel(utcnow() + timedelta(days=31)):
        with pytest.raises(WorkflowError, match="已超过申诉期限"):
            perform(case, "appeal", people["clerk"], reason="迟到的申诉")


def test_only_the_responsible_departments_handler_may_propose(people):
    case = investigated_case(people)
    with pytest.raises(WorkflowError, match="只有责任部门的处理人"):
        perform(case, "propose", people["other_handler"], resolution_type="repair")


def test_propose_needs_the_investigation_written(people):
    case = investigated_case(people)
    case.root_cause = ""
    with pytest.raises(WorkflowError, match="根本原因和纠正措施"):
        perform(case, "propose", people["handler"], resolution_type="repair")


def test_assign_needs_a_handler_of_that_department(people):
    case = make_case(department_name=None)
    act(case, "accept", people["clerk"], reason="属实")
    with pytest.raises(WorkflowError, match="不属于生产部"):
        perform(case, "assign", people["clerk"], department=department("生产部"), handler=people["handler"])


def test_approval_above_limit_passes_the_case_up(people):
    case = investigated_case(people)
    act(case, "propose", people["handler"], resolution_type="compensation", amount=Decimal("50000"))
    assert act(case, "approve", people["approver"], comment="超出额度") == "solution_proposed"  # limit 20,000
    passed = case.approvals[-1]
    assert (passed.decision, passed.user_id, passed.amount) == ("escalate", people["approver"].id, Decimal("50000"))
    assert case.passed_up_limit == Decimal("20000") and "上一级主管（授权额度 ¥200,000.00）" in case._workflow_notice
    with pytest.raises(WorkflowError, match="此方案已上报授权额度高于 ¥20,000.00 的主管审批"):
        perform(case, "approve", people["approver"])
    db.session.rollback()
    assert act(case, "approve", people["manager"]) == "approved"  # limit 200,000
    assert [a.decision for a in case.approvals] == ["escalate", "approve"]


def test_close_without_customer_confirmation_needs_a_reason(people):
    case = investigated_case(people)
    for action, actor, fields in (("propose", "handler", {"resolution_type": "apology"}), ("approve", "approver", {}),
                                  ("notify", "clerk", {"channel": "letter"})):
        act(case, action, people[actor], **fields)
    case.status = "follow_up"  # as if the customer could not be reached to sign
    case.customer_confirmed = False
    db.session.commit()
    with pytest.raises(WorkflowError, match="结案须写明理由"):
        perform(case, "close", people["clerk"], satisfaction=3, feedback="无法联系")
    assert act(case, "close", people["clerk"], satisfaction=3, feedback="无法联系", reason="客户失联，已书面告知") == "closed"


def test_customer_disagreement_sends_the_solution_back(people):
    case = investigated_case(people)
    act(case, "propose", people["handler"], resolution_type="repair")
    act(case, "approve", people["approver"])
    act(case, "notify", people["clerk"], channel="phone")
    assert act(case, "customer_disagree", people["clerk"], channel="phone", opinion="要求换新而不是维修") == \
        "solution_proposed"
    assert case.contact_logs[0].opinion == "disagree" or "disagree" in [c.opinion for c in case.contact_logs]


def test_deadline_extends_once_within_thirty_days(people):
    case = make_case()
    case.next_due_at = utcnow() + timedelta(days=1)
    db.session.commit()
    with pytest.raises(WorkflowError, match="不能超过 30 天"):
        perform(case, "extend", people["clerk"], new_deadline=case.next_due_at + timedelta(days=31), reason="复杂")
    act(case, "extend", people["clerk"], new_deadline=case.next_due_at + timedelta(days=10), reason="需第三方检测")
    with pytest.raises(WorkflowError, match="已延期过一次"):
        perform(case, "extend", people["clerk"], new_deadline=case.next_due_at + timedelta(days=1), reason="再延")


def test_escalate_raises_the_level_and_keeps_the_state(people):
    case = make_case()
    act(case, "escalate", people["clerk"], reason="客户威胁投诉至12315")
    assert case.status == "registered" and case.escalation_level == 1
    assert transitions_of(case)[-1].changes["escalation_level"] == [0, 1]


def test_buttons_offered_match_role_and_state(people):
    case = make_case()
    assert {t.key for t in allowed_actions(case, people["clerk"])} == {"accept", "reject", "escalate", "extend"}
    assert {t.key for t in allowed_actions(case, people["auditor"])} == set()


# --- claims ---------------------------------------------------------------------------------------------------
def claim_ready_for_approval(people, amount: str) -> Claim:
    case = investigated_case(people)
    claim = make_claim(case, amount=str(Decimal(amount) * 2))
    act(claim, "review", people["clerk"])
    act(claim, "investigate", people["handler"])
    act(claim, "assess", people["handler"], verified_loss=Decimal(amount), compensation_form="cash")
    act(claim, "submit_for_approval", people["clerk"], amount=Decimal(amount))
    return claim


def test_claim_goes_from_submission_to_closure_with_partial_payments(people):
    claim = claim_ready_for_approval(people, "8000")
    act(claim, "approve", people["approver"], comment="同意")
    act(claim, "confirm", people["clerk"], payment_method="bank_transfer", instalments=2,
        payment_plan="首期 ¥3,000.00，余款 ¥5,000.00 于下月付清")
    assert act(claim, "pay", people["finance"], method="bank_transfer", amount=Decimal("3000"),
               voucher_no="PZ-1", paid_on=local_today()) == "customer_confirmed"
    assert act(claim, "pay", people["finance"], method="bank_transfer", amount=Decimal("5000"),
               voucher_no="PZ-2", paid_on=local_today()) == "paid"
    act(claim, "close", people["clerk"])
    assert claim.status == "closed" and claim.paid_total == claim.approved_amount == Decimal("8000.00")


def test_paid_total_never_exceeds_the_approved_amount(people):
    claim = claim_ready_for_approval(people, "8000")
    act(claim, "approve", people["approver"])
    act(claim, "confirm", people["clerk"], payment_method="cash", instalments=1)
    act(claim, "pay", people["finance"], method="cash", amount=Decimal("7000"), voucher_no="PZ-1",
        paid_on=local_today())
    with pytest.raises(WorkflowError, match="支付总额不能超过批准金额 ¥8,000.00（已支付 ¥7,000.00）"):
        perform(claim, "pay", people["finance"], method="cash", amount=Decimal("1000.01"), voucher_no="PZ-2",
                paid_on=local_today())


def test_approval_above_limit_passes_the_claim_up(people):
    claim = claim_ready_for_approval(people, "30000")  # needs finance countersign (> 10,000)
    act(claim, "countersign", people["finance"], comment="预算可承担")
    assert act(claim, "approve", people["approver"]) == "pending_approval"  # limit 20,000: passed up
    assert claim.approvals[-1].decision == "escalate" and claim.approved_amount is None
    with pytest.raises(WorkflowError, match="此方案已上报授权额度高于 ¥20,000.00 的主管审批"):
        perform(claim, "approve", people["approver"])
    db.session.rollback()
    assert act(claim, "approve", people["manager"]) == "approved"
    assert claim.approved_amount == Decimal("30000.00")


# --- passing a proposal up: one rule for cases and claims (kesu.workflow.approval) ---------------------------
def proposed_case(people, amount: str) -> Case:
    case = investigated_case(people)
    act(case, "propose", people["handler"], resolution_type="compensation", amount=Decimal(amount))
    return case


def make_director(limit: str = "10000000"):
    from kesu.models import User

    director = User(username="director", role="approver", department=department("总经理办公室"),
                    approval_limit=Decimal(limit))
    director.set_password("long-enough-pw")
    db.session.add(director)
    db.session.commit()
    return director


def test_cases_and_claims_pass_up_with_the_same_record_and_message(people):
    case = proposed_case(people, "30000")
    claim = claim_ready_for_approval(people, "30000")
    act(claim, "countersign", people["finance"])
    notices = []
    for record in (case, claim):
        perform(record, "approve", people["approver"], comment="超出额度")
        notices.append(record.__dict__.pop("_workflow_notice"))
        db.session.commit()
    assert notices[0] == notices[1] == ("您的审批意见已记录。金额 ¥30,000.00 超出您的授权额度 ¥20,000.00，"
                                        "已上报上一级主管（授权额度 ¥200,000.00）审批。")
    for record in (case, claim):
        assert [(a.kind, a.decision, a.comment) for a in record.approvals if a.kind == "approval"] == [
            ("approval", "escalate", "超出额度")]


def test_a_proposal_climbs_one_level_at_a_time_until_a_limit_covers_it(people):
    director = make_director()
    case = proposed_case(people, "500000")
    assert act(case, "approve", people["approver"]) == "solution_proposed"  # 20,000 → waits at 200,000
    assert act(case, "approve", people["manager"]) == "solution_proposed"  # 200,000 → waits at 10,000,000
    for lower in ("approver", "manager"):
        with pytest.raises(WorkflowError, match="已上报授权额度高于 ¥200,000.00"):
            perform(case, "approve", people[lower])
        db.session.rollback()
    assert act(case, "approve", director) == "approved"
    assert [(a.user_id, a.decision) for a in case.approvals] == [
        (people["approver"].id, "escalate"), (people["manager"].id, "escalate"), (director.id, "approve")]


def test_a_higher_level_may_decide_before_the_proposal_is_passed_up(people):
    case = proposed_case(people, "15000")  # waits at the lowest level, 20,000
    assert act(case, "approve", people["manager"]) == "approved"


def test_nobody_passes_up_what_no_approver_may_approve(people):
    case = proposed_case(people, "300000")  # the highest limit is 200,000
    with pytest.raises(WorkflowError, match="没有授权额度达到 ¥300,000.00 的主管，无法上报"):
        perform(case, "approve", people["approver"])
    db.session.rollback()
    assert case.approvals == [] and case.status == "solution_proposed"


def test_whoever_passed_a_proposal_up_no_longer_rejects_or_sends_it_back(people):
    case = proposed_case(people, "50000")
    claim = claim_ready_for_approval(people, "30000")
    act(claim, "countersign", people["finance"])
    act(case, "approve", people["approver"])
    act(claim, "approve", people["approver"])
    for record, action in ((case, "send_back"), (claim, "reject")):
        with pytest.raises(WorkflowError, match="此方案已上报"):
            perform(record, action, people["approver"], comment="不同意")
        db.session.rollback()
    assert act(case, "send_back", people["manager"], comment="请补充检测报告") == "investigating"


def test_a_proposal_sent_back_and_proposed_again_starts_at_the_lowest_level(people):
    case = proposed_case(people, "50000")
    act(case, "approve", people["approver"])
    act(case, "send_back", people["manager"], comment="金额过高")
    assert case.passed_up_limit is None
    act(case, "propose", people["handler"], resolution_type="repair", amount=Decimal("5000"))
    assert act(case, "approve", people["approver"]) == "approved"


def test_an_approver_without_a_limit_decides_nothing(people):
    case = proposed_case(people, "100")
    with pytest.raises(WorkflowError, match="您的授权额度为 ¥0.00，不能审批"):
        perform(case, "approve", people["legal"])


def test_approve_is_refused_until_countersigns_are_in(people):
    claim = claim_ready_for_approval(people, "60000")  # legal (> 50,000) and finance (> 10,000)
    with pytest.raises(WorkflowError, match="法务会签、财务会签"):
        perform(claim, "approve", people["manager"])
    db.session.rollback()
    act(claim, "countersign", people["legal"])
    with pytest.raises(WorkflowError, match="财务会签"):
        perform(claim, "approve", people["manager"])
    db.session.rollback()
    act(claim, "countersign", people["finance"])
    assert act(claim, "approve", people["manager"]) == "approved"


def test_countersign_only_by_legal_or_finance_and_once(people):
    claim = claim_ready_for_approval(people, "60000")
    with pytest.raises(WorkflowError, match="只有法务部或财务人员可以会签"):
        perform(claim, "countersign", people["approver"])
    act(claim, "countersign", people["finance"])
    with pytest.raises(WorkflowError, match="财务会签已完成"):
        perform(claim, "countersign", people["finance"])


def test_nobody_approves_their_own_proposal(people):
    claim = claim_ready_for_approval(people, "5000")
    claim.proposed_by_id = people["approver"].id
    db.session.commit()
    with pytest.raises(WorkflowError, match="不能审批自己提交的方案"):
        perform(claim, "approve", people["approver"])


def test_two_approvers_at_once_exactly_one_succeeds(app, people):
    claim_id = claim_ready_for_approval(people, "5000").id
    db.session.remove()
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def approve(name: str) -> None:
        barrier.wait(timeout=30)  # start together; SQLite then serialises them, PostgreSQL races them
        with app.app_context():
            claim = db.session.get(Claim, claim_id)
            approver = user(name)
            try:
                perform(claim, "approve", approver, comment=name)
                db.session.commit()
                results[name] = "ok"
            except WorkflowError as error:
                db.session.rollback()
                results[name] = str(error)

    threads = [threading.Thread(target=approve, args=(name,)) for name in ("approver", "manager")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()).count("ok") == 1, results
    refused = next(message for message in results.values() if message != "ok")
    assert "其他用户处理过" in refused or "不能执行「审批」" in refused
    assert db.session.get(Claim, claim_id).status == "approved"


# --- accountability --------------------------------------------------------------------------------------------
def test_accountability_with_appeal_to_execution(people):
    case = investigated_case(people)
    record = Accountability(case=case, person=people["handler"], department=department("质量管理部"),
                            cause="misoperation", facts="装配扭矩设置错误", measure="written_warning")
    db.session.add(record)
    db.session.commit()
    act(record, "approve", people["manager"])
    act(record, "notify", people["clerk"])
    act(record, "appeal", people["clerk"], reason="设备故障所致，非本人操作")
    act(record, "decide_appeal", people["manager"], outcome="upheld", decision="维持原决定")
    assert act(record, "execute", people["manager"]) == "executed"
    assert record.appeal_decision == "维持原决定" and record.executed_at is not None


def test_nobody_approves_accountability_about_themselves(people):
    case = investigated_case(people)
    record = Accountability(case=case, person=people["manager"], cause="other", facts="x", measure="verbal_warning")
    db.session.add(record)
    db.session.commit()
    with pytest.raises(WorkflowError, match="涉及您本人，须由其他主管审批"):
        perform(record, "approve", people["manager"])
