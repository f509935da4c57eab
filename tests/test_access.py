"""Who may open and change what: every admin URL needs login; roles as in DESIGN.md."""
from __future__ import annotations

import pytest

from kesu.admin import VIEWS
from tests.factories import make_case, make_claim, make_contact_log

ENDPOINTS = [model.__name__.lower() for _view, model, *_ in VIEWS]
WRITE_URLS = ("/admin/{ep}/new/", "/admin/{ep}/edit/?id=1", "/admin/{ep}/delete/", "/admin/{ep}/action/")


@pytest.fixture
def records(app, staff):
    with app.app_context():
        case = make_case()
        make_contact_log(case)
        make_claim(case)
        return case.id


ANONYMOUS_URLS = [f"/admin/{ep}/{page}" for ep in ENDPOINTS
                  for page in ("", "details/?id=1", "edit/?id=1", "new/")] + [
    "/admin/", "/admin/attachment/download/?id=1", "/admin/contactlog/ajax/lookup/?name=case&query=KS"]


@pytest.mark.parametrize("url", ANONYMOUS_URLS)
def test_every_admin_url_needs_login(client, records, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.location


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_auditor_reads_every_list(login_as, records, endpoint):
    response = login_as("auditor").get(f"/admin/{endpoint}/")
    assert response.status_code == 200


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("url", WRITE_URLS)
def test_auditor_post_to_any_create_edit_delete_url_is_forbidden(login_as, records, endpoint, url):
    client = login_as("auditor")
    response = client.post_form(url.format(ep=endpoint), {"id": "1", "action": "delete", "rowid": "1",
                                                          "title": "x", "name": "x"})
    assert response.status_code == 403


def test_auditor_post_changes_nothing(login_as, records, app):
    from kesu.extensions import db
    from kesu.models import Case

    client = login_as("auditor")
    client.post_form("/admin/case/edit/?id=1", {"title": "审计改的", "version": "1"})
    with app.app_context():
        assert db.session.get(Case, 1).title == "空气净化器开机无反应"


@pytest.mark.parametrize("role", ["admin", "clerk", "handler", "approver", "finance", "auditor"])
@pytest.mark.parametrize("endpoint", ["case", "claim", "accountability"])
def test_nobody_deletes_cases_claims_or_accountability(login_as, records, role, endpoint):
    response = login_as(role).post_form(f"/admin/{endpoint}/delete/", {"id": "1"})
    assert response.status_code == 403


@pytest.mark.parametrize("role,endpoint,status", [
    ("handler", "auditevent", 403),
    ("clerk", "auditevent", 403),
    ("admin", "auditevent", 200),
    ("handler", "user", 403),
    ("handler", "payment", 403),
    ("finance", "payment", 200),
    ("clerk", "case", 200),
])
def test_list_access_by_role(login_as, records, role, endpoint, status):
    assert login_as(role).get(f"/admin/{endpoint}/").status_code == status


@pytest.mark.parametrize("role,url,status", [
    ("clerk", "/admin/case/new/", 200),
    ("handler", "/admin/case/new/", 403),
    ("approver", "/admin/case/edit/?id=1", 403),
    ("clerk", "/admin/user/new/", 403),
    ("admin", "/admin/user/new/", 200),
    ("finance", "/admin/customer/new/", 403),
])
def test_form_access_by_role(login_as, records, role, url, status):
    assert login_as(role).get(url).status_code == status


def test_create_button_hidden_from_auditor(login_as, records):
    page = login_as("auditor").get("/admin/case/").get_data(as_text=True)
    assert "/admin/case/new/" not in page
    assert "/admin/case/edit/" not in page
