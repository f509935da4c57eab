"""Lists: demo data in every view, search, filters, newest first, 50 a page."""
from __future__ import annotations

import re

import pytest

from kesu.admin import VIEWS
from tests.factories import make_case, make_customer

#: Views the demo leaves empty: templates and the register are filled by document generation (issue 5),
#: attachments are files people upload.
EMPTY_AFTER_DEMO = {"job", "documenttemplate", "generateddocument", "attachment"}


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


def test_status_filter_lists_only_that_status(app, demo, staff, login_as):
    client = login_as("admin")
    with app.test_request_context():
        view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", "") == "case")
        argument = view.equals_filter_arg("status")
    page = client.get(f"/admin/case/?{argument}=investigating").get_data(as_text=True)
    assert "调查中" in page
    assert "已结案</td>" not in page and ">已结案<" not in page


def test_empty_choice_shows_blank_not_none(app, staff, login_as):
    with app.app_context():
        case_id = make_case().id  # resolution_type is still NULL
    page = login_as("clerk").get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    assert ">None<" not in page.replace(" ", "").replace("\n", "")
    assert 'aria-current="step"><span class="badge badge-secondary">已登记</span>' in page  # its status, by label


# --- list arguments that make no sense: the list with a message, never an error page ------------------------
def admin_view(app, endpoint: str):
    return next(view for view in app.extensions["admin"][0]._views if getattr(view, "endpoint", None) == endpoint)


def filter_arg(app, endpoint: str, column: str, kind: str) -> str:
    """``flt0_<n>`` of the list's filter of class ``kind`` on ``column``."""
    return next(f"flt0_{key}" for key, (_index, flt) in admin_view(app, endpoint)._filter_args.items()
                if getattr(flt.column, "key", None) == column and type(flt).__name__ == kind)


IGNORED = "列表地址中有无法使用的参数，已忽略"


@pytest.mark.parametrize("arguments,named", [
    ({"page": "1" + "0" * 24}, "页码「1000000000000000000000000」"),
    ({"page": "1" + "0" * 40}, "页码「" + "1" + "0" * 29 + "…」"),
    ({"page": "-1"}, "页码「-1」"),
    ({"page": "abc"}, "页码「abc」"),
    ({"page_size": "9" * 25}, "每页条数"),
    ({"sort": "999"}, "排序列「999」"),
    ({"sort": "-1"}, "排序列「-1」"),
    ({"sort": "abc"}, "排序列「abc」"),
    ({"desc": "x"}, "排序方向「x」"),
    ({"flt0_9999": "1"}, "不存在的筛选条件「flt0_9999」"),
    ({"flt5_abc": "1"}, "不存在的筛选条件「flt5_abc」"),
    ({"search": "冰箱\x00"}, "搜索中的不可见字符"),
    ({"search": "冰箱 " * 3000}, "第 10 个以后的搜索词"),
])
def test_list_arguments_that_make_no_sense_are_ignored_and_named(searchable, login_as, arguments, named):
    response = login_as("admin").get("/admin/case/", query_string=arguments)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert IGNORED in page and named in page
    assert "/admin/case/details/?id=" in page


def test_search_words_are_cut_to_fifty_characters(searchable, login_as):
    response = login_as("admin").get("/admin/case/", query_string={"search": "冰箱不制冷" + "冷" * 500})
    assert response.status_code == 200
    assert "搜索词第 50 个字以后的部分" in response.get_data(as_text=True)


@pytest.mark.parametrize("endpoint,column,kind,value", [
    ("case", "escalation_level", "IntEqualFilter", "99999999999999999999"),
    ("case", "escalation_level", "IntEqualFilter", "40000"),  # beyond SMALLINT
    ("auditevent", "record_id", "IntGreaterFilter", "2147483648"),  # beyond INTEGER
    ("case", "escalation_level", "IntGreaterFilter", "-99999999999999999999"),
    ("case", "escalation_level", "IntInListFilter", "1,99999999999999999999"),
    ("case", "escalation_level", "IntSmallerFilter", "Infinity"),
    ("auditevent", "record_id", "IntEqualFilter", "9223372036854775808"),
    ("claim", "claimed_amount", "MoneyFilterGreater", "NaN"),
    ("claim", "claimed_amount", "MoneyFilterEqual", "sNaN"),
    ("claim", "claimed_amount", "MoneyFilterSmaller", "Infinity"),
    ("claim", "claimed_amount", "MoneyFilterGreater", "1e999999"),
    ("case", "received_at", "DateTimeGreaterFilter", "0001-01-01"),
    ("case", "received_at", "DateTimeBetweenFilter", "0001-01-01 to 2026-01-01"),
    ("case", "received_at", "DateTimeSmallerFilter", "2026-13-45"),
    ("case", "product", "FilterLike", "冰\x00箱"),
    ("case", "product", "FilterLike", "冰" * 201),
])
def test_filter_values_out_of_range_are_ignored_and_named(app, searchable, login_as, endpoint, column, kind, value):
    response = login_as("admin").get(f"/admin/{endpoint}/",
                                     query_string={filter_arg(app, endpoint, column, kind): value})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert IGNORED in page and "的值「" in page


