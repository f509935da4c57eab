"""A sample of the role × status × action table through the panel: the buttons shown, the steps posted, the edit
form, the export and the documents all give the answer kesu.policy gives."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kesu.extensions import db
from kesu.models import Case, GeneratedDocument
from tests.factories import make_case


def case_in(app, status: str, department_name: str = "质量管理部") -> tuple[int, int]:
    with app.app_context():
        case = make_case(department_name, status=status)
        return case.id, case.version


@pytest.mark.parametrize("who,status,action,shown", [
    ("clerk", "registered", "accept", True),
    ("handler", "registered", "accept", False),
    ("admin", "registered", "accept", True),
    ("handler", "investigating", "escalate", True),
    ("other_handler", "investigating", "escalate", False),
    ("clerk", "investigating", "propose", False),
    ("approver", "solution_proposed", "approve", True),
    ("approver", "investigating", "approve", False),
    ("auditor", "closed", "archive", False),
    ("clerk", "closed", "archive", True),
])
def test_the_record_page_offers_the_steps_the_policy_allows(app, login_as, who, status, action, shown):
    case_id, _version = case_in(app, status)
    page = login_as(who).get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    assert (f"/admin/case/workflow/{action}/?id={case_id}" in page) == shown


@pytest.mark.parametrize("who,status,action,code", [
    ("auditor", "registered", "accept", 403),  # no auditor starts a step
    ("handler", "registered", "accept", 403),  # not a handler's step
    ("finance", "solution_proposed", "approve", 403),
    ("other_handler", "investigating", "propose", 404),  # another department's case is out of sight
])
def test_a_step_posted_by_someone_who_may_not_start_it_is_refused(app, login_as, who, status, action, code):
    case_id, version = case_in(app, status)
    response = login_as(who).post_form(f"/admin/case/workflow/{action}/?id={case_id}",
                                       {"version": str(version), "reason": "越权", "comment": "越权"})
    assert response.status_code == code
    with app.app_context():
        assert db.session.get(Case, case_id).status == status


def test_a_step_posted_in_the_wrong_status_is_refused_with_the_reason(app, login_as):
    case_id, version = case_in(app, "investigating")
    approver = login_as("approver")
    response = approver.post_form(f"/admin/case/workflow/approve/?id={case_id}", {"version": str(version)},
                                  follow_redirects=True)
    assert "案卷当前状态为「调查中」，不能执行「审批」。" in response.get_data(as_text=True)
    opened = approver.get(f"/admin/case/workflow/approve/?id={case_id}", follow_redirects=True)
    assert "案卷当前状态为「调查中」" in opened.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Case, case_id).status == "investigating"


def test_a_bulk_step_is_offered_to_and_run_by_its_roles_only(app, login_as):
    case_id, _version = case_in(app, "registered")
    assert login_as("handler").get(f"/admin/case/workflow-bulk/accept/?ids={case_id}").status_code == 403
    clerk = login_as("clerk")
    assert "workflow_accept" in clerk.get("/admin/case/").get_data(as_text=True)
    clerk.post_form(f"/admin/case/workflow-bulk/accept/?ids={case_id}", {"reason": "属实"})
    with app.app_context():
        assert db.session.get(Case, case_id).status == "accepted"


@pytest.mark.parametrize("who,status,code", [
    ("clerk", "registered", 200),
    ("handler", "investigating", 200),
    ("handler", "registered", 302),  # nothing of a registered case is the handler's: back to its page
    ("approver", "registered", 403),  # approvers edit no case
    ("other_handler", "investigating", 404),
])
def test_the_edit_form_opens_for_whom_the_stage_leaves_something_open(app, login_as, who, status, code):
    case_id, _version = case_in(app, status)
    assert login_as(who).get(f"/admin/case/edit/?id={case_id}").status_code == code


@pytest.mark.parametrize("who,code", [("clerk", 403), ("handler", 200), ("auditor", 200), ("finance", 200)])
def test_the_export_follows_the_policy(app, login_as, who, code):
    case_in(app, "registered")
    case_in(app, "registered", department_name="生产部")
    response = login_as(who).get("/admin/case/export/csv/")
    assert response.status_code == code
    if who == "handler":
        assert response.get_data(as_text=True).count("KS-") == 1  # its own department's case only


def documents() -> int:
    return db.session.scalar(select(func.count()).select_from(GeneratedDocument))


@pytest.mark.parametrize("who,status,outcome", [
    ("clerk", "accepted", "issued"),
    ("handler", "accepted", 403),  # an acknowledgement is the clerk's
    ("clerk", "registered", "refused"),  # not before the case is accepted
])
def test_generating_a_document_follows_the_policy(app, login_as, who, status, outcome):
    case_id, _version = case_in(app, status)
    client = login_as(who)
    page = client.get(f"/admin/case/details/?id={case_id}").get_data(as_text=True)
    assert ("document/acknowledgement/" in page) == (outcome == "issued")
    response = client.post_form(f"/admin/case/document/acknowledgement/?id={case_id}", {}, follow_redirects=True)
    with app.app_context():
        assert documents() == (1 if outcome == "issued" else 0)
    if outcome == 403:
        assert response.status_code == 403
    elif outcome == "refused":
        assert "「投诉受理回执」不适用于当前状态（已登记）的记录。" in response.get_data(as_text=True)


def test_a_handler_downloads_only_their_departments_documents(app, login_as):
    own, _version = case_in(app, "accepted")
    other, _version = case_in(app, "accepted", department_name="生产部")
    clerk = login_as("clerk")
    for case_id in (own, other):
        clerk.post_form(f"/admin/case/document/acknowledgement/?id={case_id}", {})
    with app.app_context():
        ids = {case_id: db.session.scalar(select(GeneratedDocument.id).where(GeneratedDocument.case_id == case_id))
               for case_id in (own, other)}
    handler = login_as("handler")
    assert handler.get(f"/admin/generateddocument/download/?id={ids[own]}").status_code == 200
    assert handler.get(f"/admin/generateddocument/download/?id={ids[other]}").status_code == 404
