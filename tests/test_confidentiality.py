"""保密性: a handler sees only their own department's cases and what hangs off them; personal data is masked."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from kesu.extensions import db
from kesu.models import AuditEvent, Case, ContactLog
from tests.factories import department, make_case, make_claim, make_contact_log, make_customer
from tests.forms import case_form


@pytest.fixture
def two_departments(app, staff):
    with app.app_context():
        own = make_case("质量管理部", customer=make_customer("本部门客户", "13811112222"), title="本部门的投诉")
        other = make_case("生产部", customer=make_customer("外部门客户", "13933334444"), title="其他部门的投诉")
        make_contact_log(own, "本部门沟通")
        make_contact_log(other, "外部门沟通")
        make_claim(own, reason="本部门索赔")
        make_claim(other, reason="外部门索赔")
        return own.id, other.id


def test_handler_case_list_shows_only_own_department(login_as, two_departments):
    page = login_as("handler").get("/admin/case/").get_data(as_text=True)
    assert "本部门的投诉" in page
    assert "其他部门的投诉" not in page


def test_clerk_sees_every_department(login_as, two_departments):
    page = login_as("clerk").get("/admin/case/").get_data(as_text=True)
    assert "本部门的投诉" in page and "其他部门的投诉" in page


@pytest.mark.parametrize("url", ["/admin/case/details/?id={other}", "/admin/case/edit/?id={other}"])
def test_direct_url_to_another_departments_case_is_not_found(login_as, two_departments, url):
    _own, other = two_departments
    assert login_as("handler").get(url.format(other=other)).status_code == 404


def test_handler_cannot_post_an_edit_to_another_departments_case(login_as, two_departments, app):
    _own, other = two_departments
    with app.app_context():
        data = case_form(db.session.get(Case, other), title="越权修改")
    assert login_as("handler").post_form(f"/admin/case/edit/?id={other}", data).status_code == 404
    with app.app_context():
        assert db.session.get(Case, other).title == "其他部门的投诉"


def test_handler_cannot_move_own_case_to_another_department(login_as, two_departments, app):
    own, _other = two_departments
    handler = login_as("handler")
    assert 'name="department"' not in handler.get(f"/admin/case/edit/?id={own}").get_data(as_text=True)
    with app.app_context():
        data = case_form(db.session.get(Case, own), department=str(department("生产部").id))
    handler.post_form(f"/admin/case/edit/?id={own}", data)
    with app.app_context():
        assert db.session.get(Case, own).department.name == "质量管理部"


def test_scope_check_refuses_a_save_that_would_move_a_record_out_of_sight(login_as, two_departments, app):
    """The last line of defence behind the missing field: a contact log moved to another department's case."""
    own, other = two_departments
    with app.app_context():
        log_id = make_contact_log(db.session.get(Case, own)).id
    response = login_as("handler").post_form(f"/admin/contactlog/edit/?id={log_id}", {
        "case": str(other), "channel": "phone", "direction": "outbound", "content": "改到外部门"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(ContactLog, log_id).case_id == own


@pytest.mark.parametrize("endpoint,own_text,other_text", [
    ("contactlog", "本部门沟通", "外部门沟通"),
    ("customer", "本部门客户", "外部门客户"),
])
def test_handler_lists_of_related_records_are_scoped(login_as, two_departments, endpoint, own_text, other_text):
    page = login_as("handler").get(f"/admin/{endpoint}/").get_data(as_text=True)
    assert own_text in page
    assert other_text not in page


def test_handler_claim_list_shows_own_claim_only(login_as, two_departments, app):
    from kesu.models import Claim

    own, other = two_departments
    with app.app_context():
        own_no = db.session.scalar(select(Claim.claim_no).where(Claim.case_id == own))
        other_no = db.session.scalar(select(Claim.claim_no).where(Claim.case_id == other))
    page = login_as("handler").get("/admin/claim/").get_data(as_text=True)
    assert own_no in page and other_no not in page


def test_handler_claim_list_has_one_row(login_as, two_departments):
    page = login_as("handler").get("/admin/claim/").get_data(as_text=True)
    assert page.count("/admin/claim/details/?id=") == 1


def test_handler_case_lookup_offers_only_own_cases(login_as, two_departments, app):
    client = login_as("handler")
    response = client.get("/admin/contactlog/ajax/lookup/?name=case&query=KS")
    ids = [row[0] for row in response.get_json()]
    own, other = two_departments
    assert own in ids and other not in ids


def test_handlers_inbox_holds_only_own_departments_cases(app, login_as, two_departments):
    with app.app_context():
        for case_id in two_departments:
            db.session.get(Case, case_id).status = "investigating"
        db.session.commit()
    page = login_as("handler").get("/admin/").get_data(as_text=True)
    assert "本部门的投诉" in page and "其他部门的投诉" not in page


@pytest.mark.parametrize("role", ["handler", "approver", "finance", "auditor"])
def test_phone_and_email_masked_for_roles_other_than_admin_and_clerk(login_as, two_departments, role):
    page = login_as(role).get("/admin/customer/").get_data(as_text=True)
    assert "138****2222" in page
    assert "13811112222" not in page
    assert "zhang.wei@example.com" not in page and "z***@example.com" in page


@pytest.mark.parametrize("role", ["admin", "clerk"])
def test_phone_unmasked_for_admin_and_clerk(login_as, two_departments, role):
    page = login_as(role).get("/admin/customer/").get_data(as_text=True)
    assert "13811112222" in page


def test_case_details_mask_customer_phone_for_handler(login_as, two_departments):
    own, _ = two_departments
    page = login_as("handler").get(f"/admin/case/details/?id={own}").get_data(as_text=True)
    assert "138****2222" in page and "13811112222" not in page


def test_opening_unmasked_personal_data_is_audited(login_as, two_departments, app):
    own, _ = two_departments
    login_as("clerk").get(f"/admin/case/details/?id={own}")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "view_personal_info"))
        assert event.username == "clerk" and event.record_type == "case" and event.record_id == own


