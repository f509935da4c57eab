"""What each kind of job runs: one entry a kind (its key and label are in :data:`kesu.choices.JOB_KIND`)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kesu.jobs import document_zip, export, sla_check


@dataclass(frozen=True)
class JobKind:
    key: str
    #: ``run(job, params, progress)``: does the work, committing as it goes; raises JobFailed with a message.
    run: Callable[..., None]


KINDS: dict[str, JobKind] = {kind.key: kind for kind in (
    JobKind("document_zip", document_zip.run),
    JobKind("export", export.run),
    JobKind("sla_check", sla_check.run),
)}
