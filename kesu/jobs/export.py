"""A large export as a job: the list as its owner filtered it, written to a file in the store.

The list's query is the view's own (:meth:`ExportMixin.export_query`): the job replays the list's URL in a request
context of its own, signed in as the owner, so the row scope, filters, search and sort are exactly those of the
page the owner was looking at, and the columns those the owner may see (masked phones included).
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_login import login_user
from sqlalchemy import update

from kesu import file_store
from kesu.exports import FORMATS, export_columns
from kesu.exports.writers import csv_chunks, write_xlsx
from kesu.extensions import db
from kesu.jobs.runner import JobFailed, Progress, active_owner
from kesu.models import Job
from kesu.sqlite import writing
from kesu.timeutil import utcnow

#: Progress is reported every so many rows (in a short transaction of its own: the rows are still being read).
PROGRESS_EVERY = 2000


def params(endpoint: str, export_type: str, args: dict[str, list[str]], total: int) -> dict[str, Any]:
    return {"endpoint": endpoint, "export_type": export_type, "args": args, "total": total}


def _view(endpoint: str):
    admin = current_app.extensions["admin"][0]
    return next(view for view in admin._views if getattr(view, "endpoint", None) == endpoint)


def _counted(rows: Iterable[tuple], job_id: int) -> Iterator[tuple]:
    """The rows, telling the job's progress on the way (the reading transaction stays open meanwhile)."""
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % PROGRESS_EVERY == 0:
            _report(job_id, done)


def _report(job_id: int, done: int) -> None:
    with writing(), db.engine.begin() as connection:
        connection.execute(update(Job).where(Job.id == job_id).values(done=done, heartbeat_at=utcnow()))


def run(job: Job, arguments: dict[str, Any], progress: Progress) -> None:
    owner = active_owner(job)
    export_type = arguments["export_type"]
    progress.set_total(arguments["total"])
    db.session.commit()
    view = _view(arguments["endpoint"])
    with current_app.test_request_context(f"{view.url}/", query_string=arguments["args"]):
        login_user(owner)
        if not view.can_export:
            raise JobFailed(_("您已不能导出此列表，任务没有执行。"))
        query, view_args = view.export_query()
        columns = export_columns(view, owner)
        with tempfile.TemporaryFile() as out:
            rows = _counted(view._rows(query, columns), job.id)
            if export_type == "xlsx":
                written = write_xlsx(columns, rows, out, str(view.name))
            else:
                counter = [0]
                for chunk in csv_chunks(columns, rows, counter):
                    out.write(chunk.encode("utf-8"))
                written = counter[0]
            db.session.rollback()  # the reading transaction ends; the rows are in the file
            view._audit_export(view_args, export_type, written)
            out.seek(0)
            content = out.read()
        filename = view.export_filename(export_type)
    job = db.session.get(Job, job.id, populate_existing=True)
    job.total = job.done = written
    job.result_name = file_store.write(db.session, "results", content, file_store.new_name(FORMATS[export_type][1]))
    job.result_filename, job.result_size = filename, len(content)
