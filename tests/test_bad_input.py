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
    ({"password": "short"}, "密码至少 10 位"),
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


# --- numbers: not a number, infinite, or more than the column holds ---------------------------------------------
NOT_NUMBERS = ["NaN", "sNaN", "-nan", "Infinity", "-Infinity", "inf"]


def audit_count() -> int:
    from kesu.models import AuditEvent

    return count(AuditEvent)


def new_case_form(**overrides) -> dict:
    from kesu.models import Category

    customer = db.session.scalar(select(Customer.id).order_by(Customer.id))
    category = db.session.scalar(select(Category.id).order_by(Category.id))
    return {"received_at": "2026-11-23 09:30", "channel": "phone", "market": "domestic", "customer": str(customer),
            "category": str(category), "severity": "general", "title": "空气净化器开机无反应",
            "description": "客户反映开机无反应。", "department": "__None", **overrides}


@pytest.fixture
def case_form_data(app, staff):
    from tests.factories import make_customer

    with app.app_context():
        make_customer()
        return new_case_form()


def post_case(client, app, data: dict):
    """Post a new case as ``client``; the response, and whether the number of cases and events stayed."""
    from kesu.models import Case

    with app.app_context():
        before = count(Case), audit_count()
    response = client.post_form("/admin/case/new/", data)
    with app.app_context():
        unchanged = (count(Case), audit_count()) == before
    return response, unchanged


@pytest.mark.parametrize("amount", [*NOT_NUMBERS, "1e400", "1E+999999999999999999"])
def test_claim_amount_that_is_not_a_finite_number_is_a_field_error(login_as, app, staff, amount):
    with app.app_context():
        case_id = make_case().id
    response = login_as("clerk").post_form("/admin/claim/new/", {
        "case": str(case_id), "claimed_amount": amount, "reason": "产品损坏"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请填写一个有效的数字" in page or "金额过大，最多 999,999,999,999.99 元" in page
    with app.app_context():
        assert count(Claim) == 0


@pytest.mark.parametrize("limit,message", [
    ("NaN", "请填写一个有效的数字"), ("sNaN", "请填写一个有效的数字"), ("-Infinity", "请填写一个有效的数字"),
    ("1e400", "金额过大"), ("1000000000000", "金额过大"), ("99999999999999999999999999999", "金额过大"),
])
def test_approval_limit_outside_the_money_column_is_refused(login_as, app, staff, limit, message):
    with app.app_context():
        approver_id = db.session.scalar(select(User.id).where(User.username == "approver"))
    client = login_as("admin")
    with app.app_context():
        events = audit_count()
    response = client.post_form(f"/admin/user/edit/?id={approver_id}", {
        "username": "approver", "full_name": "approver", "role": "approver", "approval_limit": limit,
        "active": "y"})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, approver_id).approval_limit == 20000
        assert audit_count() == events


@pytest.mark.parametrize("field,value,message", [
    ("quantity", "2147483648", "数值超出范围，应在 -2,147,483,648 到 2,147,483,647 之间"),
    ("quantity", "-99999999999999999999", "数值超出范围"),
    ("quantity", "NaN", "不是有效的整数"),
    ("defect_rate", "1000", "数值超出范围，应在 -999.9999 到 999.9999 之间"),
    ("defect_rate", "1e400", "数值超出范围"),
    ("defect_rate", "0.00001", "最多保留 4 位小数"),
    ("defect_rate", "Infinity", "请填写一个有效的数字"),
])
def test_case_numbers_beyond_their_column_are_field_errors(login_as, app, case_form_data, field, value, message):
    response, unchanged = post_case(login_as("admin"), app, {**case_form_data, field: value})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert unchanged


def test_integer_limits_are_read_from_the_column():
    from sqlalchemy import BigInteger, Integer, Numeric, SmallInteger

    from kesu.models.base import Money
    from kesu.validators import column_bounds

    assert column_bounds(SmallInteger()) == (2**15, 0)
    assert column_bounds(Integer()) == (2**31, 0)
    assert column_bounds(BigInteger()) == (2**63, 0)
    assert column_bounds(Numeric(7, 4)) == (1000, 4)
    assert column_bounds(Money()) == (10**12, 2)


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "1e400", "-1"])
def test_bad_amounts_in_a_workflow_dialog_change_nothing(login_as, app, staff, amount):
    from kesu.models import Case

    with app.app_context():
        case = make_case(status="investigating")
        case_id, version = case.id, case.version
    client = login_as("handler")
    with app.app_context():
        events = audit_count()
    response = client.post_form(f"/admin/case/workflow/propose/?id={case_id}", {
        "version": str(version), "resolution_type": "refund", "amount": amount, "comment": "退款"})
    assert response.status_code == 200
    assert "请填写一个有效的数字" in response.get_data(as_text=True) or "金额" in response.get_data(as_text=True)
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.status == "investigating" and case.proposed_amount is None
        assert audit_count() == events


