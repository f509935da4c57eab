"""Fields locked by stage: after approval, closure or execution a record changes only through its steps; a post that
would change a locked field is refused naming it, and nothing is written (no row, no audit event)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kesu.extensions import db
from kesu.models import Accountability, AuditEvent, Case, Claim, GoodsHold, LossItem
from tests.factories import make_case, make_claim, user
from tests.forms import case_form


#: What a change leaves in the audit trail (reading personal data leaves events too, and signing in updates the
#: user's last sign-in).
WRITES = ("insert", "update", "delete", "transition")


def snapshot(model=None, record_id: int | None = None) -> tuple:
    """Every table's row count (the audit trail's: its events of changes), and the record's row as stored."""
    counts = {table.name: db.session.scalar(select(func.count()).select_from(table))
              for table in db.metadata.sorted_tables if table.name != "audit_event"}
    counts["changes"] = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                          .where(AuditEvent.action.in_(WRITES), AuditEvent.record_type != "user"))
    row = None
    if model is not None:
        table = model.__table__
        row = dict(db.session.execute(select(table).where(table.c.id == record_id)).mappings().one())
    return counts, row


def case_in(app, status: str, **fields) -> tuple[int, dict, tuple]:
    """A case of 质量管理部 in ``status``: its id, its edit form as the browser posts it, and the snapshot."""
    with app.app_context():
        case = make_case(status=status, **fields)
        return case.id, case_form(case), snapshot(Case, case.id)


def unchanged(app, before: tuple, model=Case, record_id: int | None = None) -> bool:
    with app.app_context():
        return snapshot(model, record_id) == before


def accountability_in(app, status: str) -> tuple[int, dict, tuple]:
    with app.app_context():
        case = make_case()
        record = Accountability(case=case, department=case.department, cause="misoperation", facts="出厂检验漏检",
                                measure="fine", fine_amount=Decimal("500"), status=status)
        db.session.add(record)
        db.session.commit()
        form = {"case": str(case.id), "department": str(case.department_id), "cause": "misoperation",
                "facts": "出厂检验漏检", "measure": "fine", "fine_amount": "500.00", "version": str(record.version)}
        return record.id, form, snapshot(Accountability, record.id)


def messages(response) -> str:
    return response.get_data(as_text=True)


# --- the tests the issue asks for ----------------------------------------------------------------------------
def test_a_clerk_cannot_change_the_description_of_a_closed_case(app, login_as):
    case_id, form, before = case_in(app, "closed")
    response = login_as("clerk").post_form(f"/admin/case/edit/?id={case_id}", {**form, "description": "结案后改写"},
                                           follow_redirects=True)
    assert "「说明」在“已结案”状态下不能修改，请通过「客户申诉」流程重新处理后修改。" in messages(response)
    assert unchanged(app, before, Case, case_id)


def test_an_approver_cannot_change_the_fine_once_the_decision_is_approved(app, login_as):
    record_id, form, before = accountability_in(app, "approved")
    response = login_as("approver").post_form(f"/admin/accountability/edit/?id={record_id}",
                                              {**form, "fine_amount": "50.00"}, follow_redirects=True)
    assert "「罚款金额（元）」在“已批准”状态下不能修改" in messages(response)
    assert unchanged(app, before, Accountability, record_id)


def test_a_clerk_cannot_write_the_8d_fields_of_a_case_under_investigation(app, login_as):
    case_id, form, before = case_in(app, "investigating")
    response = login_as("clerk").post_form(f"/admin/case/edit/?id={case_id}", {**form, "root_cause": "文员写的原因"})
    assert response.status_code == 200
    assert "「根本原因」在“调查中”状态下不能修改，只能由系统管理员、责任部门处理人修改。" in messages(response)
    assert unchanged(app, before, Case, case_id)


