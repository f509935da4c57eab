"""Who may do what to which record, as one table: each role × each status × each action, through kesu.policy.

The expected answers are written here, from the spec (DESIGN.md and issue 13), not read from the code under test:
a transition is started by its roles (admin by anyone's right) from its sources, a handler only on their own
department's records; fields are edited by stage; documents by their roles in the statuses they apply to.
A transition, status or document added to a machine needs its row here (the coverage tests say which).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from kesu import policy
from kesu.extensions import db
from kesu.models import (
    Accountability,
    Approval,
    Attachment,
    Case,
    Claim,
    ContactLog,
    Customer,
    GeneratedDocument,
    GoodsHold,
    LossItem,
    Payment,
    User,
)
from kesu.permissions import DEPARTMENT_PATHS, in_scope, row_condition
from kesu.policy import Act
from kesu.workflow import MACHINES
from tests.factories import department, make_case, make_claim, make_customer, user

ACTORS = ("admin", "clerk", "handler", "other_handler", "approver", "finance", "auditor")
MODELS = {"case": Case, "claim": Claim, "accountability": Accountability}

CASE_OPEN = {"registered", "accepted", "investigating", "solution_proposed", "approved", "customer_notified",
             "customer_confirmed", "implementing", "follow_up", "reopened"}
CLAIM_OPEN = {"submitted", "preliminary_review", "investigating", "assessed", "pending_approval", "approved",
              "customer_confirmed"}

#: transition → (the statuses it starts from, the roles that start it). "handler" means the department's own.
TRANSITIONS = {
    "case": {
        "accept": ({"registered"}, {"clerk"}),
        "reject": ({"registered"}, {"clerk"}),
        "assign": ({"accepted", "reopened"}, {"clerk"}),
        "propose": ({"investigating"}, {"handler"}),
        "send_back": ({"solution_proposed"}, {"approver"}),
        "approve": ({"solution_proposed"}, {"approver"}),
        "notify": ({"approved"}, {"clerk"}),
        "customer_agree": ({"customer_notified"}, {"clerk"}),
        "customer_disagree": ({"customer_notified"}, {"clerk"}),
        "implement": ({"customer_confirmed"}, {"clerk", "handler"}),
        "follow_up": ({"implementing"}, {"clerk"}),
        "close": ({"follow_up"}, {"clerk"}),
        "archive": ({"closed"}, {"clerk"}),
        "escalate": (CASE_OPEN, {"clerk", "handler", "approver"}),
        "extend": (CASE_OPEN, {"clerk", "approver"}),
        "appeal": ({"closed", "rejected"}, {"clerk"}),
        "transfer": ({"investigating"}, {"clerk", "approver", "handler"}),
        "confirm_signed": ({"customer_confirmed", "implementing", "follow_up"}, {"clerk"}),
    },
    "claim": {
        "review": ({"submitted"}, {"clerk"}),
        "investigate": ({"preliminary_review"}, {"clerk", "handler"}),
        "assess": ({"investigating"}, {"clerk", "handler"}),
        "submit_for_approval": ({"assessed"}, {"clerk"}),
        # finance countersigns; the approver here works in 客户服务部, not 法务部, so is no countersigner
        "countersign": ({"pending_approval"}, {"finance"}),
        "approve": ({"pending_approval"}, {"approver"}),
        "reject": ({"pending_approval"}, {"approver"}),
        "confirm": ({"approved"}, {"clerk"}),
        "pay": ({"customer_confirmed"}, {"finance"}),
        "close": ({"paid", "rejected"}, {"clerk"}),
    },
    "accountability": {
        "approve": ({"proposed"}, {"approver"}),
        "notify": ({"approved"}, {"clerk", "approver"}),
        "appeal": ({"notified"}, {"clerk", "approver"}),
        "decide_appeal": ({"appealed"}, {"approver"}),
        "execute": ({"notified"}, {"approver"}),
    },
}

CLERK, HANDLER, APPROVER = frozenset({"admin", "clerk"}), frozenset({"admin", "handler"}), frozenset({"admin", "approver"})
_LIBRARY = {"case_library": CLERK}
_REGISTRATION = {"registration": CLERK, "product": CLERK, **_LIBRARY}
#: status → field group → who edits it (issue 13, part 3): registration the clerk's until accepted and again when
#: reopened, 8D the department's handler's while investigating, the case library until closed, then nothing.
EDITABLE = {
    "case": {
        "registered": _REGISTRATION, "accepted": _LIBRARY, "investigating": {"investigation": HANDLER, **_LIBRARY},
        "solution_proposed": _LIBRARY, "approved": _LIBRARY, "customer_notified": _LIBRARY,
        "customer_confirmed": _LIBRARY, "implementing": _LIBRARY, "follow_up": _LIBRARY, "closed": {},
        "archived": {}, "rejected": {}, "reopened": _REGISTRATION,
    },
    "claim": {
        **{status: {"claim": CLERK} for status in ("submitted", "preliminary_review", "investigating", "assessed")},
        **{status: {} for status in ("pending_approval", "approved", "rejected", "customer_confirmed", "paid",
                                     "closed")},
    },
    "accountability": {"proposed": {"decision": APPROVER},
                       **{status: {} for status in ("approved", "notified", "appealed", "executed", "revoked")}},
}

_AFTER_ACCEPTED = (CASE_OPEN | {"closed", "archived"}) - {"registered"}
_INVESTIGATED = _AFTER_ACCEPTED - {"accepted"}
_DECIDED = {"approved", "customer_notified", "customer_confirmed", "implementing", "follow_up", "closed",
            "archived", "reopened"}
#: document → (its record, the statuses it is issued in, the roles that issue it).
DOCUMENTS = {
    "acknowledgement": ("case", _AFTER_ACCEPTED, CLERK),
    "investigation_report": ("case", _INVESTIGATED, CLERK | {"handler"}),
    "transfer_slip": ("case", _INVESTIGATED, CLERK | {"handler"}),
    "result_notice": ("case", _DECIDED | {"rejected"}, CLERK),
    "settlement_agreement": ("claim", {"approved", "customer_confirmed", "paid", "closed"}, CLERK),
    "accountability_decision": ("accountability", {"approved", "notified", "appealed", "executed"},
                                CLERK | {"approver"}),
}
EXPORTERS = {"admin", "handler", "other_handler", "approver", "finance", "auditor"}


def role_of(actor: str) -> str:
    return "handler" if actor == "other_handler" else actor


def own_department(actor: str) -> bool:
    return actor != "other_handler"


@pytest.fixture
def records(people_ctx):
    """One record of each machine, of 质量管理部 (the handler's department), and the actors by name."""
    case = make_case("质量管理部")
    claim = make_claim(case)
    accountability = Accountability(case=case, department=case.department, cause="other", facts="未按规程检验",
                                    measure="verbal_warning")
    db.session.add(accountability)
    db.session.commit()
    return {"case": case, "claim": claim, "accountability": accountability}, {a: user(a) for a in ACTORS}


# --- the tables cover every declared transition, status and document -----------------------------------------
@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_expectation_tables_cover_every_transition_and_status_declared(name):
    machine = MACHINES[MODELS[name]]
    assert set(TRANSITIONS[name]) == set(machine.transitions), "a transition needs its row in TRANSITIONS"
    assert set(EDITABLE[name]) == set(machine.states.keys), "a status needs its row in EDITABLE"


def test_the_expectation_table_covers_every_document():
    from kesu.documents.types import DOCUMENT_TYPES

    assert set(DOCUMENTS) == set(DOCUMENT_TYPES)


# --- role × status × transition -------------------------------------------------------------------------------
def expected_start(name: str, key: str, status: str, actor: str) -> bool:
    sources, roles = TRANSITIONS[name][key]
    return status in sources and own_department(actor) and (actor == "admin" or role_of(actor) in roles)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_who_may_start_each_transition_in_each_status(records, name, actor):
    by_name, people = records
    record, person = by_name[name], people[actor]
    expected, answered = {}, {}
    for status in MACHINES[MODELS[name]].states.keys:
        record.status = status
        for key in TRANSITIONS[name]:
            expected[status, key] = expected_start(name, key, status, actor)
            answered[status, key] = policy.may(person, Act.TRANSITION, record, key)
    assert answered == expected


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_refused_transition_says_why_in_chinese(records, name, actor):
    by_name, people = records
    record = by_name[name]
    for status in MACHINES[MODELS[name]].states.keys:
        record.status = status
        for key in TRANSITIONS[name]:
            reason = policy.refusal(people[actor], Act.TRANSITION, record, key)
            assert (reason is None) == expected_start(name, key, status, actor)
            assert reason is None or any("\u4e00" <= ch <= "\u9fff" for ch in reason)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_list_offers_a_bulk_transition_to_the_roles_that_start_it(records, name, actor):
    _by_name, people = records
    for key, (_sources, roles) in TRANSITIONS[name].items():
        expected = actor == "admin" or role_of(actor) in roles
        assert policy.may(people[actor], Act.TRANSITION, MODELS[name], key) == expected, key


def test_the_buttons_are_the_transitions_the_policy_allows(records):
    by_name, people = records
    case = by_name["case"]
    assert [t.key for t in policy.allowed_transitions(people["clerk"], case)] == ["accept", "reject", "escalate",
                                                                                  "extend"]
    assert policy.allowed_transitions(people["other_handler"], case) == []


# --- role × status × edit -------------------------------------------------------------------------------------
def expected_groups(name: str, status: str, actor: str) -> set[str]:
    if not own_department(actor):
        return set()
    return {group for group, roles in EDITABLE[name][status].items() if role_of(actor) in roles}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_who_may_edit_which_fields_in_each_status(records, name, actor):
    by_name, people = records
    record, person = by_name[name], people[actor]
    states = MACHINES[MODELS[name]].states
    for status in states.keys:
        record.status = status
        groups = expected_groups(name, status, actor)
        locked = set(policy.locked_fields(person, record))
        open_groups = {g.key for g in states.groups if not set(g.fields) & locked}
        assert policy.may(person, Act.EDIT, record) == bool(groups), status
        if own_department(actor):
            assert open_groups == groups, status
        for group in states.groups:
            for name_ in group.fields:
                refused = policy.field_refusal(person, record, name_)
                assert (refused is None) == (group.key in expected_groups(name, status, role_of(actor))), name_


def test_a_locked_field_is_refused_naming_it_and_what_to_do_instead(records):
    by_name, people = records
    case = by_name["case"]
    case.status = "closed"
    assert policy.field_refusal(people["clerk"], case, "description") == \
        "「说明」在“已结案”状态下不能修改，请通过「客户申诉」流程重新处理后修改。"
    case.status = "investigating"
    assert policy.field_refusal(people["clerk"], case, "root_cause") == \
        "「根本原因」在“调查中”状态下不能修改，只能由系统管理员、责任部门处理人修改。"
    accountability = by_name["accountability"]
    accountability.status = "approved"
    assert policy.field_refusal(people["approver"], accountability, "fine_amount") == \
        "「罚款金额（元）」在“已批准”状态下不能修改，只能通过流程操作改变。"


def test_goods_on_hold_and_loss_items_follow_their_parents_field(records):
    by_name, people = records
    case, claim = by_name["case"], by_name["claim"]
    with db.session.no_autoflush:  # rows being typed in, not saved
        hold = GoodsHold(case=case, location="in_stock", quantity=5)
        item = LossItem(claim=claim, description="滤网", quantity=1, unit_price=10)
        case.status, claim.status = "investigating", "assessed"
        assert policy.may(people["handler"], Act.CREATE, hold) and policy.may(people["clerk"], Act.DELETE, item)
        assert not policy.may(people["clerk"], Act.EDIT, hold)
        assert not policy.may(people["other_handler"], Act.EDIT, hold)
        case.status, claim.status = "solution_proposed", "pending_approval"
        assert "受影响货物" in policy.refusal(people["handler"], Act.CREATE, hold)
        assert "损失明细" in policy.refusal(people["clerk"], Act.DELETE, item)
    db.session.rollback()


# --- role × status × read, export, document -------------------------------------------------------------------
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_who_may_read_and_export(records, name, actor):
    by_name, people = records
    assert policy.may(people[actor], Act.READ, by_name[name]) == own_department(actor)
    assert policy.may(people[actor], Act.EXPORT, MODELS[name]) == (actor in EXPORTERS)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("doc_key", sorted(DOCUMENTS))
def test_who_may_generate_each_document_in_each_status(records, doc_key, actor):
    by_name, people = records
    name, statuses, roles = DOCUMENTS[doc_key]
    record = by_name[name]
    assert policy.may(people[actor], Act.DOCUMENT, MODELS[name], doc_key) == (role_of(actor) in roles)
    for status in MACHINES[MODELS[name]].states.keys:
        record.status = status
        expected = status in statuses and role_of(actor) in roles and own_department(actor)
        assert policy.may(people[actor], Act.DOCUMENT, record, doc_key) == expected, status


def test_nobody_is_allowed_anything_without_logging_in(records):
    from flask_login import AnonymousUserMixin

    by_name, _people = records
    anonymous = AnonymousUserMixin()
    for act in (Act.READ, Act.EDIT, Act.EXPORT):
        assert policy.refusal(anonymous, act, by_name["case"]) == "请先登录。"


# --- the department scope: one declaration, the SQL and the per-record check agree ---------------------------
@pytest.fixture
def two_departments(people_ctx):
    """Records of every declared kind in 质量管理部 and in 生产部."""
    made = []
    for name in ("质量管理部", "生产部"):
        case = make_case(name, customer=make_customer(f"{name}客户", "13811112222"))
        claim = make_claim(case)
        claim.loss_items.append(LossItem(description="滤网", quantity=1, unit_price=10))
        claim.approvals.append(Approval(user_id=user("approver").id, role="approver", kind="approval",
                                        decision="approve", amount=Decimal(1)))
        claim.payments.append(Payment(method="bank_transfer", amount=Decimal(1), voucher_no="V1",
                                      paid_on=date(2026, 12, 1)))
        case.goods_holds.append(GoodsHold(location="in_stock", quantity=1))
        case.contact_logs.append(ContactLog(channel="phone", direction="inbound", content="来电"))
        db.session.add_all([
            Accountability(case=case, department=case.department, cause="other", facts="漏检", measure="verbal_warning"),
            Attachment(case=case, filename="a.jpg", stored_name=f"{name}-a", content_type="image/jpeg", size=1,
                       sha256="0" * 64),
            Attachment(claim=claim, filename="b.jpg", stored_name=f"{name}-b", content_type="image/jpeg", size=1,
                       sha256="0" * 64),
        ])
        made.append(case)
    db.session.commit()
    return made


@pytest.mark.parametrize("model", sorted(DEPARTMENT_PATHS, key=lambda m: m.__name__), ids=lambda m: m.__name__)
def test_the_lists_scope_and_the_record_check_come_from_one_declaration_and_agree(two_departments, model):
    if model is GeneratedDocument:
        from kesu.documents import issue

        for case in two_departments:
            case.status = "accepted"
            issue(db.session, "acknowledgement", case, user("clerk"))
        db.session.commit()
    handler = user("handler")
    rows = db.session.scalars(select(model)).all()
    seen = set(db.session.scalars(select(model.id).where(row_condition(model, handler))))
    assert rows and seen, model
    assert {row.id for row in rows if in_scope(handler, row)} == seen
    if model is not User:
        assert seen != {row.id for row in rows}, "the other department's rows are out of sight"


def test_a_handler_without_a_department_sees_nothing_and_every_other_role_sees_everything(two_departments):
    orphan = user("handler")
    orphan.department_id = None
    assert not in_scope(orphan, two_departments[0])
    assert db.session.scalars(select(Case.id).where(row_condition(Case, orphan))).all() == []
    assert row_condition(Case, user("clerk")) is None and in_scope(user("auditor"), two_departments[1])
    assert row_condition(Customer, user("finance")) is None
    assert department("生产部").id == two_departments[1].department_id
