"""One click: fill a document from a record, number it, store it and write it in the register.

:func:`render` is the pure part (the filled .docx for a record); :func:`issue` is what the button does. The
caller commits: number, register row, audit event and the stored file go together or not at all.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from kesu import file_store
from kesu import policy  # the module: kesu.policy reads kesu.documents.types while this package imports
from kesu.audit import record_event
from kesu.documents.errors import DocumentError
from kesu.documents.rendering import fill
from kesu.documents.templates import active_template, describe_template_error, template_content
from kesu.documents.types import DOCUMENT_TYPES, DocumentType, case_of
from kesu.documents.fields import chinese_date
from kesu.models import DocumentTemplate, GeneratedDocument
from kesu.numbering import next_value
from kesu.settings import setting
from kesu.timeutil import local_today

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCUMENT_LOCALE = "zh_Hans_CN"


def document_type(key: str) -> DocumentType:
    if key not in DOCUMENT_TYPES:
        raise DocumentError(_("没有这种文书：%(key)s", key=key))
    return DOCUMENT_TYPES[key]


def data_for(doc_type: DocumentType, record: Any) -> dict[str, Any]:
    """The record as the template sees it (the type's schema), refused when the document would be incomplete."""
    if not doc_type.applies_to(record):
        raise DocumentError(_("「%(doc)s」不适用于当前状态（%(status)s）的记录。", doc=doc_type.label,
                              status=_status_label(record)))
    with force_locale(DOCUMENT_LOCALE):  # a notice is Chinese whatever language the panel is in
        data = doc_type.schema().dump(record)
    missing = doc_type.missing(data)
    if missing:
        raise DocumentError(_("无法生成「%(doc)s」：缺少%(what)s。请先补全后再生成。", doc=doc_type.label,
                              what="、".join(missing)))
    return data


def data_hash(data: dict[str, Any]) -> str:
    """SHA-256 of the record's data in canonical JSON: the same data gives the same hash, any change another."""
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def context_for(doc_type: DocumentType, data: dict[str, Any], template: DocumentTemplate, doc_no: str,
                digest: str) -> dict[str, Any]:
    company = {key: setting(key) for key in ("company_name", "company_phone", "company_address")}
    return {**data, **company, "doc_no": doc_no, "doc_date": chinese_date(local_today()),
            "template_version": str(template.version), "data_hash": digest[:8]}


def _fill(template: DocumentTemplate, context: dict[str, Any]) -> bytes:
    """The filled document; any failure of the template's code (an error, a limit) is refused with its reason."""
    try:
        return fill(template_content(template), context)
    except Exception as exc:  # the template is an administrator's upload: whatever it does is its fault, no 500
        current_app.logger.warning("template %s failed: %r", template.id, exc)
        raise DocumentError(_("模板「%(template)s」无法填充，请管理员检查模板。%(detail)s", template=str(template),
                              detail=describe_template_error(exc))) from exc


def _template(session: Session, doc_type: DocumentType) -> DocumentTemplate:
    template = active_template(session, doc_type.key)
    if template is None:
        raise DocumentError(_("「%(doc)s」还没有启用的模板，请管理员在“文书模板”中上传。", doc=doc_type.label))
    return template


def render(doc_key: str, record: Any, session: Session | None = None, doc_no: str = "") -> bytes:
    """The filled .docx of ``doc_key`` for ``record`` with the active template; nothing is stored."""
    from kesu.extensions import db

    session = session or db.session
    doc_type = document_type(doc_key)
    data = data_for(doc_type, record)
    template = _template(session, doc_type)
    return _fill(template, context_for(doc_type, data, template, doc_no, data_hash(data)))


def next_doc_no(session: Session, doc_type: DocumentType) -> str:
    """客诉回执〔2026〕0001号: numbered per type and calendar year, never issued twice."""
    year = local_today().year
    value = next_value(session.connection(), f"D-{doc_type.sequence_code}-{year}")
    return f"{doc_type.number_word}〔{year}〕{value:04d}号"


def issue(session: Session, doc_key: str, record: Any, user: Any, job_id: int | None = None) -> GeneratedDocument:
    """Generate, number, store and register one document (``job_id``: the bulk job issuing it); the caller
    commits (or the file goes again)."""
    doc_type = document_type(doc_key)
    refused = policy.refusal(user, policy.Act.DOCUMENT, record, doc_key)
    if refused:
        raise DocumentError(refused)
    data = data_for(doc_type, record)
    template = _template(session, doc_type)
    digest = data_hash(data)
    doc_no = next_doc_no(session, doc_type)
    content = _fill(template, context_for(doc_type, data, template, doc_no, digest))
    case = case_of(record)
    document = GeneratedDocument(
        doc_type=doc_type.key, doc_no=doc_no, template_id=template.id, record_type=type(record).__tablename__,
        record_id=record.id, record_no=doc_type.record_number(record), case_id=case.id,
        filename=doc_type.filename(record), stored_name=file_store.write(session, "documents", content, file_store.new_name("docx")), size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), data_hash=digest, generated_by_id=user.id, job_id=job_id)
    session.add(document)
    record_event(session, "document", record, comment=f"{doc_no} {document.filename}",
                 changes={"doc_type": [None, doc_type.key], "template_version": [None, template.version],
                          "sha256": [None, document.sha256]})
    session.flush()
    return document


def stored_content(document: GeneratedDocument) -> bytes:
    return file_store.read("documents", document.stored_name)


def _status_label(record: Any) -> str:
    from kesu.workflow import MACHINES

    machine = MACHINES.get(type(record))
    return machine.statuses.label(record.status) if machine else str(getattr(record, "status", ""))

