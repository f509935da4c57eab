"""Background jobs: bulk document zips, large exports and the SLA check run outside the web request.

    job = submit("document_zip", owner=current_user, title="批量生成：投诉受理回执", params={...})
    db.session.commit()          # the job row and its audit event, in the caller's transaction
    start(job)                   # after the commit: onto Redis (RQ) or this process's own runner

With ``KESU_REDIS_URL`` set, jobs go onto an RQ queue that ``flask --app app kesu worker`` processes (as many
workers, on as many machines, as needed), and ``flask --app app kesu scheduler`` enqueues the periodic work with
RQ's cron scheduler. Without Redis the same job code runs in a thread of the web process, so ``make run`` needs
nothing more. Either way :func:`kesu.jobs.runner.run_job` runs it; see there for how a job that lost its worker is
taken up again without doing anything twice.
"""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import current_app

from kesu.audit import record_event
from kesu.choices import JOB_KIND
from kesu.extensions import db
from kesu.models import Job

__all__ = ["Job", "start", "submit"]


def submit(kind: str, owner: Any, title: str, params: dict[str, Any]) -> Job:
    """Add a queued job and its audit event to the session; the caller commits, then calls :func:`start`."""
    if kind not in JOB_KIND:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job(kind=kind, owner_id=getattr(owner, "id", None), title=title[:200], status="queued",
              params=json.dumps(params, ensure_ascii=False), total=0, done=0, attempts=0)
    db.session.add(job)
    db.session.flush()
    record_event(db.session, "job", record_type="job", record_id=job.id, comment=f"{JOB_KIND.label(kind)}：{title}")
    return job


def start(job: Job) -> None:
    """Hand a committed job to the engine."""
    from kesu.jobs.engine import engine

    engine().enqueue(job.id)


def retention() -> timedelta:
    return timedelta(hours=current_app.config["JOB_KEEP_HOURS"])