@pytest.fixture
def products(app, staff):
    with app.app_context():
        for title, product in (("冰箱不制冷", "BCD-215"), ("洗衣机漏水", "XQB80_1"), ("空调折扣", "KFR-50%")):
            make_case(title=title, product=product)


def test_a_valid_filter_still_applies_next_to_an_ignored_one(app, products, login_as):
    product_contains = filter_arg(app, "case", "product", "FilterLike")
    page = login_as("admin").get("/admin/case/", query_string={
        product_contains: "BCD", "flt1_9999": "1", "page": "abc"}).get_data(as_text=True)
    assert "冰箱不制冷" in page and "洗衣机漏水" not in page
    assert "不存在的筛选条件「flt1_9999」" in page and "页码「abc」" in page


@pytest.mark.parametrize("value,expected", [("50%", "空调折扣"), ("80_", "洗衣机漏水"), ("0%", "空调折扣"),
                                            ("BCD_", None), ("%", "空调折扣"), ("_", "洗衣机漏水")])
def test_text_filter_contains_takes_percent_and_underscore_literally(app, products, login_as, value, expected):
    product_contains = filter_arg(app, "case", "product", "FilterLike")
    page = login_as("admin").get("/admin/case/", query_string={product_contains: value}).get_data(as_text=True)
    found = {title for title in ("冰箱不制冷", "洗衣机漏水", "空调折扣") if title in page}
    assert found == ({expected} if expected else set())


def test_too_many_filters_are_cut_to_twenty(app, products, login_as):
    product_contains = filter_arg(app, "case", "product", "FilterLike").split("_", 1)[1]
    arguments = {f"flt{position}_{product_contains}": "BCD" for position in range(1000)}
    response = login_as("admin").get("/admin/case/", query_string=arguments)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "第 20 个以后的筛选条件" in page and "冰箱不制冷" in page


def test_export_reads_its_arguments_like_the_list(searchable, login_as):
    response = login_as("admin").get("/admin/case/export/csv/", query_string={
        "page": "1" + "0" * 30, "sort": "abc", "search": "冰箱\x00 " + "x" * 500})
    assert response.status_code == 200
    assert "冰箱不制冷" not in response.get_data(as_text=True)  # every word must match: x… matches nothing


@pytest.mark.parametrize("record_id", ["99999999999999999999", "9223372036854775807", "2147483648", "9" * 5000,
                                       "-1", "abc", "1.0", "١"])
@pytest.mark.parametrize("page", ["details", "edit"])
def test_record_ids_out_of_range_are_not_found(searchable, login_as, record_id, page):
    assert login_as("admin").get(f"/admin/case/{page}/", query_string={"id": record_id}).status_code == 404


@pytest.mark.parametrize("case_id", ["99999999999999999999", "2147483648", "-1", "abc"])
def test_a_form_prefilled_from_a_bad_case_id_opens_empty(searchable, login_as, case_id):
    response = login_as("admin").get("/admin/contactlog/new/", query_string={"case_id": case_id})
    assert response.status_code == 200 and 'name="case"' in response.get_data(as_text=True)


# --- foreign-key search boxes -------------------------------------------------------------------------------
@pytest.fixture
def many_customers(app, staff):
    from kesu.audit import acting_as
    from kesu.extensions import db
    from kesu.models import Customer

    with app.app_context(), acting_as(None, "test setup"):
        db.session.add_all(Customer(name=f"查找客户{n:02d}", phone=f"137{n:08d}") for n in range(60))
        db.session.commit()