# --- dates ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value,message", [
    ("0001-01-01 00:00", "日期须在 2000-01-01 到 2099-12-31 之间"),
    ("9999-12-31 23:59", "日期须在 2000-01-01 到 2099-12-31 之间"),
    ("0000-00-00 00:00", "日期时间格式应为"),
    ("2026-02-30 10:00", "日期时间格式应为"),
    ("2026-11-23 25:00", "日期时间格式应为"),
])
def test_impossible_or_far_dates_are_field_errors(login_as, app, case_form_data, value, message):
    response, unchanged = post_case(login_as("admin"), app, {**case_form_data, "received_at": value})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert unchanged


def test_first_and_last_accepted_dates_survive_the_shanghai_utc_conversion(login_as, app, case_form_data):
    from kesu.models import Case

    client = login_as("admin")
    for typed in ("2000-01-01 00:00", "2099-12-31 23:59"):
        response, _unchanged = post_case(client, app, {**case_form_data, "received_at": typed})
        assert response.status_code == 302
    with app.app_context():
        from kesu.timeutil import format_local

        stored = sorted(format_local(c.received_at) for c in db.session.scalars(select(Case)))
        assert stored == ["2000-01-01 00:00", "2099-12-31 23:59"]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "0000-00-00", "2026-02-30"])
def test_holiday_outside_the_calendar_range_is_refused(login_as, app, day):
    from kesu.models import Holiday

    with app.app_context():
        before = count(Holiday)
    response = login_as("admin").post_form("/admin/holiday/new/", {"day": day, "name": "测试"})
    assert response.status_code == 200
    assert "日期须在" in response.get_data(as_text=True) or "不是有效的日期" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Holiday) == before


def test_extension_to_year_9999_is_a_field_error(login_as, app, staff):
    from kesu.models import Case

    with app.app_context():
        case = make_case(status="investigating")
        case_id, version = case.id, case.version
    response = login_as("admin").post_form(f"/admin/case/workflow/extend/?id={case_id}", {
        "version": str(version), "new_deadline": "9999-12-31 23:59", "reason": "等待检测报告"})
    assert response.status_code == 200
    assert "日期须在 2000-01-01 到 2099-12-31 之间" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Case, case_id).extension_reason is None


# --- NUL and other control characters ------------------------------------------------------------------------
def test_nul_in_the_login_username_is_refused_with_a_message(client, app, staff):
    from kesu.models import AuditEvent

    response = client.login("ad\x00min", "x")
    assert response.status_code == 400
    assert "不能包含不可见的控制字符" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "login_failed")) == 0


@pytest.mark.parametrize("text", ["摘\x00要", "摘要\x1b[31m", "摘\x7f要", "摘\x85要"])
def test_control_characters_are_refused_in_single_and_multi_line_text(login_as, app, case_form_data, text):
    for field in ("title", "description"):
        response, unchanged = post_case(login_as("admin"), app, {**case_form_data, field: text})
        assert "不能包含不可见的控制字符" in response.get_data(as_text=True)
        assert unchanged


def test_tab_and_line_breaks_are_kept_inside_multi_line_text(login_as, app, case_form_data):
    from kesu.models import Case

    response, _unchanged = post_case(login_as("admin"), app,
                                     {**case_form_data, "description": "第一行\r\n\t第二行"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Case.description)) == "第一行\r\n\t第二行"


def test_nul_in_a_dialog_comment_is_refused(login_as, app, staff):
    from kesu.models import Case

    with app.app_context():
        case = make_case()
        case_id, version = case.id, case.version
    response = login_as("clerk").post_form(f"/admin/case/workflow/accept/?id={case_id}", {
        "version": str(version), "reason": "符合受理条件\x00"})
    assert response.status_code == 200
    assert "不能包含不可见的控制字符" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Case, case_id).status == "registered"


def test_nul_in_a_unique_field_is_refused_before_the_uniqueness_query(login_as, app, staff):
    """PostgreSQL refuses a NUL even in a SELECT: the control-character rule runs before Flask-Admin's Unique."""
    from kesu.models import Department

    with app.app_context():
        before = count(Department)
    response = login_as("admin").post_form("/admin/department/new/", {"name": "\x00", "kind": "business"})
    assert response.status_code == 200
    assert "不能包含不可见的控制字符" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Department) == before


# --- text that is only white space or invisible characters ---------------------------------------------------
BLANKS = ["\u3000\u3000", "\u200b\u200c\u200d", "\u2060\ufeff", "\u200e\u200f", "\u202a\u202e\u202c",
          "\u2066\u2069", " \t\r\n"]


