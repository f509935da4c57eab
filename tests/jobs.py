"""Helpers for tests that start a background job through the panel and take its result."""
from __future__ import annotations

import io
import re
import zipfile

from kesu.extensions import db
from kesu.jobs.engine import engine
from kesu.models import Job

JOB_URL = re.compile(r"/admin/job/details/\?id=(\d+)")


def job_id_of(response) -> int:
    """The job a submitting request redirected to."""
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    match = JOB_URL.search(response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def wait_for(app, job_id: int, timeout: float = 60) -> Job:
    """The job once its run in this process ended (the in-process engine)."""
    with app.app_context():
        engine().wait(job_id, timeout)
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def bulk_zip(app, client, view: str, action: str, ids: list[int]) -> tuple[Job, zipfile.ZipFile | None]:
    """Select ``ids`` on ``view``'s list, run the bulk ``action``, wait for the job; its zip if it made one."""
    response = client.post_form(f"/admin/{view}/action/", {"action": action, "rowid": [str(i) for i in ids]})
    job = wait_for(app, job_id_of(response))
    if job.status != "done":
        return job, None
    download = client.get(f"/admin/job/download/?id={job.id}")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    return job, zipfile.ZipFile(io.BytesIO(download.get_data()))
