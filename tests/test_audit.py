"""The audit trail: one append-only event per change, written in the same transaction."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from kesu.audit import acting_as
from kesu.extensions import db
from kesu.models import AuditEvent, Customer
from tests.factories import make_case


def events(action: str | None = None, record_type: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    if record_type:
        query = query.where(AuditEvent.record_type == record_type)
    return list(db.session.scalars(query))


def test_insert_is_recorded_with_its_values(ctx):
    with acting_as(7, "zhangsan"):
        db.session.add(Customer(name="上海恒信商贸有限公司", phone="13812345678"))
        db.session.commit()
    event = events("insert", "customer")[-1]
    assert event.username == "zhangsan" and event.user_id == 7
    assert event.changes["name"] == [None, "上海恒信商贸有限公司"]


def test_update_records_old_and_new_values(ctx):
    customer = Customer(name="旧名称", phone="13812345678")
    db.session.add(customer)
    db.session.commit()
    with acting_as(1, "admin"):
        customer.name = "新名称"
        db.session.commit()
    event = events("update", "customer")[-1]
    assert event.record_id == customer.id
    assert event.changes == {"name": ["旧名称", "新名称"]}


def test_relationship_change_is_recorded_by_name(ctx, staff):
    from tests.factories import department

    case = make_case("质量管理部")
    case.department = department("生产部")
    db.session.commit()
    event = events("update", "case")[-1]
    assert event.changes["department_id"] == [department("质量管理部").id, department("生产部").id]
    assert event.changes["department"] == ["质量管理部", "生产部"]


def test_delete_is_recorded(ctx):
    customer = Customer(name="待删除", phone="13812345678")
    db.session.add(customer)
    db.session.commit()
    customer_id = customer.id
    db.session.delete(customer)
    db.session.commit()
    assert events("delete", "customer")[-1].record_id == customer_id


def test_rolled_back_change_leaves_no_event(ctx):
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    db.session.add(Customer(name="回滚客户", phone="13812345678"))
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_password_hash_never_reaches_the_trail(ctx, staff):
    from tests.factories import user

    account = user("clerk")
    account.set_password("another-password-1")
    db.session.commit()
    assert events("update", "user")[-1].changes["password_hash"] == ["******", "******"]
    assert all("pbkdf2" not in str(e.changes) and "scrypt" not in str(e.changes) for e in events())


def test_events_cannot_be_changed_through_the_orm(ctx):
    db.session.add(Customer(name="某客户", phone="13812345678"))
    db.session.commit()
    event = events()[-1]
    event.comment = "篡改"
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET username = 'x'", "DELETE FROM audit_event"])
def test_database_refuses_update_or_delete_of_events(ctx, statement):
    db.session.add(Customer(name="某客户", phone="13812345678"))
    db.session.commit()
    with pytest.raises(DatabaseError):
        db.session.execute(text(statement))
    db.session.rollback()


def test_change_made_over_http_names_the_user(login_as, app):
    client = login_as("clerk")
    client.post_form("/admin/customer/new/", {"name": "网页新建客户", "phone": "13812345678", "tier": "normal"})
    with app.app_context():
        event = events("insert", "customer")[-1]
        assert event.username == "clerk" and event.ip == "127.0.0.1"


def test_audit_view_is_read_only(login_as, app):
    client = login_as("admin")
    page = client.get("/admin/auditevent/").get_data(as_text=True)
    assert "登录" in page
    assert "/admin/auditevent/new/" not in page
    assert client.get("/admin/auditevent/edit/?id=1").status_code == 403


@pytest.mark.parametrize("who", ["admin", "auditor"])
def test_no_url_edits_or_deletes_audit_events(login_as, app, who):
    with app.app_context():
        first = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id))
        event_id, before = first.id, (first.action, first.comment, first.changes)
        count = db.session.scalar(select(func.count()).select_from(AuditEvent))
    client = login_as(who)
    for url, data in ((f"/admin/auditevent/edit/?id={event_id}", {"comment": "改过了"}),
                      ("/admin/auditevent/delete/", {"id": str(event_id)}),
                      ("/admin/auditevent/new/", {"action": "login", "comment": "伪造"}),
                      ("/admin/auditevent/action/", {"action": "delete", "rowid": str(event_id)}),
                      ("/admin/auditevent/ajax/update/", {"list_form_pk": str(event_id), "comment": "改过了"})):
        assert client.post_form(url, data).status_code in (403, 404, 405), url
    with app.app_context():
        first = db.session.get(AuditEvent, event_id)
        assert (first.action, first.comment, first.changes) == before
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) >= count  # only logins were added


def test_a_case_page_links_to_its_own_history(login_as, app):
    with app.app_context():
        case_id = make_case().id
    page = login_as("auditor").get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    match = re.search(r'href="(/admin/auditevent/\?[^"]+)"', page)
    assert match, "history link"
    trail = login_as("auditor").get(match.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "列表 (1)" in trail  # the case's insert event, and nothing else
    assert "/admin/auditevent/" not in login_as("clerk").get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)


def test_every_table_the_trail_can_name_has_a_readable_record_type():
    from kesu.choices import RECORD_TYPE
    from kesu.models import Base
    from kesu.models.base import Audited

    audited = {mapper.class_.__tablename__ for mapper in Base.registry.mappers if issubclass(mapper.class_, Audited)}
    assert audited | {"user", "audit_event"} <= set(RECORD_TYPE)



def _audit_filter(app, column: str, kind: str) -> str:
    """The URL key of one of the audit list's filters (after ``flt<n>_``)."""
    with app.test_request_context():
        view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "auditevent")
        return next(arg for arg, (_i, flt) in view._filter_args.items()
                    if flt.column.name == column and type(flt).__name__ == kind)


def test_audit_trail_filters_by_record_type_label_and_a_shanghai_date_range(login_as, app):
    from datetime import datetime, timedelta

    from kesu.timeutil import format_local, local_to_utc, utcnow

    with app.app_context():
        make_case()
        today = format_local(utcnow(), "%Y-%m-%d")
    record_type = _audit_filter(app, "record_type", "FilterEqual")
    between = _audit_filter(app, "at", "DateTimeBetweenFilter")
    page = login_as("auditor").get(f"/admin/auditevent/?flt0_{record_type}=case"
                                   f"&flt1_{between}={today} to {today} 23:59:59").get_data(as_text=True)
    groups = json.loads(re.search(r'id="filter-groups-data" class="d-none">([^<]+)<', page).group(1))
    assert ["case", "投诉案件"] in groups["记录类型"][0]["options"]
    with app.app_context():
        start = local_to_utc(datetime.strptime(today, "%Y-%m-%d"))
        expected = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.record_type == "case", AuditEvent.at >= start, AuditEvent.at < start + timedelta(days=1)))
    assert expected >= 1 and f"列表 ({expected})" in page
    cells = re.findall(r'<td class="col-record_type">\s*([^<]*?)\s*</td>', page)
    assert cells and set(cells) == {"投诉案件"}
