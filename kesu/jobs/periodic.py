"""Periodic work, enqueued by RQ's cron scheduler (``flask --app app kesu scheduler``) and run by a worker.

Each entry is a plain function a worker imports by name; it runs in the worker's application context. The SLA
check runs as a :class:`~kesu.models.Job` (the administrator sees each run in 后台任务); maintenance hands
abandoned jobs to the queue again and removes finished jobs past their keeping time.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from kesu import jobs
from kesu.extensions import db
from kesu.jobs.runner import remove_expired, requeue_abandoned, run_job

MAINTENANCE_SECONDS = 300


def scheduled_sla_check() -> None:
    job = jobs.submit("sla_check", None, _("定时时限检查"), {})
    db.session.commit()
    run_job(job.id)


def maintenance() -> None:
    requeue_abandoned()
    remove_expired()


def register(scheduler) -> None:
    """The periodic entries, onto an ``rq.cron.CronScheduler``."""
    from kesu.jobs.engine import QUEUE

    scheduler.register(scheduled_sla_check, queue_name=QUEUE, cron=current_app.config["SLA_CHECK_CRON"])
    scheduler.register(maintenance, queue_name=QUEUE, interval=MAINTENANCE_SECONDS)
