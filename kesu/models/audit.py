"""The append-only audit trail."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kesu.models.base import Base, UTCDateTime
from kesu.timeutil import utcnow


class AuditEvent(Base):
    """Who did what to which record, when. Never updated or deleted (database triggers refuse it).

    ``user_id`` is deliberately not a foreign key: the trail must outlive any row it mentions.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    username: Mapped[str | None] = mapped_column(String(50), index=True)
    action: Mapped[str] = mapped_column(String(30), index=True)
    record_type: Mapped[str | None] = mapped_column(String(30), index=True)
    record_id: Mapped[int | None] = mapped_column(Integer, index=True)
    changes: Mapped[dict | None] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(45))
    #: The hash chain (:mod:`kesu.audit`): the previous event's hash, and SHA-256 of it and this event's content.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    def __str__(self) -> str:
        return f"{self.action} {self.record_type or ''} {self.record_id or ''}"
