"""Redirects and headers: every return address stays on-site, every response carries the security headers, and
errors are Chinese pages that never show the exception."""
from __future__ import annotations

import re

import pytest

from kesu.redirects import safe_return_url

pytestmark = pytest.mark.engine_independent

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


# --- security headers on every response ------------------------------------------------------------------------
def _assert_security_headers(response) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    scripts = policy.split("script-src ")[1].split(";")[0].split()
    assert scripts[0] == "'self'" and scripts[-1].startswith("'nonce-") and "'unsafe-inline'" not in scripts
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http unless configured


def _boom(*args, **kwargs):
    from sqlalchemy.exc import OperationalError

    raise OperationalError("SELECT phone FROM customer WHERE phone = ?", ("13800138000",), Exception("disk I/O"))


def _read(response):
    """A streamed response read to its end, so its generator closes inside this test."""
    response.get_data()
    return response


@pytest.fixture
def attachment_id(login_as, staff):
    import io

    from tests.factories import make_case
    from tests.test_attachments import PNG

    client = login_as("clerk")
    with client.application.app_context():
        case_id = make_case().id
    client.post_form("/admin/attachment/new/", {"case": str(case_id), "description": "照片",
                                                "file": (io.BytesIO(PNG), "照片.png")},
                     content_type="multipart/form-data")
    return 1


def test_every_kind_of_response_carries_the_security_headers(app, client, login_as, attachment_id, monkeypatch):
    anonymous = app.test_client()
    admin = login_as("admin")
    clerk = login_as("clerk")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.config["MAX_CONTENT_LENGTH"] = 1000
    responses = {
        "login page": (anonymous.get("/login"), 200),
        "redirect": (anonymous.get("/admin/case/"), 302),
        "list page": (admin.get("/admin/case/"), 200),
        "not found": (admin.get("/admin/nothing-here/"), 404),
        "forbidden": (clerk.get("/admin/auditevent/"), 403),
        "method not allowed": (admin.get("/logout"), 405),
        "csrf failure": (admin.post("/admin/customer/new/", data={"name": "x"}), 400),
        "too large": (admin.post_form("/admin/customer/new/", {"name": "x" * 2000}), 413),
        "static file": (anonymous.get("/static/kesu/admin.js"), 200),
        "Flask-Admin static file": (anonymous.get("/admin/static/vendor/jquery.min.js"), 200),
        "download": (clerk.get(f"/admin/attachment/download/?id={attachment_id}"), 200),
        "export": (_read(admin.get("/admin/customer/export/csv/")), 200),
        "ajax lookup": (admin.get("/admin/contactlog/ajax/lookup/?name=case&query=KS"), 200),
    }
    monkeypatch.setattr("kesu.admin.home.inbox", _boom)
    responses["server error"] = (admin.get("/admin/"), 500)
    for kind, (response, status) in responses.items():
        assert response.status_code == status, kind
        _assert_security_headers(response)
    assert responses["ajax lookup"][0].is_json


def test_the_panel_s_scripts_carry_the_response_s_nonce(login_as):
    response = login_as("admin").get("/admin/case/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    page = response.get_data(as_text=True)
    assert f'nonce="{nonce}" src="/static/kesu/admin.js"' in page
    assert "onclick=" not in page.replace('onclick="return false;"', "")  # the one handler allowed by its hash


def _https_app(app, **config):
    from kesu import create_app
    from tests.conftest import KesuClient

    settings = {key: app.config[key] for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "FILE_STORE",
                                                  "PASSWORD_HASH_METHOD")}
    secured = create_app({**settings, **config})
    secured.test_client_class = KesuClient
    return secured


def test_https_configured_sends_hsts_redirects_http_and_makes_the_cookies_secure(app, staff):
    from tests.factories import PASSWORD

    secured = _https_app(app, FORCE_HTTPS=True)
    client = secured.test_client()
    plain = client.get("/login")
    assert plain.status_code == 302 and plain.headers["Location"].startswith("https://")
    page = client.get("/login", base_url="https://localhost")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    token = CSRF_TOKEN.search(page.get_data(as_text=True)).group(1)
    login = client.post("/login", base_url="https://localhost", data={
        "username": "clerk", "password": PASSWORD, "csrf_token": token, "remember": "y"})
    cookies = login.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in cookie for cookie in cookies)


