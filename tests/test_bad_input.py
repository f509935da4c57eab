"""A catalogue of bad input: each gets a clear Chinese message next to the field, and nothing is written."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kesu.extensions import db
from kesu.models import Claim, Customer, User
from tests.factories import make_case

GOOD_CUSTOMER = {"name": "杭州瑞丰科技有限公司", "contact_person": "王芳", "phone": "13812345678",
                 "email": "wang.fang@example.com", "tier": "normal"}

CUSTOMER_CASES = [
    ({"name": ""}, "该字段是必填字段"),
    ({"phone": "12345"}, "电话号码无效"),
    ({"phone": "1381234567a"}, "电话号码无效"),
    ({"email": "not-an-email"}, "电子邮箱格式不正确"),
    ({"name": "长" * 101}, "字段长度"),
    ({"name": "控制\x07字符"}, "不能包含不可见的控制字符"),
    ({"address": "上海\x00市"}, "不能包含不可见的控制字符"),
    ({"tier": "platinum"}, "不是有效的选择"),
]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("bad,message", CUSTOMER_CASES)
def test_bad_customer_input_is_refused_with_a_chinese_message(login_as, app, bad, message):
    response = login_as("clerk").post_form("/admin/customer/new/", {**GOOD_CUSTOMER, **bad})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    with app.app_context():
        assert count(Customer) == 0


def test_good_customer_input_is_saved(login_as, app):
    assert login_as("clerk").post_form("/admin/customer/new/", GOOD_CUSTOMER).status_code == 302
    with app.app_context():
        assert count(Customer) == 1


@pytest.mark.parametrize("amount,message", [
    ("-100", "金额必须大于或等于 0"),
    ("0", "索赔金额必须大于 0"),
    ("1000000000000000", "金额过大"),
    ("12.345", "金额最多保留两位小数"),
    ("一百元", "不是有效的小数"),
])
def test_bad_claim_amounts_are_refused(login_as, app, staff, amount, message):
    with app.app_context():
        case_id = make_case().id
    response = login_as("clerk").post_form("/admin/claim/new/", {
        "case": str(case_id), "claimed_amount": amount, "reason": "产品损坏"})
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert count(Claim) == 0


def test_duplicate_username_is_refused(login_as, app):
    response = login_as("admin").post_form("/admin/user/new/", {
        "username": "clerk", "full_name": "重复", "role": "clerk", "approval_limit": "0", "active": "y",
        "password": "long-enough-pw"})
    assert "已经存在" in response.get_data(as_text=True)
    with app.app_context():
        assert count(User) == 8


@pytest.mark.parametrize("bad,message", [
    ({"password": ""}, "新建用户必须设置密码"),
    ({"password": "short"}, "字段长度"),
    ({"role": "handler"}, "责任部门处理人必须属于一个部门"),
    ({"approval_limit": "-1"}, "金额必须大于或等于 0"),
    ({"phone": "abc"}, "电话号码无效"),
])
def test_bad_user_input_is_refused(login_as, app, bad, message):
    data = {"username": "newclerk", "full_name": "新人", "role": "clerk", "approval_limit": "0", "active": "y",
            "password": "long-enough-pw", **bad}
    response = login_as("admin").post_form("/admin/user/new/", data)
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert count(User) == 8


@pytest.mark.parametrize("satisfaction", ["9", "0", "很好"])
def test_satisfaction_outside_one_to_five_is_refused_when_closing(login_as, app, staff, satisfaction):
    from kesu.models import Case

    with app.app_context():
        case = make_case(status="follow_up", customer_confirmed=True)
        case_id, version = case.id, case.version
    response = login_as("clerk").post_form(f"/admin/case/workflow/close/?id={case_id}",
                                           {"version": str(version), "satisfaction": satisfaction, "feedback": "好"})
    assert "满意度只能是 1 到 5" in response.get_data(as_text=True)
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.satisfaction is None and case.status == "follow_up"


def test_database_refuses_unknown_status_key(ctx, staff):
    """The CHECK constraints guard the stored keys even past the forms."""
    from sqlalchemy.exc import IntegrityError

    case = make_case()
    case.status = "nonsense"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
