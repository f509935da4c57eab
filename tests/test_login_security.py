"""Logins: throttled per account and per address, locks on the audit trail, the same time for an unknown user
and a wrong password, a password policy, and usernames that are normalised and cannot pose as another's."""
from __future__ import annotations

import os
import statistics
import time
import uuid

import pytest
from sqlalchemy import func, select

from kesu.extensions import db
from kesu.models import AuditEvent, User
from kesu.passwords import password_problem
from kesu.usernames import normalise_username, skeleton
from tests.conftest import PG_URL
from tests.factories import PASSWORD, user
from tests.live_server import LiveClient, demo_database, gunicorn, server_environment


def _fail(client, username: str):
    return client.post_form("/login", {"username": username, "password": "wrong-password-x"})


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_account_is_locked_after_five_failures_even_for_the_right_password(app, staff, client):
    client.fetch_csrf()
    for _attempt in range(5):
        assert _fail(client, "clerk").status_code == 400
    locked = client.post_form("/login", {"username": "clerk", "password": PASSWORD})
    assert locked.status_code == 429
    page = locked.get_data(as_text=True)
    assert "登录失败次数过多，已暂时锁定" in page and "分钟后再试" in page
    assert client.get("/admin/case/").status_code == 302
    (event,) = _events(app, "login_locked")
    assert event.username == "clerk" and "账号 clerk" in event.comment


def test_a_lock_on_one_account_leaves_other_accounts_alone(app, staff, client):
    client.fetch_csrf()
    for _attempt in range(6):
        _fail(client, "clerk")
    assert client.login("approver").status_code == 302


def test_spelling_variants_of_a_name_count_as_one_account(app, staff, client):
    client.fetch_csrf()
    for variant in ("clerk", "CLERK", " Clerk", "ｃｌｅｒｋ", "cle\u200brk"):
        _fail(client, variant)
    assert client.post_form("/login", {"username": "clerk", "password": PASSWORD}).status_code == 429


def test_many_accounts_tried_from_one_address_are_throttled(app, staff, client):
    client.fetch_csrf()
    statuses = [_fail(client, f"guess{n}").status_code for n in range(21)]
    assert statuses[:20] == [400] * 20 and statuses[20] == 429
    (event,) = _events(app, "login_locked")
    assert "地址 127.0.0.1" in event.comment


def test_hitting_the_limit_again_and_again_locks_for_longer(app, staff, client):
    app.config.update(LOGIN_LIMIT_PER_ACCOUNT="2 per second", LOGIN_LOCK_AFTER="2 per hour")
    client.fetch_csrf()
    for _round in range(2):
        _fail(client, "clerk"), _fail(client, "clerk")
        assert _fail(client, "clerk").status_code == 429
        time.sleep(1.1)
    assert client.post_form("/login", {"username": "clerk", "password": PASSWORD}).status_code == 429


def test_successful_logins_are_never_throttled(app, staff):
    for _attempt in range(8):
        client = app.test_client()
        assert client.login("clerk").status_code == 302


def test_unknown_user_takes_as_long_to_refuse_as_a_wrong_password(app, staff, client):
    """With a real password hash (scrypt) an unknown name that skipped the check would answer in a fraction of the
    time, telling an attacker which accounts exist."""
    app.config.update(PASSWORD_HASH_METHOD="scrypt", LOGIN_LIMIT_PER_ACCOUNT="100 per minute",
                      LOGIN_LIMIT_PER_ADDRESS="100 per minute")
    with app.app_context():
        user("clerk").set_password(PASSWORD)
        db.session.commit()
    client.fetch_csrf()

    def timed(username: str) -> float:
        started = time.perf_counter()
        assert _fail(client, username).status_code == 400
        return time.perf_counter() - started

    timed("clerk"), timed("nobody-here")  # warm up both paths
    wrong = statistics.median(timed("clerk") for _ in range(7))
    unknown = statistics.median(timed("nobody-here") for _ in range(7))
    assert 0.6 < unknown / wrong < 1.6, (unknown, wrong)


