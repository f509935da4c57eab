"""Saved filters: an auditor names a list's filters, search and sort, and reruns them from the list's menu."""
from __future__ import annotations

import html
import re
from urllib.parse import quote

from sqlalchemy import select

from kesu.extensions import db
from kesu.models import AuditEvent, SavedFilter
from tests.test_exports import status_equals

MENU_ITEM = re.compile(r'href="(/admin/case/saved-filters/(\d+)/)"[^>]*>([^<]+)</a>')


def case_numbers(page: str) -> list[str]:
    return re.findall(r"KS-\d{8}-\d{4}", page)


def save(client, list_url: str, name: str, query: str):
    client.get(f"{list_url}?{query}")
    return client.post_form(f"{list_url}saved-filters/", {"name": name, "query": query})


def test_auditor_saves_a_filter_and_reruns_it_from_the_menu(demo, demo_login):
    client = demo_login("shenji")
    query = f"{status_equals(demo)}=investigating&search={quote('空调')}&sort=1&desc=1"
    filtered = client.get(f"/admin/case/?{query}").get_data(as_text=True)
    assert "已保存的筛选" in filtered and "保存当前筛选" in filtered
    assert case_numbers(filtered), "the demo data should have such cases"

    saved = save(client, "/admin/case/", "调查中的空调投诉", query)
    assert saved.status_code == 302 and saved.location.endswith(f"/admin/case/?{query}")
    page = client.get("/admin/case/").get_data(as_text=True)
    assert "已保存筛选「调查中的空调投诉」" in page
    (url, _id, name), = MENU_ITEM.findall(page)
    assert name == "调查中的空调投诉"

    rerun = client.get(url)
    assert rerun.status_code == 302
    assert case_numbers(client.get(rerun.location).get_data(as_text=True)) == case_numbers(filtered)


def test_the_menu_says_what_a_saved_filter_holds(demo, demo_login):
    client = demo_login("shenji")
    save(client, "/admin/case/", "调查中", f"{status_equals(demo)}=investigating&search=A&sort=1&desc=1")
    page = html.unescape(client.get("/admin/case/").get_data(as_text=True))
    assert 'title="状态 等于 调查中；搜索：A；排序：' in page and "（降序）" in page


def test_a_saved_filter_is_kept_by_column_not_by_its_place_in_the_url(demo, demo_login):
    client = demo_login("shenji")
    save(client, "/admin/case/", "调查中", f"{status_equals(demo)}=investigating")
    with demo.app_context():
        saved = db.session.scalar(select(SavedFilter))
        assert saved.filters == [["case.status|FilterEqual", "investigating"]]
        assert saved.list_endpoint == "case" and saved.search is None and saved.sort_column is None


def test_saving_and_deleting_a_filter_are_on_the_audit_trail(demo, demo_login):
    client = demo_login("shenji")
    save(client, "/admin/case/", "调查中", f"{status_equals(demo)}=investigating")
    with demo.app_context():
        saved_id = db.session.scalar(select(SavedFilter.id))
    deleted = client.post_form(f"/admin/case/saved-filters/{saved_id}/delete/", {"query": ""})
    assert deleted.status_code == 302
    assert "已删除筛选「调查中」" in client.get("/admin/case/").get_data(as_text=True)
    with demo.app_context():
        assert db.session.scalar(select(SavedFilter)) is None
        events = db.session.execute(select(AuditEvent.action, AuditEvent.username).where(
            AuditEvent.record_type == "saved_filter", AuditEvent.record_id == saved_id).order_by(AuditEvent.id)).all()
        assert events == [("insert", "shenji"), ("delete", "shenji")]


def test_saving_again_under_the_same_name_updates_the_filter(demo, demo_login):
    client = demo_login("shenji")
    arg = status_equals(demo)
    save(client, "/admin/case/", "本周", f"{arg}=investigating")
    response = save(client, "/admin/case/", " 本周 ", f"{arg}=closed")
    assert "已用当前条件更新筛选「本周」" in client.get(response.location).get_data(as_text=True)
    with demo.app_context():
        (saved,) = db.session.scalars(select(SavedFilter)).all()
        assert saved.filters == [["case.status|FilterEqual", "closed"]]


