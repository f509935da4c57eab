"""Background jobs: what was asked, by whom, how far it got, and where its result is."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kesu.choices import JOB_KIND, JOB_STATUS
from kesu.models.base import Base, Timestamped, UTCDateTime
from kesu.models.people import User


class Job(Timestamped, Base):
    """One background job (:mod:`kesu.jobs`). Its progress changes many times a second, so it is not on the audit
    trail itself; submitting it is an audit event, and what it does (documents issued) is audited as usual."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint(JOB_KIND.check_sql("kind"), name="kind"),
        CheckConstraint(JOB_STATUS.check_sql("status"), name="status"),
        CheckConstraint("done >= 0 AND total >= 0", name="progress"),
        Index("ix_job_owner_created", "owner_id", "created_at"),
        Index("ix_job_status_heartbeat", "status", "heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    #: Who asked for it (None: the scheduler); only they download its result.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    title: Mapped[str] = mapped_column(String(200))
    #: The job's arguments, JSON.
    params: Mapped[str] = mapped_column(Text, default="{}")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    #: What went wrong, or what was left out (records that could not have their document), for the owner.
    message: Mapped[str | None] = mapped_column(Text)
    result_name: Mapped[str | None] = mapped_column(String(100), unique=True)
    result_filename: Mapped[str | None] = mapped_column(String(200))
    result_size: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Set whenever the runner makes progress; a running job whose heartbeat stops was abandoned (worker killed).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the finished job and its result are removed.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    owner: Mapped[User | None] = relationship()

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def __str__(self) -> str:
        return f"#{self.id} {self.title}"
