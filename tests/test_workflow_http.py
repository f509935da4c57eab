"""Every legal path of the three machines through the panel, each step clicked by the role that does it."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kesu.extensions import db
from kesu.models import Accountability, AuditEvent, Case, Claim, ContactLog, User
from kesu.timeutil import local_today
from tests.factories import department, make_case, make_claim, user
from tests.forms import case_form

ENDPOINTS = {Case: "case", Claim: "claim", Accountability: "accountability"}


@pytest.fixture
def desk(app, staff, login_as):
    """Logged-in clients for each role (plus a legal reviewer), and helpers to read records back."""
    from tests.test_workflow import _make_legal_reviewer

    with app.app_context():
        _make_legal_reviewer()

    class Desk:
        def __init__(self):
            self.clients = {name: login_as(name) for name in ("clerk", "handler", "approver", "manager",
                                                               "finance", "auditor", "other_handler")}

        def get(self, model, record_id):
            with app.app_context():
                record = db.session.get(model, record_id)
                db.session.expunge(record)
                return record

        def act(self, who: str, model, record_id: int, action: str, **fields):
            """Click the action's button and submit its dialog, as the browser does."""
            version = self.get(model, record_id).version
            data = {"version": str(version), **{k: str(v) for k, v in fields.items()}}
            return self.clients[who].post_form(
                f"/admin/{ENDPOINTS[model]}/workflow/{action}/?id={record_id}", data, follow_redirects=True)

        def status(self, model, record_id) -> str:
            return self.get(model, record_id).status

        def page(self, who: str, model, record_id: int) -> str:
            response = self.clients[who].get(f"/admin/{ENDPOINTS[model]}/details/?id={record_id}")
            assert response.status_code == 200
            return response.get_data(as_text=True)

    return Desk()


def today() -> str:
    """Today in Beijing, as a date field is typed."""
    return local_today().isoformat()


def ids_of(app, name: str, *rest: str) -> list[int]:
    with app.app_context():
        return [user(n).id for n in (name, *rest)]


def new_case(app, department_name=None) -> int:
    with app.app_context():
        return make_case(department_name=department_name).id


def steps(desk, model, record_id, *clicks):
    """Perform ``(who, action, fields, expected status)`` clicks in turn; each must land."""
    for who, action, fields, expected in clicks:
        page = desk.act(who, model, record_id, action, **fields).get_data(as_text=True)
        assert desk.status(model, record_id) == expected, (who, action, page[page.find("alert"):][:400])


def investigate_over_http(app, desk, case_id: int) -> None:
    """The department's handler writes the 8D fields in the edit form while investigating."""
    with app.app_context():
        data = case_form(db.session.get(Case, case_id), root_cause="来料电容批次失效",
                         corrective_action="更换供应商批次", containment="库存 200 台已隔离")
    response = desk.clients["handler"].post_form(f"/admin/case/edit/?id={case_id}", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert desk.get(Case, case_id).root_cause == "来料电容批次失效"


def test_case_travels_from_registration_to_archive_through_the_panel(app, desk):
    case_id = new_case(app)
    with app.app_context():
        quality, handler = department("质量管理部").id, user("handler").id
    steps(desk, Case, case_id,
          ("clerk", "accept", {"reason": "投诉属实，产品在保修期内"}, "accepted"),
          ("clerk", "assign", {"department": quality, "handler": handler}, "investigating"))
    investigate_over_http(app, desk, case_id)
    steps(desk, Case, case_id,
          ("handler", "propose", {"resolution_type": "replacement", "amount": "800", "comment": "换新机"},
           "solution_proposed"),
          ("approver", "approve", {"comment": "同意"}, "approved"),
          ("clerk", "notify", {"channel": "phone"}, "customer_notified"),
          ("clerk", "customer_agree", {"channel": "phone", "opinion": "同意换新"}, "customer_confirmed"),
          ("handler", "implement", {}, "implementing"),
          ("clerk", "confirm_signed", {"signed_on": local_today().isoformat()}, "implementing"),
          ("clerk", "follow_up", {"content": "新机运行正常"}, "follow_up"),
          ("clerk", "close", {"satisfaction": 5, "feedback": "满意"}, "closed"),
          ("clerk", "archive", {}, "archived"))
    case = desk.get(Case, case_id)
    assert case.is_valid and case.resolution_type == "replacement" and case.proposed_amount == Decimal("800")
    assert case.customer_confirmed and case.satisfaction == 5 and case.archived_at is not None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "transition", AuditEvent.record_type == "case",
            AuditEvent.record_id == case_id)) == 11
        assert db.session.scalar(select(func.count()).select_from(ContactLog).where(
            ContactLog.case_id == case_id)) == 3


