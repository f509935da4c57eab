"""Where jobs run: an RQ queue on Redis when ``KESU_REDIS_URL`` is set, else a thread of this process."""
from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask, current_app

log = logging.getLogger(__name__)

QUEUE = "kesu"
#: The function a worker calls, by name, so the web process need not import what the job imports.
RUN_JOB = "kesu.jobs.runner.run_job"


class InProcessEngine:
    """One background thread per web process, running jobs one after another."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kesu-job")
        self.futures: dict[int, Future] = {}

    def enqueue(self, job_id: int) -> None:
        from kesu.jobs.runner import run_job

        app = self.app

        def run() -> None:
            with app.app_context():
                run_job(job_id)

        future = self.executor.submit(run)
        self.futures[job_id] = future
        future.add_done_callback(lambda _done: self.futures.pop(job_id, None))  # a web process runs for weeks

    def wait(self, job_id: int, timeout: float) -> None:
        """Until the job's run ends, if it has not already (tests; the panel polls instead)."""
        future = self.futures.get(job_id)
        if future is not None:
            future.result(timeout=timeout)


class RqEngine:
    """Jobs onto the ``kesu`` queue in Redis, for ``flask kesu worker`` processes on any machine."""

    def __init__(self, redis_url: str) -> None:
        from redis import Redis
        from rq import Queue

        self.connection = Redis.from_url(redis_url)
        self.queue = Queue(QUEUE, connection=self.connection)

    def enqueue(self, job_id: int) -> None:
        timeout = current_app.config["JOB_TIMEOUT_SECONDS"]
        self.queue.enqueue(RUN_JOB, job_id, job_timeout=timeout, result_ttl=3600, failure_ttl=7 * 24 * 3600,
                           description=f"kesu job {job_id}")


def engine():
    """The engine of the current configuration, one per application."""
    engines = current_app.extensions.setdefault("kesu_job_engines", {})
    url = current_app.config.get("REDIS_URL")
    key = url or "in-process"
    if key not in engines:
        engines[key] = RqEngine(url) if url else InProcessEngine(current_app._get_current_object())
    return engines[key]
