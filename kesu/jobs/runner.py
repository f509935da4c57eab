"""Running a job, once, even when a worker dies under it.

A job is *claimed* by one atomic UPDATE (queued → running, or running with a heartbeat older than
``JOB_STALE_SECONDS`` → running again), so two workers never run it at once. While it runs, each step commits its
own work together with the job's progress and heartbeat: a bulk zip issues each document (number, register row
with the job's id, file, audit event) and counts it in one transaction. When a worker is killed, the step it was in
rolls back with the database transaction (its number is not used, its row not written; a file it already put is an
orphan the maintenance sweep removes), the heartbeat stops, and :func:`requeue_abandoned` — run when a worker
starts and every few minutes by the scheduler — hands the job to the queue again. The next run skips what the
register says the job already issued and finishes the rest; the zip is built from the register at the end. A job
that keeps losing its worker fails after ``MAX_ATTEMPTS`` runs, saying so.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update

from kesu.extensions import db
from kesu.sqlite import reading
from kesu.models import Job
from kesu.timeutil import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


class JobFailed(Exception):
    """The job cannot be done (its message is for the owner); it is marked failed, not retried."""


@dataclass
class Progress:
    """What a running job reports: ``total`` once known, then ``advance()`` after each step (in the step's
    transaction, before its commit)."""

    job: Job

    def set_total(self, total: int) -> None:
        self.job.total = total
        self.beat()

    def advance(self, steps: int = 1) -> None:
        self.job.done += steps
        self.beat()

    def beat(self) -> None:
        self.job.heartbeat_at = utcnow()


def active_owner(job: Job):
    """The user who submitted ``job``, who must still be active for it to run (it acts in their name)."""
    from kesu.models import User

    owner = db.session.get(User, job.owner_id)
    if owner is None or not owner.active:
        raise JobFailed(_("提交任务的用户已停用，任务没有执行。"))
    return owner


def _stale_before():
    return utcnow() - timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])


def claim(job_id: int) -> Job | None:
    """Take the job for this runner, or None when it is finished or another live runner has it."""
    now = utcnow()
    claimable = or_(Job.status == "queued", and_(Job.status == "running", Job.heartbeat_at < _stale_before()))
    taken = db.session.execute(
        update(Job).where(Job.id == job_id, claimable)
        .values(status="running", attempts=Job.attempts + 1, heartbeat_at=now, started_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if not taken:
        return None
    return db.session.get(Job, job_id, populate_existing=True)


def _finish(job: Job, status: str, message: str | None = None) -> None:
    from kesu.jobs import retention

    job.status, job.finished_at = status, utcnow()
    job.expires_at = job.finished_at + retention()
    if message is not None:
        job.message = message
    db.session.commit()


def run_job(job_id: int) -> None:
    """Run job ``job_id`` if it is still to be done (the function the queue calls)."""
    from kesu.jobs.kinds import KINDS

    if os.getpid() != current_app.extensions.get("kesu_job_pid", os.getpid()):
        db.engine.dispose(close=False)  # a forked worker must not share its parent's connections
    current_app.extensions["kesu_job_pid"] = os.getpid()
    job = claim(job_id)
    if job is None:
        return
    if job.attempts > MAX_ATTEMPTS:
        _finish(job, "failed", _("任务已中断 %(n)s 次（处理它的进程停止了），不再重试。", n=MAX_ATTEMPTS))
        return
    try:
        KINDS[job.kind].run(job, json.loads(job.params), Progress(job))
    except JobFailed as failed:
        db.session.rollback()
        _finish(db.session.get(Job, job_id), "failed", str(failed))
    except Exception:
        log.exception("job %s (%s) failed", job_id, job.kind)
        db.session.rollback()
        _finish(db.session.get(Job, job_id), "failed", _("任务出错，已记录错误。请稍后重试；如果一直出现，请联系管理员。"))
    else:
        _finish(job, "done")


def params_of(job: Job) -> dict[str, Any]:
    return json.loads(job.params)


# --- maintenance: the scheduler runs it every few minutes, a worker when it starts ---------------------------
def requeue_abandoned() -> list[int]:
    """Jobs still queued or running whose heartbeat stopped (their worker died, or Redis lost them): enqueued
    again. Returns their ids."""
    from kesu.jobs import start

    stale = _stale_before()
    with reading():
        jobs = db.session.scalars(select(Job).where(
            or_(and_(Job.status == "running", Job.heartbeat_at < stale),
                and_(Job.status == "queued", Job.created_at < stale)))).all()
        db.session.rollback()  # a worker goes on for days: it must not keep a transaction (SQLite's lock) open
    for job in jobs:
        start(job)
    return [job.id for job in jobs]


def remove_expired() -> int:
    """Finished jobs past their keeping time go, with their result files; the documents they issued stay."""
    from kesu.file_store import file_store, key_for
    from kesu.models import GeneratedDocument

    expired = db.session.scalars(select(Job).where(Job.expires_at < utcnow())).all()
    for job in expired:
        db.session.execute(update(GeneratedDocument).where(GeneratedDocument.job_id == job.id).values(job_id=None))
        if job.result_name:
            file_store().delete(key_for("results", job.result_name))
        db.session.delete(job)
    db.session.commit()
    return len(expired)
