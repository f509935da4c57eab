"""Exports: exactly the rows of the list as it stands, safe in Excel, audited, for those who may export."""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from kesu.extensions import db
from kesu.models import AuditEvent, Case, Customer
from tests.factories import make_case, make_claim, make_customer

INJECTION = '=HYPERLINK("http://x","y")'


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(response) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    return list(sheet.iter_rows(values_only=True))


def status_equals(app) -> str:
    """The list's URL argument for "状态 等于"."""
    with app.test_request_context():
        view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "case")
        return view.equals_filter_arg("status")


def test_export_holds_exactly_the_filtered_searched_sorted_rows_in_order(demo, demo_login):
    client = demo_login("shenji")
    # status 调查中, search 空调, sorted by 受理时间 ascending
    query = f"{status_equals(demo)}=investigating&search=%E7%A9%BA%E8%B0%83&sort=1&desc=0"
    rows = read_csv(client.get(f"/admin/case/export/csv/?{query}"))
    with demo.app_context():
        expected = list(db.session.scalars(
            select(Case.case_no).where(Case.status == "investigating",
                                       Case.title.contains("空调") | Case.product.contains("空调")
                                       | Case.case_no.contains("空调") | Case.lot_no.contains("空调")
                                       | Case.customer_id.in_(select(Customer.id).where(Customer.name.contains("空调"))))
            .order_by(Case.received_at, Case.id.desc())))
    assert expected, "the demo data should have such cases"
    assert rows[0][0] == "案件编号"
    assert [row[0] for row in rows[1:]] == expected
    page = client.get(f"/admin/case/?{query}").get_data(as_text=True)
    assert all(number in page for number in expected[:50])


def test_export_has_every_row_not_only_the_first_page(demo, demo_login):
    client = demo_login("shenji")
    rows = read_csv(client.get("/admin/case/export/csv/"))
    with demo.app_context():
        assert len(rows) - 1 == db.session.scalar(select(db.func.count()).select_from(Case)) == 160


def test_export_shows_labels_names_and_shanghai_times(demo, demo_login):
    client = demo_login("shenji")
    header, *rows = read_csv(client.get("/admin/case/export/csv/"))
    with demo.app_context():
        case = db.session.scalar(select(Case).order_by(Case.received_at.desc(), Case.id.desc()))
        from kesu.choices import CASE_STATUS
        from kesu.timeutil import format_local
        first = dict(zip(header, rows[0]))
        assert first["案件编号"] == case.case_no
        assert first["状态"] == CASE_STATUS.label(case.status)
        assert first["客户"] == case.customer.name
        assert first["受理时间"] == format_local(case.received_at)


def test_xlsx_opens_and_keeps_money_numeric(app, staff, login_as):
    with app.app_context():
        make_claim(make_case(), amount="12345.60")
    rows = read_xlsx(login_as("auditor").get("/admin/claim/export/xlsx/"))
    header, first = rows[0], rows[1]
    amount = first[header.index("索赔金额（元）")]
    assert isinstance(amount, (int, float)) and Decimal(str(amount)) == Decimal("12345.6")


def test_formula_is_neutralised_in_csv_and_xlsx_while_numbers_stay_numbers(app, staff, login_as):
    with app.app_context():
        case = make_case(customer=make_customer(name=INJECTION))
        make_claim(case, amount="100.00", reason="+SUM(A1:A9)")
    auditor = login_as("auditor")
    header, *rows = read_csv(auditor.get("/admin/case/export/csv/"))
    assert rows[0][header.index("客户")] == "'" + INJECTION
    sheet = read_xlsx(auditor.get("/admin/case/export/xlsx/"))
    assert sheet[1][sheet[0].index("客户")] == "'" + INJECTION
    claims = read_xlsx(auditor.get("/admin/claim/export/xlsx/"))
    assert isinstance(claims[1][claims[0].index("索赔金额（元）")], (int, float))


def test_export_is_audited_with_list_filters_format_and_row_count(demo, demo_login):
    client = demo_login("shenji")
    rows = read_csv(client.get(f"/admin/case/export/csv/?{status_equals(demo)}=closed"))
    with demo.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
        assert event.username == "shenji" and event.record_type == "case"
        assert event.changes["format"][1] == "csv"
        assert event.changes["filters"][1] == ["状态 等于 已结案"]
        done = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export_done"))
        assert done.id > event.id and done.username == "shenji"
        assert done.changes["export_event"][1] == event.id
        assert done.changes["rows"][1] == len(rows) - 1 and done.changes["complete"][1] is True


