"""A record's timeline: every kind of entry in readable Chinese, never a raw key, id or stored value; the audit trail
reads changes the same way; names loaded at once, however long the story."""
from __future__ import annotations

import io
import re
import time
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import event, select

from kesu.audit import acting_as
from kesu.extensions import db
from kesu.timeutil import local_today
from kesu.models import Base, Case, GeneratedDocument
from kesu.models.base import Audited
from kesu.readable import Names, change_lines, meaning
from kesu.timeline import timeline
from kesu.workflow import MACHINES, perform
from tests.factories import department, make_accountability, make_case, make_claim, make_customer, user

STATUS_KEYS = {key for machine in MACHINES.values() for key in machine.states.keys}
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def timeline_html(page: str) -> str:
    start = page.index('<section class="kesu-timeline-panel"')
    return page[start:page.index("</section>", start)]


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def titles(page: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'class="kesu-entry-title">([^<]*)<', timeline_html(page))]


def assert_readable(text: str) -> None:
    """No column name, no id shown as a reference, no stored key, no Python value."""
    assert "_id" not in text, text
    counts = ("分期数", "满意度", "数量")  # whole numbers that are counts, not references
    references = [m for m in re.finditer(r"(\S+)：—\s*→\s*\d+(?![\d-])", text) if m.group(1) not in counts]
    assert "∅" not in text and not references, text
    assert not STATUS_KEYS & set(re.findall(r"[a-z_]+", text)), text
    assert not re.search(r"\b(None|True|False)\b", text), text


