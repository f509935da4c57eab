"""The audit trail's hash chain: intact after a mixed workload, broken exactly where a row was tampered with."""
from __future__ import annotations

import json
import re
import threading

from sqlalchemy import select, text

from kesu.audit import acting_as
from kesu.audit_verification import verify_chain
from kesu.extensions import db
from kesu.models import AuditEvent, Case
from tests.factories import make_case, make_claim, make_contact_log
from tests.test_workflow_http import desk  # noqa: F401  (fixture)

PG_ONLY_TRIGGER = "audit_event_no_update_or_delete"


def mixed_workload(app, desk) -> None:  # noqa: F811
    with app.app_context():
        case = make_case()
        make_claim(case)
        make_contact_log(case)
        case_id = case.id
    desk.act("clerk", Case, case_id, "accept", reason="属实")
    desk.clients["auditor"].get("/admin/case/export/csv/").get_data()
    desk.clients["clerk"].get(f"/admin/case/details/?id={case_id}")


def tamper(sql: str, **params) -> None:
    """What someone with database access could do: lift the append-only trigger and change a row."""
    db.session.rollback()  # the test's own transaction would hold SQLite's write lock
    dialect = db.engine.dialect.name
    with db.engine.begin() as conn:
        if dialect == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
        else:
            conn.execute(text(f"ALTER TABLE audit_event DISABLE TRIGGER {PG_ONLY_TRIGGER}"))
        conn.execute(text(sql), params)
        if dialect != "sqlite":
            conn.execute(text(f"ALTER TABLE audit_event ENABLE TRIGGER {PG_ONLY_TRIGGER}"))


def test_chain_verifies_after_a_mixed_workload(app, desk):  # noqa: F811
    mixed_workload(app, desk)
    with app.app_context():
        report = verify_chain(db.session)
        assert report.intact and report.checked == db.session.scalar(select(db.func.count()).select_from(AuditEvent))
        assert report.checked > 10


def test_editing_one_row_breaks_the_chain_at_that_row(app, desk):  # noqa: F811
    mixed_workload(app, desk)
    with app.app_context():
        target = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()[5]
        tamper("UPDATE audit_event SET comment = 'rewritten' WHERE id = :id", id=target)
        db.session.expire_all()
        report = verify_chain(db.session)
        assert (report.broken_id, report.reason, report.checked) == (target, "content", 5)


def test_deleting_a_row_breaks_the_link_of_the_next(app, desk):  # noqa: F811
    mixed_workload(app, desk)
    with app.app_context():
        ids = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
        tamper("DELETE FROM audit_event WHERE id = :id", id=ids[3])
        report = verify_chain(db.session)
        assert (report.broken_id, report.reason) == (ids[4], "link")


def test_verify_audit_command_reports_the_first_broken_event(app, desk):  # noqa: F811
    mixed_workload(app, desk)
    runner = app.test_cli_runner()
    assert "哈希链完整" in runner.invoke(args=["kesu", "verify-audit"]).output
    with app.app_context():
        target = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
        tamper("UPDATE audit_event SET username = 'someone' WHERE id = :id", id=target)
    result = runner.invoke(args=["kesu", "verify-audit"])
    assert result.exit_code == 1 and f"#{target}" in result.output and "内容被改动" in result.output


def test_audit_view_verifies_the_chain_on_request(app, desk, login_as):  # noqa: F811
    mixed_workload(app, desk)
    auditor = desk.clients["auditor"]
    assert "核验哈希链" in auditor.get("/admin/auditevent/").get_data(as_text=True)
    page = auditor.post_form("/admin/auditevent/verify/", {}, follow_redirects=True).get_data(as_text=True)
    assert "审计日志哈希链完整" in page
    with app.app_context():
        target = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id))
        tamper("UPDATE audit_event SET action = 'logout' WHERE id = :id", id=target)
    page = auditor.post_form("/admin/auditevent/verify/", {}, follow_redirects=True).get_data(as_text=True)
    assert f"审计日志哈希链在事件 #{target} 处断开：内容被改动" in page
    assert desk.clients["clerk"].post_form("/admin/auditevent/verify/", {}).status_code == 403


def test_concurrent_writers_do_not_fork_the_chain(app, staff):
    errors = []

    def write(n: int) -> None:
        try:
            with app.app_context(), acting_as(None, f"writer {n}"):
                for _ in range(5):
                    make_case(title=f"并发 {n}")
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert verify_chain(db.session).intact
        hashes = db.session.scalars(select(AuditEvent.prev_hash)).all()
        assert len(hashes) == len(set(hashes))  # no two events link to the same predecessor


