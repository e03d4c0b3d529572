"""A real Celery worker process for tests that need one (integration, browser).

The worker is started the way production starts it, against the test database and the
configured broker, with the LLM gateway pointed at a simulator; tests talk to it only
through the database and the broker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from extractor.simulator import Simulator

BASE_DIR = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the database this test process uses (the test database, once set up)."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


class Worker:
    """``celery -A extractor worker`` in its own process group.

    ``env`` adds to or overrides the environment below (quick leases and a short task
    time so killed work comes back within a test's patience).
    """

    def __init__(
        self,
        simulator: Simulator,
        name: str,
        log: Path,
        *,
        env: dict[str, str] | None = None,
        beat: bool = False,
    ):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "OPENAI_BASE_URL": simulator.base_url,
            "OPENAI_API_KEY": "sk-test",
            "LLM_SIMULATED": "0",
            "PROCESSING_THREADS_PER_TASK": "4",
            "PROCESSING_PARALLEL_TASKS": "2",
            "PROCESSING_LEASE_SECONDS": "6",
            "PROCESSING_TASK_SECONDS": "30",
            "SWEEP_INTERVAL_SECONDS": "5",
            "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "DB_CONN_MAX_AGE": "0",
            # The test's stored files (uploads the worker parses).
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            **(env or {}),
        }
        self.name = name
        self.log = log
        # An embedded beat (as `make run` has), for work only beat starts: batch polls.
        self.beat = beat
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        command = [
            sys.executable, "-m", "celery", "-A", "extractor", "worker",
            "--pool", "prefork", "--concurrency", "2",
            "--queues", settings.CELERY_TASK_DEFAULT_QUEUE,
            "--hostname", self.name, "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        if self.beat:
            schedule = self.log.with_name(f"beat-{self.name.split('@')[0]}.db")
            command += ["--beat", "--schedule", str(schedule)]
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=self.env, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker: the parent and its pool processes, no goodbye."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, *, timeout: float = 15) -> None:
        """Warm shutdown (SIGTERM); SIGKILL to the whole group after ``timeout`` seconds.

        Only the parent gets the SIGTERM: it stops its pool processes itself. Sent to the
        whole group, the pool processes die at once and the parent waits for them in vain.
        """
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def wait_for(read, until, *, what: str, state, timeout: float = 90, log=None, every=0.25):
    """``read()`` once ``until`` holds for it; AssertionError naming ``what`` and its
    ``state``, with the worker log's tail, when it does not within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        current = read()
        if until(current):
            return current
        if time.monotonic() >= deadline:
            break
        time.sleep(every)
    details = log.read_text()[-4000:] if log and log.exists() else ""
    raise AssertionError(f"{what} stuck at {state(current)}\n{details}")


def wait_for_job(job_id: int, until, *, timeout: float = 90, log: Path | None = None):
    """The job once ``until(job)`` holds (see ``wait_for``)."""
    from processing.models import ProcessingJob

    return wait_for(
        lambda: ProcessingJob.objects.get(pk=job_id),
        until,
        what=f"job {job_id}",
        state=lambda job: f"{job.status} {job.processed}/{job.total}",
        timeout=timeout,
        log=log,
    )
