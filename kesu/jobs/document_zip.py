"""The bulk zip: one document of a type for each selected record, issued one by one, then zipped from the
register. Resumable: a run skips the records the register says this job already issued."""
from __future__ import annotations

import tempfile
import time
import zipfile
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from kesu import file_store
from kesu.audit import acting_as
from kesu.documents.errors import DocumentError
from kesu.documents.register import issue, stored_content
from kesu.documents.types import DOCUMENT_TYPES
from kesu.extensions import db
from kesu.jobs.runner import JobFailed, Progress, active_owner
from kesu.models import GeneratedDocument, Job
from kesu.permissions import scope_query
from kesu.timeutil import format_local, utcnow

#: The list of records that could not have their document, inside the zip.
REFUSED_LIST = "未生成清单.txt"
#: SQLite has one writer at a time, and its busy handler wakes waiting writers only now and then: a job that
#: begins its next document the instant it committed the last would starve them. A short pause after each
#: document lets a waiting save or login in (PostgreSQL locks rows, not the database: no pause there).
SQLITE_PAUSE_SECONDS = 0.01


def params(doc_key: str, ids: list[int]) -> dict[str, Any]:
    return {"doc_key": doc_key, "ids": sorted(set(ids))}


def unique_name(taken: set[str], name: str) -> str:
    """``name``, or ``name_2`` … when the zip already has it (two documents of one record); remembered."""
    stem, _dot, extension = name.rpartition(".")
    candidate, counter = name, 1
    while candidate in taken:
        counter += 1
        candidate = f"{stem}_{counter}.{extension}"
    taken.add(candidate)
    return candidate


def run(job: Job, arguments: dict[str, Any], progress: Progress) -> None:
    doc_type = DOCUMENT_TYPES[arguments["doc_key"]]
    owner = active_owner(job)
    model = doc_type.model
    records = (scope_query(db.session.query(model), model, owner)
               .filter(model.id.in_(arguments["ids"])).order_by(model.id).all())
    issued = set(db.session.scalars(select(GeneratedDocument.record_id).where(GeneratedDocument.job_id == job.id)))
    progress.set_total(len(records))
    job.done = len(issued)
    db.session.commit()
    refused: list[tuple[str, str]] = []
    with acting_as(owner.id, owner.username):
        for record in records:
            if record.id in issued:
                continue
            number = doc_type.record_number(record)
            try:
                with db.session.begin_nested():
                    issue(db.session, doc_type.key, record, owner, job_id=job.id)
            except DocumentError as reason:
                refused.append((number, str(reason)))
            progress.advance()
            db.session.commit()  # the document, its number, its audit event and the progress, together
            if db.engine.dialect.name == "sqlite":
                time.sleep(SQLITE_PAUSE_SECONDS)
    _store_zip(job, doc_type, refused)


def _store_zip(job: Job, doc_type, refused: list[tuple[str, str]]) -> None:
    documents = db.session.scalars(select(GeneratedDocument).where(GeneratedDocument.job_id == job.id)
                                   .order_by(GeneratedDocument.id)).all()
    if not documents:
        reasons = "；".join(f"{number}：{reason}" for number, reason in refused[:10])
        raise JobFailed(_("没有生成任何文书。%(reasons)s", reasons=reasons))
    names: set[str] = set()
    with tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024) as out:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for document in documents:
                archive.writestr(unique_name(names, document.filename), stored_content(document))
            if refused:
                archive.writestr(REFUSED_LIST, "\n".join(f"{number}\t{reason}" for number, reason in refused) + "\n")
        out.seek(0)
        content = out.read()
    job.result_name = file_store.write(db.session, "results", content, file_store.new_name("zip"))
    job.result_filename = f"{doc_type.label}_{format_local(utcnow(), '%Y%m%d-%H%M')}.zip"
    job.result_size = len(content)
    if refused:
        job.message = _("%(n)s 件记录未生成文书，原因见压缩包中的%(list)s。", n=len(refused), list=REFUSED_LIST)