def test_case_side_paths_reject_appeal_send_back_disagree(app, desk):
    rejected = new_case(app)
    with app.app_context():
        quality, handler = department("质量管理部").id, user("handler").id
    steps(desk, Case, rejected,
          ("clerk", "reject", {"reason": "已过保修期且非质量问题"}, "rejected"),
          ("clerk", "appeal", {"reason": "客户提供了购买凭证"}, "reopened"),
          ("clerk", "assign", {"department": quality, "handler": handler}, "investigating"))
    investigate_over_http(app, desk, rejected)
    steps(desk, Case, rejected,
          ("handler", "propose", {"resolution_type": "repair", "comment": "免费维修"}, "solution_proposed"),
          ("approver", "send_back", {"comment": "请补充失效分析"}, "investigating"),
          ("handler", "propose", {"resolution_type": "repair", "comment": "免费维修，附失效分析"},
           "solution_proposed"),
          ("approver", "approve", {}, "approved"),
          ("clerk", "notify", {"channel": "email"}, "customer_notified"),
          ("clerk", "customer_disagree", {"channel": "phone", "opinion": "要求换新"}, "solution_proposed"),
          ("clerk", "escalate", {"reason": "客户投诉升级"}, "solution_proposed"))
    assert desk.get(Case, rejected).escalation_level == 2  # appeal reopened it once, then escalated


def test_claim_travels_from_submission_to_closing_with_countersign_pass_up_and_partial_payments(app, desk):
    with app.app_context():
        claim_id = make_claim(make_case(department_name="质量管理部"), amount="40000").id
    steps(desk, Claim, claim_id,
          ("clerk", "review", {}, "preliminary_review"),
          ("handler", "investigate", {}, "investigating"),
          ("handler", "assess", {"verified_loss": "30000", "compensation_form": "cash"}, "assessed"),
          ("clerk", "submit_for_approval", {"amount": "30000"}, "pending_approval"))
    refused = desk.act("manager", Claim, claim_id, "approve").get_data(as_text=True)
    assert "审批前须先完成财务会签" in refused and desk.status(Claim, claim_id) == "pending_approval"
    steps(desk, Claim, claim_id,
          ("finance", "countersign", {"comment": "预算可列支"}, "pending_approval"),
          ("approver", "approve", {"comment": "超出本人额度，上报"}, "pending_approval"),
          ("manager", "approve", {"comment": "同意"}, "approved"),
          ("clerk", "confirm", {"payment_method": "bank_transfer", "instalments": 2,
                                "payment_plan": "首期 ¥10,000.00 签约后 7 日内，余款 ¥20,000.00 30 日内"},
           "customer_confirmed"),
          ("finance", "pay", {"method": "bank_transfer", "amount": "10000", "voucher_no": "PZ-001",
                              "paid_on": today()}, "customer_confirmed"))
    over = desk.act("finance", Claim, claim_id, "pay", method="bank_transfer", amount="20000.01",
                    voucher_no="PZ-002", paid_on=today()).get_data(as_text=True)
    assert "支付总额不能超过批准金额" in over
    steps(desk, Claim, claim_id,
          ("finance", "pay", {"method": "bank_transfer", "amount": "20000", "voucher_no": "PZ-002",
                              "paid_on": today()}, "paid"),
          ("clerk", "close", {}, "closed"))
    claim = desk.get(Claim, claim_id)
    assert claim.approved_amount == Decimal("30000") and claim.closed_at is not None


def test_rejected_claim_is_closed(app, desk):
    with app.app_context():
        claim_id = make_claim(make_case(department_name="质量管理部"), amount="500").id
    steps(desk, Claim, claim_id,
          ("clerk", "review", {}, "preliminary_review"),
          ("clerk", "investigate", {}, "investigating"),
          ("clerk", "assess", {"verified_loss": "300", "compensation_form": "cash"}, "assessed"),
          ("clerk", "submit_for_approval", {"amount": "300"}, "pending_approval"),
          ("approver", "reject", {"comment": "证据不足"}, "rejected"),
          ("clerk", "close", {}, "closed"))