def record_page(client, endpoint: str, record_id: int) -> str:
    response = client.get(f"/admin/{endpoint}/details/?id={record_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def worked_case(app, staff):
    """A case accepted, assigned, investigated, proposed, approved and notified, each step by its role."""
    with app.app_context():
        case = make_case(department_name=None)
        clerk, handler, manager = user("clerk"), user("handler"), user("manager")
        steps = [(clerk, "accept", {"reason": "产品在保修期内，投诉属实"}),
                 (clerk, "assign", {"department": department("质量管理部"), "handler": handler})]
        for actor, action, fields in steps:
            perform(case, action, actor, **fields)
            db.session.commit()
        with acting_as(handler.id, handler.username):
            case.root_cause, case.corrective_action = "来料电容批次失效", "更换供应商批次"
            db.session.commit()
        for actor, action, fields in [
                (handler, "propose", {"resolution_type": "compensation", "amount": Decimal("500"),
                                      "comment": "赔偿 500 元"}),
                (manager, "approve", {"comment": "同意"}),
                (clerk, "notify", {"channel": "phone"})]:
            perform(case, action, actor, **fields)
            db.session.commit()
        return case.id


def test_a_cases_steps_changes_and_contacts_read_as_its_story_newest_first(app, worked_case, login_as):
    page = record_page(login_as("clerk"), "case", worked_case)
    text = text_of(timeline_html(page))
    assert_readable(text)
    order = titles(page)
    assert order[-1] == "新建投诉案件" and order.index("审批") < order.index("拟定处理方案") < order.index("受理")
    assert "产品在保修期内，投诉属实" in text and "状态：已登记 → 已受理" in text
    assert "部门：— → 质量管理部" in text and "处理人：— → handler" in text
    assert "根本原因：— → 来料电容批次失效" in text and "修改投诉案件" in text
    assert "处理方式：— → 赔偿" in text and "拟定金额（元）：— → ¥500.00" in text
    assert "电话 · 我方联系客户" in text and "通知客户处理方案：赔偿 500 元" in text
    assert re.search(r"下一截止时间：[^→]*→ \d{4}-\d{2}-\d{2} \d{2}:\d{2}", text)  # Shanghai time, no ISO string
    assert "manager" in text  # the approver, by name


def test_a_claims_approvals_countersigns_payments_documents_and_attachments_are_on_its_timeline(app, staff, login_as):
    with app.app_context():
        case = make_case(department_name="质量管理部")
        claim = make_claim(case, amount="30000", status="pending_approval", verified_loss=Decimal("30000"),
                           proposed_amount=Decimal("30000"), proposed_by_id=user("clerk").id)
        perform(claim, "countersign", user("finance"), comment="预算可列支")
        perform(claim, "approve", user("manager"), comment="同意赔付")
        perform(claim, "confirm", user("clerk"), payment_method="bank_transfer", instalments=1)
        perform(claim, "pay", user("finance"), method="bank_transfer", amount=Decimal("12345.6"), voucher_no="PZ-001",
                paid_on=local_today())
        db.session.commit()
        claim_id = claim.id
    clerk = login_as("clerk")
    assert clerk.post_form(f"/admin/claim/document/settlement_agreement/?id={claim_id}", {}).status_code == 200
    assert clerk.post_form("/admin/attachment/new/", {"claim": str(claim_id), "description": "收款凭证",
                                                      "file": (io.BytesIO(PNG), "收款凭证.png")},
                           content_type="multipart/form-data").status_code == 302
    with app.app_context():
        document = db.session.scalar(select(GeneratedDocument))
        doc_no, document_id = document.doc_no, document.id

    page = record_page(login_as("finance"), "claim", claim_id)
    html = timeline_html(page)
    text = text_of(html)
    assert_readable(text)
    assert {"财务会签：同意", "审批：同意", "支付 ¥12,345.60", "生成赔偿和解协议", "上传附件：收款凭证.png"} <= set(titles(page))
    assert "预算可列支" in text and "同意赔付" in text and "金额（元）：¥30,000.00" in text
    assert "支付方式：银行转账" in text and "凭证号：PZ-001" in text
    assert f"文号：{doc_no}" in text and f"/admin/generateddocument/download/?id={document_id}" in html
    assert "/admin/attachment/download/?id=" in html and "收款凭证" in text
    assert ">会签<" in html and ">审批<" in html and ">支付<" in html  # each entry says its kind in words


def test_a_handler_reads_a_claims_story_without_its_approvals_and_payments(app, staff, login_as):
    with app.app_context():
        claim = make_claim(make_case(department_name="质量管理部"), amount="3000", status="pending_approval",
                           verified_loss=Decimal("3000"), proposed_amount=Decimal("3000"))
        perform(claim, "approve", user("approver"), comment="同意")
        db.session.commit()
        claim_id = claim.id
    page = record_page(login_as("handler"), "claim", claim_id)
    assert "审批：同意" not in titles(page) and "审批" in titles(page)


def test_a_cases_timeline_tells_its_claims_main_steps_with_a_link_to_each(app, staff, login_as):
    with app.app_context():
        case = make_case(department_name="质量管理部")
        claim = make_claim(case)
        perform(claim, "review", user("clerk"))
        db.session.commit()
        case_id, claim_id, claim_no = case.id, claim.id, claim.claim_no
    page = record_page(login_as("clerk"), "case", case_id)
    assert f"索赔 {claim_no}：初审" in titles(page) and f"索赔 {claim_no}：新建索赔" in titles(page)
    assert f'href="/admin/claim/details/?id={claim_id}"' in timeline_html(page)


def test_an_accountability_records_steps_are_on_its_timeline(app, staff, login_as):
    with app.app_context():
        record = make_accountability(make_case(department_name="质量管理部"), person=user("handler"),
                                     measure="fine", fine_amount=Decimal("200"))
        perform(record, "approve", user("manager"), comment="情况属实")
        db.session.commit()
        record_id = record.id
    page = record_page(login_as("approver"), "accountability", record_id)
    text = text_of(timeline_html(page))
    assert_readable(text)
    assert "批准" in titles(page) and "状态：拟定 → 已批准" in text and "情况属实" in text


def test_views_of_personal_data_are_folded_into_one_line_that_expands(app, staff, login_as):
    with app.app_context():
        case_id = make_case().id
    clerk = login_as("clerk")
    for _ in range(3):
        record_page(clerk, "case", case_id)
    html = timeline_html(record_page(clerk, "case", case_id))
    folded = re.search(r'<details class="kesu-folded">(.*?)</details>', html, re.S)
    assert folded and "个人信息被查看 3 次" in text_of(folded.group(1))
    assert text_of(folded.group(1)).count("查看了客户电话") == 3 and "clerk" in folded.group(1)
    assert html.count("查看了客户电话") == 3  # only inside the fold


def test_a_phone_changed_on_the_trail_is_masked_for_masked_roles(app, staff):
    with app.app_context():
        change = {"phone": ["13812345678", "13987654321"], "email": [None, "zhang.wei@example.com"]}
        approver_lines = change_lines("customer", change, user("approver"), Names())
        clerk_lines = change_lines("customer", change, user("clerk"), Names())
    assert approver_lines == ["电话：138****5678 → 139****4321", "电子邮箱：— → z***@example.com"]
    assert clerk_lines == ["电话：13812345678 → 13987654321", "电子邮箱：— → zhang.wei@example.com"]


def test_each_kind_of_stored_value_reads_as_people_write_it(app, staff):
    with app.app_context():
        quality, handler = department("质量管理部"), user("handler")
        lines = change_lines("case", {
            "department_id": [None, quality.id], "department": [None, "质量管理部"], "handler_id": [None, handler.id],
            "severity": ["general", "critical"], "resolution_type": [None, "refund"], "is_batch": [False, True],
            "proposed_amount": [None, "1234.5"], "closed_at": [None, "2026-11-23T07:30:00+00:00"],
            "customer_confirmed_on": [None, "2026-11-24"], "quantity": [3, 12], "description": ["旧", ""]},
            user("clerk"), Names())
    assert lines == ["部门：— → 质量管理部", "处理人：— → handler", "严重程度：一般 → 特别重大", "处理方式：— → 退款",
                     "批量投诉：否 → 是", "拟定金额（元）：— → ¥1,234.50", "结案时间：— → 2026-11-23 15:30",
                     "客户确认日期：— → 2026-11-24", "数量：3 → 12", "说明：旧 → —"]


def test_a_columns_words_are_those_its_check_constraint_allows():
    from kesu.choices import CASE_STATUS, CLAIM_STATUS, RESOLUTION_TYPE

    assert meaning("case", "status").choices is CASE_STATUS and meaning("claim", "status").choices is CLAIM_STATUS
    assert meaning("case", "resolution_type").choices is RESOLUTION_TYPE  # a nullable choice too
    assert meaning("case", "department_id").target == "department" and meaning("case", "title").kind == "text"


def test_the_audit_trail_reads_a_change_as_the_timeline_does(app, worked_case, login_as):
    with app.app_context():
        customer = make_customer(name="李娜", phone="13700001111")
        with acting_as(user("clerk").id, "clerk"):
            customer.phone = "13700002222"
            db.session.commit()
    auditor = login_as("auditor")
    page = auditor.get("/admin/auditevent/?sort=0&desc=1").get_data(as_text=True)
    trail = text_of(page[page.index('<table'):])
    assert "部门：— → 质量管理部" in trail and "处理人：— → handler" in trail and "状态：已登记 → 已受理" in trail
    assert "拟定金额（元）：— → ¥500.00" in trail and "department_id" not in trail and "∅" not in trail
    assert "电话：137****1111 → 137****2222" in trail and "13700002222" not in trail  # the auditor sees masked
    case_page = text_of(timeline_html(record_page(login_as("clerk"), "case", worked_case)))
    assert "部门：— → 质量管理部" in case_page


def test_the_audit_trails_export_reads_changes_as_its_list_does(app, worked_case, login_as):
    csv = login_as("auditor").get("/admin/auditevent/export/csv/").get_data().decode("utf-8-sig")
    assert "部门：— → 质量管理部" in csv and "拟定金额（元）：— → ¥500.00" in csv and "department_id" not in csv


def test_every_audited_field_has_a_label():
    audited = [mapper.class_ for mapper in Base.registry.mappers if issubclass(mapper.class_, Audited)]
    assert audited and [(model.__tablename__, column.key) for model in audited
                        for column in model.__mapper__.column_attrs if column.key not in model.audit_exclude
                        and str(meaning(model.__tablename__, column.key).label) == column.key] == []


def test_a_long_story_loads_its_names_in_a_fixed_number_of_queries(app, staff):
    def queries_for(events: int) -> tuple[int, float]:
        with app.test_request_context():
            case = make_case(department_name="质量管理部")
            with acting_as(user("handler").id, "handler"):
                for n in range(events):
                    case.product, case.quantity = f"型号 {n}", n
                    db.session.flush()
                db.session.commit()
            count = []

            def counted(*_args):
                count.append(1)
            event.listen(db.engine, "before_cursor_execute", counted)
            try:
                started = time.perf_counter()
                entries = timeline(db.session.get(Case, case.id), user("clerk"))
                elapsed = time.perf_counter() - started
            finally:
                event.remove(db.engine, "before_cursor_execute", counted)
            assert len(entries) == events + 1
            return len(count), elapsed

    few, _quick = queries_for(20)
    many, elapsed = queries_for(200)
    assert many == few and elapsed < 0.2


def test_a_case_with_200_events_renders_its_page_quickly(app, staff, login_as):
    with app.app_context():
        case = make_case(department_name="质量管理部")
        with acting_as(user("handler").id, "handler"):
            for n in range(200):
                case.lot_no = f"L{n:04d}"
                db.session.flush()
            db.session.commit()
        case_id = case.id
    clerk = login_as("clerk")
    record_page(clerk, "case", case_id)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        page = record_page(clerk, "case", case_id)
        timings.append(time.perf_counter() - started)
    assert page.count("批号/序列号：") == 200
    assert min(timings) < 0.2, timings


def test_a_cases_timeline_leaves_a_claims_countersigns_to_the_claims_page(app, staff, login_as):
    with app.app_context():
        claim = make_claim(make_case(department_name="质量管理部"), amount="30000", status="pending_approval",
                           verified_loss=Decimal("30000"), proposed_amount=Decimal("30000"))
        perform(claim, "countersign", user("finance"), comment="预算可列支")
        db.session.commit()
        case_id, claim_id, claim_no = claim.case_id, claim.id, claim.claim_no
    clerk = login_as("clerk")
    assert f"索赔 {claim_no}：会签" not in titles(record_page(clerk, "case", case_id))
    assert "会签" in titles(record_page(clerk, "claim", claim_id))


def test_a_much_viewed_record_lists_only_its_latest_views_but_counts_them_all(app, staff):
    from kesu.audit import record_event
    from kesu.timeline import FOLDED_VIEWS

    with app.test_request_context():
        case = make_case()
        for _ in range(FOLDED_VIEWS + 5):
            record_event(db.session, "view_personal_info", record_type="case", record_id=case.id,
                         comment="customer.phone", user_id=user("clerk").id, username="clerk")
        db.session.commit()
        (views,) = [entry for entry in timeline(case, user("admin")) if entry.kind == "personal_view"]
    assert views.title == f"个人信息被查看 {FOLDED_VIEWS + 5} 次（列出最近 {FOLDED_VIEWS} 次）"
    assert len(views.folded) == FOLDED_VIEWS and views.folded[0].actor == "clerk"


def test_the_audit_trail_names_the_personal_data_viewed_by_its_labels(app, staff, login_as):
    with app.app_context():
        case_id = make_case().id
    assert login_as("clerk").get(f"/admin/case/details/?id={case_id}").status_code == 200
    trail = login_as("auditor").get("/admin/auditevent/").get_data(as_text=True)
    assert "查看了客户电话" in trail and ">customer.phone<" not in trail  # (template variables may name it)