def test_a_handler_cannot_rewrite_the_registration_of_a_case_under_investigation(app, login_as):
    case_id, form, before = case_in(app, "investigating")
    response = login_as("handler").post_form(f"/admin/case/edit/?id={case_id}",
                                             {**form, "description": "处理人改写的描述", "root_cause": "来料不良"})
    assert "「说明」在“调查中”状态下不能修改" in messages(response)
    assert unchanged(app, before, Case, case_id)


def test_the_admin_too_changes_a_closed_case_only_through_its_steps(app, login_as):
    case_id, form, before = case_in(app, "closed")
    admin = login_as("admin")
    response = admin.get(f"/admin/case/edit/?id={case_id}")
    assert response.status_code == 302 and f"/admin/case/details/?id={case_id}" in response.location
    admin.post_form(f"/admin/case/edit/?id={case_id}", {**form, "title": "管理员改的"})
    assert unchanged(app, before, Case, case_id)


# --- what stays open ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status,who,changes", [
    ("registered", "clerk", {"description": "补充：开机指示灯不亮"}),
    ("reopened", "clerk", {"description": "申诉补充：客户提供了购买凭证"}),
    ("investigating", "handler", {"root_cause": "来料电容批次失效", "corrective_action": "更换批次"}),
    ("follow_up", "clerk", {"is_typical": "y", "lessons_learned": "来料检验须抽检电容"}),
])
def test_what_the_stage_leaves_open_is_saved(app, login_as, status, who, changes):
    case_id, form, _before = case_in(app, status)
    response = login_as(who).post_form(f"/admin/case/edit/?id={case_id}", {**form, **changes})
    assert response.status_code == 302, messages(response)[:2000]
    with app.app_context():
        case = db.session.get(Case, case_id)
        for name, value in changes.items():
            assert getattr(case, name) == (True if value == "y" else value)