@pytest.mark.parametrize("export_type", ["csv", "xlsx"])
def test_no_row_leaves_when_the_export_event_cannot_be_written(demo, demo_login, monkeypatch, export_type):
    from sqlalchemy.exc import OperationalError

    from kesu.admin import exporting

    def audit_write_fails(*args, **kwargs):
        raise OperationalError("INSERT INTO audit_event …", {}, Exception("database is locked"))

    client = demo_login("shenji")
    monkeypatch.setattr(exporting, "record_event_apart", audit_write_fails)
    response = client.get(f"/admin/case/export/{export_type}/")
    assert response.status_code == 302 and "/admin/case/" in response.headers["Location"]
    assert "Content-Disposition" not in response.headers
    assert "KS-" not in response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "导出未进行：无法写入审计日志" in page and "INSERT" not in page


def test_the_export_event_is_committed_before_the_first_row_is_read(demo, demo_login, monkeypatch):
    from kesu.admin import exporting

    seen = []
    rows = exporting.ExportMixin._rows

    def rows_after_checking_the_trail(view, query, columns):
        with db.engine.connect() as another_connection:  # sees only what is committed
            seen.append(another_connection.scalar(select(func.count()).select_from(AuditEvent)
                                                  .where(AuditEvent.action == "export")))
        return rows(view, query, columns)

    monkeypatch.setattr(exporting.ExportMixin, "_rows", rows_after_checking_the_trail)
    read_csv(demo_login("shenji").get("/admin/case/export/csv/"))
    assert seen == [1]


def test_clerk_without_export_rights_gets_403(app, staff, login_as):
    clerk = login_as("clerk")
    assert clerk.get("/admin/case/export/csv/").status_code == 403
    assert clerk.get("/admin/case/export/xlsx/").status_code == 403
    assert "export/csv" not in clerk.get("/admin/case/").get_data(as_text=True)


def test_handler_exports_only_their_department_masked(app, staff, login_as):
    with app.app_context():
        make_case(title="本部门案件")
        make_case("生产部", title="别的部门案件")
    header, *rows = read_csv(login_as("handler").get("/admin/case/export/csv/"))
    titles = [row[header.index("投诉摘要")] for row in rows]
    assert titles == ["本部门案件"]
    header, *rows = read_csv(login_as("handler").get("/admin/customer/export/csv/"))
    assert rows and all("****" in row[header.index("电话")] for row in rows)


def test_file_name_says_what_and_when(app, staff, login_as):
    disposition = login_as("auditor").get("/admin/case/export/xlsx/").headers["Content-Disposition"]
    assert "filename*=UTF-8''%E6%8A%95%E8%AF%89%E6%A1%88%E4%BB%B6_" in disposition and ".xlsx" in disposition
    assert re.search(r'filename="case_\d{8}-\d{4}\.xlsx"', disposition)  # for clients without RFC 5987


@pytest.mark.parametrize("endpoint", ["case", "claim", "accountability", "payment", "contactlog",
                                      "generateddocument", "auditevent", "approval", "lossitem", "goodshold",
                                      "customer"])
def test_every_business_list_exports_for_the_auditor(app, staff, login_as, endpoint):
    with app.app_context():
        make_claim(make_case())
    auditor = login_as("auditor")
    assert "export/csv" in auditor.get(f"/admin/{endpoint}/").get_data(as_text=True)
    assert auditor.get(f"/admin/{endpoint}/export/csv/").status_code == 200
    assert auditor.get(f"/admin/{endpoint}/export/xlsx/").status_code == 200


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised_in_both_formats(app, staff, login_as, start):
    with app.app_context():
        make_case(customer=make_customer(name=f"{start}1+1 公司"), title=f"{start}cmd|' /C calc'!A0")
    auditor = login_as("auditor")
    header, *rows = read_csv(auditor.get("/admin/case/export/csv/"))
    assert rows[0][header.index("客户")] == f"'{start}1+1 公司"
    assert rows[0][header.index("投诉摘要")] == f"'{start}cmd|' /C calc'!A0"
    sheet = read_xlsx(auditor.get("/admin/case/export/xlsx/"))
    # xlsxwriter stores a carriage return as OOXML's _x000D_ escape, which openpyxl reads back as written
    assert sheet[1][sheet[0].index("客户")].replace("_x000D_", "\r") == f"'{start}1+1 公司"


