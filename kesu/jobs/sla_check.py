"""The SLA check as a job: every overdue case and claim goes up one level (see :func:`kesu.sla.escalate_overdue`)."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from kesu.audit import acting_as
from kesu.extensions import db
from kesu.jobs.runner import Progress
from kesu.models import Job


def run(job: Job, arguments: dict[str, Any], progress: Progress) -> None:
    from kesu.sla import escalate_overdue

    with acting_as(None, "kesu SLA check"):
        escalations = escalate_overdue()
        progress.set_total(len(escalations))
        progress.advance(len(escalations))
        job.message = _("超时记录 %(n)s 条，已全部升级。", n=len(escalations))
        db.session.commit()