@pytest.mark.parametrize(("password", "message"), [
    ("short-1", "密码至少 10 位"),
    ("password123", "太容易被猜到"),
    ("qwertyuiop123", "太容易被猜到"),
    ("1qaz2wsx3edc", "太容易被猜到"),
    ("wanglei-2026-xyz", "不能包含用户名"),
])
def test_password_policy_refuses_weak_passwords_in_the_user_form(app, staff, login_as, password, message):
    admin = login_as("admin")
    response = admin.post_form("/admin/user/new/", {"username": "wanglei", "full_name": "王磊", "role": "clerk",
                                                    "approval_limit": "0", "active": "y", "password": password})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.username == "wanglei")) is None


def test_a_strong_password_is_accepted():
    assert password_problem("Quartz-Lantern-907", "wanglei") is None
    assert password_problem(PASSWORD, "clerk") is None


def test_create_user_applies_the_password_policy(app):
    result = app.test_cli_runner().invoke(args=["kesu", "create-user", "wanglei", "--role", "clerk",
                                                "--password", "password1234"])
    assert result.exit_code != 0 and "太容易被猜到" in result.output


def test_usernames_are_normalised_on_save_and_at_login(app, staff, login_as):
    admin = login_as("admin")
    response = admin.post_form("/admin/user/new/", {"username": "  Wang.Lei ", "full_name": "王磊", "role": "clerk",
                                                    "approval_limit": "0", "active": "y",
                                                    "password": "Quartz-Lantern-907"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.username).where(User.full_name == "王磊")) == "wang.lei"
    assert app.test_client().login("ＷＡＮＧ.ＬＥＩ", "Quartz-Lantern-907").status_code == 302


@pytest.mark.parametrize("look_alike", ["сlerk", "CLERK", "c1erk", "clerk\u200d"])
def test_a_look_alike_of_an_existing_username_is_refused_in_the_form(app, staff, login_as, look_alike):
    response = login_as("admin").post_form("/admin/user/new/", {
        "username": look_alike, "full_name": "冒充者", "role": "admin", "approval_limit": "0", "active": "y",
        "password": "Quartz-Lantern-907"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and ("看起来相同" in text or "已存在" in text)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.full_name == "冒充者")) == 0


def test_a_look_alike_username_is_refused_by_create_user(app, staff):
    result = app.test_cli_runner().invoke(args=["kesu", "create-user", "аdmin", "--role", "admin",
                                                "--password", "Quartz-Lantern-907"])
    assert result.exit_code != 0 and "看起来相同" in result.output


def test_skeletons_match_confusable_spellings():
    assert skeleton("аdmin") == skeleton("admin")  # Cyrillic а
    assert skeleton("adm1n") == skeleton("admin") or skeleton("admln") == skeleton("adm1n")
    assert skeleton("kefu") != skeleton("kefu2")
    assert normalise_username(" ＫｅＦｕ\u200b ") == "kefu"


REDIS_URL = os.environ.get("KESU_TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL or bool(PG_URL), reason="needs KESU_TEST_REDIS_URL (runs with the SQLite suite)")
def test_failures_count_across_instances_sharing_redis(tmp_path):
    """Two servers (separate processes, as two machines would be) over one database and one Redis."""
    url = f"sqlite:///{tmp_path / 'kesu.sqlite3'}"
    demo_database(url, tmp_path, cases=5)
    env = server_environment(url, tmp_path, KESU_REDIS_URL=REDIS_URL,
                             KESU_RATELIMIT_KEY_PREFIX=f"kesu-test-{uuid.uuid4().hex}")
    with gunicorn(env, tmp_path / "a", workers=1) as first, gunicorn(env, tmp_path / "b", workers=1) as second:
        for attempt in range(5):
            client = LiveClient((first, second)[attempt % 2].url)
            assert client.login("kefu", "wrong-password-x").status == 400
        assert LiveClient(second.url).login("kefu", PASSWORD).status == 429
        assert LiveClient(first.url).login("zhuguan", PASSWORD).status == 302