@pytest.mark.parametrize("limit,offset,expected", [
    ("1" + "0" * 30, "0", 50),
    ("-5", "-5", 1),
    ("abc", "xyz", 10),
    ("10", "1" + "0" * 30, 0),
    ("10", "55", 5),
])
def test_lookup_answers_a_bounded_page_whatever_limit_and_offset(many_customers, login_as, limit, offset, expected):
    response = login_as("clerk").get("/admin/case/ajax/lookup/", query_string={
        "name": "customer", "query": "查找客户", "limit": limit, "offset": offset})
    assert response.status_code == 200
    assert len(response.get_json()) == expected


@pytest.mark.parametrize("query,expected", [("%", []), ("_", []), ("查找客户_0", []), ("/", []),
                                            ("查找客户01\x00", ["查找客户01"])])
def test_lookup_takes_wildcards_literally_and_drops_control_characters(many_customers, login_as, query, expected):
    response = login_as("clerk").get("/admin/case/ajax/lookup/", query_string={"name": "customer", "query": query})
    assert response.status_code == 200
    assert [label for _id, label in response.get_json()] == expected


def test_lookup_of_an_unknown_field_is_not_found(login_as):
    assert login_as("clerk").get("/admin/case/ajax/lookup/?name=nothing&query=a").status_code == 404


# --- bulk delete ---------------------------------------------------------------------------------------------
@pytest.fixture
def holidays(app, staff):
    from datetime import date

    from kesu.audit import acting_as
    from kesu.extensions import db
    from kesu.models import Holiday

    with app.app_context(), acting_as(None, "test setup"):
        days = [Holiday(day=date(2031, 10, n), name=f"测试假日{n}", source="admin") for n in (1, 2, 3)]
        db.session.add_all(days)
        db.session.commit()
        return [day.id for day in days]


def remaining_holidays(app, ids: list[int]) -> list[int]:
    from sqlalchemy import select

    from kesu.extensions import db
    from kesu.models import Holiday

    with app.app_context():
        return list(db.session.scalars(select(Holiday.id).where(Holiday.id.in_(ids)).order_by(Holiday.id)))


def bulk_delete(client, endpoint: str, ids: list):
    return client.post_form(f"/admin/{endpoint}/action/", {"action": "delete", "rowid": [str(i) for i in ids]},
                            follow_redirects=True)


def test_bulk_delete_deletes_the_selected_records_in_one_go(app, holidays, login_as):
    first, second, third = holidays
    response = bulk_delete(login_as("admin"), "holiday", [first, second])
    assert response.status_code == 200 and "已删除 2 条记录" in response.get_data(as_text=True)
    assert remaining_holidays(app, holidays) == [third]


def test_bulk_delete_is_audited(app, holidays, login_as):
    from sqlalchemy import select

    from kesu.extensions import db
    from kesu.models import AuditEvent

    bulk_delete(login_as("admin"), "holiday", holidays[:1])
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.record_type == "holiday",
                                                           AuditEvent.record_id == holidays[0],
                                                           AuditEvent.action == "delete"))
        assert event is not None and event.username == "admin"


def test_bulk_delete_ignores_ids_that_are_not_record_numbers(app, holidays, login_as):
    first, second, third = holidays
    response = bulk_delete(login_as("admin"), "holiday", [first, "abc", "9" * 30, "-1", "9223372036854775808"])
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已忽略 4 个无效的记录编号" in page and "已删除 1 条记录" in page
    assert remaining_holidays(app, holidays) == [second, third]


def test_bulk_delete_of_only_bad_ids_deletes_nothing(app, holidays, login_as):
    response = bulk_delete(login_as("admin"), "holiday", ["abc", "9" * 30, "999999"])
    assert response.status_code == 200
    assert "没有删除任何记录" in response.get_data(as_text=True)
    assert remaining_holidays(app, holidays) == holidays


def test_bulk_delete_of_a_record_still_referenced_deletes_none(app, searchable, login_as):
    from sqlalchemy import select

    from kesu.audit import acting_as
    from kesu.extensions import db
    from kesu.models import Case, Category

    with app.app_context(), acting_as(None, "test setup"):
        used = db.session.scalar(select(Case.category_id).limit(1))
        unused = Category(name="未使用的类别", sort_order=99)
        db.session.add(unused)
        db.session.commit()
        ids = [used, unused.id]
    response = bulk_delete(login_as("admin"), "category", ids)
    assert response.status_code == 200 and "仍被其他记录引用" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(Category.id).where(Category.id.in_(ids))).all()) == 2
