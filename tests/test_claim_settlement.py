"""A claim settles as agreed: the verified loss is the sum of the verified loss items unless a reason is given for
another figure; the customer's confirmation records the agreed payment plan, which the settlement agreement states;
finance records the day each payment was made."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from kesu.extensions import db
from kesu.models import Claim, LossItem
from kesu.timeutil import local_today, utcnow
from kesu.workflow import WorkflowError, perform
from kesu.workflow.claim import required_reviews
from tests.docx_text import all_text
from tests.factories import make_case, make_claim, user

PLAN = "第一期：2026年12月31日前支付 ¥4,000.00；第二期：2027年1月31日前支付 ¥4,000.00；第三期：2027年2月28日前支付 ¥4,300.00"


def act(record, action, who, **fields):
    status = perform(record, action, user(who), **fields)
    db.session.commit()
    return status


def investigating_claim(*verified: str | None, claimed: str = "10000") -> Claim:
    """A claim under investigation with one loss item per value of ``verified`` (None: not verified yet)."""
    claim = make_claim(make_case(), amount=claimed, status="investigating")
    for number, amount in enumerate(verified, start=1):
        claim.loss_items.append(LossItem(description=f"损失项 {number}", quantity=Decimal(1), unit_price=Decimal(4000),
                                         verified_amount=None if amount is None else Decimal(amount)))
    db.session.commit()
    return claim


def approved_claim(amount: str = "12300", **fields) -> Claim:
    claim = make_claim(make_case(), amount=amount, status="pending_approval", verified_loss=Decimal(amount),
                       proposed_amount=Decimal(amount), proposed_by_id=user("clerk").id, **fields)
    if "finance_review" in required_reviews(claim):
        act(claim, "countersign", "finance")
    act(claim, "approve", "manager", comment="同意")
    return claim


def confirmed_claim(amount: str = "12300", **plan) -> Claim:
    claim = approved_claim(amount)
    act(claim, "confirm", "clerk", **({"payment_method": "bank_transfer", "instalments": 1} | plan))
    return claim


# --- the verified loss --------------------------------------------------------------------------------------
def test_assess_takes_the_sum_of_the_verified_loss_items_when_no_figure_is_typed(people_ctx):
    claim = investigating_claim("3000.50", "2999.50")
    assert act(claim, "assess", "handler", compensation_form="cash") == "assessed"
    assert (claim.verified_loss, claim.verified_loss_reason) == (Decimal("6000.00"), None)


def test_assess_with_the_items_sum_typed_needs_no_reason(people_ctx):
    claim = investigating_claim("3000", "3000")
    act(claim, "assess", "handler", verified_loss=Decimal("6000"), compensation_form="cash",
        verified_loss_reason="与明细一致")
    assert (claim.verified_loss, claim.verified_loss_reason) == (Decimal("6000.00"), None)


def test_a_verified_loss_other_than_the_items_sum_needs_a_reason_which_is_kept(people_ctx):
    claim = investigating_claim("3000", "3000")
    with pytest.raises(WorkflowError, match="核定损失 ¥5,000.00 与损失明细的核定合计 ¥6,000.00 不一致，请填写调整理由"):
        perform(claim, "assess", user("handler"), verified_loss=Decimal("5000"), compensation_form="cash")
    db.session.rollback()
    assert db.session.get(Claim, claim.id).status == "investigating"
    act(claim, "assess", "handler", verified_loss=Decimal("5000"), compensation_form="cash",
        verified_loss_reason="运输费已由承运方赔付 1,000 元")
    assert (claim.verified_loss, claim.verified_loss_reason) == (Decimal("5000.00"), "运输费已由承运方赔付 1,000 元")


def test_items_not_yet_verified_count_nothing_in_the_sum(people_ctx):
    claim = investigating_claim("2500", None)
    act(claim, "assess", "handler", compensation_form="cash")
    assert claim.verified_loss == Decimal("2500.00")


def test_without_verified_items_the_typed_figure_is_taken_as_before(people_ctx):
    claim = investigating_claim(None)
    with pytest.raises(WorkflowError, match="请填写核定损失"):
        perform(claim, "assess", user("handler"), compensation_form="cash")
    db.session.rollback()
    act(claim, "assess", "handler", verified_loss=Decimal("1800"), compensation_form="repair")
    assert (claim.verified_loss, claim.verified_loss_reason) == (Decimal("1800.00"), None)


def test_the_items_sum_must_still_lie_within_the_claimed_amount(people_ctx):
    claim = investigating_claim("6000", "5000", claimed="10000")
    with pytest.raises(WorkflowError, match="核定损失须在 0 到索赔金额 ¥10,000.00 之间"):
        perform(claim, "assess", user("handler"), compensation_form="cash")


# --- the agreed payment plan -------------------------------------------------------------------------------
def test_confirmation_records_the_agreed_payment_plan(people_ctx):
    claim = confirmed_claim(payment_method="e_payment", instalments=3, payment_plan=PLAN)
    assert (claim.status, claim.agreed_payment_method, claim.instalments, claim.payment_plan) == (
        "customer_confirmed", "e_payment", 3, PLAN)


def test_one_payment_keeps_no_plan_text(people_ctx):
    claim = confirmed_claim(payment_method="cash", instalments=1, payment_plan="一次付清")
    assert (claim.instalments, claim.payment_plan) == (1, None)


@pytest.mark.parametrize("plan,message", [
    ({"instalments": 3}, "分 3 期支付须写明分期计划"),
    ({"instalments": 3, "payment_plan": "  "}, "分 3 期支付须写明分期计划"),
    ({"instalments": 0}, "分期数只能是 1 到 12"),
    ({"instalments": 13, "payment_plan": PLAN}, "分期数只能是 1 到 12"),
    ({"payment_method": "cheque"}, "请选择有效的支付方式"),
    ({"payment_method": None}, "请填写约定的支付方式"),
    ({"instalments": None}, "请填写分期数"),
])
def test_an_incomplete_payment_plan_is_refused(people_ctx, plan, message):
    claim = approved_claim()
    fields = {"payment_method": "bank_transfer", "instalments": 1} | plan
    with pytest.raises(WorkflowError, match=message):
        perform(claim, "confirm", user("clerk"), **{k: v for k, v in fields.items() if v is not None})
    db.session.rollback()
    claim = db.session.get(Claim, claim.id)
    assert (claim.status, claim.agreed_payment_method) == ("approved", None)


# --- the day paid ----------------------------------------------------------------------------------------------
def test_payment_records_the_day_it_was_paid(people_ctx):
    claim = confirmed_claim("8000")
    act(claim, "pay", "finance", method="bank_transfer", amount=Decimal("8000"), voucher_no="PZ-1",
        paid_on=local_today())
    assert claim.status == "paid" and claim.payments[0].paid_on == local_today()


@pytest.mark.parametrize("paid_on,message", [
    (lambda today: today + timedelta(days=1), "支付日期不能晚于今天"),
    (lambda today: today - timedelta(days=1), "支付日期不能早于批准日期"),
    (lambda today: None, "请填写支付日期"),
])
def test_payment_day_must_lie_between_the_approval_and_today(people_ctx, paid_on, message):
    claim = confirmed_claim("8000")
    day = paid_on(local_today())
    with pytest.raises(WorkflowError, match=message):
        perform(claim, "pay", user("finance"), method="cash", amount=Decimal("8000"), voucher_no="PZ-1",
                **({} if day is None else {"paid_on": day}))
    db.session.rollback()
    assert db.session.get(Claim, claim.id).payments == []


def test_a_payment_on_the_day_of_an_earlier_approval_is_accepted(people_ctx):
    claim = confirmed_claim("8000")
    claim.approvals[0].decided_at = utcnow() - timedelta(days=10)
    db.session.commit()
    act(claim, "pay", "finance", method="cash", amount=Decimal("8000"), voucher_no="PZ-1",
        paid_on=local_today() - timedelta(days=10))
    assert claim.status == "paid"


# --- through the panel ------------------------------------------------------------------------------------------
def post_action(client, claim_id: int, action: str, **fields) -> str:
    with_version = {"version": str(db.session.get(Claim, claim_id).version), **{k: str(v) for k, v in fields.items()}}
    db.session.remove()
    return client.post_form(f"/admin/claim/workflow/{action}/?id={claim_id}", with_version,
                            follow_redirects=True).get_data(as_text=True)


def test_assess_dialog_starts_from_the_items_sum_and_another_figure_shows_its_reason(app, staff, login_as):
    with app.app_context():
        claim_id = investigating_claim("3000", "3250.50").id
    handler = login_as("handler")
    page = handler.get(f"/admin/claim/details/?id={claim_id}").get_data(as_text=True)
    assert 'name="verified_loss"' in page and 'value="6250.50"' in page
    with app.app_context():
        refused = post_action(handler, claim_id, "assess", verified_loss="6000", compensation_form="cash")
    assert "请填写调整理由" in refused
    with app.app_context():
        done = post_action(handler, claim_id, "assess", verified_loss="6000", compensation_form="cash",
                           verified_loss_reason="配件按折旧价核定")
        assert db.session.get(Claim, claim_id).verified_loss == Decimal("6000.00")
    assert "已完成「核定损失」" in done and "核定损失调整理由" in done and "配件按折旧价核定" in done


def test_settlement_agreement_states_the_instalments_agreed_at_confirmation(app, staff, login_as):
    with app.app_context():
        claim = approved_claim("12300")
        claim_id = claim.id
    clerk = login_as("clerk")
    page = clerk.get(f"/admin/claim/details/?id={claim_id}").get_data(as_text=True)
    assert "无法生成「赔偿和解协议」：缺少约定的支付方式（客户确认时填写）" in page  # not agreed yet
    with app.app_context():
        done = post_action(clerk, claim_id, "confirm", payment_method="bank_transfer", instalments=3,
                           payment_plan=PLAN)
    assert "已完成「客户确认」" in done
    response = clerk.post_form(f"/admin/claim/document/settlement_agreement/?id={claim_id}", {})
    assert response.mimetype.endswith("wordprocessingml.document")
    text = all_text(response.get_data())  # read back with python-docx
    assert PLAN in text and "以银行转账方式分 3 期支付" in text
    assert "一次性" not in text
    assert "人民币壹万贰仟叁佰元整" in text


def test_settlement_agreement_of_a_single_payment_says_so(app, staff, login_as):
    with app.app_context():
        claim_id = confirmed_claim("12300", payment_method="cash", instalments=1).id
    text = all_text(login_as("clerk").post_form(f"/admin/claim/document/settlement_agreement/?id={claim_id}",
                                                {}).get_data())
    assert "以现金方式一次性支付" in text and "分期" not in text


def test_pay_dialog_refuses_a_future_day_and_writes_nothing(app, staff, login_as):
    with app.app_context():
        claim_id = confirmed_claim("8000").id
    finance = login_as("finance")
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    with app.app_context():
        page = post_action(finance, claim_id, "pay", method="bank_transfer", amount="8000", voucher_no="PZ-9",
                           paid_on=tomorrow)
    assert f"支付日期不能晚于今天（{local_today().isoformat()}）" in page
    with app.app_context():
        assert db.session.get(Claim, claim_id).payments == []
        page = post_action(finance, claim_id, "pay", method="bank_transfer", amount="8000", voucher_no="PZ-9",
                           paid_on=local_today().isoformat())
        assert db.session.get(Claim, claim_id).status == "paid"
    assert "已完成「支付」" in page


def test_the_day_paid_is_in_the_payment_list_and_its_export(app, staff, login_as):
    with app.app_context():
        claim = confirmed_claim("8000")
        claim.approvals[0].decided_at = utcnow() - timedelta(days=40)
        db.session.commit()
        act(claim, "pay", "finance", method="cash", amount=Decimal("8000"), voucher_no="PZ-77",
            paid_on=local_today() - timedelta(days=30))
    paid_on = (local_today() - timedelta(days=30)).isoformat()
    auditor = login_as("auditor")
    listing = auditor.get("/admin/payment/").get_data(as_text=True)
    assert "支付日期" in listing and paid_on in listing
    body = auditor.get("/admin/payment/export/csv/").get_data().decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(body)))
    assert header[0] == "支付日期" and row[0] == paid_on and "PZ-77" in row