def test_accountability_travels_from_proposal_to_execution_with_an_appeal(app, desk):
    with app.app_context():
        case = make_case(department_name="质量管理部")
        record = Accountability(case=case, person=user("handler"), department=department("质量管理部"),
                                cause="policy_not_followed", facts="出厂检验漏检", measure="written_warning")
        db.session.add(record)
        db.session.commit()
        record_id = record.id
    steps(desk, Accountability, record_id,
          ("approver", "approve", {}, "approved"),
          ("clerk", "notify", {}, "notified"),
          ("clerk", "appeal", {"reason": "当班检验设备故障"}, "appealed"),
          ("manager", "decide_appeal", {"outcome": "upheld", "decision": "维持原决定"}, "notified"),
          ("approver", "execute", {}, "executed"))
    assert desk.get(Accountability, record_id).appeal_decision == "维持原决定"


def test_detail_page_offers_only_the_steps_this_user_may_take_now(app, desk):
    case_id = new_case(app, department_name="质量管理部")
    clerk_page = desk.page("clerk", Case, case_id)
    assert 'data-target="#wf-accept"' in clerk_page and 'data-target="#wf-reject"' in clerk_page
    assert 'data-target="#wf-assign"' not in clerk_page and 'data-target="#wf-approve"' not in clerk_page
    assert 'data-target="#wf-' not in desk.page("auditor", Case, case_id)
    handler_page = desk.page("handler", Case, case_id)
    assert 'data-target="#wf-accept"' not in handler_page and 'data-target="#wf-escalate"' in handler_page


def test_role_that_may_not_take_a_step_gets_403_and_nothing_changes(app, desk):
    case_id = new_case(app)
    assert desk.act("auditor", Case, case_id, "accept", reason="x").status_code == 403
    assert desk.act("finance", Case, case_id, "reject", reason="x").status_code == 403
    assert desk.status(Case, case_id) == "registered"


def test_handler_cannot_act_on_another_departments_case(app, desk):
    case_id = new_case(app, department_name="质量管理部")
    assert desk.act("other_handler", Case, case_id, "escalate", reason="x").status_code == 404
    assert desk.get(Case, case_id).escalation_level == 0


def test_missing_field_is_refused_in_chinese_and_nothing_changes(app, desk):
    case_id = new_case(app)
    page = desk.act("clerk", Case, case_id, "reject", reason="  ").get_data(as_text=True)
    assert "请填写不予受理的理由。" in page and desk.status(Case, case_id) == "registered"
    page = desk.act("clerk", Case, case_id, "extend", new_deadline="明天", reason="等待检测").get_data(as_text=True)
    assert "日期时间格式应为" in page and desk.get(Case, case_id).extension_reason is None


def test_click_on_a_page_opened_before_someone_else_acted_is_refused(app, desk):
    case_id = new_case(app)
    version_seen = desk.get(Case, case_id).version
    desk.act("clerk", Case, case_id, "accept", reason="属实")
    second = desk.clients["clerk"].post_form(f"/admin/case/workflow/reject/?id={case_id}",
                                             {"version": str(version_seen), "reason": "不属实"},
                                             follow_redirects=True).get_data(as_text=True)
    assert "此记录在您打开后已被 clerk 处理或修改" in second
    assert desk.status(Case, case_id) == "accepted"


def test_two_approvers_on_the_same_claim_at_once_exactly_one_succeeds(app, desk):
    with app.app_context():
        case = make_case(department_name="质量管理部")
        claim = make_claim(case, amount="800", status="pending_approval", verified_loss=Decimal("800"),
                           proposed_amount=Decimal("600"), proposed_by_id=user("clerk").id)
        claim_id, version = claim.id, claim.version
    first = desk.clients["approver"].post_form(f"/admin/claim/workflow/approve/?id={claim_id}",
                                               {"version": str(version)}, follow_redirects=True)
    second = desk.clients["manager"].post_form(f"/admin/claim/workflow/reject/?id={claim_id}",
                                               {"version": str(version), "comment": "金额偏高"},
                                               follow_redirects=True)
    assert "已完成「审批」" in first.get_data(as_text=True)
    assert "此记录在您打开后已被 approver 处理或修改" in second.get_data(as_text=True)
    assert desk.status(Claim, claim_id) == "approved"


def test_bulk_accept_reports_successes_and_each_refusal(app, desk):
    with app.app_context():
        cases = [make_case(department_name=None) for _ in range(3)]
        cases[2].status = "accepted"
        db.session.commit()
        ids = [c.id for c in cases]
        numbers = [c.case_no for c in cases]
    clerk = desk.clients["clerk"]
    start = clerk.post_form("/admin/case/action/", {"action": "workflow_accept", "rowid": [str(i) for i in ids]})
    assert start.status_code == 302
    form_page = clerk.get(start.headers["Location"]).get_data(as_text=True)
    assert all(number in form_page for number in numbers)
    result = clerk.post_form(start.headers["Location"], {"reason": "批量受理：均属实"}).get_data(as_text=True)
    assert "2 件成功，1 件未执行" in result
    assert "案卷当前状态为「已受理」，不能执行「受理」。" in result
    assert [desk.status(Case, i) for i in ids] == ["accepted", "accepted", "accepted"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "transition", AuditEvent.record_id.in_(ids))) == 2


