"""A list row's icons (open, edit, delete, documents) and cells, drawn in Python: each leads where Flask-Admin's
would, shows only what this user may do with this row, and escapes what people typed."""
from __future__ import annotations

import html
import json
import re

from markupsafe import Markup

from kesu.admin.formatters import list_cell
from kesu.extensions import db
from kesu.audit import acting_as
from kesu.models import Category, Department
from tests.factories import make_case, make_customer

ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S)


def row_of(page: str, case_id: int) -> str:
    return next(row for row in ROW.findall(page) if f'value="{case_id}"' in row or f"id={case_id}&" in row)


def made(app, **fields) -> int:
    with app.app_context():
        return make_case(**fields).id


def test_the_open_icon_leads_to_the_record_and_back_to_this_page_of_the_list(app, login_as):
    case_id = made(app, title="冰箱不制冷")
    page = login_as("clerk").get("/admin/case/?search=冰箱").get_data(as_text=True)
    link = re.search(r'<a class="icon" href="([^"]+)"[^>]*data-kesu-open>', row_of(page, case_id)).group(1)
    opened = login_as("clerk").get(html.unescape(link))
    assert opened.status_code == 200 and "冰箱不制冷" in opened.get_data(as_text=True)
    assert "url=%2Fadmin%2Fcase%2F%3Fsearch%3D" in html.unescape(link)


def test_the_edit_icon_shows_only_on_rows_this_user_may_edit_now(app, login_as):
    open_case = made(app, title="处理中的投诉", status="investigating")
    closed_case = made(app, title="已结案的投诉", status="closed")
    page = login_as("handler").get("/admin/case/").get_data(as_text=True)
    assert "/admin/case/edit/?id=%d&amp;" % open_case in row_of(page, open_case)
    assert "/admin/case/edit/?id=" not in row_of(page, closed_case)


def test_the_delete_icon_deletes_the_row_after_asking(app, login_as):
    with app.app_context(), acting_as(None, "test setup"):
        category = Category(name="临时类别", sort_order=99)
        db.session.add(category)
        db.session.commit()
        category_id = category.id
    admin = login_as("admin")
    page = admin.get("/admin/category/").get_data(as_text=True)
    form = re.search(r'<form class="icon" method="POST" action="([^"]+)">(.*?)</form>', row_of(page, category_id),
                     re.S)
    assert 'data-kesu-confirm="' in form.group(2)
    values = {name: html.unescape(value) for name, value in re.findall(r'name="(\w+)"[^>]*value="([^"]*)"',
                                                                        form.group(2))}
    assert values["id"] == str(category_id) and values["csrf_token"] and values["url"].startswith("/admin/category/")
    assert admin.post(form.group(1), data=values).status_code == 302
    with app.app_context():
        assert db.session.get(Category, category_id) is None


def test_the_document_menu_offers_what_applies_to_the_rows_state_and_posts_to_it(app, login_as):
    registered = made(app, title="已受理的投诉", status="accepted")
    closed = made(app, title="已结案的投诉", status="closed")
    clerk = login_as("clerk")
    page = clerk.get("/admin/case/").get_data(as_text=True)
    actions = re.findall(r'<form method="post" action="([^"]+)" class="m-0">', row_of(page, registered))
    assert actions and all(action.endswith(f"?id={registered}") for action in actions)
    closed_actions = re.findall(r'<form method="post" action="([^"]+)" class="m-0">', row_of(page, closed))
    assert set(a.split("?")[0] for a in actions) != set(a.split("?")[0] for a in closed_actions)


def test_a_hostile_search_is_escaped_in_every_icons_return_address(app, login_as):
    made(app, title="冰箱不制冷")
    hostile = '"><svg onload=alert(1)>'
    page = login_as("admin").get("/admin/case/", query_string={"search": hostile}).get_data(as_text=True)
    assert "<svg onload" not in page


def test_a_document_from_the_list_menu_is_issued_for_its_row(app, login_as):
    case_id = made(app, title="已受理的投诉", status="accepted")
    clerk = login_as("clerk")
    page = clerk.get("/admin/case/").get_data(as_text=True)
    menu = row_of(page, case_id)
    action = re.search(r'<form method="post" action="([^"]+)" class="m-0"><input type="hidden" name="csrf_token" '
                       r'value="([^"]+)">', menu)
    response = clerk.post(html.unescape(action.group(1)), data={"csrf_token": action.group(2)})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")


def test_what_people_typed_is_escaped_in_a_cell_and_its_title(app, login_as):
    with app.app_context():
        make_case(title="<script>alert(1)</script>很长的标题文字", customer=make_customer("<b>客户</b>"))
    page = login_as("clerk").get("/admin/case/").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<b>客户</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;很长的标题文字" in page


def test_a_cell_is_shortened_past_eight_characters_except_numbers_times_and_amounts():
    assert list_cell("空气净化器开机无反应", "title") == Markup(
        '<span class="kesu-clip" title="空气净化器开机无反应">空气净化器开机无反应</span>')
    assert list_cell("空调漏水", "title") == "空调漏水"
    assert list_cell("KS20261203000001", "case_no") == "KS20261203000001"
    assert list_cell(Markup('<span class="kesu-overdue" title="已超时">2026-12-03 10:00</span>'), "next_due_at") \
        == Markup('<span class="kesu-overdue" title="已超时">2026-12-03 10:00</span>')
    assert 'title="一二三四五六七八九"' in list_cell(Markup("<a href='#'>一二三四五六七八九</a>"), "customer")


def filter_menu(client) -> dict:
    page = client.get("/admin/case/").get_data(as_text=True)
    return json.loads(html.unescape(re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', page,
                                              re.S).group(1)))


def test_the_filter_menu_follows_the_language_and_offers_a_department_added_since(app, login_as):
    """Fixed options are translated once a language, options from the database read every time."""
    clerk = login_as("clerk")
    chinese = json.dumps(filter_menu(clerk), ensure_ascii=False)
    assert "调查中" in chinese and "新设的售后部" not in chinese
    with app.app_context(), acting_as(None, "test setup"):
        db.session.add(Department(name="新设的售后部", code="SH2", kind="business"))
        db.session.commit()
    clerk.get("/lang/en", headers={"Referer": "http://localhost/admin/case/"})
    english = json.dumps(filter_menu(clerk), ensure_ascii=False)
    assert "Investigating" in english and "调查中" not in english
    assert "新设的售后部" in english
