"""Document speed: each type rendered by kesu beside bare docxtpl on the same template and data, same run;
then a batch of 1,000 into a zip.

    .venv/bin/python bench/documents.py [--repeat 30] [--batch 1000]

"ours" is :func:`kesu.documents.render` (schema dump, active template from the database, sandboxed and
autoescaping Jinja, cached compilation); "bare" is ``DocxTemplate(file).render(context); save()`` with plain
docxtpl, given the finished context. The batch is the bulk action's path (number, store, register, audit,
zip) for 1,000 cases, beside bare docxtpl writing the same 1,000 into a zip. Prints medians in ms, ratios,
documents per second and the memory the batch added.
"""
from __future__ import annotations

import argparse
import io
import resource
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docxtpl import DocxTemplate  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from kesu import create_app  # noqa: E402
from kesu.audit import acting_as  # noqa: E402
from kesu import jobs  # noqa: E402
from kesu.documents import DOCUMENT_TYPES, render  # noqa: E402
from kesu.documents.register import context_for, data_for, data_hash  # noqa: E402
from kesu.documents.templates import active_template, template_content  # noqa: E402
from kesu.extensions import db  # noqa: E402
from kesu.jobs import document_zip  # noqa: E402
from kesu.jobs.runner import run_job  # noqa: E402
from kesu.models import Case, GeneratedDocument, Job, User  # noqa: E402

TARGET_MS, TARGET_RATIO = 100, 1.1


def median_ms(action, repeat: int) -> float:
    action()  # warm up: first compilation, caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def a_record(doc_type):
    query = select(doc_type.model).where(doc_type.model.status.in_(doc_type.statuses)).order_by(doc_type.model.id)
    for record in db.session.scalars(query):
        if not doc_type.missing(doc_type.schema().dump(record)):
            return record
    raise SystemExit(f"no demo record for {doc_type.key}")


def bare_render(template_bytes: bytes, context: dict) -> bytes:
    template = DocxTemplate(io.BytesIO(template_bytes))
    template.render(context)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def per_type(repeat: int) -> None:
    print(f"{'document':<24}{'ours ms':>9}{'bare ms':>9}{'ratio':>7}")
    for key, doc_type in DOCUMENT_TYPES.items():
        record = a_record(doc_type)
        template = active_template(db.session, key)
        content = template_content(template)
        data = data_for(doc_type, record)
        context = context_for(doc_type, data, template, "基准〔2026〕0001号", data_hash(data))
        ours = median_ms(lambda: render(key, record), repeat)
        bare = median_ms(lambda: bare_render(content, context), repeat)
        flag = "" if ours < TARGET_MS and ours / bare <= TARGET_RATIO else "  ← over target"
        print(f"{doc_type.label:<20}{ours:>9.1f}{bare:>9.1f}{ours / bare:>7.2f}{flag}")


def batch(size: int) -> None:
    doc_type = DOCUMENT_TYPES["acknowledgement"]
    cases = list(db.session.scalars(select(Case).where(Case.status.in_(doc_type.statuses))
                                    .order_by(Case.id).limit(size)))
    clerk = db.session.scalar(select(User).where(User.role == "clerk"))
    before = rss_mb()
    with acting_as(clerk.id, clerk.username):
        job = jobs.submit("document_zip", clerk, "bench", document_zip.params("acknowledgement", [c.id for c in cases]))
        db.session.commit()
    started = time.perf_counter()
    run_job(job.id)  # the job's own code, in this process (as without Redis)
    ours = time.perf_counter() - started
    job = db.session.get(Job, job.id)
    zip_size = job.result_size or 0
    grown = rss_mb() - before
    template = template_content(active_template(db.session, "acknowledgement"))
    contexts = []
    for case in cases:
        data = data_for(doc_type, case)
        contexts.append(context_for(doc_type, data, active_template(db.session, "acknowledgement"), "", data_hash(data)))
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for n, context in enumerate(contexts):
                archive.writestr(f"{n}.docx", bare_render(template, context))
        bare = time.perf_counter() - started
    count = db.session.scalar(select(func.count()).select_from(GeneratedDocument)
                              .where(GeneratedDocument.job_id == job.id))
    print(f"batch of {count} 受理回执 into a zip ({zip_size / 1024 / 1024:.1f} MB):"
          f" ours {ours:.1f} s = {count / ours:.0f} docs/s (numbered, stored, registered),"
          f" bare docxtpl {bare:.1f} s = {count / bare:.0f} docs/s, ratio {ours / bare:.2f};"
          f" peak memory grew {grown:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kesu-bench-") as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3", "SECRET_KEY": "bench",
                          "FILE_STORE": f"{folder}/files", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        with app.app_context():
            upgrade()
            runner = app.test_cli_runner()
            runner.invoke(args=["kesu", "init"])
            runner.invoke(args=["kesu", "demo", "--cases", str(int(args.batch * 1.6))])
            with app.test_request_context():
                per_type(args.repeat)
                batch(args.batch)


if __name__ == "__main__":
    main()
