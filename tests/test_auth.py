"""Login, logout, sessions and CSRF."""
from __future__ import annotations

from sqlalchemy import func, select

from kesu.extensions import db
from kesu.models import AuditEvent, Customer
from tests.factories import PASSWORD, user


def test_login_page_is_chinese(client):
    page = client.get("/login").get_data(as_text=True)
    assert "用户名" in page and "密码" in page and "登录" in page


def test_login_with_right_password_opens_the_panel(client, staff):
    response = client.login("clerk")
    assert response.status_code == 302 and response.location.endswith("/admin/")
    assert "投诉案件" in client.get("/admin/").get_data(as_text=True)


def test_login_follows_only_local_next(client, staff):
    token = client.fetch_csrf("/login")
    response = client.post("/login?next=https://evil.example/", data={
        "username": "clerk", "password": PASSWORD, "csrf_token": token})
    assert response.location.endswith("/admin/")


def test_wrong_password_is_refused_in_chinese_and_audited(client, staff, app):
    token = client.fetch_csrf("/login")
    response = client.post("/login", data={"username": "clerk", "password": "wrong-password", "csrf_token": token})
    assert response.status_code == 400
    assert "用户名或密码错误" in response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login_failed"))
        assert event.username == "clerk"


def test_successful_login_is_audited(client, staff, app):
    client.login("clerk")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login"))
        assert event.username == "clerk" and event.user_id == user("clerk").id


def test_inactive_user_cannot_log_in(client, staff, app):
    with app.app_context():
        user("clerk").active = False
        db.session.commit()
    response = client.login("clerk")
    assert response.status_code == 400


def test_logout_ends_the_session(login_as):
    client = login_as("clerk")
    client.post_form("/logout", {})
    assert client.get("/admin/case/").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client, staff):
    response = client.login("clerk")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_login_without_csrf_token_fails(client, staff):
    client.get("/login")
    response = client.post("/login", data={"username": "clerk", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_admin_form_post_without_csrf_token_writes_nothing(login_as, app):
    client = login_as("clerk")
    response = client.post("/admin/customer/new/", data={"name": "无令牌客户", "phone": "13812345678", "tier": "normal"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 0


def test_admin_form_post_with_csrf_token_writes(login_as, app):
    client = login_as("clerk")
    response = client.post_form("/admin/customer/new/", {"name": "有令牌客户", "phone": "13812345678",
                                                          "tier": "normal"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Customer.name)) == "有令牌客户"