def test_bulk_assign_and_archive_are_offered_to_the_clerk_only(app, desk):
    list_page = desk.clients["clerk"].get("/admin/case/").get_data(as_text=True)
    assert "workflow_assign" in list_page and "workflow_archive" in list_page
    assert "workflow_accept" not in desk.clients["auditor"].get("/admin/case/").get_data(as_text=True)
    handler_list = desk.clients["handler"].get("/admin/case/").get_data(as_text=True)
    assert "workflow_escalate" in handler_list and "workflow_accept" not in handler_list
    assert desk.clients["auditor"].post_form("/admin/case/action/", {"action": "workflow_accept",
                                                                     "rowid": ["1"]}).status_code == 403


def test_status_and_decisions_are_not_fields_of_the_edit_form(app, desk):
    case_id = new_case(app, department_name="质量管理部")
    form = desk.clients["clerk"].get(f"/admin/case/edit/?id={case_id}").get_data(as_text=True)
    for name in ("status", "is_valid", "validity_reason", "resolution_type", "proposed_amount",
                 "customer_confirmed", "satisfaction", "feedback", "handler"):
        assert f'name="{name}"' not in form, name
    assert "只能在“调查中”状态由责任部门的处理人填写" in form


def test_investigation_is_written_by_the_departments_handler_only_while_investigating(app, desk):
    case_id = new_case(app, department_name="质量管理部")
    with app.app_context():
        data = case_form(db.session.get(Case, case_id), root_cause="提前写的原因")
    desk.clients["handler"].post_form(f"/admin/case/edit/?id={case_id}", data)
    assert desk.get(Case, case_id).root_cause is None  # registered: the field is not in the form
    with app.app_context():
        db.session.get(Case, case_id).status = "investigating"
        db.session.commit()
    investigate_over_http(app, desk, case_id)
    form = desk.clients["clerk"].get(f"/admin/case/edit/?id={case_id}").get_data(as_text=True)
    assert 'name="root_cause"' not in form


def test_contact_log_is_added_from_the_case_page_in_one_step(app, desk):
    case_id = new_case(app, department_name="质量管理部")
    page = desk.page("clerk", Case, case_id)
    assert 'id="add-contact-log"' in page
    response = desk.clients["clerk"].post_form(
        f"/admin/contactlog/new/?url=/admin/case/details/?id={case_id}",
        {"case": str(case_id), "channel": "phone", "direction": "inbound", "content": "客户来电询问进度"})
    assert response.status_code == 302 and f"/admin/case/details/?id={case_id}" in response.headers["Location"]
    with app.app_context():
        log = db.session.scalar(select(ContactLog).where(ContactLog.case_id == case_id))
        assert log.content == "客户来电询问进度" and log.staff.username == "clerk" and log.contacted_at


def test_accountability_is_started_from_a_case_with_its_department_filled_in(app, desk):
    case_id = new_case(app, department_name="质量管理部")
    with app.app_context():
        db.session.get(Case, case_id).root_cause = "出厂检验漏检"
        db.session.commit()
    page = desk.page("approver", Case, case_id)
    assert "追究责任" in page
    form = desk.clients["approver"].get(f"/admin/accountability/new/?case_id={case_id}").get_data(as_text=True)
    with app.app_context():
        quality = department("质量管理部").id
    assert f'value="{case_id}"' in form and f'<option selected value="{quality}">' in form


def test_step_waiting_on_something_else_is_shown_disabled_with_the_reason(app, desk):
    with app.app_context():
        case = make_case(department_name="质量管理部")
        claim_id = make_claim(case, amount="30000", status="pending_approval", verified_loss=Decimal("30000"),
                              proposed_amount=Decimal("30000"), proposed_by_id=user("clerk").id).id
    page = desk.page("manager", Claim, claim_id)
    assert "审批前须先完成财务会签。" in page and 'data-target="#wf-approve"' not in page
    assert 'data-target="#wf-countersign"' not in page  # only legal and finance staff countersign
    finance_page = desk.page("finance", Claim, claim_id)
    assert 'data-target="#wf-countersign"' in finance_page