def test_locked_fields_posted_unchanged_are_no_error(app, login_as):
    """The whole registration posted back as it was, with the 8D field the handler may write."""
    case_id, form, _before = case_in(app, "investigating", received_at=None)
    response = login_as("handler").post_form(f"/admin/case/edit/?id={case_id}",
                                             {**form, "description": form["description"] + "\r\n",
                                              "root_cause": "来料不良"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Case, case_id).root_cause == "来料不良"


def test_an_approver_changes_a_proposed_fine_before_approval(app, login_as):
    record_id, form, _before = accountability_in(app, "proposed")
    response = login_as("approver").post_form(f"/admin/accountability/edit/?id={record_id}",
                                              {**form, "fine_amount": "800.00"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Accountability, record_id).fine_amount == Decimal("800.00")


# --- the form shows only what is open, and says why the rest is not ------------------------------------------
def test_the_clerks_form_of_a_case_under_investigation_holds_only_the_case_library(app, login_as):
    case_id, _form, _before = case_in(app, "investigating")
    page = messages(login_as("clerk").get(f"/admin/case/edit/?id={case_id}"))
    assert 'name="lessons_learned"' in page
    for name in ("description", "title", "department", "root_cause", "goods_holds-button"):
        assert f'id="{name}"' not in page, name
    assert "投诉登记信息只能在受理前" in page and "只能在“调查中”状态由责任部门的处理人填写" in page


def test_a_record_locked_whole_has_no_edit_button_and_its_edit_page_leads_back(app, login_as):
    case_id, _form, _before = case_in(app, "accepted")
    handler = login_as("handler")
    response = handler.get(f"/admin/case/edit/?id={case_id}", follow_redirects=True)
    page = messages(response)
    assert response.request.path == "/admin/case/details/"
    assert "此记录在“已受理”状态下不能修改，只能由系统管理员、客服专员修改。" in page
    assert f"/admin/case/edit/?id={case_id}" not in page
    assert f"/admin/case/edit/?id={case_id}" not in messages(handler.get("/admin/case/"))
    clerk = login_as("clerk")
    assert f"/admin/case/edit/?id={case_id}" in messages(clerk.get("/admin/case/"))
    assert f"/admin/case/edit/?id={case_id}" in messages(clerk.get(f"/admin/case/details/?id={case_id}"))


# --- rows of a locked parent: inline and in their own lists --------------------------------------------------
def test_goods_on_hold_posted_inline_by_a_clerk_are_refused(app, login_as):
    case_id, form, before = case_in(app, "investigating")
    response = login_as("clerk").post_form(f"/admin/case/edit/?id={case_id}", {
        **form, "goods_holds-0-location": "in_stock", "goods_holds-0-quantity": "5", "goods_holds-0-held_quantity": "5"})
    assert "「受影响货物」在“调查中”状态下不能修改" in messages(response)
    assert unchanged(app, before, Case, case_id)


def test_goods_on_hold_of_a_case_past_investigation_are_neither_added_changed_nor_removed(app, login_as):
    with app.app_context():
        case = make_case(status="solution_proposed")
        case.goods_holds.append(GoodsHold(location="in_stock", quantity=5, held_quantity=5))
        db.session.commit()
        case_id, hold_id = case.id, case.goods_holds[0].id
        before = snapshot(GoodsHold, hold_id)
    handler = login_as("handler")
    added = handler.post_form("/admin/goodshold/new/", {"case": str(case_id), "location": "in_transit",
                                                        "quantity": "3", "held_quantity": "0"})
    assert "「受影响货物」在“方案已拟定”状态下不能修改" in messages(added)
    edited = handler.post_form(f"/admin/goodshold/edit/?id={hold_id}", {
        "case": str(case_id), "location": "in_stock", "quantity": "9", "held_quantity": "5"}, follow_redirects=True)
    assert "「受影响货物」在“方案已拟定”状态下不能修改" in messages(edited)
    removed = handler.post_form("/admin/goodshold/delete/", {"id": str(hold_id)}, follow_redirects=True)
    assert "「受影响货物」在“方案已拟定”状态下不能修改" in messages(removed)
    assert unchanged(app, before, GoodsHold, hold_id)
    assert f"/admin/goodshold/edit/?id={hold_id}" not in messages(handler.get("/admin/goodshold/"))


def test_loss_items_of_a_claim_under_approval_are_locked_inline_and_in_their_list(app, login_as):
    with app.app_context():
        claim = make_claim(make_case(status="investigating"), status="pending_approval",
                           verified_loss=Decimal("1000"), proposed_amount=Decimal("1000"))
        claim.loss_items.append(LossItem(description="滤网", quantity=2, unit_price=Decimal("100")))
        db.session.commit()
        claim_id, item_id = claim.id, claim.loss_items[0].id
        form = {"case": str(claim.case_id), "claimed_amount": "1200.00", "reason": claim.reason,
                "version": str(claim.version)}
        before = snapshot(Claim, claim_id)
    clerk = login_as("clerk")
    inline = clerk.post_form(f"/admin/claim/edit/?id={claim_id}", {
        **form, "loss_items-0-id": str(item_id), "loss_items-0-description": "滤网",
        "loss_items-0-quantity": "20", "loss_items-0-unit_price": "100.00"}, follow_redirects=True)
    assert "「损失明细」在“待审批”状态下不能修改" in messages(inline)
    added = clerk.post_form("/admin/lossitem/new/", {"claim": str(claim_id), "description": "电机",
                                                     "quantity": "1", "unit_price": "300"})
    assert "「损失明细」在“待审批”状态下不能修改" in messages(added)
    removed = clerk.post_form("/admin/lossitem/delete/", {"id": str(item_id)}, follow_redirects=True)
    assert "「损失明细」在“待审批”状态下不能修改" in messages(removed)
    assert unchanged(app, before, Claim, claim_id)


def test_loss_items_are_the_clerks_until_the_claim_goes_to_approval(app, login_as):
    with app.app_context():
        claim_id = make_claim(make_case(status="investigating"), status="assessed").id
    response = login_as("clerk").post_form("/admin/lossitem/new/", {"claim": str(claim_id), "description": "电机",
                                                                    "quantity": "1", "unit_price": "300"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(LossItem.claim_id)) == claim_id
        assert user("clerk").role == "clerk"
