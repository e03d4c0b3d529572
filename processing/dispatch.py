"""Queueing runner tasks, by the task's name.

The services, the engine and the sweeper queue runners; ``processing.tasks`` imports the
engine and the sweeper. Naming the task instead of importing it keeps the imports one
way: tasks import services, services never import tasks.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from extractor.celery import app as celery_app
from processing.models import ProcessingJob

RUN_JOB = "processing.tasks.run_job"
BATCH_STEP = "processing.tasks.batch_job_step"

# A runner handing over to its successor waits this long (about a minute) for the
# broker to come back: a successor lost to a broker restart is never replaced while
# another runner of the job lives (the sweeper only restarts jobs nobody works on), so
# the job would go on with fewer runners to the end (bench/faults.py).
HANDOFF_RETRY_POLICY = {
    "max_retries": 15,
    "interval_start": 1,
    "interval_step": 1,
    "interval_max": 5,
}


def _runner_send(job_id: int, options: dict) -> None:
    # By name from every process, web or worker: one way, and the same message the
    # task object would send (its options act where it runs, in the worker).
    celery_app.send_task(RUN_JOB, args=(job_id,), **options)


def enqueue_runners(job: ProcessingJob, count: int | None = None, *, handoff: bool = False) -> None:
    """Queue runner tasks once the surrounding transaction commits, so a worker never
    looks for a job row that is not there yet. ``handoff``: a runner queues its
    successor, and waits for an unreachable broker instead of giving up at once."""
    pending = count or max(
        1,
        min(
            settings.PROCESSING_PARALLEL_TASKS,
            -(-job.total // settings.PROCESSING_THREADS_PER_TASK),
        ),
    )
    job_id = job.pk
    options = {"retry": True, "retry_policy": HANDOFF_RETRY_POLICY} if handoff else {}
    transaction.on_commit(lambda: [_runner_send(job_id, options) for _ in range(pending)])


def enqueue_batch_step(job: ProcessingJob) -> None:
    """Queue one step of a batch job (``batches.job_batch_step``) once the surrounding
    transaction commits: submit what is pending, cancel, collect. Beat runs the same
    step every ``BATCH_POLL_SECONDS``, so a lost message only waits for the next poll."""
    job_id = job.pk
    transaction.on_commit(lambda: celery_app.send_task(BATCH_STEP, args=(job_id,)))


def enqueue_work(job: ProcessingJob) -> None:
    """Start (or resume) a job's work the way its mode does it: runners for a standard
    job, a batch step for a batch job."""
    if job.mode == ProcessingJob.Mode.BATCH:
        enqueue_batch_step(job)
    else:
        enqueue_runners(job)
