"""A generated document holds the customer's phone unmasked: every download from the register is recorded as a view
of personal data, before a byte is sent, for every role (the record page shows masked roles the phone masked)."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from kesu.extensions import db
from kesu.models import AuditEvent, GeneratedDocument
from tests.docx_text import all_text
from tests.factories import make_case, make_customer


def _issued_acknowledgement(app, login_as) -> tuple[int, str]:
    with app.app_context():
        customer = make_customer(phone="13812345678")
        case = make_case(status="accepted", customer=customer)
        case_id = case.id
    response = login_as("clerk").post_form(f"/admin/case/document/acknowledgement/?id={case_id}", {})
    assert response.status_code == 200
    with app.app_context():
        document = db.session.scalar(select(GeneratedDocument))
        return document.id, document.doc_no


@pytest.mark.parametrize("role", ["auditor", "approver", "finance", "clerk", "admin"])
def test_register_download_is_an_audited_personal_data_view_for_every_role(app, staff, login_as, role):
    document_id, doc_no = _issued_acknowledgement(app, login_as)
    reader = login_as(role)
    assert "138****5678" in reader.get("/admin/customer/").get_data(as_text=True) or role in ("clerk", "admin")
    response = reader.get(f"/admin/generateddocument/download/?id={document_id}")
    assert response.status_code == 200 and "13812345678" in all_text(response.get_data())
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "view_personal_info",
                                                           AuditEvent.record_type == "generated_document"))
        assert event.username == role and event.record_id == document_id and doc_no in event.comment


def test_no_document_leaves_when_its_view_cannot_be_audited(app, staff, login_as, monkeypatch):
    from kesu.admin import documents

    document_id, _doc_no = _issued_acknowledgement(app, login_as)

    def audit_write_fails(*args, **kwargs):
        raise OperationalError("INSERT INTO audit_event …", {}, Exception("database is locked"))

    monkeypatch.setattr(documents, "record_event_apart", audit_write_fails)
    response = login_as("auditor").get(f"/admin/generateddocument/download/?id={document_id}")
    assert response.status_code == 302 and "Content-Disposition" not in response.headers