@pytest.mark.parametrize("setting", [False, "false", "0", "OFF"])
def test_plain_http_gets_no_hsts_and_no_secure_cookie(app, staff, setting, monkeypatch):
    """``False`` in a configuration file, or any word for off in ``KESU_FORCE_HTTPS``."""
    from tests.factories import PASSWORD

    if isinstance(setting, str):
        monkeypatch.setenv("KESU_FORCE_HTTPS", setting)
        client = _https_app(app).test_client()
    else:
        client = _https_app(app, FORCE_HTTPS=setting).test_client()
    page = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert page.status_code == 200 and "Strict-Transport-Security" not in page.headers
    token = CSRF_TOKEN.search(page.get_data(as_text=True)).group(1)
    login = client.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf_token": token})
    assert login.status_code == 302
    assert not any("Secure" in cookie for cookie in login.headers.getlist("Set-Cookie"))


CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- error pages ----------------------------------------------------------------------------------------------
ERRORS = [
    ("/admin/nothing-here/", "get", 404, "页面不存在", "Page not found"),
    ("/admin/case/details/?id=999999", "get", 404, "页面不存在", "Page not found"),
    ("/logout", "get", 405, "不支持此操作", "Not supported"),
    ("/admin/customer/new/", "post", 400, "页面已过期", "Page expired"),
]


@pytest.mark.parametrize("url, method, status, chinese, english", ERRORS)
def test_an_error_is_a_chinese_page_with_the_navigation(login_as, url, method, status, chinese, english):
    client = login_as("admin")
    response = getattr(client, method)(url)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert chinese in page and "投诉案件" in page and "退出" in page  # the panel's menu and the logout button
    assert "Not Found" not in page and "Method Not Allowed" not in page and "The CSRF token" not in page
    client.get("/lang/en")
    assert english in getattr(client, method)(url).get_data(as_text=True)


def test_a_forbidden_page_is_chinese_with_the_navigation(login_as):
    response = login_as("clerk").get("/admin/auditevent/")
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "没有权限" in page and "投诉案件" in page and "Forbidden" not in page


def test_a_too_large_upload_is_a_chinese_page(app, login_as):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = login_as("admin").post_form("/admin/customer/new/", {"name": "x" * 2000})
    assert response.status_code == 413 and "内容太大" in response.get_data(as_text=True)


def test_an_error_without_login_is_a_plain_chinese_page_with_a_link_to_the_login(client):
    response = client.get("/nothing-here")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "页面不存在" in page and 'href="/login"' in page
    assert "Not Found" not in page


def test_a_server_error_page_shows_no_exception(app, login_as, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = login_as("admin")
    monkeypatch.setattr("kesu.admin.home.inbox", _boom)
    response = client.get("/admin/")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "系统出错" in page
    assert "SELECT" not in page and "13800138000" not in page and "OperationalError" not in page
    assert "Internal Server Error" not in page


# --- flash messages -------------------------------------------------------------------------------------------
ALERT = re.compile(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', re.S)


def _flashes(page: str) -> str:
    return " ".join(ALERT.findall(page))


def test_a_failed_save_flashes_no_sql(login_as, monkeypatch):
    client = login_as("admin")
    monkeypatch.setattr("kesu.admin.base.KesuModelView.on_model_change", _boom)
    response = client.post_form("/admin/customer/new/", {"name": "某某贸易公司", "phone": "13800138000"})
    flashed = _flashes(response.get_data(as_text=True))
    assert "操作失败：系统出错，没有做任何修改" in flashed
    assert "SELECT" not in flashed and "13800138000" not in flashed and "Failed to" not in flashed


def _departments(client, count: int) -> list[int]:
    from kesu.audit import acting_as
    from kesu.extensions import db
    from kesu.models import Department

    with client.application.app_context(), acting_as(None, "test setup"):
        made = [Department(name=f"临时部门{n}") for n in range(count)]
        db.session.add_all(made)
        db.session.commit()
        return [department.id for department in made]


def test_a_failed_bulk_delete_flashes_no_sql(login_as, staff, monkeypatch):
    client = login_as("admin")
    (department_id,) = _departments(client, 1)
    monkeypatch.setattr("kesu.admin.base.KesuModelView.get_query", _boom)
    response = client.post_form("/admin/department/action/", {"action": "delete", "rowid": str(department_id),
                                                               "url": "/admin/department/"})
    monkeypatch.undo()
    assert response.status_code == 302
    flashed = _flashes(client.get("/admin/department/").get_data(as_text=True))
    assert "操作失败：系统出错" in flashed
    assert "SELECT" not in flashed and "13800138000" not in flashed
    assert client.get(f"/admin/department/details/?id={department_id}").status_code == 200


def test_bulk_delete_still_deletes(login_as, staff):
    client = login_as("admin")
    ids = _departments(client, 2)
    response = client.post_form("/admin/department/action/", {"action": "delete", "rowid": [str(i) for i in ids],
                                                               "url": "/admin/department/"}, follow_redirects=True)
    assert response.status_code == 200 and "2" in _flashes(response.get_data(as_text=True))
    assert all(client.get(f"/admin/department/details/?id={i}").status_code == 404 for i in ids)
