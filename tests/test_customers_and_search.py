"""Customers and search: the top bar's search box within the user's scope, a customer's page listing their
cases and claims, the repeat-complainant hint and a new customer registered from the case form."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from kesu.extensions import db
from kesu.models import AuditEvent, Case, Category, Customer
from tests.factories import make_case, make_claim, make_customer
from tests.test_browser import CHROMIUM, clerk_page, live_server  # noqa: F401 (a fixture)

PHONE = "13812345678"


@pytest.fixture
def records(app, staff):
    """张伟 (13812345678) with an open case of 质量管理部 and a claim on it; 李娜 with a closed case of 生产部."""
    with app.app_context():
        zhang = make_customer("张伟", PHONE, contact_person="张伟")
        case = make_case(customer=zhang, title="空气净化器滤网异响", lot_no="L2611023", part_no="P50211")
        claim = make_claim(case)
        li = make_customer("李娜", "13987654321", contact_person="王强")
        other = make_case("生产部", customer=li, title="电饭煲内胆涂层脱落", status="closed")
        return {"zhang": zhang.id, "li": li.id, "case": case.case_no, "case_id": case.id,
                "claim": claim.claim_no, "other": other.case_no}


def search(client, term: str) -> str:
    response = client.get("/admin/search/", query_string={"q": term})
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- the search box ---------------------------------------------------------------------------------------
def test_the_search_box_is_in_the_top_bar_of_every_page(login_as, records):
    page = login_as("clerk").get("/admin/case/").get_data(as_text=True)
    assert 'action="/admin/search/"' in page and 'name="q"' in page


def test_search_by_phone_finds_the_case_and_claim_within_scope_only(login_as, records):
    for who in ("clerk", "handler"):
        page = search(login_as(who), "138-1234-5678")
        assert records["case"] in page and records["claim"] in page, who
    page = search(login_as("other_handler"), PHONE)
    assert records["case"] not in page and records["claim"] not in page
    assert "没有找到相关记录" in page


def test_masked_role_finds_by_whole_phone_number_but_not_by_part(login_as, records):
    approver = login_as("approver")
    whole = search(approver, "+86 138 1234 5678")
    assert records["case"] in whole and "138****5678" in whole and PHONE not in whole
    for part in ("1381234", "5678", "12345678"):
        assert records["case"] not in search(approver, part), part


def test_unmasked_role_finds_by_part_of_a_phone_number(login_as, records):
    page = search(login_as("clerk"), "1234567")
    assert records["case"] in page and PHONE in page


def test_search_by_case_number_prefix_and_claim_number(login_as, records):
    clerk = login_as("clerk")
    prefix = records["case"][:-2]
    assert records["case"] in search(clerk, prefix)
    assert records["case"] in search(clerk, prefix.lower())
    page = search(clerk, records["claim"])
    assert records["claim"] in page and f'/admin/claim/details/?id=' in page
    assert records["other"] not in search(clerk, records["case"])


def test_search_by_lot_and_part_number_from_their_beginning(login_as, records):
    clerk = login_as("clerk")
    assert records["case"] in search(clerk, "l2611")
    assert records["case"] in search(clerk, "P502")
    assert records["case"] not in search(clerk, "2611023")


def test_search_by_a_word_of_the_summary_or_description(login_as, records):
    clerk = login_as("clerk")
    page = search(clerk, "异响")
    assert records["case"] in page and records["other"] not in page
    assert records["other"] in search(clerk, "内胆")
    assert records["case"] in search(clerk, "开机无反应")  # the description


def test_search_by_customer_name_and_contact_person_groups_results(login_as, records):
    page = search(login_as("clerk"), "王强")
    assert "李娜" in page and records["other"] in page
    assert page.index("客户") < page.index(records["other"])
    assert f'/admin/customer/details/?id={records["li"]}' in page


def test_search_terms_are_literal_and_harmless(login_as, records):
    clerk = login_as("clerk")
    for term in ("%", "_", "' OR 1=1 --", "\x00", "张" * 500, ""):
        assert records["case"] not in search(clerk, term), repr(term)


# --- the customer's page ----------------------------------------------------------------------------------
def test_customer_page_lists_their_cases_and_claims_with_status_and_links(login_as, records):
    page = login_as("clerk").get(f"/admin/customer/details/?id={records['zhang']}").get_data(as_text=True)
    assert f'/admin/case/details/?id={records["case_id"]}' in page and records["case"] in page
    assert records["claim"] in page and "已登记" in page and "已提交" in page
    assert records["other"] not in page


def test_customer_page_lists_only_the_cases_in_the_users_scope(app, login_as, records):
    with app.app_context():
        li = db.session.get(Customer, records["li"])
        in_scope = make_case(customer=li, title="冰箱不制冷").case_no
    page = login_as("handler").get(f"/admin/customer/details/?id={records['li']}").get_data(as_text=True)
    assert in_scope in page and records["other"] not in page


# --- the repeat-complainant hint ---------------------------------------------------------------------------
def test_repeat_complainant_lookup_offers_the_customer_with_open_cases(login_as, records):
    answer = login_as("clerk").get("/admin/case/repeat_complainant/", query_string={"q": PHONE}).get_json()
    (customer,) = answer["customers"]
    assert customer["id"] == records["zhang"] and customer["phone"] == PHONE
    assert [c["case_no"] for c in customer["open_cases"]] == [records["case"]]
    assert "重复投诉" in customer["hint"]


def test_repeat_complainant_lookup_leaves_out_closed_cases(login_as, records):
    answer = login_as("clerk").get("/admin/case/repeat_complainant/", query_string={"q": "李娜"}).get_json()
    (customer,) = answer["customers"]
    assert customer["open_cases"] == [] and "暂无未结案件" in customer["hint"]


def test_repeat_complainant_lookup_masks_and_matches_whole_numbers_for_masked_roles(login_as, records):
    approver = login_as("approver")
    whole = approver.get("/admin/case/repeat_complainant/", query_string={"q": PHONE}).get_json()
    (customer,) = whole["customers"]
    assert customer["phone"] == "138****5678" and PHONE not in str(whole)
    part = approver.get("/admin/case/repeat_complainant/", query_string={"q": "13812"}).get_json()
    assert part["customers"] == []


def test_repeat_complainant_lookup_by_chosen_customer_is_scoped(login_as, records):
    url = "/admin/case/repeat_complainant/"
    mine = login_as("handler").get(url, query_string={"customer_id": records["zhang"]}).get_json()
    assert [c["id"] for c in mine["customers"]] == [records["zhang"]]
    theirs = login_as("other_handler").get(url, query_string={"customer_id": records["zhang"]}).get_json()
    assert theirs["customers"] == []


def test_case_form_loads_the_hint_script_without_inline_script(login_as, records):
    page = login_as("clerk").get("/admin/case/new/").get_data(as_text=True)
    assert "kesu/repeat_complainant.js" in page and 'data-kesu-repeat-url="/admin/case/repeat_complainant/"' in page
    assert "onclick" not in page


# --- a new customer from the case form ----------------------------------------------------------------------
def new_case(**overrides) -> dict:
    category = db.session.scalar(select(Category.id).order_by(Category.id))
    return {"received_at": "2026-11-23 09:30", "channel": "phone", "market": "domestic", "customer": "",
            "category": str(category), "severity": "general", "title": "热水器漏水",
            "description": "客户反映热水器底部漏水。", "department": "__None", **overrides}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_case_with_a_new_customer_creates_both_in_one_step(app, login_as, records):
    with app.app_context():
        data = new_case(new_customer_name="赵敏", new_customer_phone="+86 139-0000-1111")
    response = login_as("clerk").post_form("/admin/case/new/", data)
    assert response.status_code == 302
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.name == "赵敏"))
        assert customer.phone == "13900001111"
        case = db.session.scalar(select(Case).where(Case.customer_id == customer.id))
        assert case.title == "热水器漏水"
        created = set(db.session.execute(select(AuditEvent.record_type, AuditEvent.username).where(
            AuditEvent.action == "insert", AuditEvent.record_id.in_((customer.id, case.id)))).all())
        assert {("customer", "clerk"), ("case", "clerk")} <= created


def test_case_without_customer_or_new_customer_name_is_refused(app, login_as, records):
    with app.app_context():
        data, before = new_case(), count(Case)
    page = login_as("clerk").post_form("/admin/case/new/", data).get_data(as_text=True)
    assert "请选择客户，或填写新客户的名称。" in page
    with app.app_context():
        assert count(Case) == before


def test_new_customer_with_an_invalid_phone_is_refused_and_nothing_written(app, login_as, records):
    with app.app_context():
        data, before = new_case(new_customer_name="赵敏", new_customer_phone="12345"), (count(Case), count(Customer))
    page = login_as("clerk").post_form("/admin/case/new/", data).get_data(as_text=True)
    assert "电话号码无效" in page
    with app.app_context():
        assert (count(Case), count(Customer)) == before


def test_chosen_customer_and_new_customer_together_are_refused(app, login_as, records):
    with app.app_context():
        data = new_case(customer=str(records["zhang"]), new_customer_name="赵敏")
    page = login_as("clerk").post_form("/admin/case/new/", data).get_data(as_text=True)
    assert "已选择客户时，不要再填写新客户" in page
    with app.app_context():
        assert db.session.scalar(select(Customer).where(Customer.name == "赵敏")) is None


def test_a_failure_saving_the_case_leaves_no_new_customer(app, login_as, records, monkeypatch):
    import kesu.numbering

    def failing(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(kesu.numbering, "issue_number", failing)
    with app.app_context():
        data, before = new_case(new_customer_name="赵敏", new_customer_phone="13900001111"), count(Case)
    response = login_as("clerk").post_form("/admin/case/new/", data)
    assert response.status_code == 200
    with app.app_context():
        assert count(Case) == before
        assert db.session.scalar(select(Customer).where(Customer.name == "赵敏")) is None


def test_edit_form_has_no_new_customer_fields(login_as, records):
    page = login_as("clerk").get(f"/admin/case/edit/?id={records['case_id']}").get_data(as_text=True)
    assert "new_customer_name" not in page and "repeat_complainant.js" not in page


def test_case_form_from_a_customer_page_has_that_customer_chosen(login_as, records):
    page = login_as("clerk").get(f"/admin/case/new/?customer_id={records['zhang']}").get_data(as_text=True)
    assert f'id="customer" name="customer" type="hidden" value="{records["zhang"]}"' in page


def test_case_form_from_a_customer_page_ignores_a_customer_that_does_not_exist(login_as, records):
    page = login_as("clerk").get("/admin/case/new/?customer_id=99999").get_data(as_text=True)
    (field,) = re.findall(r'<input[^>]*id="customer"[^>]*>', page)
    assert 'value="' not in field or 'value=""' in field


# --- in a real browser ----------------------------------------------------------------------------------------
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
@pytest.mark.engine_independent
def test_clerk_typing_a_known_phone_is_offered_the_customer_and_their_open_cases(app, live_server):
    with app.app_context():  # the newest of the live server's customers with this phone is offered first
        customer_id = db.session.scalar(select(func.max(Customer.id)).where(Customer.phone == PHONE))
    with clerk_page(live_server) as (page, refused):
        page.goto(live_server + "/admin/case/new/")
        page.fill("#new_customer_phone", "138 1234 5678")
        hint = page.locator(".kesu-repeat-hint .card").first
        hint.wait_for()
        assert "重复投诉" in hint.inner_text() and "KS-" in hint.inner_text()
        hint.get_by_role("button", name="选用此客户").click()
        assert page.input_value("#customer") == str(customer_id)
        assert page.input_value("#new_customer_phone") == ""
        page.locator(".kesu-repeat-hint button").first.wait_for(state="detached")  # re-read as the chosen one
        assert "重复投诉" in page.locator(".kesu-repeat-hint").inner_text()
    assert refused == []
