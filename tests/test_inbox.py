"""The 待办 inbox and 我经手的: each role's inbox holds exactly what awaits them, a proposal passed up moves to the
next level's inbox, deadlines are marked, the top bar counts the inbox on every page."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import and_, exists, or_, select

from kesu import inbox as inbox_module
from kesu.audit import acting_as
from kesu.extensions import db
from kesu.models import Accountability, Approval, Case, Claim
from kesu.timeutil import format_local, utcnow
from kesu.workflow import MACHINES, allowed_actions
from kesu.workflow.approval import not_own_proposal, waiting_level
from kesu.workflow.statuses import STATUSES
from tests.factories import department, make_case, make_claim, user

ROLES = ("clerk", "handler", "other_handler", "approver", "manager", "finance", "legal", "admin", "auditor")
ENDPOINTS = {"case": Case, "claim": Claim, "accountability": Accountability}
ROW_LINK = re.compile(r'<a href="/admin/(case|claim|accountability)/details/\?id=(\d+)[^"]*" data-kesu-open>')
COUNT_BADGE = re.compile(r'kesu-inbox-count"[^>]*>(\d+)<')


@pytest.fixture
def desk(app, staff):
    """The staff plus a legal reviewer (an approver of 法务部 with no approval limit)."""
    from tests.test_workflow import _make_legal_reviewer

    with app.app_context():
        _make_legal_reviewer()
    return app


def _set(record, **fields):
    for name, value in fields.items():
        setattr(record, name, value)


@pytest.fixture
def mixed(desk):
    """Records of every status of every machine in two departments, and the variations that decide whom a record
    awaits: proposals passed up or not, proposed by the approver, countersigns due or given, accountability
    naming the approver. Deadlines differ so the order is known."""
    with desk.app_context(), acting_as(None, "test setup"):
        approver, manager, finance = user("approver"), user("manager"), user("finance")
        now, n = utcnow(), 0
        for name in ("质量管理部", "生产部"):
            for status in STATUSES["case"].keys:
                n += 1
                case = make_case(name, title=f"{name}{status}")
                _set(case, status=status, next_due_at=now + timedelta(hours=n), proposed_amount=Decimal("5000"))
            for status in STATUSES["claim"].keys:
                n += 1
                claim = make_claim(make_case(name, title=f"{name}索赔{status}"), reason=f"{name}索赔{status}")
                _set(claim, status=status, next_due_at=now + timedelta(hours=n), proposed_amount=Decimal("5000"))
            for status in STATUSES["accountability"].keys:
                db.session.add(Accountability(case=make_case(name), status=status, department=department(name),
                                              cause="other", facts=f"{name}追责{status}", measure="verbal_warning"))
        passed_case = make_case("质量管理部", title="已上报的方案")
        _set(passed_case, status="solution_proposed", proposed_amount=Decimal("50000"),
             passed_up_limit=Decimal("20000"))
        own_case = make_case("质量管理部", title="主管自己拟定的方案")
        _set(own_case, status="solution_proposed", proposed_by_id=approver.id)
        claim_case = make_case("生产部", title="索赔用案件")
        for amount, passed, signed in (("30000", None, ()), ("30000", None, ("finance_review",)),
                                       ("60000", None, ("finance_review",)), ("60000", Decimal("20000"), ())):
            claim = make_claim(claim_case, amount="100000", reason=f"待审批 {amount} {passed} {signed}")
            _set(claim, status="pending_approval", proposed_amount=Decimal(amount), passed_up_limit=passed)
            for kind in signed:
                claim.approvals.append(Approval(user_id=finance.id, role="finance", kind=kind, decision="approve",
                                                amount=claim.proposed_amount))
        for person, facts in ((approver, "追究主管本人"), (manager, "追究经理本人")):
            db.session.add(Accountability(case=claim_case, status="proposed", person=person, cause="other",
                                          facts=facts, measure="verbal_warning"))
        db.session.commit()
    return desk


def expected(name: str) -> set[tuple[str, int]]:
    """What awaits each role, as the spec says it, in plain queries (not through the declarations)."""
    me = user(name)
    dept = me.department_id
    case_open = ("registered", "accepted", "reopened", "approved", "customer_notified", "customer_confirmed",
                 "implementing", "follow_up", "closed")
    claim_open = ("submitted", "preliminary_review", "investigating", "assessed", "approved", "paid", "rejected")
    not_mine = or_(Case.proposed_by_id.is_(None), Case.proposed_by_id != me.id)
    not_mine_claim = or_(Claim.proposed_by_id.is_(None), Claim.proposed_by_id != me.id)
    not_named = or_(Accountability.person_id.is_(None), Accountability.person_id != me.id)
    accountability_steps = Accountability.status.in_(("approved", "notified")) | and_(
        Accountability.status.in_(("proposed", "appealed")), not_named)

    def signed(kind):
        return exists().where(Approval.claim_id == Claim.id, Approval.kind == kind, Approval.decision == "approve")

    queries = {
        "clerk": [select(Case.id).where(Case.status.in_(case_open)), select(Claim.id).where(Claim.status.in_(claim_open)),
                  select(Accountability.id).where(Accountability.status == "approved")],
        "handler": [select(Case.id).where(Case.department_id == dept,
                                          Case.status.in_(("investigating", "customer_confirmed"))),
                    select(Claim.id).join(Case).where(Case.department_id == dept,
                                                      Claim.status.in_(("preliminary_review", "investigating")))],
        # The lowest level (20,000): what nobody has passed up yet.
        "approver": [select(Case.id).where(Case.status == "solution_proposed", Case.passed_up_limit.is_(None), not_mine),
                     select(Claim.id).where(Claim.status == "pending_approval", Claim.passed_up_limit.is_(None),
                                            not_mine_claim),
                     select(Accountability.id).where(accountability_steps)],
        # The next level (200,000): what the lowest level passed up.
        "manager": [select(Case.id).where(Case.status == "solution_proposed", Case.passed_up_limit == 20000, not_mine),
                    select(Claim.id).where(Claim.status == "pending_approval", Claim.passed_up_limit == 20000,
                                           not_mine_claim),
                    select(Accountability.id).where(accountability_steps)],
        "finance": [select(Claim.id).where(Claim.status == "customer_confirmed"),
                    select(Claim.id).where(Claim.status == "pending_approval", Claim.proposed_amount > 10000,
                                           ~signed("finance_review"))],
        # An approver without a limit decides no proposal; as legal staff they countersign above 50,000.
        "legal": [select(Claim.id).where(Claim.status == "pending_approval", Claim.proposed_amount > 50000,
                                         ~signed("legal_review")),
                  select(Accountability.id).where(accountability_steps)],
    }
    queries["other_handler"] = queries["handler"]  # of their own department (生产部)
    found = set()
    for query in queries.get(name, []):
        kind = query.column_descriptions[0]["entity"].__tablename__
        found |= {(kind, record_id) for record_id in db.session.scalars(query)}
    return found


def shown(client) -> tuple[set[tuple[str, int]], int]:
    page = client.get("/admin/").get_data(as_text=True)
    rows = {(kind, int(record_id)) for kind, record_id in ROW_LINK.findall(page)}
    return rows, int(COUNT_BADGE.search(page).group(1))


@pytest.mark.parametrize("name", ROLES)
def test_each_roles_inbox_holds_exactly_the_records_that_await_them(mixed, login_as, name):
    with mixed.app_context():
        wanted = expected(name)
        listed = inbox_module.inbox(user(name), per_page=500)
    assert {(row.kind, row.id) for row in listed.rows} == wanted and listed.total == len(wanted)
    assert (name in ("admin", "auditor")) == (not wanted)
    if name == "legal":  # made by tests.test_workflow with its own password
        client = mixed.test_client()
        assert client.login("legal", "long-enough-pw").status_code == 302
    else:
        client = login_as(name)
    rows, badge = shown(client)  # the page through HTTP: the first 50, the badge counting all
    assert badge == len(wanted) and rows <= wanted and len(rows) == min(50, len(wanted))


def test_the_inbox_agrees_with_the_workflows_own_rules_for_every_user_and_record(mixed):
    """Independently of the SQL: every record for which the workflow offers a user a next step (role, status,
    department, eligibility), within the approval level, not proposed by or about them, and with a countersign
    still due, is in their inbox, and nothing else."""
    from kesu.workflow.accountability import not_about_oneself
    from kesu.workflow.claim import can_countersign

    def waits(record, step, me) -> bool:
        if step.key in ("approve", "reject", "send_back") and not isinstance(record, Accountability):
            return waiting_level(record) == me.approval_limit and not_own_proposal(record, me, {}) is None
        if step.key == "countersign":
            return can_countersign(record, me, {}) is None
        if isinstance(record, Accountability) and step.key in ("approve", "decide_appeal"):
            return not_about_oneself(record, me, {}) is None
        return step.awaits is None

    with mixed.app_context():
        records = [r for model in MACHINES for r in db.session.scalars(select(model))]
        for name in ROLES:
            me = user(name)
            oracle = {(type(r).__tablename__, r.id) for r in records if me.role != "admin" and any(
                step.is_next_step and waits(r, step, me) for step in allowed_actions(r, me))}
            listed = inbox_module.inbox(me, per_page=500)
            assert {(row.kind, row.id) for row in listed.rows} == oracle, name


def test_occasional_actions_open_everywhere_put_nothing_in_the_inbox(mixed):
    with mixed.app_context():
        case = db.session.scalar(select(Case).where(Case.status == "registered"))
        offered = {t.key for t in allowed_actions(case, user("approver"))}
        assert {"escalate", "extend"} <= offered  # the approver may escalate or extend any open case…
        listed = inbox_module.inbox(user("approver"), per_page=500)
        assert ("case", case.id) not in {(row.kind, row.id) for row in listed.rows}  # …which does not await them


def test_a_step_that_keeps_the_status_is_occasional_unless_declared_a_next_step():
    case, claim = MACHINES[Case].transitions, MACHINES[Claim].transitions
    assert not case["escalate"].is_next_step and not case["extend"].is_next_step
    assert not case["appeal"].is_next_step  # declared: an appeal comes from the customer, not from a desk
    assert case["accept"].is_next_step and case["approve"].is_next_step and claim["pay"].is_next_step
    assert claim["countersign"].is_next_step  # keeps the status, declared a next step


# --- passing up -------------------------------------------------------------------------------------------
def _act(client, kind: str, record_id: int, action: str, version: int, **fields):
    return client.post_form(f"/admin/{kind}/workflow/{action}/?id={record_id}",
                            {"version": str(version), **fields}, follow_redirects=True)


def test_a_passed_up_claim_leaves_the_first_approvers_inbox_for_the_next_levels(desk, login_as):
    with desk.app_context():
        claim = make_claim(make_case("质量管理部"), amount="60000")
        _set(claim, status="pending_approval", proposed_amount=Decimal("30000"))
        claim.approvals.append(Approval(user_id=user("finance").id, role="finance", kind="finance_review",
                                        decision="approve", amount=Decimal("30000")))
        db.session.commit()
        key, version = ("claim", claim.id), claim.version
    approver, manager = login_as("approver"), login_as("manager")
    assert key in shown(approver)[0] and key not in shown(manager)[0]
    page = _act(approver, "claim", claim.id, "approve", version, comment="超出本人额度").get_data(as_text=True)
    assert "已上报上一级主管（授权额度 ¥200,000.00）审批" in page
    assert key not in shown(approver)[0] and key in shown(manager)[0]


def test_a_passed_up_case_leaves_the_first_approvers_inbox_for_the_next_levels(desk, login_as):
    with desk.app_context():
        case = make_case("质量管理部", title="金额超出主管额度的方案")
        _set(case, status="solution_proposed", proposed_amount=Decimal("50000"), proposed_by_id=user("handler").id)
        db.session.commit()
        key, version = ("case", case.id), case.version
    approver, manager = login_as("approver"), login_as("manager")
    assert key in shown(approver)[0] and key not in shown(manager)[0]
    page = _act(approver, "case", case.id, "approve", version).get_data(as_text=True)
    assert "已上报上一级主管（授权额度 ¥200,000.00）审批" in page
    assert key not in shown(approver)[0] and key in shown(manager)[0]
    with desk.app_context():
        assert db.session.get(Case, case.id).status == "solution_proposed"


# --- the page -------------------------------------------------------------------------------------------
def test_the_count_badge_on_another_page_equals_the_inbox_size(mixed, login_as):
    client = login_as("clerk")
    with mixed.app_context():
        size = len(expected("clerk"))
    for path in ("/admin/case/", "/admin/claim/", "/admin/account/password/", "/admin/"):
        page = client.get(path).get_data(as_text=True)
        assert int(COUNT_BADGE.search(page).group(1)) == size, path


def test_rows_are_in_deadline_order_with_the_undated_last(mixed):
    with mixed.app_context():
        rows = inbox_module.inbox(user("clerk"), per_page=500).rows
    dated = [row.due for row in rows if row.due is not None]
    assert dated == sorted(dated) and dated
    assert all(row.due is None for row in rows[len(dated):])


def test_an_overdue_and_a_due_soon_deadline_are_marked(desk, login_as):
    with desk.app_context():
        late, soon, later = (make_case(None, title=title) for title in ("超时的案件", "快到期的案件", "不急的案件"))
        for case, hours in ((late, -3), (soon, 5), (later, 72)):
            case.next_due_at = utcnow() + timedelta(hours=hours)
        db.session.commit()
        due = {case.title: format_local(case.next_due_at) for case in (late, soon, later)}
    page = login_as("clerk").get("/admin/").get_data(as_text=True)
    rows = {title: re.search(rf"{title}.*?</tr>", page, re.S).group(0) for title in due}
    assert "kesu-overdue-badge" in rows["超时的案件"] and "已超时" in rows["超时的案件"]
    assert "kesu-due-soon-badge" in rows["快到期的案件"] and "已超时" not in rows["快到期的案件"]
    assert "badge-danger" not in rows["不急的案件"] and "badge-warning" not in rows["不急的案件"]
    assert all(due[title] in rows[title] for title in due)  # Shanghai time
    assert page.index("超时的案件") < page.index("快到期的案件") < page.index("不急的案件")


def test_each_row_offers_its_next_steps_as_buttons_that_open_the_dialog(desk, login_as):
    with desk.app_context():
        case = make_case(None, title="等待客户意见的案件")
        case.status = "customer_notified"
        db.session.commit()
        case_id = case.id
    client = login_as("clerk")
    page = client.get("/admin/").get_data(as_text=True)
    row = re.search(r"等待客户意见的案件.*?</tr>", page, re.S).group(0)
    buttons = re.findall(r'class="btn btn-sm (btn-primary|btn-outline-primary)[^"]*"\s+href="([^"]+)">([^<]+)</a>', row)
    assert [(style, text) for style, _href, text in buttons] == [("btn-primary", "客户同意"),
                                                                  ("btn-outline-primary", "客户不同意")]
    dialog = client.get(buttons[0][1].replace("&amp;", "&"))
    assert dialog.status_code == 200 and f"id={case_id}" in buttons[0][1] and "客户意见" in dialog.get_data(as_text=True)


def test_the_status_badge_takes_its_colour_from_the_declaration(desk, login_as):
    with desk.app_context():
        make_case(None, title="刚登记的案件")
    page = login_as("clerk").get("/admin/").get_data(as_text=True)
    row = re.search(r"刚登记的案件.*?</tr>", page, re.S).group(0)
    colour = STATUSES["case"]["registered"].colour
    assert f'class="badge badge-{colour} kesu-status">已登记<' in row


def test_a_long_inbox_is_paged(desk, login_as):
    with desk.app_context(), acting_as(None, "test setup"):
        for i in range(53):
            make_case(None, title=f"第{i}件")
    client = login_as("clerk")
    first, second = client.get("/admin/").get_data(as_text=True), client.get("/admin/?page=2").get_data(as_text=True)
    assert len(ROW_LINK.findall(first)) == 50 and len(ROW_LINK.findall(second)) == 3
    assert "第 2 / 2 页" in second and not set(ROW_LINK.findall(first)) & set(ROW_LINK.findall(second))


def test_roles_without_steps_are_told_so(login_as):
    page = login_as("auditor").get("/admin/").get_data(as_text=True)
    assert "您的角色没有需要办理的流程步骤" in page and int(COUNT_BADGE.search(page).group(1)) == 0


# --- 我经手的 -------------------------------------------------------------------------------------------------
def test_mine_lists_a_record_after_the_user_acted_on_it(desk, login_as):
    with desk.app_context():
        first, second = make_case(None, title="先受理的投诉"), make_case(None, title="后受理的投诉")
        ids = {case.title: (case.id, case.version) for case in (first, second)}
    client = login_as("clerk")
    assert "您还没有办理过流程步骤" in client.get("/admin/mine/").get_data(as_text=True)
    for title in ("先受理的投诉", "后受理的投诉"):
        case_id, version = ids[title]
        _act(client, "case", case_id, "accept", version, reason="投诉属实")
    page = client.get("/admin/mine/").get_data(as_text=True)
    assert page.index("后受理的投诉") < page.index("先受理的投诉")  # the latest first
    assert "受理：投诉属实" in page and "已受理" in page
    assert "后受理的投诉" not in login_as("approver").get("/admin/mine/").get_data(as_text=True)


def test_mine_shows_only_records_the_user_may_still_see(desk, login_as):
    with desk.app_context():
        case = make_case("质量管理部", title="处理过后转走的案件")
        _set(case, status="customer_confirmed")
        db.session.commit()
        case_id, version = case.id, case.version
    handler = login_as("handler")
    _act(handler, "case", case_id, "implement", version)
    assert "处理过后转走的案件" in handler.get("/admin/mine/").get_data(as_text=True)
    with desk.app_context():
        db.session.get(Case, case_id).department = department("生产部")
        db.session.commit()
    assert "处理过后转走的案件" not in handler.get("/admin/mine/").get_data(as_text=True)


def test_a_step_that_must_wait_is_shown_disabled_in_the_inbox_with_its_reason(desk, login_as):
    with desk.app_context():
        case = make_case("质量管理部", title="尚未写明根本原因的案件")
        case.status = "investigating"
        db.session.commit()
    page = login_as("handler").get("/admin/").get_data(as_text=True)
    row = re.search(r"尚未写明根本原因的案件.*?</tr>", page, re.S).group(0)
    assert "/workflow/propose/" not in row  # no link to a dialog that would refuse the step
    assert re.search(r"<button[^>]*disabled[^>]*>拟定处理方案</button>", row)
    assert "请先在“调查（8D）”中填写根本原因和纠正措施" in row
