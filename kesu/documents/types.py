"""The six documents as a registry: what each is made from, when it applies, what it cannot go without.

Adding a document type is adding one entry here, a schema in :mod:`kesu.documents.schemas` and a default
template in ``doc_templates/``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from kesu.choices import DOCUMENT_TYPE
from kesu.documents.schemas import AccountabilityDocumentSchema, CaseDocumentSchema, ClaimDocumentSchema
from kesu.documents.fields import DocumentSchema
from kesu.models import Accountability, Case, Claim
from kesu.workflow.statuses import ACCOUNTABILITY_STATUSES, CASE_STATUSES, CLAIM_STATUSES, Statuses


@dataclass(frozen=True)
class DocumentType:
    key: str
    #: The word in a file name (``KS-20261123-0001_受理回执.docx``).
    short_name: str
    #: The word of the document number (客诉回执〔2026〕0001号).
    number_word: str
    #: Short code of its per-year number counter (``NumberSequence.prefix`` ``D-ACK-2026``).
    sequence_code: str
    model: type
    schema: type[DocumentSchema]
    #: The record's statuses, each of which declares the documents that apply in it.
    states: Statuses
    #: ``(field, label)``: values of the dumped data the document cannot be issued without.
    required: tuple[tuple[str, Any], ...] = ()
    roles: frozenset[str] = frozenset({"admin", "clerk"})
    #: Further checks on the dumped data: ``check(data) -> refusal or None``.
    checks: tuple[Any, ...] = field(default=())

    @property
    def statuses(self) -> frozenset[str]:
        """Statuses the record must be in for the document to make sense."""
        return self.states.with_document(self.key)

    @property
    def label(self) -> str:
        return DOCUMENT_TYPE.label(self.key)

    def applies_to(self, record: Any) -> bool:
        return isinstance(record, self.model) and record.status in self.statuses

    def missing(self, data: dict[str, Any]) -> list[str]:
        """Labels of the required values ``data`` lacks, then the refusals of the further checks."""
        missing = [str(label) for name, label in self.required if not data.get(name)]
        return missing + [refusal for check in self.checks if (refusal := check(data))]

    def record_number(self, record: Any) -> str:
        """The number the file name starts with: the claim's or the case's."""
        return record.claim_no if isinstance(record, Claim) else case_of(record).case_no

    def filename(self, record: Any, extension: str = "docx") -> str:
        return f"{self.record_number(record)}_{self.short_name}.{extension}"


def case_of(record: Any) -> Case:
    """The case a document's record belongs to (the record itself, or its claim's or accountability's case)."""
    return record if isinstance(record, Case) else record.case


def _rejected_needs_reason(data: dict[str, Any]) -> str | None:
    if data.get("is_valid") == "不成立" and not data.get("validity_reason"):
        return str(_l("不成立的理由"))
    if data.get("is_valid") != "不成立" and not data.get("resolution_type"):
        return str(_l("处理方式"))
    return None


DOCUMENT_TYPES: dict[str, DocumentType] = {t.key: t for t in (
    DocumentType("acknowledgement", "受理回执", "客诉回执", "ACK", Case, CaseDocumentSchema, CASE_STATUSES,
                 required=(("first_response_due", _l("首次答复期限")),)),
    DocumentType("investigation_report", "调查报告", "调查报告", "INV", Case, CaseDocumentSchema, CASE_STATUSES,
                 required=(("department", _l("责任部门")), ("root_cause", _l("根本原因"))),
                 roles=frozenset({"admin", "clerk", "handler"})),
    DocumentType("settlement_agreement", "和解协议", "和解协议", "SET", Claim, ClaimDocumentSchema, CLAIM_STATUSES,
                 required=(("approved_amount", _l("批准金额")),
                           ("payment_method", _l("约定的支付方式（客户确认时填写）")))),
    DocumentType("result_notice", "处理结果通知书", "结果通知", "RES", Case, CaseDocumentSchema, CASE_STATUSES,
                 required=(("is_valid", _l("是否成立")),), checks=(_rejected_needs_reason,)),
    DocumentType("transfer_slip", "客诉传递单", "传递单", "TRN", Case, CaseDocumentSchema, CASE_STATUSES,
                 required=(("department", _l("责任部门")),), roles=frozenset({"admin", "clerk", "handler"})),
    DocumentType("accountability_decision", "责任追究决定书", "追责决定", "ACC", Accountability,
                 AccountabilityDocumentSchema, ACCOUNTABILITY_STATUSES,
                 required=(("measure", _l("处理措施")), ("decided_by", _l("决定人"))),
                 roles=frozenset({"admin", "clerk", "approver"})),
)}


def types_for(record: Any) -> list[DocumentType]:
    """The document types made from records of this kind, in registry order."""
    return [t for t in DOCUMENT_TYPES.values() if isinstance(record, t.model)]
