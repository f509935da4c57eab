"""Lists: demo data in every view, search, filters, newest first, 50 a page."""
from __future__ import annotations

import re

import pytest

from kesu.admin import VIEWS
from tests.factories import make_case, make_customer

#: Views the demo leaves empty: templates and the register are filled by document generation (issue 5),
#: attachments are files people upload.
EMPTY_AFTER_DEMO = {"documenttemplate", "generateddocument", "attachment"}


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["kesu", "demo", "--cases", "120"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("endpoint", [m.__name__.lower() for _v, m, *_ in VIEWS
                                      if m.__name__.lower() not in EMPTY_AFTER_DEMO])
def test_every_view_lists_demo_data_for_admin(app, demo, staff, login_as, endpoint):
    page = login_as("admin").get(f"/admin/{endpoint}/").get_data(as_text=True)
    assert re.search(rf"/admin/{endpoint}/details/\?id=\d+", page), endpoint


def test_case_list_is_newest_first_fifty_a_page(app, demo, staff, login_as):
    page = login_as("admin").get("/admin/case/").get_data(as_text=True)
    ids = re.findall(r"/admin/case/details/\?id=(\d+)", page)
    assert len(set(ids)) == 50
    dates = re.findall(r"<td class=\"col-received_at\">\s*([0-9-]+ [0-9:]+)", page)
    assert dates == sorted(dates, reverse=True) and len(dates) == 50


def test_labels_not_keys_in_the_case_list(app, demo, staff, login_as):
    page = login_as("admin").get("/admin/case/").get_data(as_text=True)
    assert "调查中" in page or "已结案" in page
    assert ">investigating<" not in page


@pytest.fixture
def searchable(app, staff):
    with app.app_context():
        make_case(title="冰箱不制冷", customer=make_customer("宁波鼎盛家居连锁有限公司", "13700001111"))
        make_case(title="洗衣机漏水", customer=make_customer("王芳", "13900002222"))
        make_case(title="空调 50% 折扣未兑现", customer=make_customer("李强", "13600003333"))


@pytest.mark.parametrize("term,expected", [
    ("冰箱", {"冰箱不制冷"}),
    ("鼎盛", {"冰箱不制冷"}),          # through the customer's name
    ("漏水 王芳", {"洗衣机漏水"}),      # every word must match
    ("50%", {"空调 50% 折扣未兑现"}),   # % is a character, not a wildcard
    ("5%0", set()),
])
def test_case_search(searchable, login_as, term, expected):
    page = login_as("clerk").get("/admin/case/", query_string={"search": term}).get_data(as_text=True)
    found = {title for title in ("冰箱不制冷", "洗衣机漏水", "空调 50% 折扣未兑现") if title in page}
    assert found == expected


def test_status_filter_from_the_home_page(app, demo, staff, login_as):
    client = login_as("admin")
    home = client.get("/admin/").get_data(as_text=True)
    link = re.search(r'href="(/admin/case/\?flt0_\d+=investigating)"', home).group(1)
    page = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "调查中" in page
    assert "已结案</td>" not in page and ">已结案<" not in page


def test_empty_choice_shows_blank_not_none(app, staff, login_as):
    with app.app_context():
        case_id = make_case().id  # resolution_type is still NULL
    page = login_as("clerk").get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    assert ">None<" not in page.replace(" ", "").replace("\n", "")
    assert "调查中" not in page and "已登记" in page
