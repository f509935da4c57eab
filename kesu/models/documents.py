"""Word templates and the register of every document generated from them."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kesu.choices import DOCUMENT_TYPE
from kesu.models.base import Audited, Base, Timestamped
from kesu.models.people import User

if TYPE_CHECKING:
    from kesu.models.case import Case


class DocumentTemplate(Audited, Timestamped, Base):
    """One version of a type's .docx template. The file is kept in the row: it is small, it commits with the
    version it belongs to, and every instance of the application sees it."""

    __tablename__ = "document_template"
    __table_args__ = (
        UniqueConstraint("doc_type", "version", name="uq_document_template_type_version"),
        CheckConstraint(DOCUMENT_TYPE.check_sql("doc_type"), name="doc_type"),
        # One active version per type, held by the database.
        Index("uq_document_template_active_type", "doc_type", unique=True, sqlite_where=text("active"),
              postgresql_where=text("active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(30), index=True)
    version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    variables: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    uploaded_by: Mapped[User | None] = relationship()

    audit_exclude = Audited.audit_exclude | {"content"}

    def __str__(self) -> str:
        return f"{DOCUMENT_TYPE.label(self.doc_type)} v{self.version}"


class GeneratedDocument(Audited, Timestamped, Base):
    """The register: every document generated, with the file as it left (in the file store)."""

    __tablename__ = "generated_document"
    __table_args__ = (
        UniqueConstraint("doc_no", name="uq_generated_document_doc_no"),
        CheckConstraint(DOCUMENT_TYPE.check_sql("doc_type"), name="doc_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(30), index=True)
    doc_no: Mapped[str] = mapped_column(String(50))
    template_id: Mapped[int] = mapped_column(ForeignKey("document_template.id"), index=True)
    record_type: Mapped[str] = mapped_column(String(30), index=True)
    record_id: Mapped[int] = mapped_column(Integer, index=True)
    record_no: Mapped[str] = mapped_column(String(20), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data_hash: Mapped[str] = mapped_column(String(64))
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: The background job that issued it (a bulk zip), so a job resumed after a crash skips what it issued.
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"), index=True)

    template: Mapped[DocumentTemplate] = relationship()
    generated_by: Mapped[User | None] = relationship()
    #: Read only (``case_id`` is set from the record the document is made from): the case's department.
    case: Mapped[Case | None] = relationship(viewonly=True)

    def __str__(self) -> str:
        return self.doc_no