def verified_trail(app, desk):  # noqa: F811
    """After a mixed workload and one full walk: the auditor's client and the walk's event (id, hash, changes)."""
    mixed_workload(app, desk)
    auditor = desk.clients["auditor"]
    auditor.post_form("/admin/auditevent/verify/", {})
    with app.app_context():
        verified = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "verify_chain"))
        return auditor, verified.id, verified.hash, dict(verified.changes)


def chain_status_line(client) -> str:
    page = client.get("/admin/auditevent/").get_data(as_text=True)
    return re.search(r'kesu-chain-status" role="status">([^<]+)<', page).group(1)


def test_audit_view_says_when_the_chain_was_never_verified(app, desk):  # noqa: F811
    mixed_workload(app, desk)
    assert "哈希链尚未核验过" in chain_status_line(desk.clients["auditor"])


def test_audit_view_shows_the_last_verification_and_checks_what_came_after_without_a_click(app, desk):  # noqa: F811
    auditor, verified_id, _hash, changes = verified_trail(app, desk)
    desk.clients["clerk"].get("/admin/case/")
    with app.app_context():
        make_case(title="核验之后")
        since = db.session.scalar(select(db.func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.id > changes["last_id"][1]))
        assert db.session.get(AuditEvent, verified_id).username == "auditor" and changes["intact"][1] is True
    line = chain_status_line(auditor)
    assert "最近一次全量核验：" in line and "（auditor）" in line
    assert f"此后新增的 {since} 条也已核验，链接完整" in line


def test_audit_view_shows_a_break_after_the_last_verification_without_a_click(app, desk):  # noqa: F811
    auditor, _id, _hash, _changes = verified_trail(app, desk)
    with app.app_context():
        make_case(title="核验之后")
        target = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
        tamper("UPDATE audit_event SET comment = 'rewritten' WHERE id = :id", id=target)
    assert f"之后新增的事件在 #{target} 处断开" in chain_status_line(auditor)


def test_audit_view_notices_the_last_verified_event_was_changed(app, desk):  # noqa: F811
    auditor, _id, _hash, changes = verified_trail(app, desk)
    last_id = changes["last_id"][1]
    with app.app_context():
        tamper("DELETE FROM audit_event WHERE id = :id", id=last_id)
    assert f"当时的最后一条事件 #{last_id} 此后被改动或删除" in chain_status_line(auditor)


def test_a_failed_verification_stays_red_until_a_walk_finds_the_chain_whole(app, desk):  # noqa: F811
    mixed_workload(app, desk)
    with app.app_context():
        target = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id))
        tamper("UPDATE audit_event SET comment = 'rewritten' WHERE id = :id", id=target)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["kesu", "verify-audit"]).exit_code == 1
    line = chain_status_line(desk.clients["auditor"])
    assert "（verify-audit）" in line and f"哈希链在事件 #{target} 处断开" in line


def test_verification_details_read_as_labels_on_the_trail(app, desk):  # noqa: F811
    auditor, _id, _hash, _changes = verified_trail(app, desk)
    page = auditor.get("/admin/auditevent/").get_data(as_text=True)
    assert "已核验事件：" in page and "哈希链完整：是" in page
    assert "导出" in page and "列表：投诉案件" in page and "格式：csv" in page


def _rewrite_changes(event_id: int, changes: dict) -> None:
    cast = "CAST(:changes AS JSON)" if db.engine.dialect.name == "postgresql" else ":changes"
    tamper(f"UPDATE audit_event SET changes = {cast} WHERE id = :id", changes=json.dumps(changes), id=event_id)


def test_rewriting_the_verification_record_turns_the_banner_red(app, desk):  # noqa: F811
    auditor, verified_id, _hash, changes = verified_trail(app, desk)
    with app.app_context():
        _rewrite_changes(verified_id, {**changes, "checked": [None, 999]})
    assert f"之后新增的事件在 #{verified_id} 处断开" in chain_status_line(auditor)


def test_a_verification_record_pointing_at_itself_is_not_trusted(app, desk):  # noqa: F811
    auditor, verified_id, own_hash, changes = verified_trail(app, desk)
    with app.app_context():
        _rewrite_changes(verified_id, {**changes, "last_id": [None, verified_id], "last_hash": [None, own_hash]})
    assert f"核验记录本身不可信（事件 #{verified_id}）" in chain_status_line(auditor)


def test_changing_the_content_of_the_last_verified_event_is_noticed(app, desk):  # noqa: F811
    auditor, _id, _hash, changes = verified_trail(app, desk)
    last_id = changes["last_id"][1]
    with app.app_context():
        tamper("UPDATE audit_event SET comment = 'rewritten' WHERE id = :id", id=last_id)
    assert f"当时的最后一条事件 #{last_id} 此后被改动或删除" in chain_status_line(auditor)