def test_a_filter_without_a_name_is_refused_and_nothing_is_saved(demo, demo_login):
    client = demo_login("shenji")
    response = save(client, "/admin/case/", "   ", f"{status_equals(demo)}=investigating")
    assert "筛选没有保存：请给这组筛选起一个名称。" in client.get(response.location).get_data(as_text=True)
    too_long = save(client, "/admin/case/", "名" * 61, f"{status_equals(demo)}=investigating")
    assert "名称最多 60 个字。" in client.get(too_long.location).get_data(as_text=True)
    with demo.app_context():
        assert db.session.scalar(select(SavedFilter)) is None


def test_an_unfiltered_list_has_nothing_to_save(demo, demo_login):
    client = demo_login("shenji")
    response = save(client, "/admin/case/", "全部", "page=2&flt0_999=x")
    assert "当前列表没有任何筛选条件、搜索或排序" in client.get(response.location).get_data(as_text=True)
    with demo.app_context():
        assert db.session.scalar(select(SavedFilter)) is None


def test_users_see_run_and_delete_only_their_own_saved_filters(app, login_as):
    auditor, admin = login_as("auditor"), login_as("admin")
    save(auditor, "/admin/case/", "审计专用", "search=abc")
    with app.app_context():
        saved_id = db.session.scalar(select(SavedFilter.id))
    assert "审计专用" not in admin.get("/admin/case/").get_data(as_text=True)
    assert admin.get(f"/admin/case/saved-filters/{saved_id}/").status_code == 404
    assert admin.post_form(f"/admin/case/saved-filters/{saved_id}/delete/", {}).status_code == 404
    assert auditor.get(f"/admin/claim/saved-filters/{saved_id}/").status_code == 404  # another list's
    with app.app_context():
        assert db.session.get(SavedFilter, saved_id) is not None


def test_saved_filters_belong_to_their_list(app, login_as):
    auditor = login_as("auditor")
    save(auditor, "/admin/claim/", "索赔搜索", "search=abc")
    assert "索赔搜索" in auditor.get("/admin/claim/").get_data(as_text=True)
    assert "索赔搜索" not in auditor.get("/admin/case/").get_data(as_text=True)


def test_a_filter_the_list_no_longer_has_is_dropped_with_a_warning(app, staff, login_as):
    from tests.factories import user

    with app.app_context():
        saved = SavedFilter(user_id=user("auditor").id, list_endpoint="case", name="旧筛选", search="abc",
                            filters=[["case.removed_column|FilterEqual", "x"]])
        db.session.add(saved)
        db.session.commit()
        saved_id = saved.id
    auditor = login_as("auditor")
    rerun = auditor.get(f"/admin/case/saved-filters/{saved_id}/")
    assert rerun.location.endswith("/admin/case/?search=abc")
    assert "有 1 个条件在此列表中已不存在，已忽略" in auditor.get(rerun.location).get_data(as_text=True)


def test_the_audit_trail_has_saved_filters_too(app, login_as):
    auditor = login_as("auditor")
    response = save(auditor, "/admin/auditevent/", "导出记录", "search=export")
    assert response.status_code == 302
    page = auditor.get("/admin/auditevent/").get_data(as_text=True)
    assert "导出记录" in page and "核验哈希链" in page


def test_a_forged_query_string_only_brings_back_list_arguments(app, login_as):
    auditor = login_as("auditor")
    response = save(auditor, "/admin/case/", "伪造", "search=a\r\nLocation: http://evil.example/&x=//evil.example")
    assert response.status_code == 302
    assert response.location.startswith("/admin/case/?") and "\n" not in response.location
    assert "evil.example" not in response.location.split("?", 1)[0]


def test_a_query_string_means_what_the_list_made_of_it(app, staff, login_as):
    with app.test_request_context():
        view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "case")
        arg = view.equals_filter_arg("status").split("_", 1)[1]
        state = view._list_state(f"search=a&search=b&flt0_{arg}=new&flt0_{arg}=closed&sort=1&desc=2")
    assert state["search"] == "a" and state["filters"] == [["case.status|FilterEqual", "new"]]
    assert state["sort_column"] == "received_at" and state["sort_desc"] is True


def test_renaming_a_saved_filter_shows_old_and_new_on_the_trail():
    from kesu.admin.audit import change_lines

    lines = change_lines({"filters": [[["case.status|FilterEqual", "new"]], [["case.status|FilterEqual", "closed"]]],
                          "search": ["abc", None]})
    assert any("→" in line and "new" in line and "closed" in line for line in lines)
    assert any(line.endswith("abc → —") for line in lines)