def test_masked_view_is_not_audited_as_personal_data(login_as, two_departments, app):
    own, _ = two_departments
    login_as("handler").get(f"/admin/case/details/?id={own}")
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "view_personal_info")) is None


# --- searching personal data: roles that see it masked find it by the whole value only ---------------------
MASKED_ROLES = ["approver", "auditor", "handler"]
PARTS_OF_THE_PHONE = ["1", "138", "1381111", "1381111222", "2222", "8111122", "%", "_", "138%", "1381111222_"]
WHOLE_PHONE = ["13811112222", "138-1111-2222", "+86 138 1111 2222", "008613811112222"]


def lookup_labels(client, query: str) -> list[str]:
    response = client.get("/admin/case/ajax/lookup/", query_string={"name": "customer", "query": query})
    assert response.status_code == 200
    return [label for _id, label in response.get_json()]


def customer_search(client, term: str) -> str:
    return client.get("/admin/customer/", query_string={"search": term}).get_data(as_text=True)


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_a_masked_phone_cannot_be_recovered_digit_by_digit_through_the_lookup(login_as, two_departments, role):
    client = login_as(role)
    for part in PARTS_OF_THE_PHONE:
        assert "本部门客户" not in lookup_labels(client, part), part


@pytest.mark.parametrize("role", MASKED_ROLES)
@pytest.mark.parametrize("query", WHOLE_PHONE)
def test_the_whole_phone_finds_the_customer_in_the_lookup_for_masked_roles(login_as, two_departments, role, query):
    assert lookup_labels(login_as(role), query) == ["本部门客户"]


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_a_masked_phone_cannot_be_recovered_digit_by_digit_through_the_list_search(login_as, two_departments,
                                                                                   role):
    client = login_as(role)
    for part in PARTS_OF_THE_PHONE:
        assert "本部门客户" not in customer_search(client, part), part


@pytest.mark.parametrize("role", MASKED_ROLES)
@pytest.mark.parametrize("term", ["13811112222", "138-1111-2222", "+8613811112222"])
def test_the_whole_phone_finds_the_customer_in_the_list_search_for_masked_roles(login_as, two_departments, role,
                                                                                term):
    page = customer_search(login_as(role), term)
    assert "本部门客户" in page and "138****2222" in page  # found, and still shown masked


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_the_lookup_never_labels_a_customer_with_the_phone_for_masked_roles(login_as, two_departments, role):
    labels = lookup_labels(login_as(role), "13811112222")
    assert labels == ["本部门客户"]
    assert not any("1381111" in label for label in labels)


@pytest.mark.parametrize("role", ["admin", "clerk"])
def test_admin_and_clerk_still_search_any_part_of_a_phone(login_as, two_departments, role):
    client = login_as(role)
    assert lookup_labels(client, "1381111") == ["本部门客户"]
    assert "本部门客户" in customer_search(client, "1381111")
    assert "本部门客户" not in customer_search(client, "1381111%")


def test_the_search_box_says_a_masked_phone_is_matched_whole(login_as, two_departments):
    assert "（完整匹配）" in login_as("approver").get("/admin/customer/").get_data(as_text=True)
    assert "（完整匹配）" not in login_as("clerk").get("/admin/customer/").get_data(as_text=True)


@pytest.mark.parametrize("term,expected", [
    ("13811112222", "13811112222"), ("138-1111-2222", "13811112222"), ("+86 138 1111 2222", "13811112222"),
    ("008613811112222", "13811112222"), ("(021) 1234 5678", "02112345678"), ("+86 21 1234 5678", "02112345678"),
    ("+86 10 8888 6666", "01088886666"), ("+86 010-8888-6666", "01088886666"), ("１３８１１１１２２２２", "13811112222"),
])
def test_a_phone_search_term_is_read_as_the_stored_digits(term, expected):
    from kesu.permissions import normalise_phone_for_search

    assert normalise_phone_for_search(term) == expected
