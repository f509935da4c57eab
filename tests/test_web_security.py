"""Redirects and headers: every return address stays on-site, every response carries the security headers, and
errors are Chinese pages that never show the exception."""
from __future__ import annotations

import re

import pytest

from kesu.redirects import safe_return_url

HOSTILE = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "\tjavascript:alert(1)",
    "java\nscript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "https://evil.example/admin/",
    "http:evil.example",
    "https:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    " //evil.example",
    "http://localhost@evil.example/",
    "http://localhost//evil.example",
    "http://evil.example\\@localhost/",
    "admin/case/",
    "\u3000/evil",
]

ON_SITE = ["/admin/case/", "/admin/case/?page=2&sort=1", "/admin/case/details/?id=3&url=%2Fadmin%2Fcase%2F"]


# --- the one rule ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", HOSTILE)
def test_a_hostile_return_address_is_refused(app, target):
    with app.test_request_context("/", base_url="http://localhost"):
        assert safe_return_url(target) is None


@pytest.mark.parametrize("target", ON_SITE)
def test_an_on_site_path_is_kept_as_it_is(app, target):
    with app.test_request_context("/", base_url="http://localhost"):
        assert safe_return_url(target) == target


def test_an_absolute_address_on_this_site_becomes_its_path(app):
    with app.test_request_context("/", base_url="http://localhost"):
        assert safe_return_url("http://localhost/admin/case/?page=2#top") == "/admin/case/?page=2"
        assert safe_return_url("http://localhost.evil.example/admin/") is None


# --- every path that follows or renders one ------------------------------------------------------------------
HREFS = re.compile(r'href="([^"]*)"')


def _links_and_location(response) -> list[str]:
    page = response.get_data(as_text=True)
    found = [m.replace("&amp;", "&") for m in HREFS.findall(page)]
    return found + [response.headers.get("Location", "")]


def _assert_on_site(values: list[str]) -> None:
    for value in values:
        assert "evil" not in value.lower() and "javascript" not in value.lower().replace("javascript:void(0)", ""), \
            value


@pytest.mark.parametrize("target", HOSTILE)
@pytest.mark.parametrize("page", ["/admin/customer/new/", "/admin/case/new/"])
def test_a_form_never_renders_a_hostile_return_link(login_as, page, target):
    client = login_as("admin")
    response = client.get(page, query_string={"url": target})
    assert response.status_code == 302
    assert response.headers["Location"] == page
    _assert_on_site(_links_and_location(client.get(page, query_string={"url": target}, follow_redirects=True)))


def test_a_details_and_edit_page_drop_a_hostile_return_link_but_keep_their_record(login_as, staff):
    from tests.factories import make_case

    client = login_as("admin")
    with client.application.app_context():
        case_id = make_case().id
    for view in ("details", "edit"):
        response = client.get(f"/admin/case/{view}/", query_string={"id": case_id, "url": "javascript:alert(1)"})
        assert response.status_code == 302 and response.headers["Location"] == f"/admin/case/{view}/?id={case_id}"
    page = client.get(f"/admin/case/details/?id={case_id}&url=%2Fadmin%2Fcase%2F%3Fpage%3D2")
    assert page.status_code == 200 and 'href="/admin/case/?page=2"' in page.get_data(as_text=True)


def test_a_post_with_a_hostile_return_address_is_refused(login_as, staff):
    from tests.factories import make_case

    client = login_as("admin")
    with client.application.app_context():
        case_id = make_case().id
    response = client.post_form("/admin/case/delete/", {"id": case_id, "url": "https://evil.example/"})
    assert response.status_code == 400
    assert client.get(f"/admin/case/details/?id={case_id}").status_code == 200  # not deleted


@pytest.mark.parametrize("target", HOSTILE)
def test_the_workflow_pages_keep_their_return_links_on_site(login_as, staff, target):
    from tests.factories import make_case

    client = login_as("admin")
    with client.application.app_context():
        case_id = make_case().id
    bulk = client.get("/admin/case/workflow-bulk/accept/", query_string={"ids": str(case_id), "url": target},
                      follow_redirects=True)
    dialog = client.get("/admin/case/workflow/accept/", query_string={"id": case_id, "url": target},
                        follow_redirects=True)
    for response in (bulk, dialog):
        assert response.status_code == 200
        _assert_on_site(_links_and_location(response))


@pytest.mark.parametrize("referer", [t for t in HOSTILE if t.isascii() and "\n" not in t])  # sendable as a header
def test_the_language_switch_never_follows_an_off_site_referer(login_as, referer):
    client = login_as("clerk")
    response = client.get("/lang/en", headers={"Referer": referer})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_the_language_switch_returns_to_the_page_it_was_clicked_on(login_as):
    response = login_as("clerk").get("/lang/en", headers={"Referer": "http://localhost/admin/case/?page=2"})
    assert response.headers["Location"] == "/admin/case/?page=2"


@pytest.mark.parametrize("target", HOSTILE)
def test_login_never_follows_an_off_site_next(client, staff, target):
    from tests.factories import PASSWORD

    token = client.fetch_csrf("/login")
    response = client.post("/login", query_string={"next": target},
                           data={"username": "clerk", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