def test_yes_no_and_labels_are_words_and_masks_stay_safe(app, staff, login_as):
    with app.app_context():
        make_customer(name="普通客户", phone="=1234567890")
    auditor = login_as("auditor")
    header, *rows = read_csv(auditor.get("/admin/user/export/csv/"))
    assert {row[header.index("启用")] for row in rows} == {"是"}
    assert "系统管理员" in {row[header.index("角色")] for row in rows}
    header, *rows = read_csv(auditor.get("/admin/customer/export/csv/"))
    phone = rows[0][header.index("电话")]
    assert "****" in phone and phone.startswith("'=")


def xlsxwriter_reference(headers, kinds, widths, rows, out, sheet_name) -> None:
    """The same sheet with its rows written cell by cell through xlsxwriter's own API."""
    from kesu.exports.xlsx import cell_text, new_workbook, start_sheet

    workbook = new_workbook(out)
    sheet, money = start_sheet(workbook, headers, kinds, widths, sheet_name)
    for number, row in enumerate(rows, start=1):
        for index, (kind, value) in enumerate(zip(kinds, row)):
            if value is None:
                continue
            if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
                sheet.write_number(number, index, float(value), money if kind == "money" else None)
            else:
                sheet.write_string(number, index, cell_text(str(value)))
    workbook.close()


def test_xlsx_rows_are_the_xml_xlsxwriter_writes_for_the_same_cells():
    import zipfile

    from kesu.exports.xlsx import write_workbook

    headers, kinds, widths = ["编号", "名称", "金额（元）", "件数"], ["text", "text", "money", "number"], [18, 30, 14, 12]
    rows = [("KS-1", "普通 <公司> & \"引号\" '单引'", Decimal("12345.60"), 3),
            ("KS-2", " 前后空格 ", Decimal("0.10"), None),
            (None, None, None, None),  # a row with no cells is left out, as xlsxwriter does
            ("KS-4", "控制\x01字符\r换行\n制表\t_x0041_ 与 \ufffe", Decimal("-5"), 0),
            ("KS-5", "长" * 40000, 1e20, 2**40),
            ("KS-6", "'=HYPERLINK(\"http://x\",\"y\")", None, 7)]
    ours, reference = io.BytesIO(), io.BytesIO()
    assert write_workbook(headers, kinds, widths, iter(rows), ours, "投诉案件") == len(rows)
    xlsxwriter_reference(headers, kinds, widths, rows, reference, "投诉案件")
    ours_zip, reference_zip = zipfile.ZipFile(ours), zipfile.ZipFile(reference)
    assert ours_zip.namelist() == reference_zip.namelist()
    for name in ours_zip.namelist():
        if name != "docProps/core.xml":  # holds the second the file was made
            assert ours_zip.read(name) == reference_zip.read(name), name
    sheet = openpyxl.load_workbook(io.BytesIO(ours.getvalue())).active
    assert sheet["C2"].value == 12345.6 and sheet["C2"].number_format == "#,##0.00"
    assert sheet["B3"].value == " 前后空格 " and sheet.max_row == 7 and sheet["A4"].value is None
    assert sheet["B6"].value.endswith("…［已截断，全文共 40000 字］") and len(sheet["B6"].value) == 32767


@pytest.mark.parametrize("length", [32767, 32768, 100000])
def test_text_over_excels_cell_limit_is_cut_with_a_visible_marker(length):
    from kesu.exports.xlsx import MAX_TEXT, cell_text

    text = cell_text("长" * length)
    assert len(text) <= MAX_TEXT
    if length <= MAX_TEXT:
        assert text == "长" * length
    else:
        assert text.endswith(f"…［已截断，全文共 {length} 字］") and text.startswith("长" * 30000)


def test_long_text_is_marked_as_cut_in_xlsx_and_kept_whole_in_csv(app, staff, login_as):
    from tests.factories import make_contact_log

    with app.app_context():
        make_contact_log(make_case(), content="沟通" * 20000)
    auditor = login_as("auditor")
    header, *rows = read_csv(auditor.get("/admin/contactlog/export/csv/"))
    assert rows[0][header.index("沟通内容")] == "沟通" * 20000
    header, *rows = read_xlsx(auditor.get("/admin/contactlog/export/xlsx/"))
    cell = rows[0][header.index("沟通内容")]
    assert len(cell) == 32767 and cell.endswith("…［已截断，全文共 40000 字］")
