"""What a record's page offers beyond its fields: the next records to start from it."""
from __future__ import annotations

from sqlalchemy import select

from kesu.extensions import db
from kesu.models import Claim
from tests.factories import make_case


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
