"""The sweeper: puts back the work of dead runners and closes jobs nobody will close.

Runs at worker start and every ``SWEEP_INTERVAL_SECONDS`` (Celery beat). Everything it
does is a conditional UPDATE (the transitions of ``lifecycle.py``), so two sweepers at
once are harmless.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from extractor.llm.records import abandon_stale_calls
from processing import lifecycle
from processing.budget import item_reservation_release, job_reservations_reconcile
from processing.dispatch import enqueue_runners
from processing.lifecycle import job_log
from processing.models import JobDocument, ProcessingJob, ProcessingLog

logger = logging.getLogger(__name__)
Status = ProcessingJob.Status
ItemStatus = JobDocument.Status


def _requeue(items, reason: str, dead_runners: dict[int, set[str]]) -> int:
    """Give running items back (or fail those out of attempts); returns how many, and
    adds the runners that held them to ``dead_runners`` (job id -> runner ids)."""
    count = 0
    for item in items.select_related("job"):
        exhausted = item.attempts >= settings.PROCESSING_MAX_ATTEMPTS
        target = ItemStatus.FAILED if exhausted else ItemStatus.PENDING
        if item.job.status == Status.CANCELLING:
            target = ItemStatus.CANCELLED
        error = f"Gave up after {item.attempts} attempts: {reason}" if exhausted else item.error
        with transaction.atomic():
            updated = lifecycle.item_take_back(item=item, status=target, error=error)
            if updated:
                # What the dead runner held against the budget must not block the job.
                item_reservation_release(item_id=item.pk, job_id=item.job_id)
        if not updated:
            continue
        count += 1
        dead_runners.setdefault(item.job_id, set()).add(item.worker)
        if target == ItemStatus.FAILED:
            ProcessingJob.objects.filter(pk=item.job_id).update(
                processed=F("processed") + 1, failed=F("failed") + 1
            )
        job_log(
            item.job,
            "item_requeued" if target == ItemStatus.PENDING else "item_failed",
            f"{reason}; {'queued again' if target == ItemStatus.PENDING else error}.",
            level=ProcessingLog.Level.WARNING,
            document_id=item.document_id,
            data={"attempts": item.attempts, "worker": item.worker},
        )
    return count


def sweep(*, restarted_hostname: str | None = None) -> dict[str, int]:
    """One pass. ``restarted_hostname``: a worker that just started under this name holds
    nothing yet, so anything still marked as running under it belonged to its previous,
    dead incarnation and is put back at once instead of waiting for the lease."""
    now = timezone.now()
    expired = JobDocument.objects.filter(status=ItemStatus.RUNNING, lease_expires_at__lt=now)
    dead_runners: dict[int, set[str]] = {}
    requeued = _requeue(expired, "the worker stopped renewing its lease", dead_runners)
    if restarted_hostname:
        orphans = JobDocument.objects.filter(
            status=ItemStatus.RUNNING, worker__startswith=f"{restarted_hostname}:"
        )
        requeued += _requeue(orphans, f"worker {restarted_hostname} restarted", dead_runners)

    stale = now - timedelta(seconds=max(settings.PROCESSING_LEASE_SECONDS, 30))
    restarted = 0
    for job in ProcessingJob.objects.filter(
        status__in=[Status.QUEUED, Status.RUNNING, Status.CANCELLING]
    ):
        lifecycle.job_finish_if_done(job_id=job.pk)
        job.refresh_from_db()
        if job.status not in (Status.QUEUED, Status.RUNNING):
            continue
        # Documents live runners may take (a batch job's others wait for its batches).
        has_pending = (
            JobDocument.objects.filter(lifecycle.live_items(job), job=job)
            .filter(status=ItemStatus.PENDING)
            .exists()
        )
        quiet = job.heartbeat_at is None or job.heartbeat_at < stale
        # Runners whose items came back are dead, and the job's other runners keep it
        # from ever looking quiet: replace each, or the job goes on with fewer to the end.
        lost = min(len(dead_runners.get(job.pk, ())), settings.PROCESSING_PARALLEL_TASKS)
        if has_pending and (quiet or restarted_hostname or lost):
            # No runner has shown signs of life: its message may be lost with a dead
            # worker. An extra runner is harmless (it finds nothing and ends).
            with transaction.atomic():
                enqueue_runners(job, count=max(lost, 1))
            ProcessingJob.objects.filter(pk=job.pk).update(heartbeat_at=now)
            restarted += 1
    # A call can last at most the gateway's total timeout; twice that is safely dead.
    abandon_stale_calls(older_than_seconds=2 * settings.LLM_TOTAL_TIMEOUT)
    job_reservations_reconcile()
    if requeued or restarted:
        logger.info("sweeper: %s item(s) requeued, %s job(s) restarted", requeued, restarted)
    return {"requeued": requeued, "restarted_jobs": restarted}
