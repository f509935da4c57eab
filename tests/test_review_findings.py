"""Holes found in review, each pinned by a test: confidentiality, masking, inline checks, robust URLs."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from kesu.extensions import db
from kesu.models import AuditEvent, Case, Customer, GoodsHold
from tests.factories import make_case, make_claim, make_customer
from tests.forms import case_form


@pytest.fixture
def other_case(app, staff):
    with app.app_context():
        own = make_case("质量管理部", title="本部门的投诉")
        other = make_case("生产部", customer=make_customer("外部门客户", "13933334444"), title="其他部门的投诉")
        return own.id, other.id, other.case_no


def test_contact_log_prefill_does_not_reveal_another_departments_case(login_as, other_case):
    _own, other_id, other_no = other_case
    page = login_as("handler").get(f"/admin/contactlog/new/?case_id={other_id}").get_data(as_text=True)
    assert other_no not in page and "其他部门的投诉" not in page


def test_contact_log_prefill_works_for_own_case(login_as, other_case, app):
    own_id, _other_id, _ = other_case
    with app.app_context():
        own_no = db.session.get(Case, own_id).case_no
    assert own_no in login_as("handler").get(f"/admin/contactlog/new/?case_id={own_id}").get_data(as_text=True)


def test_auditor_sees_phone_masked_in_the_audit_trail(login_as, other_case):
    page = login_as("auditor").get("/admin/auditevent/?search=customer").get_data(as_text=True)
    assert "13933334444" not in page and "139****4444" in page


def test_admin_sees_phone_in_the_audit_trail(login_as, other_case):
    assert "13933334444" in login_as("admin").get("/admin/auditevent/").get_data(as_text=True)


def test_staff_phone_masked_in_the_user_list_for_approver(login_as, app, staff):
    from tests.factories import user

    with app.app_context():
        clerk = user("clerk")
        clerk.phone = "13855556666"
        db.session.commit()
        url = f"/admin/user/details/?id={clerk.id}"
    approver_page = login_as("approver").get(url).get_data(as_text=True)
    assert "13855556666" not in approver_page and "138****6666" in approver_page
    assert "13855556666" in login_as("admin").get(url).get_data(as_text=True)


def test_handler_finds_a_customer_by_masked_phone_only_whole(login_as, app, staff):
    with app.app_context():
        make_case("质量管理部", customer=make_customer("本部门客户", "13811112222"))
    client = login_as("handler")
    page = client.get("/admin/customer/?search=本部门").get_data(as_text=True)
    assert "本部门客户" in page and 'placeholder="名称, 联系人, 电话（完整匹配）"' in page
    assert "本部门客户" not in client.get("/admin/customer/?search=1381111").get_data(as_text=True)
    assert "本部门客户" in client.get("/admin/customer/?search=13811112222").get_data(as_text=True)


def case_with_overheld_goods(app) -> tuple[int, dict]:
    """An investigating case's form whose one goods-on-hold row holds more than was affected."""
    with app.app_context():
        case = make_case(status="investigating")
        case_id, data = case.id, case_form(case)
    data.update({"goods_holds-0-location": "in_stock", "goods_holds-0-quantity": "5",
                 "goods_holds-0-held_quantity": "9"})
    return case_id, data


def test_inline_goods_hold_above_quantity_is_refused_in_chinese(login_as, app, staff):
    case_id, data = case_with_overheld_goods(app)
    page = login_as("handler").post_form(f"/admin/case/edit/?id={case_id}", data).get_data(as_text=True)
    assert "已隔离数量不能大于受影响数量" in page
    with app.app_context():
        assert db.session.scalar(select(GoodsHold)) is None


def test_constraint_violation_message_shows_no_sql(login_as, app, staff, monkeypatch):
    from kesu.admin.cases import GoodsHoldInline

    monkeypatch.setattr(GoodsHoldInline, "on_model_change", lambda *args: None)  # let the database check it
    case_id, data = case_with_overheld_goods(app)
    page = login_as("handler").post_form(f"/admin/case/edit/?id={case_id}", data).get_data(as_text=True)
    assert "数据不符合规则" in page and "held_quantity" in page
    assert "INSERT" not in page and "[SQL" not in page


def test_word_document_attachment_is_accepted(login_as, app, staff):
    from docx import Document

    buffer = io.BytesIO()
    Document().save(buffer)
    with app.app_context():
        case_id = make_case().id
    response = login_as("clerk").post_form("/admin/attachment/new/", {
        "case": str(case_id), "file": (io.BytesIO(buffer.getvalue()), "检测报告.docx")},
        content_type="multipart/form-data")
    assert response.status_code == 302


def test_handler_claim_page_hides_approvals_and_payments(login_as, app, staff):
    with app.app_context():
        claim_id = make_claim(make_case("质量管理部")).id
    page = login_as("handler").get(f"/admin/claim/details/?id={claim_id}").get_data(as_text=True)
    assert "损失明细" in page and "审批记录" not in page and "支付记录" not in page
    assert "审批记录" in login_as("finance").get(f"/admin/claim/details/?id={claim_id}").get_data(as_text=True)


def test_handler_user_lookup_offers_only_own_department(login_as, staff):
    names = {row[1] for row in login_as("handler").get(
        "/admin/case/ajax/lookup/?name=handler&query=").get_json()}
    assert "handler" in names and "other_handler" not in names and "admin" not in names


@pytest.mark.parametrize("url", [
    "/admin/case/details/?id=99999999999999999999999",
    "/admin/case/details/?id=%C2%B2",
    "/admin/case/edit/?id=abc",
])
def test_odd_record_ids_answer_not_found(login_as, staff, url):
    assert login_as("clerk").get(url).status_code == 404


def test_odd_filter_value_is_ignored_not_a_crash(login_as, app, staff):
    with app.test_request_context():
        view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", "") == "case")
        arg = next(f"flt0_{a}" for a, (_i, f) in view._filter_args.items() if f.name == "责任部门")
    assert login_as("clerk").get(f"/admin/case/?{arg}=%C2%B2").status_code == 200


def test_deleted_record_keeps_its_values_in_the_trail(ctx):
    customer = Customer(name="将被删除的客户", phone="13812345678")
    db.session.add(customer)
    db.session.commit()
    db.session.delete(customer)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delete"))
    assert event.changes["name"] == ["将被删除的客户", None]


def test_logout_by_get_is_not_allowed(login_as):
    client = login_as("clerk")
    assert client.get("/logout").status_code == 405
    assert client.get("/admin/").status_code == 200
