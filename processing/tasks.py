"""Celery tasks of step 4: thin wrappers that take an id and call the engine."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from processing.batches import job_batch_step, open_batch_jobs
from processing.engine import job_run
from processing.sweeper import sweep

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(job_id: int) -> None:
    """One runner for the job (several may run at once; the work items decide who does
    what, so a redelivered message is harmless)."""
    job_run(job_id=job_id, hostname=run_job.request.hostname or "worker")


@shared_task(ignore_result=True)
def sweep_jobs() -> dict:
    return sweep()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def batch_job_step(job_id: int) -> None:
    """One step of a batch job: submit, cancel, poll, collect (leases on each batch make
    two steps at once harmless)."""
    job_batch_step(job_id=job_id)


@shared_task(ignore_result=True)
def poll_batches() -> int:
    """Beat, every ``BATCH_POLL_SECONDS``: a step for every batch job with work open."""
    jobs = open_batch_jobs()
    for job_id in jobs:
        # A step not started by the next poll is replaced by that poll's.
        batch_job_step.apply_async(args=(job_id,), expires=settings.BATCH_POLL_SECONDS)
    return len(jobs)


@worker_ready.connect
def sweep_on_start(sender=None, **kwargs) -> None:
    """A worker that starts after a crash puts its predecessor's work back right away."""
    hostname = getattr(sender, "hostname", None)
    try:
        sweep(restarted_hostname=hostname)
        poll_batches.apply_async()
    except Exception:  # the worker must start even if the database is briefly away
        logger.exception("sweep at worker start failed; beat will sweep again")
