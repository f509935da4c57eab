"""Sessions that end: logout, a new password, a new role and deactivation end every copy of a session cookie."""
from __future__ import annotations

from sqlalchemy import select

from kesu.extensions import db
from kesu.models import AuditEvent
from tests.factories import PASSWORD, user


def _copy_of(app, client):
    """Another browser holding a copy of ``client``'s cookies (a stolen or shared session)."""
    thief = app.test_client()
    for cookie in client._cookies.values():
        thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return thief


def _is_logged_out(client) -> bool:
    response = client.get("/admin/case/")
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_copied_cookie_replayed_after_logout_gets_the_login_page(app, login_as):
    clerk = login_as("clerk")
    thief = _copy_of(app, clerk)
    assert thief.get("/admin/case/").status_code == 200
    clerk.post_form("/logout", {})
    assert _is_logged_out(thief)
    assert _is_logged_out(clerk)


def test_logout_ends_the_accounts_other_sessions_too(login_as):
    office, phone = login_as("clerk"), login_as("clerk")
    office.post_form("/logout", {})
    assert _is_logged_out(phone)


def test_password_set_by_the_admin_ends_the_users_sessions(app, login_as):
    clerk = login_as("clerk")
    admin = login_as("admin")
    with app.app_context():
        account = user("clerk")
        form = {"username": "clerk", "full_name": account.full_name, "role": "clerk",
                "department": str(account.department_id), "approval_limit": "0", "active": "y",
                "password": "Quartz-Lantern-907"}
    response = admin.post_form(f"/admin/user/edit/?id={account.id}", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _is_logged_out(clerk)
    assert app.test_client().login("clerk", "Quartz-Lantern-907").status_code == 302


def test_own_password_change_keeps_this_session_and_ends_the_others(app, login_as):
    here, elsewhere = login_as("clerk"), login_as("clerk")
    response = here.post_form("/admin/account/password/", {
        "current_password": PASSWORD, "new_password": "Quartz-Lantern-907", "confirm": "Quartz-Lantern-907"})
    assert response.status_code == 302
    assert here.get("/admin/case/").status_code == 200
    assert _is_logged_out(elsewhere)
    assert app.test_client().login("clerk", PASSWORD).status_code == 400


def test_own_password_change_needs_the_current_password_and_the_policy(login_as):
    clerk = login_as("clerk")
    page = clerk.post_form("/admin/account/password/", {
        "current_password": "not-it", "new_password": "password123", "confirm": "password12"})
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "当前密码不正确" in text and "两次输入的新密码不一致" in text and "太容易被猜到" in text
    assert clerk.get("/admin/case/").status_code == 200


def _edit_user(app, admin, name: str, **changes):
    with app.app_context():
        account = user(name)
        form = {"username": account.username, "full_name": account.full_name, "role": account.role,
                "department": str(account.department_id) if account.department_id else "__None",
                "approval_limit": str(account.approval_limit), "active": "y"}
    form.update(changes)
    if form.get("active") is None:
        del form["active"]
    return admin.post_form(f"/admin/user/edit/?id={account.id}", form)


def test_role_change_ends_the_users_sessions(app, login_as):
    approver = login_as("approver")
    assert _edit_user(app, login_as("admin"), "approver", role="finance").status_code == 302
    assert _is_logged_out(approver)


def test_deactivation_ends_the_users_sessions(app, login_as):
    finance = login_as("finance")
    assert _edit_user(app, login_as("admin"), "finance", active=None).status_code == 302
    assert _is_logged_out(finance)
    assert app.test_client().login("finance").status_code == 400


def test_an_unrelated_edit_keeps_the_session(app, login_as):
    clerk = login_as("clerk")
    assert _edit_user(app, login_as("admin"), "clerk", full_name="陈静").status_code == 302
    assert clerk.get("/admin/case/").status_code == 200


def test_logout_is_audited_without_the_token(app, login_as):
    login_as("clerk").post_form("/logout", {})
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "logout"))
        assert event.username == "clerk"
        updates = db.session.scalars(select(AuditEvent).where(AuditEvent.record_type == "user",
                                                              AuditEvent.action == "update")).all()
        assert all("session_token" not in (e.changes or {}) for e in updates)