@pytest.mark.parametrize("blank", BLANKS)
def test_required_text_that_is_only_invisible_characters_is_refused(login_as, app, staff, blank):
    response = login_as("clerk").post_form("/admin/customer/new/", {**GOOD_CUSTOMER, "name": blank})
    assert response.status_code == 200
    assert "请填写名称（不能只有空格或不可见字符）" in response.get_data(as_text=True) \
        or "该字段是必填字段" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Customer) == 0


@pytest.mark.parametrize("blank", BLANKS)
def test_required_dialog_text_that_is_only_invisible_characters_is_refused(login_as, app, staff, blank):
    from kesu.models import Case

    with app.app_context():
        case = make_case()
        case_id, version = case.id, case.version
    response = login_as("clerk").post_form(f"/admin/case/workflow/reject/?id={case_id}", {
        "version": str(version), "reason": blank})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Case, case_id).status == "registered"


def test_surrounding_invisible_characters_are_trimmed_and_blank_optional_text_is_empty(login_as, app, staff):
    response = login_as("clerk").post_form("/admin/customer/new/", {
        **GOOD_CUSTOMER, "name": "\ufeff\u3000 杭州瑞丰\u200b科技 \u200b\n", "email": "\u200b\u3000",
        "contact_person": "\u202e"})
    assert response.status_code == 302
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        assert customer.name == "杭州瑞丰\u200b科技"
        assert customer.email is None and customer.contact_person is None


# --- phone numbers -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed,stored", [
    ("+86 138-1234-5678", "13812345678"),
    ("13812345678\n", "13812345678"),
    ("0086 13812345678", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"),
    ("(010) 8888 6666 转 123", "010-88886666-123"),
    ("021-12345678-8001", "021-12345678-8001"),
    ("0755 8765 4321 分机 12", "0755-87654321-12"),
    ("010 88886666", "010-88886666"),
    ("+86 10 8888 6666 ext. 5", "010-88886666-5"),
])
def test_phone_numbers_are_stored_in_one_normal_form(typed, stored):
    from kesu.validators import normal_phone

    assert normal_phone(typed) == stored


@pytest.mark.parametrize("typed", ["1381234567a", "12345", "138123456789", "+1 650 253 0000", "+44 20 7946 0958",
                                   "13812345678 转 1", "010-8888", "电话", "00000000000"])
def test_letters_wrong_lengths_and_other_countries_are_not_phone_numbers(typed):
    from kesu.validators import normal_phone

    assert normal_phone(typed) is None


def test_a_phone_typed_with_spaces_is_saved_normalised_and_still_masked(login_as, app, staff):
    from kesu.permissions import mask_phone

    response = login_as("clerk").post_form("/admin/customer/new/", {**GOOD_CUSTOMER,
                                                                   "phone": "(010) 8888 6666 转 123"})
    assert response.status_code == 302
    with app.app_context():
        phone = db.session.scalar(select(Customer.phone))
    assert phone == "010-88886666-123"
    assert mask_phone(phone) == "010****-123"
    assert mask_phone("13812345678") == "138****5678"


# --- foreign keys that are not there -------------------------------------------------------------------------
@pytest.mark.parametrize("field,value,label", [
    ("customer", "abc", "客户"),
    ("customer", "999999", "客户"),
    ("customer", str(2**70), "客户"),
    ("customer", "2147483648", "客户"),  # fits 64 bits, not the INTEGER id: PostgreSQL's cast failed
    ("customer", "1" * 5000, "客户"),
    ("category", "999999", "投诉类别"),
])
def test_a_foreign_key_that_does_not_exist_is_a_field_error_naming_the_field(login_as, app, case_form_data,
                                                                           field, value, label):
    response, unchanged = post_case(login_as("admin"), app, {**case_form_data, field: value})
    assert response.status_code == 200
    assert f"所选的“{label}”不存在或您无权选择" in response.get_data(as_text=True)
    assert unchanged


@pytest.mark.parametrize("field,value,label", [
    ("department", "999999", "部门"),
    ("department", "abc", "部门"),
    ("person", "-1", "责任人"),
])
def test_a_department_or_person_that_does_not_exist_is_a_field_error_naming_the_field(login_as, app, staff, field,
                                                                                     value, label):
    """A case's department and handler are no fields (only the assign step sets them): the proposal's are."""
    from kesu.models import Accountability

    with app.app_context():
        case_id = make_case().id
    response = login_as("admin").post_form("/admin/accountability/new/", {
        "case": str(case_id), "cause": "other", "facts": "未按规程检验", "measure": "verbal_warning", field: value})
    assert response.status_code == 200
    assert f"所选的“{label}”不存在或您无权选择" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Accountability) == 0


def test_a_claim_for_a_case_that_does_not_exist_is_refused(login_as, app, staff):
    response = login_as("clerk").post_form("/admin/claim/new/", {
        "case": "999999", "claimed_amount": "100", "reason": "产品损坏"})
    assert response.status_code == 200
    assert "不存在或您无权选择" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Claim) == 0
