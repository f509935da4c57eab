"""Admin views of Word templates and the register of generated documents (read-only lists)."""
from __future__ import annotations

from kesu.admin.base import KesuModelView
from kesu.choices import DOCUMENT_TYPE
from kesu.labels import LABELS


class DocumentTemplateView(KesuModelView):
    column_labels = LABELS
    column_list = ("doc_type", "version", "filename", "active", "uploaded_by", "created_at")
    choice_columns = {"doc_type": DOCUMENT_TYPE}
    column_filters = ("doc_type", "active", "created_at")


class GeneratedDocumentView(KesuModelView):
    column_labels = LABELS
    column_list = ("doc_no", "doc_type", "record_type", "record_id", "filename", "generated_by", "created_at")
    column_select_related_list = ("generated_by",)
    choice_columns = {"doc_type": DOCUMENT_TYPE}
    column_searchable_list = ("doc_no", "filename")
    column_filters = ("doc_type", "record_type", "created_at")
