"""Documents in the panel: one-click buttons on records, row actions and zip bulk actions on their lists, the
template versions (upload, activate, download) and the read-only register (download again, PDF).

Every click that generates is one transaction: number, register row, audit event and stored file.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.model.template import BaseListRowAction
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError
from wtforms import BooleanField, FileField
from wtforms.validators import InputRequired

from kesu import policy
from kesu.admin.base import KesuModelView
from kesu.admin.filters_related import is_record_id
from kesu.admin.row_actions import page_shared, row_key
from kesu.audit import record_event_apart
from kesu.choices import DOCUMENT_TYPE, RECORD_TYPE
from kesu.documents import pdf
from kesu.documents.errors import DocumentError
from kesu.documents.register import CONTENT_TYPE, data_for, issue, stored_content
from kesu.documents.templates import add_version, check_upload, make_active, template_content
from kesu.documents.types import DOCUMENT_TYPES, DocumentType, types_for
from kesu import jobs
from kesu.extensions import db
from kesu.jobs import document_zip
from kesu.labels import LABELS
from kesu.models import GeneratedDocument
from kesu.permissions import scope_query
from kesu.policy import Act
from kesu.redirects import safe_return_url

BULK_PREFIX = "document_"
#: The most documents one job issues (a job of 5,000 takes a few minutes and makes a zip of about 150 MB).
BULK_LIMIT = 5000
PDF_TYPE = "application/pdf"


@dataclass
class DocumentButton:
    doc_type: DocumentType
    #: Why it cannot be generated now (a missing value), or None.
    blocked: str | None


def _download(content: bytes, filename: str, mimetype: str = CONTENT_TYPE):
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=filename)


def _as_pdf_name(filename: str) -> str:
    return filename.rsplit(".", 1)[0] + ".pdf"


class DocumentRowAction(BaseListRowAction):
    """A "文书" menu in each list row: a POST button per document that applies to the row in its state.

    Built in Python with f-strings (see :mod:`kesu.admin.row_actions`), each document's form around the row id
    made once a page: a list draws the menu fifty times."""

    def __init__(self) -> None:
        super().__init__(title=_l("生成文书"))

    def render(self, context, row_id: str, row: Any):
        view = context.resolve("admin_view")
        types = view.issuable_types(row)
        if not types:
            return ""
        page = page_shared(context)
        menu = page.get("document_menu")
        if menu is None:
            menu = page["document_menu"] = {"title": escape(str(self.title)), "forms": {}}
        items, title = menu["forms"], menu["title"]
        for t in types:
            if t.key not in items:  # the form around the row id: address, token and label made once a page
                url = escape(view.get_url(".document_view", doc_key=t.key))
                items[t.key] = (f'<form method="post" action="{url}?id=',
                                f'" class="m-0"><input type="hidden" name="csrf_token" value="{page["csrf"]}">'
                                f'<button type="submit" class="dropdown-item">{escape(str(t.label))}</button></form>')
        row = row_key(row_id)
        forms = "".join(f"{items[t.key][0]}{row}{items[t.key][1]}" for t in types)
        return Markup(f'<div class="dropdown d-inline-block kesu-doc-menu"><a href="#" class="icon dropdown-toggle" '
                      f'data-toggle="dropdown" title="{title}" aria-label="{title}">'
                      f'<span class="fa fa-file-word-o"></span></a><div class="dropdown-menu">{forms}</div></div>')


class DocumentActionsMixin:
    """Mixed into the views of records documents are made from (case, claim, accountability)."""

    column_extra_row_actions = [DocumentRowAction()]

    def issuable_types(self, record: Any) -> list[DocumentType]:
        """Document types this user may generate from ``record`` in its current state. Types whose statuses
        leave the record out are passed over before the policy is asked (which would also refuse them), so a
        list does not build a refusal sentence for every row and type."""
        user = policy.actual(current_user)
        return [t for t in types_for(record) if t.applies_to(record) and policy.may(user, Act.DOCUMENT, record, t.key)]

    def document_buttons(self, record: Any) -> list[DocumentButton]:
        buttons = []
        for doc_type in self.issuable_types(record):
            try:
                data_for(doc_type, record)
            except DocumentError as refused:
                buttons.append(DocumentButton(doc_type, str(refused)))
            else:
                buttons.append(DocumentButton(doc_type, None))
        return buttons

    def render(self, template: str, **kwargs: Any):
        if template == self.details_template and "model" in kwargs:
            record = kwargs["model"]
            kwargs["document_buttons"] = self.document_buttons(record)
            kwargs["pdf_available"] = pdf.available()
            kwargs["record_documents"] = db.session.scalars(
                scope_query(db.session.query(GeneratedDocument), GeneratedDocument, current_user)
                .filter(GeneratedDocument.record_type == type(record).__tablename__,
                        GeneratedDocument.record_id == record.id)
                .order_by(GeneratedDocument.id.desc()).statement).all()
        return super().render(template, **kwargs)

    @expose("/document/<doc_key>/", methods=("POST",))
    def document_view(self, doc_key: str):
        """Generate, register and download one Word document. Its PDF is a copy of that register entry (the
        register's download, same number), never a new issue."""
        doc_type = DOCUMENT_TYPES.get(doc_key)
        if doc_type is None or not issubclass(self.model, doc_type.model):
            abort(404)
        if not policy.may(current_user, Act.DOCUMENT, self.model, doc_key):
            abort(403)
        record = self.get_one(request.args.get("id"))
        back = safe_return_url(request.referrer) or url_for(".details_view", id=record.id)
        try:
            document = issue(db.session, doc_key, record, current_user)
            content = stored_content(document)
            db.session.commit()
        except DocumentError as refused:
            db.session.rollback()
            flash(str(refused), "error")
            return redirect(back)
        return _download(content, document.filename)

    # --- bulk: one zip of a document for each selected record ----------------------------------------------
    def init_actions(self) -> None:
        super().init_actions()
        for doc_type in DOCUMENT_TYPES.values():
            if isinstance(self.model(), doc_type.model):
                name = BULK_PREFIX + doc_type.key
                text = _l("批量生成：%(doc)s", doc=doc_type.label)
                self._actions.append((name, text))
                self._actions_data[name] = (self._bulk_documents(doc_type), text, None)

    def is_action_allowed(self, name: str) -> bool:
        if name.startswith(BULK_PREFIX) and name[len(BULK_PREFIX):] in DOCUMENT_TYPES:
            return policy.may(current_user, Act.DOCUMENT, self.model, name[len(BULK_PREFIX):])
        return super().is_action_allowed(name)

    def _bulk_documents(self, doc_type: DocumentType):
        def run(ids: list[str]):
            return self._start_zip_job(doc_type, [int(i) for i in ids if is_record_id(str(i))])
        return run

    def _start_zip_job(self, doc_type: DocumentType, ids: list[int]):
        """A background job issues the documents one by one and zips them; the user watches its progress bar."""
        if not ids:
            flash(_("请先选择记录。"), "error")
            return redirect(safe_return_url(request.referrer) or url_for(".index_view"))
        if len(ids) > BULK_LIMIT:
            flash(_("一次最多生成 %(n)s 份文书，请缩小选择范围。", n=BULK_LIMIT), "error")
            return redirect(safe_return_url(request.referrer) or url_for(".index_view"))
        title = _("批量生成：%(doc)s（%(n)s 件）", doc=doc_type.label, n=len(ids))
        job = jobs.submit("document_zip", current_user, title, document_zip.params(doc_type.key, ids))
        db.session.commit()
        jobs.start(job)
        flash(_("已提交后台任务「%(title)s」，完成后可在此下载。", title=title), "success")
        return redirect(url_for("job.details_view", id=job.id))

    @expose("/document-all/<doc_key>/", methods=("POST",))
    def document_all_view(self, doc_key: str):
        """The document for every record of the list as filtered now (all pages), as one background job."""
        doc_type = DOCUMENT_TYPES.get(doc_key)
        if doc_type is None or not isinstance(self.model(), doc_type.model):
            abort(404)
        if not policy.may(current_user, Act.DOCUMENT, self.model, doc_key):
            abort(403)
        query, _view_args = self.export_query()
        ids = [row[0] for row in query.with_entities(self.model.id).limit(BULK_LIMIT + 1)]
        return self._start_zip_job(doc_type, ids)

    def bulk_document_types(self) -> list[DocumentType]:
        """The document types this user may generate for a whole filtered list."""
        return [t for t in DOCUMENT_TYPES.values()
                if isinstance(self.model(), t.model) and policy.may(current_user, Act.DOCUMENT, self.model, t.key)]


# --- template versions ----------------------------------------------------------------------------------
class DocumentTemplateView(KesuModelView):
    """Versions of each document's Word template. Admins upload a new version (checked first); one version
    per type is active; older versions stay, since the register refers to them."""

    column_labels = LABELS
    column_list = ("doc_type", "version", "active", "filename", "size", "note", "uploaded_by", "created_at")
    column_select_related_list = ("uploaded_by",)
    column_default_sort = [("doc_type", False), ("version", True)]
    choice_columns = {"doc_type": DOCUMENT_TYPE}
    column_filters = ("doc_type", "active", "created_at")
    column_details_list = ("doc_type", "version", "active", "filename", "size", "sha256", "variables", "note",
                           "uploaded_by", "created_at")
    details_template = "admin/document_template_details.html"
    form_columns = ("doc_type", "file", "note", "activate")
    form_extra_fields = {
        "file": FileField(_l("模板文件（.docx）"), validators=[InputRequired(message=_l("请选择要上传的 .docx 文件。"))]),
        "activate": BooleanField(_l("上传后立即启用"), default=True),
    }
    form_args = {"note": {"description": _l("例如：根据法务意见修改第三条")}}

    def create_model(self, form):
        """Check the upload, then add it as the next version of its type — all in one transaction."""
        doc_type = DOCUMENT_TYPES.get(form.doc_type.data)
        upload = form.file.data
        content = upload.read(self._upload_limit() + 1) if upload else b""
        try:
            if doc_type is None:
                raise DocumentError(_("请选择文书类型。"))
            if not content:
                raise DocumentError(_("上传的文件是空的。"))
            check_upload(doc_type, content)
            template = add_version(db.session, doc_type.key, content, upload.filename or f"{doc_type.key}.docx",
                                   uploaded_by_id=current_user.id, note=form.note.data or None,
                                   activate=bool(form.activate.data))
            db.session.commit()
        except DocumentError as refused:
            db.session.rollback()
            flash(_("模板未上传：%(reason)s", reason=str(refused)), "error")
            return False
        flash(_("已上传「%(doc)s」模板第 %(version)s 版%(active)s。", doc=doc_type.label, version=template.version,
                active=_("，并已启用") if template.active else ""), "success")
        return template

    def _upload_limit(self) -> int:
        return current_app.config["TEMPLATE_MAX_BYTES"]

    @expose("/activate/", methods=("POST",))
    def activate_view(self):
        if not self._can("create"):
            abort(403)
        template = self.get_one(request.form.get("id"))
        make_active(db.session, template)
        db.session.commit()
        flash(_("已启用「%(template)s」。", template=str(template)), "success")
        return redirect(url_for(".details_view", id=template.id))

    @expose("/download/")
    def download_view(self):
        template = self.get_one(request.args.get("id"))
        return _download(template_content(template), f"{template.doc_type}_v{template.version}.docx")


# --- the register ---------------------------------------------------------------------------------------
#: Record types whose view endpoint is the record type (case, claim, accountability).
RECORD_ENDPOINTS = frozenset({"case", "claim", "accountability"})


def _record_link(view, context, model: GeneratedDocument, name: str):
    if model.record_type not in RECORD_ENDPOINTS:
        return model.record_no
    return Markup('<a href="{}">{}</a>').format(url_for(f"{model.record_type}.details_view", id=model.record_id),
                                                model.record_no)


class GeneratedDocumentView(KesuModelView):
    """The register of every document that left the building; each downloads again byte for byte."""

    column_labels = {**LABELS, "created_at": _l("生成时间")}
    column_list = ("doc_no", "doc_type", "record_no", "filename", "template", "generated_by", "created_at", "size")
    column_select_related_list = ("generated_by", "template")
    column_default_sort = ("id", True)
    choice_columns = {"doc_type": DOCUMENT_TYPE, "record_type": RECORD_TYPE}
    column_searchable_list = ("doc_no", "record_no", "filename")
    column_filters = ("doc_type", "record_type", "created_at")
    column_formatters = {"record_no": _record_link}
    column_details_list = ("doc_no", "doc_type", "record_no", "filename", "template", "size", "sha256", "data_hash",
                           "generated_by", "created_at")
    details_template = "admin/generated_document_details.html"

    def render(self, template: str, **kwargs: Any):
        kwargs.setdefault("pdf_available", pdf.available())
        return super().render(template, **kwargs)

    @expose("/download/")
    def download_view(self):
        """The register's copy, byte for byte. It holds the customer's name and phone unmasked, so every download
        is recorded as a view of personal data (committed before the file is sent), whatever the reader's role."""
        document = self.get_one(request.args.get("id"))
        content = stored_content(document)
        as_pdf = request.args.get("format") == "pdf"
        try:
            record_event_apart("view_personal_info", record_type="generated_document", record_id=document.id,
                               comment=f"下载文书 {document.doc_no}{'（PDF）' if as_pdf else ''}")
        except SQLAlchemyError:
            current_app.logger.exception("document download refused: its audit event could not be written")
            flash(_("下载未进行：无法写入审计日志，请稍后重试。"), "error")
            return redirect(url_for(".details_view", id=document.id))
        if as_pdf:
            try:
                return _download(pdf.to_pdf(content), _as_pdf_name(document.filename), PDF_TYPE)
            except DocumentError as refused:
                flash(str(refused), "error")
                return redirect(url_for(".details_view", id=document.id))
        return _download(content, document.filename)
