"""Background jobs: a bulk zip runs as a job with progress and a result for its owner; a job that lost its worker
is taken up again and finishes with exactly one register row and one number per document; the same code runs on
RQ workers (Redis) and in the web process (no Redis)."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from kesu import jobs
from kesu.audit import acting_as
from kesu.extensions import db
from kesu.file_store import file_store
from kesu.jobs import document_zip
from kesu.jobs.runner import MAX_ATTEMPTS, claim, remove_expired, requeue_abandoned, run_job
from kesu.models import AuditEvent, GeneratedDocument, Job
from kesu.sqlite import reading
from kesu.timeutil import utcnow
from tests.factories import make_case, user
from tests.jobs import bulk_zip, job_id_of, wait_for
from tests.live_server import ROOT, server_environment

REDIS_URL = os.environ.get("KESU_TEST_REDIS_URL")


def accepted_cases(n: int) -> list[int]:
    return [make_case(status="accepted").id for _ in range(n)]


def zip_job(owner_name: str, ids: list[int]) -> int:
    """A queued bulk zip of 受理回执, submitted as ``owner_name`` (not started)."""
    owner = user(owner_name)
    with acting_as(owner.id, owner.username):
        job = jobs.submit("document_zip", owner, "测试任务", document_zip.params("acknowledgement", ids))
        db.session.commit()
    return job.id


def register_of(job_id: int) -> list[GeneratedDocument]:
    return db.session.scalars(select(GeneratedDocument).where(GeneratedDocument.job_id == job_id)
                              .order_by(GeneratedDocument.id)).all()


def assert_one_complete_zip(job_id: int, ids: list[int]) -> None:
    """One register row per record, numbers unique and consecutive, each file in the store, the zip holding them."""
    job = db.session.get(Job, job_id, populate_existing=True)
    assert job.status == "done", job.message
    documents = register_of(job_id)
    assert sorted(d.record_id for d in documents) == sorted(ids)
    numbers = [int(d.doc_no.split("〕")[1].rstrip("号")) for d in documents]
    assert numbers == list(range(numbers[0], numbers[0] + len(ids)))
    all_numbers = db.session.scalars(select(GeneratedDocument.doc_no)).all()
    assert len(all_numbers) == len(set(all_numbers)) == len(ids)
    store = file_store()
    with zipfile.ZipFile(io.BytesIO(store.get(f"results/{job.result_name}"))) as archive:
        contents = sorted(archive.read(name) for name in archive.namelist())
    assert contents == sorted(store.get(f"documents/{d.stored_name}") for d in documents)
    assert (job.done, job.total) == (len(ids), len(ids))


# --- through the panel (no Redis: the job runs in the web process) -----------------------------------------------
def test_bulk_zip_runs_as_a_job_whose_owner_downloads_the_result(app, staff, login_as):
    with app.app_context():
        ids = accepted_cases(3)
    client = login_as("clerk")
    job, archive = bulk_zip(app, client, "case", "document_acknowledgement", ids)
    assert job.status == "done" and len(archive.namelist()) == 3
    page = client.get(f"/admin/job/details/?id={job.id}").get_data(as_text=True)
    assert "已完成" in page and "3 / 3" in page and f"/admin/job/download/?id={job.id}" in page
    progress = client.get(f"/admin/job/progress/?id={job.id}").json
    assert progress | {"download_url": None} == {"status": "done", "status_label": "已完成", "done": 3, "total": 3,
                                                   "percent": 100, "message": "", "finished": True,
                                                   "download_url": None}
    assert progress["download_url"].endswith(f"/admin/job/download/?id={job.id}")
    with app.app_context():
        assert_one_complete_zip(job.id, ids)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "job"))
        assert event.username == staff["clerk"] and "批量生成" in event.comment


def test_a_job_is_its_owners_alone(app, staff, login_as):
    with app.app_context():
        ids = accepted_cases(1)
    job, _archive = bulk_zip(app, login_as("clerk"), "case", "document_acknowledgement", ids)
    other = login_as("approver")
    assert other.get(f"/admin/job/details/?id={job.id}").status_code == 404
    assert other.get(f"/admin/job/download/?id={job.id}").status_code == 404
    assert other.get(f"/admin/job/progress/?id={job.id}").status_code == 404
    assert f"details/?id={job.id}" not in other.get("/admin/job/").get_data(as_text=True)
    assert login_as("admin").get(f"/admin/job/details/?id={job.id}").status_code == 200
    assert login_as("admin").get(f"/admin/job/download/?id={job.id}").status_code == 404  # the owner's file


def test_a_whole_filtered_list_goes_into_one_job(app, staff, login_as):
    with app.app_context():
        ids = accepted_cases(4)
        make_case()  # registered: no 受理回执 for it
    client = login_as("clerk")
    response = client.post_form("/admin/case/document-all/acknowledgement/?search=", {})
    job = wait_for(app, job_id_of(response))
    assert job.status == "done" and job.total == 5 and "1 件记录未生成文书" in job.message
    with app.app_context():
        assert sorted(d.record_id for d in register_of(job.id)) == sorted(ids)


def test_a_handler_job_issues_only_within_their_department(app, staff, login_as):
    with app.app_context():
        own, other = make_case("质量管理部", status="accepted").id, make_case("生产部", status="accepted").id
        job_id = zip_job("handler", [own, other])
        run_job(job_id)
        job = db.session.get(Job, job_id)
        assert job.total == 1
        assert [d.record_id for d in register_of(job_id)] in ([own], [])


# --- running once, taken up again after a crash --------------------------------------------------------------------
def test_a_job_is_claimed_by_one_runner_only(app, staff):
    with app.app_context():
        job_id = zip_job("clerk", accepted_cases(1))
        assert claim(job_id) is not None
        assert claim(job_id) is None  # running, heartbeat fresh
        app.config["JOB_STALE_SECONDS"] = 5
        db.session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - timedelta(seconds=6)))
        db.session.commit()
        assert claim(job_id).attempts == 2  # abandoned: taken again


def test_a_job_resumed_after_its_worker_died_issues_each_document_once(app, staff):
    """The first run is cut after two documents (as a killed worker leaves it: committed steps, a running job
    with a stopped heartbeat); the resumed run issues the other three, and the zip has all five."""
    with app.app_context():
        ids = accepted_cases(5)
        job_id = zip_job("clerk", ids)
        owner = user(staff["clerk"])
        job = claim(job_id)
        from kesu.documents.register import issue

        with acting_as(owner.id, owner.username):
            for case_id in ids[:2]:
                from kesu.models import Case

                issue(db.session, "acknowledgement", db.session.get(Case, case_id), owner, job_id=job.id)
                job.done += 1
                db.session.commit()
        app.config["JOB_STALE_SECONDS"] = 5
        db.session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        assert requeue_abandoned() == [job_id]
    job = wait_for(app, job_id)
    with app.app_context():
        assert job.attempts == 2
        assert_one_complete_zip(job_id, ids)


def test_a_job_that_keeps_losing_its_worker_fails_saying_so(app, staff):
    with app.app_context():
        job_id = zip_job("clerk", accepted_cases(1))
        db.session.execute(update(Job).where(Job.id == job_id).values(
            status="running", attempts=MAX_ATTEMPTS, heartbeat_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        run_job(job_id)
        job = db.session.get(Job, job_id, populate_existing=True)
        assert job.status == "failed" and f"已中断 {MAX_ATTEMPTS} 次" in job.message
        assert register_of(job_id) == []


def test_finished_jobs_go_after_their_keeping_time_with_their_result_not_their_documents(app, staff):
    with app.app_context():
        ids = accepted_cases(2)
        job_id = zip_job("clerk", ids)
        run_job(job_id)
        result = f"results/{db.session.get(Job, job_id).result_name}"
        assert remove_expired() == 0
        db.session.execute(update(Job).where(Job.id == job_id).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert remove_expired() == 1
        assert db.session.get(Job, job_id) is None
        assert result not in list(file_store().keys())
        assert db.session.scalar(select(func.count()).select_from(GeneratedDocument)) == 2


def test_the_sla_check_runs_as_a_job(app, staff):
    from kesu.jobs.periodic import scheduled_sla_check

    with app.app_context():
        overdue = make_case(status="accepted")
        overdue.next_due_at = utcnow() - timedelta(hours=1)
        with acting_as(None, "test setup"):
            db.session.commit()
        scheduled_sla_check()
        job = db.session.scalar(select(Job).where(Job.kind == "sla_check"))
        assert job.status == "done" and job.owner_id is None and "超时记录 1 条" in job.message


# --- on Redis, with real workers ----------------------------------------------------------------------------------
@pytest.fixture
def redis_app(app):
    if not REDIS_URL:
        pytest.skip("KESU_TEST_REDIS_URL is not set")
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()
    app.config["REDIS_URL"] = REDIS_URL
    return app


def start_worker(app, *arguments: str) -> subprocess.Popen:
    env = server_environment(app.config["SQLALCHEMY_DATABASE_URI"], ROOT, KESU_REDIS_URL=REDIS_URL,
                             KESU_FILE_STORE=app.config["FILE_STORE"], KESU_JOB_STALE_SECONDS="5")
    log = open(Path(app.config["FILE_STORE"]).parent / f"worker-{time.monotonic_ns()}.log", "w+b")
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "kesu", "worker", *arguments],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    process.log = log
    return process


def kill_with_children(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and its work horses (RQ puts each work horse in a process group of its own)."""
    children = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True).stdout.split()
    for pid in [worker.pid, *map(int, children)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    worker.wait()


def output_of(worker: subprocess.Popen) -> str:
    worker.log.seek(0)
    return worker.log.read().decode(errors="replace")


def test_a_worker_killed_mid_zip_then_restarted_makes_exactly_one_complete_zip(redis_app, staff):
    app = redis_app
    with app.app_context():
        ids = accepted_cases(60)
        job_id = zip_job("clerk", ids)
        jobs.start(db.session.get(Job, job_id))  # onto the Redis queue
    worker = start_worker(app)
    try:
        deadline = time.monotonic() + 60
        with app.app_context(), reading():  # a page view's read: no write lock, so the worker goes on
            while True:
                done = db.session.scalar(select(Job.done).where(Job.id == job_id))
                db.session.rollback()
                if done and done >= 10:
                    break
                assert time.monotonic() < deadline and worker.poll() is None, output_of(worker)
                time.sleep(0.02)
    finally:
        kill_with_children(worker)  # the worker and the job's work horse, mid-zip
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "running" and 10 <= job.done < 60 and job.result_name is None
    time.sleep(5.5)  # the heartbeat goes stale
    restarted = start_worker(app, "--burst")
    restarted.wait(timeout=120)
    output = output_of(restarted)
    assert restarted.returncode == 0, output
    assert f"重新排入中断的任务：{job_id}" in output
    with app.app_context():
        assert_one_complete_zip(job_id, ids)


def test_the_panel_puts_jobs_on_redis_and_a_worker_runs_them(redis_app, staff, login_as):
    app = redis_app
    with app.app_context():
        ids = accepted_cases(2)
    client = login_as("clerk")
    response = client.post_form("/admin/case/action/", {"action": "document_acknowledgement",
                                                         "rowid": [str(i) for i in ids]})
    job_id = job_id_of(response)
    assert client.get(f"/admin/job/progress/?id={job_id}").json["status"] == "queued"
    worker = start_worker(app, "--burst")
    assert worker.wait(timeout=120) == 0, output_of(worker)
    with app.app_context():
        assert_one_complete_zip(job_id, ids)
    assert client.get(f"/admin/job/download/?id={job_id}").status_code == 200


def test_worker_and_scheduler_refuse_to_start_without_redis(app):
    runner = app.test_cli_runner()
    for command in ("worker", "scheduler"):
        result = runner.invoke(args=["kesu", command])
        assert result.exit_code != 0 and "KESU_REDIS_URL 未设置" in result.output


# --- large exports ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("export_type", ["csv", "xlsx"])
def test_an_export_above_the_threshold_becomes_a_job_with_the_same_rows(demo, demo_login, export_type):
    from tests.test_exports import read_csv, read_xlsx, status_equals

    client = demo_login("shenji")
    query = f"{status_equals(demo)}=investigating&sort=1&desc=0"
    read = read_csv if export_type == "csv" else read_xlsx
    direct = client.get(f"/admin/case/export/{export_type}/?{query}")
    assert direct.status_code == 200
    expected = read(direct)  # read whole: a CSV streams, holding its request open until it is read
    demo.config["EXPORT_JOB_ROWS"] = 5
    response = client.get(f"/admin/case/export/{export_type}/?{query}")
    job = wait_for(demo, job_id_of(response))
    assert job.kind == "export" and job.status == "done", job.message
    download = client.get(f"/admin/job/download/?id={job.id}")
    assert download.status_code == 200, client.get(f"/admin/job/details/?id={job.id}").get_data(as_text=True)[-3000:]
    assert download.headers["Content-Disposition"].endswith(f".{export_type}")
    assert read(download) == expected
    assert job.done == job.total == len(expected) - 1
    with demo.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")
                                    .order_by(AuditEvent.id)).all()
        assert events[-1].username == "shenji" and events[-1].changes["rows"] == [None, job.done]


def test_a_job_export_keeps_the_owners_scope_and_masks(app, staff, login_as):
    from tests.test_exports import read_csv

    with app.app_context():
        for _ in range(3):
            make_case("质量管理部")
            make_case("生产部")
    handler = login_as("handler")
    direct = read_csv(handler.get("/admin/case/export/csv/"))
    app.config["EXPORT_JOB_ROWS"] = 1
    job = wait_for(app, job_id_of(handler.get("/admin/case/export/csv/")))
    assert read_csv(handler.get(f"/admin/job/download/?id={job.id}")) == direct
    assert len(direct) == 4 and not any("13812345678" in cell for row in direct for cell in row)


def test_the_list_offers_its_documents_for_the_whole_filtered_list(app, staff, login_as):
    page = login_as("clerk").get("/admin/case/?search=KS").get_data(as_text=True)
    assert "为筛选结果生成文书" in page
    assert "/admin/case/document-all/acknowledgement/?search=KS" in page
    assert "为筛选结果生成文书" not in login_as("auditor").get("/admin/case/").get_data(as_text=True)
