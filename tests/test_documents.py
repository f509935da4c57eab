"""Word documents: each type from demo data through the panel, read back; the register; numbers; bulk zip."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
import shutil
import io
import zipfile
from decimal import Decimal

import pytest
from sqlalchemy import func, inspect, select

from kesu.documents import DOCUMENT_TYPES, amount_in_chinese, render
from kesu.extensions import db
from kesu.models import Accountability, AuditEvent, Case, Claim, GeneratedDocument
from tests.docx_text import all_text, chinese_runs_without_east_asian_font
from tests.jobs import bulk_zip
from tests.factories import make_case, make_claim, user

ENDPOINT = {Case: "case", Claim: "claim", Accountability: "accountability"}
#: Who clicks each document's button.
ROLE_FOR = {"acknowledgement": "kefu", "investigation_report": "zhiliang", "settlement_agreement": "kefu",
            "result_notice": "kefu", "transfer_slip": "kefu", "accountability_decision": "jingli"}


def demo_record(doc_key: str, **where):
    """The first demo record the document applies to, with everything it needs."""
    doc_type = DOCUMENT_TYPES[doc_key]
    query = select(doc_type.model).where(doc_type.model.status.in_(doc_type.statuses)).order_by(doc_type.model.id)
    for name, value in where.items():
        query = query.where(getattr(doc_type.model, name) == value)
    for record in db.session.scalars(query):
        if not doc_type.missing(doc_type.schema().dump(record)):
            return record
    raise AssertionError(f"no demo record for {doc_key}")


def generate(client, doc_key: str, record, **params):
    """Click the document's button on ``record``'s page (the record may be detached: only its key is read)."""
    (record_id,) = inspect(record).identity
    url = f"/admin/{ENDPOINT[type(record)]}/document/{doc_key}/?id={record_id}"
    for name, value in params.items():
        url += f"&{name}={value}"
    return client.post_form(url, {})


def expected_values(doc_key: str, record) -> list[str]:
    if doc_key == "settlement_agreement":
        return [record.claim_no, record.case.case_no, record.case.customer.name, f"{record.approved_amount:,.2f}",
                amount_in_chinese(record.approved_amount)]
    if doc_key == "accountability_decision":
        return [record.case.case_no, record.facts, str(record.person or record.department), record.improvement]
    values = [record.case_no, record.customer.name, record.title]
    if doc_key == "investigation_report":
        values += [record.root_cause, record.corrective_action, record.department.name]
    if doc_key == "transfer_slip":
        values += [record.department.name, record.customer_demand]
    if doc_key == "result_notice" and record.status == "rejected":
        values += ["不成立", record.validity_reason]
    return values


@pytest.mark.parametrize("doc_key", list(DOCUMENT_TYPES))
def test_each_document_renders_from_demo_data_with_its_values(demo, demo_login, doc_key):
    with demo.app_context():
        clicker = user(ROLE_FOR[doc_key])
        scope = {"department_id": clicker.department_id} if clicker.role == "handler" else {}
        record = demo_record(doc_key, **scope)
        expected = expected_values(doc_key, record)
    response = generate(demo_login(clicker.username), doc_key, record)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype.endswith("wordprocessingml.document")
    content = response.get_data()
    text = all_text(content)
    for value in expected:
        assert value and value in text, (doc_key, value)
    for leftover in ("{{", "{%", "None"):
        assert leftover not in text, (doc_key, leftover)
    assert "示例实业有限公司" in text
    with demo.app_context():
        document = db.session.scalar(select(GeneratedDocument))
        assert document.doc_no in text
        assert f"v{document.template.version}" in text and document.data_hash[:8] in text
        assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert chinese_runs_without_east_asian_font(content) == []


def test_file_name_is_the_record_number_and_the_documents_short_name(demo, demo_login):
    with demo.app_context():
        case = demo_record("acknowledgement")
    response = generate(demo_login("kefu"), "acknowledgement", case)
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition
    assert f"{case.case_no}_%E5%8F%97%E7%90%86%E5%9B%9E%E6%89%A7.docx" in disposition  # 受理回执


def test_settlement_agreement_prints_the_amount_in_chinese_capitals(app, staff, login_as):
    with app.app_context():
        claim = make_claim(make_case(), amount="12800", status="customer_confirmed", approved_amount=Decimal("12300"),
                           agreed_payment_method="bank_transfer", instalments=1)
    text = all_text(generate(login_as("clerk"), "settlement_agreement", claim).get_data())
    assert "人民币壹万贰仟叁佰元整" in text and "12,300.00" in text


def test_ampersands_angle_brackets_and_quotes_survive(app, staff, login_as):
    from tests.factories import make_customer

    tricky = 'A&B <公司> "引号" \'单引\''
    with app.app_context():
        case = make_case(customer=make_customer(name=tricky), status="accepted",
                         description="第一行\n第二行 <script>&amp;")
    content = generate(login_as("clerk"), "acknowledgement", case).get_data()
    text = all_text(content)
    assert tricky in text
    assert "第一行" in text and "第二行 <script>&amp;" in text


def test_missing_optional_values_print_as_nothing_never_none(app, staff, login_as):
    with app.app_context():
        case = make_case(status="accepted", product=None, lot_no=None, customer_demand=None)
    text = all_text(generate(login_as("clerk"), "acknowledgement", case).get_data())
    assert "None" not in text


def test_settlement_agreement_without_an_approved_amount_is_refused_and_nothing_is_registered(app, staff, login_as):
    with app.app_context():
        claim = make_claim(make_case(), status="approved")
    client = login_as("clerk")
    response = generate(client, "settlement_agreement", claim)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "无法生成「赔偿和解协议」：缺少批准金额" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GeneratedDocument)) == 0


def test_document_that_does_not_apply_in_this_state_is_not_offered_and_refused(app, staff, login_as):
    with app.app_context():
        case = make_case()  # registered: not accepted yet
        case_id = case.id
    client = login_as("clerk")
    page = client.get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    assert "document/acknowledgement/" not in page
    response = generate(client, "acknowledgement", case)
    assert "不适用于当前状态（已登记）" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_detail_page_offers_the_documents_of_the_current_state(app, staff, login_as):
    with app.app_context():
        case_id = make_case(status="investigating", root_cause=None).id
    page = login_as("clerk").get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    assert "document/acknowledgement/" in page and "document/transfer_slip/" in page
    assert "document/result_notice/" not in page
    assert "调查报告：无法生成「调查报告」：缺少根本原因" in page  # shown disabled, with the reason


def test_register_keeps_the_file_byte_for_byte_and_writes_an_audit_event(app, staff, login_as):
    with app.app_context():
        case = make_case(status="accepted")
        case_id, case_no = case.id, case.case_no
    client = login_as("clerk")
    generated = generate(client, "acknowledgement", case).get_data()
    with app.app_context():
        document = db.session.scalar(select(GeneratedDocument))
        assert (document.doc_type, document.record_no, document.size) == ("acknowledgement", case_no,
                                                                        len(generated))
        assert document.filename == f"{case_no}_受理回执.docx"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document"))
        assert event.record_type == "case" and event.record_id == case_id and document.doc_no in event.comment
        document_id, digest = document.id, document.sha256
    again = client.get(f"/admin/generateddocument/download/?id={document_id}").get_data()
    assert again == generated and hashlib.sha256(again).hexdigest() == digest


def test_document_numbers_count_per_type_and_year(app, staff, login_as):
    from kesu.timeutil import local_today

    year = local_today().year
    with app.app_context():
        first, second = make_case(status="investigating"), make_case(status="investigating")
    client = login_as("clerk")
    for case in (first, second):
        generate(client, "acknowledgement", case)
    generate(client, "transfer_slip", first)
    with app.app_context():
        numbers = list(db.session.scalars(select(GeneratedDocument.doc_no).order_by(GeneratedDocument.id)))
    assert numbers == [f"客诉回执〔{year}〕0001号", f"客诉回执〔{year}〕0002号", f"传递单〔{year}〕0001号"]


def test_bulk_action_zips_one_document_per_record_and_lists_the_refused(app, staff, login_as):
    with app.app_context():
        cases = [make_case(status="accepted"), make_case(status="accepted"), make_case()]
        numbers = [c.case_no for c in cases]
    job, archive = bulk_zip(app, login_as("clerk"), "case", "document_acknowledgement", [c.id for c in cases])
    assert job.status == "done" and (job.done, job.total) == (3, 3)
    names = sorted(archive.namelist())
    assert names == sorted([f"{numbers[0]}_受理回执.docx", f"{numbers[1]}_受理回执.docx", "未生成清单.txt"])
    assert numbers[2] in archive.read("未生成清单.txt").decode("utf-8")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GeneratedDocument)) == 2


def test_list_rows_offer_the_documents_that_apply(app, staff, login_as):
    with app.app_context():
        accepted, registered = make_case(status="accepted").id, make_case().id
    page = login_as("clerk").get("/admin/case/").get_data(as_text=True)
    assert f"document/acknowledgement/?id={accepted}" in page
    assert f"document/acknowledgement/?id={registered}" not in page


def test_auditor_cannot_generate_but_reads_the_register(app, staff, login_as):
    with app.app_context():
        case = make_case(status="accepted")
    generate(login_as("clerk"), "acknowledgement", case)
    auditor = login_as("auditor")
    assert generate(auditor, "acknowledgement", case).status_code == 403
    assert auditor.get("/admin/generateddocument/").status_code == 200
    with app.app_context():
        document_id = db.session.scalar(select(GeneratedDocument.id))
    assert auditor.get(f"/admin/generateddocument/download/?id={document_id}").status_code == 200
    assert auditor.post_form("/admin/generateddocument/delete/", {"id": str(document_id)}).status_code == 403


def test_handler_sees_only_their_departments_documents(app, staff, login_as):
    with app.app_context():
        mine, theirs = make_case(status="investigating"), make_case("生产部", status="investigating")
    clerk = login_as("clerk")
    generate(clerk, "transfer_slip", mine)
    generate(clerk, "transfer_slip", theirs)
    with app.app_context():
        other_id = db.session.scalar(select(GeneratedDocument.id).where(
            GeneratedDocument.case_id == inspect(theirs).identity[0]))
    handler = login_as("handler")
    assert handler.get("/admin/generateddocument/").get_data(as_text=True).count("传递单〔") == 1
    assert handler.get(f"/admin/generateddocument/download/?id={other_id}").status_code == 404


def test_render_is_pure_and_registers_nothing(ctx, staff):
    case = make_case(status="accepted")
    content = render("acknowledgement", case)
    assert case.case_no in all_text(content)
    assert db.session.scalar(select(func.count()).select_from(GeneratedDocument)) == 0


def test_failed_transaction_leaves_no_file_in_the_store(app, staff, login_as, monkeypatch):
    import os

    from kesu.documents import register

    with app.app_context():
        case = make_case(status="accepted")

    def broken_event(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(register, "record_event", broken_event)
    with pytest.raises(RuntimeError):
        generate(login_as("clerk"), "acknowledgement", case)
    store = os.path.join(app.config["FILE_STORE"], "documents")
    assert not os.path.isdir(store) or os.listdir(store) == []


def test_documents_stay_chinese_when_the_panel_is_in_english(app, staff, login_as):
    with app.app_context():
        case = make_case(status="accepted", channel="phone")
    client = login_as("clerk")
    client.get("/lang/en")
    text = all_text(generate(client, "acknowledgement", case).get_data())
    assert "电话" in text and "Phone" not in text


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_pdf_is_a_copy_of_the_issued_document_under_its_number_not_a_new_issue(app, staff, login_as):
    with app.app_context():
        case = make_case(status="accepted")
        case_id = case.id
    client = login_as("clerk")
    generate(client, "acknowledgement", case)
    with app.app_context():
        document_id, doc_no = db.session.execute(select(GeneratedDocument.id, GeneratedDocument.doc_no)).one()
    page = client.get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    assert f"/admin/generateddocument/download/?id={document_id}&amp;format=pdf" in page  # beside the issued one
    assert not re.search(r"document/acknowledgement/[^\"]*format=pdf", page)  # the generate bar issues Word only
    response = client.get(f"/admin/generateddocument/download/?id={document_id}&format=pdf")
    assert response.mimetype == "application/pdf" and response.get_data().startswith(b"%PDF")
    assert ".pdf" in response.headers["Content-Disposition"]
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=response.get_data(), capture_output=True,
                              check=True).stdout.decode("utf-8")
        assert doc_no in text.replace(" ", "")
    with app.app_context():
        assert list(db.session.scalars(select(GeneratedDocument.doc_no))) == [doc_no]  # still one register entry
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "view_personal_info")
                                  .order_by(AuditEvent.id.desc()))
        assert event.comment == f"下载文书 {doc_no}（PDF）"


def test_the_generate_button_issues_word_even_when_asked_for_pdf(app, staff, login_as):
    with app.app_context():
        case = make_case(status="accepted")
    response = generate(login_as("clerk"), "acknowledgement", case, format="pdf")
    assert response.mimetype.endswith("wordprocessingml.document")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GeneratedDocument)) == 1


def test_without_libreoffice_there_is_no_pdf_button_and_word_still_works(app, staff, login_as):
    app.config["SOFFICE"] = "/nonexistent/soffice"
    with app.app_context():
        case = make_case(status="accepted")
        case_id = case.id
    client = login_as("clerk")
    page = client.get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    assert "document/acknowledgement/" in page and "format=pdf" not in page
    assert generate(client, "acknowledgement", case).status_code == 200


# --- templates that would hang a worker ---------------------------------------------------------------------
#: Each hides its work behind an ``{% if %}`` that is false for the upload's sample record (every value 示例).
HIDDEN = "{{ case_no }}{% if case_no != '示例' %}%s{% endif %}"
HIDDEN_WORK = {
    "loop": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
             "模板中的循环共超过 100000 次的上限"),
    "huge string": ("{{ 'x' * 50000000 }}", "超过 5000000 个字符的上限"),
    "join of a huge list": ("{{ (['x' * 1000000] * 1000)|join }}", "超过 5000000 个字符的上限"),
    "CPU without end": ("{% for i in range(90000) %}{{ range(90000)|sort|length }}{% endfor %}",
                        "模板填充超过 1 秒的时限"),
}


def stored_files(app) -> list[str]:
    store = os.path.join(app.config["FILE_STORE"], "documents")
    return os.listdir(store) if os.path.isdir(store) else []


@pytest.mark.parametrize("work", list(HIDDEN_WORK))
def test_template_with_hidden_work_is_refused_at_generation_within_the_limits(app, staff, login_as, work):
    from tests.test_document_templates import docx_with, upload

    app.config["TEMPLATE_RENDER_SECONDS"] = 1
    source, message = HIDDEN_WORK[work]
    page = upload(login_as("admin"), docx_with(HIDDEN.replace("%s", source))).get_data(as_text=True)
    assert "已上传「投诉受理回执」模板第 2 版" in page  # the sample record never reaches the work
    with app.app_context():
        case = make_case(status="accepted")
    clerk = login_as("clerk")
    started = time.monotonic()
    response = generate(clerk, "acknowledgement", case)
    assert time.monotonic() - started < 15
    assert response.status_code == 302
    page = clerk.get(response.headers["Location"]).get_data(as_text=True)
    assert "无法填充，请管理员检查模板" in page and message in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GeneratedDocument)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "document")) == 0
    assert stored_files(app) == []


def test_a_refused_generation_consumes_no_number(app, staff, login_as):
    from kesu.timeutil import local_today
    from tests.test_document_templates import docx_with, upload

    admin = login_as("admin")
    upload(admin, docx_with(HIDDEN.replace("%s", HIDDEN_WORK["huge string"][0])))
    with app.app_context():
        case = make_case(status="accepted")
    clerk = login_as("clerk")
    generate(clerk, "acknowledgement", case)
    upload(admin, docx_with("{{ doc_no }}"))
    assert f"客诉回执〔{local_today().year}〕0001号" in all_text(generate(clerk, "acknowledgement", case).get_data())


def test_bulk_zip_lists_records_whose_template_went_over_a_limit(app, staff, login_as):
    from tests.test_document_templates import docx_with, upload

    upload(login_as("admin"), docx_with(HIDDEN.replace("%s", HIDDEN_WORK["loop"][0])))
    with app.app_context():
        ids = [str(make_case(status="accepted").id) for _ in range(2)]
    clerk = login_as("clerk")
    job, archive = bulk_zip(app, clerk, "case", "document_acknowledgement", [int(i) for i in ids])
    assert job.status == "failed" and archive is None  # nothing generated: the job says why
    assert "模板中的循环共超过 100000 次的上限" in job.message
    assert "模板中的循环共超过 100000 次的上限" in clerk.get(f"/admin/job/details/?id={job.id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GeneratedDocument)) == 0
    assert stored_files(app) == []


def test_bulk_zip_keeps_the_documents_that_stayed_within_the_limits(app, staff, login_as):
    from tests.test_document_templates import docx_with, upload

    work = "{% if case_no.endswith('2') %}" + HIDDEN_WORK["huge string"][0] + "{% endif %}"
    upload(login_as("admin"), docx_with("{{ case_no }}" + work))
    with app.app_context():
        cases = [make_case(status="accepted") for _ in range(3)]
        numbers = [c.case_no for c in cases]
    job, archive = bulk_zip(app, login_as("clerk"), "case", "document_acknowledgement", [c.id for c in cases])
    refused = archive.read("未生成清单.txt").decode("utf-8")
    over = [n for n in numbers if n.endswith("2")]
    assert over and all(n in refused for n in over) and "超过 5000000 个字符的上限" in refused
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GeneratedDocument)) == len(numbers) - len(over)
