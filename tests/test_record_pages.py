"""A record's page as a workbench: where the record stands, what can be done now (and why not), its fields by
stage, the next records to start from it; only for those who may see it."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from kesu.extensions import db
from kesu.models import Claim
from tests.factories import make_accountability, make_case, make_claim, user


def test_a_claim_is_started_from_its_cases_page_with_the_case_filled_in(app, staff, login_as):
    with app.app_context():
        case = make_case(status="investigating")
        case_id, case_no = case.id, case.case_no
    clerk = login_as("clerk")
    page = clerk.get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    assert f"/admin/claim/new/?case_id={case_id}" in page and "发起索赔" in page
    form = clerk.get(f"/admin/claim/new/?case_id={case_id}").get_data(as_text=True)
    assert case_no in form
    response = clerk.post_form(f"/admin/claim/new/?case_id={case_id}", {
        "case": str(case_id), "claimed_amount": "1200.00", "reason": "产品损坏"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Claim.case_id)) == case_id


def test_roles_that_may_not_start_a_claim_are_not_offered_it(app, staff, login_as):
    with app.app_context():
        case_id = make_case(status="investigating").id
    for role in ("auditor", "finance", "handler"):
        page = login_as(role).get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
        assert "发起索赔" not in page, role


# --- the record page as a workbench -------------------------------------------------------------------------
def status_steps(page: str) -> list[tuple[str, str, bool]]:
    """``(state, label, aria-current)`` of each step of the status bar."""
    bar = page[page.index('<ol class="kesu-statusbar">'):page.index("</ol>", page.index('<ol class="kesu-statusbar">'))]
    steps = re.findall(r'<li class="kesu-step kesu-step-(\w+)[^"]*"( aria-current="step")?>(.*?)</li>', bar, re.S)
    return [(state, re.sub(r"<[^>]+>|（[^）]*）|✓", "", text).strip(), bool(current)) for state, current, text in steps]


def test_the_status_bar_marks_the_done_current_and_future_steps_of_the_main_path(app, staff, login_as):
    with app.app_context():
        case_id = make_case(status="investigating").id
    steps = status_steps(login_as("clerk").get(f"/admin/case/details/?id={case_id}").get_data(as_text=True))
    assert steps[:4] == [("done", "已登记", False), ("done", "已受理", False), ("current", "调查中", True),
                         ("future", "方案已拟定", False)]
    assert steps[-1] == ("future", "已归档", False) and [s for s in steps if s[2]] == [("current", "调查中", True)]
    assert "不予受理" not in [label for _state, label, _current in steps]  # a side status only when it is the one


def test_a_side_status_is_shown_where_the_record_left_the_main_path(app, staff, login_as):
    with app.app_context():
        case_id = make_case(status="rejected").id
        claim_id = make_claim(make_case(), status="rejected").id
    case_steps = status_steps(login_as("clerk").get(f"/admin/case/details/?id={case_id}").get_data(as_text=True))
    assert case_steps == [("done", "已登记", False), ("current", "不予受理", True)]
    claim_steps = status_steps(login_as("clerk").get(f"/admin/claim/details/?id={claim_id}").get_data(as_text=True))
    assert claim_steps[-3:] == [("done", "待审批", False), ("current", "已驳回", True), ("future", "已结案", False)]


def test_the_current_step_has_its_declared_colour_and_says_so_in_words(app, staff, login_as):
    with app.app_context():
        case_id = make_case(status="customer_notified").id
    page = login_as("clerk").get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    assert re.search(r'aria-current="step"><span class="badge badge-warning">已通知客户</span>'
                     r'<span class="sr-only">（当前状态）</span>', page)


def test_a_disabled_action_shows_its_reason_beside_it(app, staff, login_as):
    with app.app_context():
        claim_id = make_claim(make_case(), amount="30000", status="pending_approval", verified_loss=Decimal("30000"),
                              proposed_amount=Decimal("30000"), proposed_by_id=user("clerk").id).id
    page = login_as("manager").get(f"/admin/claim/details/?id={claim_id}").get_data(as_text=True)
    button = re.search(r'<button[^>]*disabled aria-describedby="([\w-]+)">审批</button>\s*'
                       r'<span class="small kesu-blocked" id="([\w-]+)">([^<]*)</span>', page)
    assert button and button.group(1) == button.group(2) and button.group(3) == "审批前须先完成财务会签。"
    assert 'data-target="#wf-reject"' in page  # what can be done now is still offered


def test_the_actions_come_before_the_fields_and_the_timeline(app, staff, login_as):
    with app.app_context():
        case_id = make_case().id
    page = login_as("clerk").get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    assert (page.index('class="kesu-statusbar"') < page.index('class="kesu-actions') < page.index("kesu-sections")
            < page.index("kesu-timeline-panel"))


def test_fields_are_grouped_by_stage_with_empty_stages_folded(app, staff, login_as):
    long_text = "客户反映：" + "开机后指示灯闪烁三次即熄灭，更换插座无效。" * 20
    with app.app_context():
        case_id = make_case(status="investigating", description=long_text, root_cause="来料电容批次失效").id
    page = login_as("clerk").get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    sections = re.findall(r'<details class="kesu-section card mb-2" id="section-(\w+)"( open)?>', page)
    keys = [key for key, _open in sections]
    assert keys[:4] == ["registration", "product", "acceptance", "assignment"]
    assert keys.index("investigation") < keys.index("solution") < keys.index("closure") and keys[-1] == "other"
    opened = {key for key, is_open in sections if is_open}
    assert {"registration", "assignment", "investigation"} <= opened
    assert not {"solution", "customer_answer", "closure"} & opened
    assert long_text in page  # whole on the record page


def test_claim_and_accountability_pages_have_their_stage_sections(app, staff, login_as):
    with app.app_context():
        case = make_case(department_name="质量管理部")
        claim_id = make_claim(case, status="approved", approved_amount=Decimal("800")).id
        record_id = make_accountability(case).id
    approver = login_as("approver")
    claim_page = approver.get(f"/admin/claim/details/?id={claim_id}").get_data(as_text=True)
    assert 'id="section-claim" open' in claim_page and 'id="section-approval" open' in claim_page
    assert 'id="section-closure">' in claim_page  # not closed yet: folded
    record_page = approver.get(f"/admin/accountability/details/?id={record_id}").get_data(as_text=True)
    assert 'id="section-decision" open' in record_page and 'id="section-appeal">' in record_page


@pytest.mark.parametrize("endpoint", ["case", "claim", "accountability"])
def test_a_handler_of_another_department_gets_404_on_the_record_page(app, staff, login_as, endpoint):
    with app.app_context():
        case = make_case(department_name="质量管理部")
        ids = {"case": case.id, "claim": make_claim(case).id, "accountability": make_accountability(case).id}
    assert login_as("other_handler").get(f"/admin/{endpoint}/details/?id={ids[endpoint]}").status_code == 404
    assert login_as("handler").get(f"/admin/{endpoint}/details/?id={ids[endpoint]}").status_code == 200
