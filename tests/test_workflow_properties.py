"""Property: whatever random roles try in whatever order, the machines keep their promises."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kesu.extensions import db
from kesu.models import AuditEvent
from kesu.timeutil import local_today, utcnow
from kesu.workflow import MACHINES, WorkflowError, perform
from kesu.workflow.claim import required_reviews
from tests.factories import department, make_case, make_claim, user

ROLES = ("admin", "clerk", "handler", "other_handler", "approver", "manager", "finance", "auditor", "legal")
AMOUNTS = (Decimal("1000"), Decimal("8000"), Decimal("30000"), Decimal("60000"), Decimal("250000"))
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def case_fields(action: str, amount: Decimal) -> dict:
    return {
        "accept": {"reason": "属实"}, "reject": {"reason": "不属实"}, "send_back": {"comment": "再查"},
        "assign": {"department": department("质量管理部"), "handler": user("handler")},
        "propose": {"resolution_type": "compensation", "amount": amount},
        "notify": {"channel": "phone"}, "customer_agree": {"channel": "phone", "opinion": "同意"},
        "customer_disagree": {"channel": "phone", "opinion": "不同意"}, "confirm_signed": {"signed_on": local_today()},
        "transfer": {"department": department("生产部"), "handler": user("other_handler"), "reason": "属生产问题"},
        "follow_up": {"content": "回访"}, "close": {"satisfaction": 4, "feedback": "好", "reason": "已确认"},
        "escalate": {"reason": "加急"}, "extend": {"new_deadline": utcnow() + timedelta(days=5), "reason": "检测"},
        "appeal": {"reason": "不服"},
    }.get(action, {})


def claim_fields(action: str, amount: Decimal) -> dict:
    return {
        "assess": {"verified_loss": amount, "compensation_form": "cash"},
        "submit_for_approval": {"amount": amount},
        "reject": {"comment": "不予赔偿"},
        "confirm": {"payment_method": "bank_transfer", "instalments": 1},
        "pay": {"method": "bank_transfer", "amount": amount, "voucher_no": "PZ", "paid_on": local_today()},
    }.get(action, {})


def status_changes(record) -> int:
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(("transition", "update")), AuditEvent.record_type == type(record).__tablename__,
        AuditEvent.record_id == record.id))
    return sum(1 for e in events if e.changes and "status" in e.changes)


def run_steps(record, steps, fields_for) -> int:
    machine = MACHINES[type(record)]
    changes = 0
    for action, role, amount in steps:
        before = record.status
        try:
            perform(record, action, user(role), **fields_for(action, amount))
            db.session.commit()
        except WorkflowError:
            db.session.rollback()
        assert record.status in machine.statuses
        changes += record.status != before
        yield_invariants(record)
    assert status_changes(record) == changes  # every status change has exactly one audit event
    return changes


def yield_invariants(record) -> None:
    if not hasattr(record, "claim_no"):
        return
    claim = record
    assert claim.paid_total <= (claim.approved_amount or 0)
    if claim.approved_amount is not None:
        approval = next(a for a in claim.approvals if a.kind == "approval" and a.decision == "approve")
        assert claim.approved_amount <= approval.user.approval_limit
        assert approval.user_id != claim.proposed_by_id
        signed = {a.kind for a in claim.approvals if a.kind != "approval"}
        assert required_reviews(claim) <= signed


def steps_for(machine_name: str):
    actions = sorted(next(m for m in MACHINES.values() if m.name == machine_name).transitions)
    return st.lists(st.tuples(st.sampled_from(actions), st.sampled_from(ROLES), st.sampled_from(AMOUNTS)),
                    min_size=5, max_size=40)


@SETTINGS
@given(steps=steps_for("case"))
def test_random_case_actions_keep_the_machine(people_ctx, steps):
    case = make_case(department_name=None, root_cause="来料不良", corrective_action="换批次")
    run_steps(case, steps, case_fields)


@SETTINGS
@given(steps=steps_for("claim"))
def test_random_claim_actions_never_overpay_or_approve_beyond_limits(people_ctx, steps):
    case = make_case()
    claim = make_claim(case, amount="300000")
    run_steps(claim, steps, claim_fields)


def test_guided_claim_reaches_paid_under_the_same_checks(people_ctx):
    """The property test's helpers can reach the far states, so its invariants are really exercised."""
    claim = make_claim(make_case(), amount="300000")
    steps = [("review", "clerk", AMOUNTS[0]), ("investigate", "handler", AMOUNTS[0]),
             ("assess", "clerk", AMOUNTS[3]), ("submit_for_approval", "clerk", AMOUNTS[3]),
             ("countersign", "legal", AMOUNTS[0]), ("countersign", "finance", AMOUNTS[0]),
             ("approve", "approver", AMOUNTS[0]), ("approve", "manager", AMOUNTS[0]), ("confirm", "clerk", AMOUNTS[0]),
             ("pay", "finance", AMOUNTS[2]), ("pay", "finance", AMOUNTS[2]), ("pay", "finance", AMOUNTS[2])]
    run_steps(claim, steps, claim_fields)
    assert claim.status == "paid" and claim.paid_total == Decimal("60000.00")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "transition", AuditEvent.record_id == claim.id, AuditEvent.record_type == "claim")) == 11
    # 12 steps, 11 performed (the approver's over-limit approval passes the claim up); the third payment,
    # 90,000 against 60,000 approved, is refused and leaves no event.
