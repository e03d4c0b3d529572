"""The state machine of jobs and their work items: every status change happens here.

Each transition is one conditional UPDATE from the states it leaves and says whether
(or how many rows) it moved, so the caller knows if it won the race against another
request, runner or sweeper, and only the winner logs or queues what follows. Callers
keep their own non-status writes (counters, heartbeats, budget reservations).

Job (``ProcessingJob.status``), and who moves it::

    queued                    -> running      job_start            engine.job_run
    running                   -> paused       job_pause            budget (budget reached)
    paused                    -> running      job_resume           jobs.job_resume
    queued, running, paused   -> cancelling   job_cancel_request   jobs.job_cancel
    queued, running           (error noted)   job_fail             engine (no document can
                                                                   succeed); finish follows
    queued, running,          -> completed, completed_with_errors, failed, cancelled
      cancelling                              job_finish_if_done   engine, sweeper, jobs
    completed_with_errors,    -> queued       job_requeue_failed   jobs.job_retry_failed
      failed, cancelled

Work item (``JobDocument.status``)::

    pending  -> running                       item_claim           engine (a runner thread)
    pending  -> running (in a batch)          items_claim_for_batch batches (submission)
    running (in a batch) -> pending           items_unclaim_batch  batches (over budget)
    running  -> done                          item_done            outcomes.item_complete
    running  -> failed                        item_fail            outcomes.item_fail
    running  -> pending                       item_give_back       outcomes.item_give_back,
                                                                   item_release (paused)
    running  -> cancelled                     item_cancel          outcomes.item_release
    running  -> pending, failed, cancelled    item_take_back       sweeper (runner dead)
    pending  -> cancelled                     items_cancel_pending jobs.job_cancel
    pending  -> failed                        items_fail_pending   job_fail
    failed   -> pending                       job_requeue_failed   jobs.job_retry_failed

An item in a provider batch is running under the worker name ``batch:<token>`` with no
lease: the sweeper leaves it alone, and only the batch's collection (``batches.py``)
moves it on, through the same transitions, to done, failed, cancelled, or pending for
the live path.

A running item is written only while it is held (``item_held``): still running, under
the runner that claimed it, at the attempt it claimed. A runner that lost its item (the
sweeper took it back after its lease expired) can then write nothing more to it.

This module imports only the models: the services, the engine, the budget and the
sweeper import it, never the other way round.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from processing.models import JobDocument, ProcessingJob, ProcessingLog

Status = ProcessingJob.Status
ItemStatus = JobDocument.Status


def job_log(
    job: ProcessingJob,
    event: str,
    message: str,
    *,
    level: str = ProcessingLog.Level.INFO,
    document_id: int | None = None,
    user=None,
    data: dict | None = None,
) -> None:
    """One line of the job's audit trail: every state change is logged."""
    ProcessingLog.objects.create(
        project_id=job.project_id,
        job=job,
        document_id=document_id,
        user=user if getattr(user, "is_authenticated", False) else None,
        level=level,
        event=event,
        message=message,
        data=data or {},
    )


# --- Jobs ------------------------------------------------------------------------------


def job_start(*, job_id: int) -> bool:
    """queued -> running. The first start is kept across retries (``started_at``), and
    the heartbeat set, so the sweeper does not take the job for abandoned."""
    now = timezone.now()
    started = ProcessingJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=Coalesce("started_at", Value(now)), heartbeat_at=now
    )
    return bool(started)


def job_pause(*, job_id: int) -> bool:
    """running -> paused: the budget is reached. Runners see it and stop taking items."""
    paused = ProcessingJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
        status=Status.PAUSED, updated_at=timezone.now()
    )
    return bool(paused)


def job_resume(*, job_id: int, budget_usd: Decimal | None) -> bool:
    """paused -> running, with a new budget (or none): in one UPDATE, so no runner sees
    the job running under the budget that paused it."""
    resumed = ProcessingJob.objects.filter(pk=job_id, status=Status.PAUSED).update(
        status=Status.RUNNING, budget_usd=budget_usd, updated_at=timezone.now()
    )
    return bool(resumed)


def job_cancel_request(*, job_id: int) -> bool:
    """queued | running | paused -> cancelling: no new item is taken; the job is cancelled
    once the items in hand are back (``job_finish_if_done``)."""
    cancelling = ProcessingJob.objects.filter(
        pk=job_id, status__in=[Status.QUEUED, Status.RUNNING, Status.PAUSED]
    ).update(status=Status.CANCELLING, updated_at=timezone.now())
    return bool(cancelling)


def _outcome_status(job: ProcessingJob) -> str:
    if job.status == Status.CANCELLING:
        return Status.CANCELLED
    if job.error:
        return Status.FAILED
    if job.failed == 0:
        return Status.COMPLETED
    if job.succeeded == 0:
        return Status.FAILED
    return Status.COMPLETED_WITH_ERRORS


def job_finish_if_done(*, job_id: int) -> ProcessingJob | None:
    """queued | running | cancelling -> a finished state, once no item is pending or
    running (cancelling: running) and, for a batch job, every batch is collected.
    Safe to call from anywhere, any number of times: only the first caller moves the
    status, and logs it."""
    open_items = JobDocument.objects.filter(
        job_id=job_id, status__in=[ItemStatus.PENDING, ItemStatus.RUNNING]
    )
    job = ProcessingJob.objects.get(pk=job_id)
    if job.status == Status.CANCELLING:
        # Cancelling: only items still running keep the job open.
        open_items = open_items.filter(status=ItemStatus.RUNNING)
    elif job.status not in (Status.RUNNING, Status.QUEUED):
        return job
    if open_items.exists():
        return job
    uncollected = job.batches.filter(collected_at__isnull=True)
    if job.mode == ProcessingJob.Mode.BATCH and uncollected.exists():
        return job  # a batch's answers (and the budget it holds) are still to be recorded
    final = _outcome_status(job)
    updated = ProcessingJob.objects.filter(pk=job_id, status=job.status).update(
        status=final, finished_at=timezone.now()
    )
    if updated:
        job.refresh_from_db()
        summary = f"{job.succeeded} succeeded, {job.failed} failed"
        level = (
            ProcessingLog.Level.INFO if final == Status.COMPLETED else ProcessingLog.Level.WARNING
        )
        job_log(
            job,
            f"job_{final}",
            f"Job {job.get_status_display().lower()}: {summary}.",
            level=level,
            data={"cost_usd": str(job.cost_usd)},
        )
    return job


def job_fail(*, job_id: int, message: str) -> bool:
    """A problem no document can get past (no API key, unknown model), on a queued or
    running job: note it, mark what is left failed (so "retry failed" picks it all up
    once it is fixed), and close the job (failed) when its items in hand are back."""
    noted = ProcessingJob.objects.filter(
        pk=job_id, status__in=[Status.QUEUED, Status.RUNNING]
    ).update(error=message)
    if not noted:
        return False
    left = items_fail_pending(job_id=job_id, error=message)
    ProcessingJob.objects.filter(pk=job_id).update(
        processed=F("processed") + left, failed=F("failed") + left
    )
    job_log(
        ProcessingJob.objects.get(pk=job_id), "job_error", message, level=ProcessingLog.Level.ERROR
    )
    job_finish_if_done(job_id=job_id)
    return True


def job_requeue_failed(*, job_id: int) -> int:
    """A finished job's failed items -> pending (attempts from zero), and the job ->
    queued, its counters and error taken back; returns how many items. 0: the job is not
    finished or has no failed item, and nothing moved. IntegrityError: another job of
    the same run holds the documents (``one_active_job_per_run``)."""
    with transaction.atomic():
        status = (
            ProcessingJob.objects.select_for_update()
            .filter(pk=job_id, status__in=ProcessingJob.FINISHED)
            .values_list("status", flat=True)
            .first()
        )
        if status is None:
            return 0
        # A batch job's failed items go into a new batch (batch cleared), as at first.
        count = JobDocument.objects.filter(job_id=job_id, status=ItemStatus.FAILED).update(
            status=ItemStatus.PENDING,
            attempts=0,
            error="",
            lease_expires_at=None,
            worker="",
            batch=None,
        )
        if count:
            ProcessingJob.objects.filter(pk=job_id, status=status).update(
                status=Status.QUEUED,
                processed=F("processed") - count,
                failed=F("failed") - count,
                error="",
                finished_at=None,
            )
    return count


# --- Work items -------------------------------------------------------------------------


def live_items(job: ProcessingJob) -> Q:
    """The items live runners may take: all of a standard job's; of a batch job, only
    those a provider batch sent back (the others wait for the next batch)."""
    if job.mode == ProcessingJob.Mode.BATCH:
        return Q(batch__isnull=False)
    return Q()


def item_claim(*, job_id: int, worker: str, live: Q | None = None) -> JobDocument | None:
    """pending -> running: take the next pending item of the job (among ``live``) under
    a lease, or None when there is none.

    The conditional UPDATE (status still pending) is what makes the claim safe: two
    runners may pick the same candidate, only one UPDATE changes a row. On PostgreSQL
    ``skip_locked`` spreads runners over different candidates.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=settings.PROCESSING_LEASE_SECONDS)
    for _ in range(10):
        with transaction.atomic():
            candidate = (
                JobDocument.objects.select_for_update(skip_locked=True)
                .filter(live or Q(), job_id=job_id, status=ItemStatus.PENDING)
                .order_by("id")
                .values_list("pk", flat=True)
                .first()
            )
            if candidate is None:
                return None
            claimed = JobDocument.objects.filter(pk=candidate, status=ItemStatus.PENDING).update(
                status=ItemStatus.RUNNING,
                attempts=F("attempts") + 1,
                lease_expires_at=lease,
                worker=worker,
                started_at=now,
            )
        if claimed:
            return JobDocument.objects.select_related("document").get(pk=candidate)
    return None


def batch_worker(token: str) -> str:
    """The worker name under which a provider batch holds its items."""
    return f"batch:{token}"


def items_claim_for_batch(*, job_id: int, item_ids: list[int], batch) -> int:
    """pending (never batched) -> running, held by ``batch`` (a ``ProviderBatch``) with
    no lease; returns how many. An item another submitter took first is left out."""
    return JobDocument.objects.filter(
        pk__in=item_ids, job_id=job_id, status=ItemStatus.PENDING, batch__isnull=True
    ).update(
        status=ItemStatus.RUNNING,
        batch=batch,
        worker=batch_worker(batch.token),
        attempts=F("attempts") + 1,
        lease_expires_at=None,
        started_at=timezone.now(),
    )


def items_unclaim_batch(*, batch) -> int:
    """running (held by ``batch``, never submitted) -> pending, as if never claimed: the
    budget refused the batch before anything was sent."""
    return JobDocument.objects.filter(batch=batch, status=ItemStatus.RUNNING).update(
        status=ItemStatus.PENDING,
        batch=None,
        worker="",
        attempts=F("attempts") - 1,
        started_at=None,
        asked=None,
    )


def _held_by(worker: str) -> Q:
    return Q(status=ItemStatus.RUNNING, worker=worker)


def item_held(*, item: JobDocument, worker: str) -> QuerySet[JobDocument]:
    """The item's row, only while ``worker`` still holds it: running, under this runner,
    at the attempt it claimed (not taken back after a lease expiry and claimed again).
    The guard that keeps a slow runner from writing twice."""
    return JobDocument.objects.filter(_held_by(worker), pk=item.pk, attempts=item.attempts)


def item_leases_renew(*, item_ids: list[int], worker: str) -> int:
    """Extend the leases of the items ``worker`` still holds while their calls run (no
    state change: a taken-back item is left alone)."""
    lease = timezone.now() + timedelta(seconds=settings.PROCESSING_LEASE_SECONDS)
    return JobDocument.objects.filter(_held_by(worker), pk__in=item_ids).update(
        lease_expires_at=lease
    )


def _item_leave(item: JobDocument, worker: str, status: str, fields: dict) -> bool:
    """running (held by ``worker``) -> ``status``, with the outcome's ``fields``."""
    moved = item_held(item=item, worker=worker).update(
        status=status, lease_expires_at=None, **fields
    )
    return bool(moved)


def item_done(*, item: JobDocument, worker: str, **fields) -> bool:
    """running -> done. ``fields``: what the outcome records (spend, error...)."""
    return _item_leave(item, worker, ItemStatus.DONE, {"finished_at": timezone.now(), **fields})


def item_fail(*, item: JobDocument, worker: str, **fields) -> bool:
    """running -> failed: out of attempts, or an error retrying cannot fix."""
    return _item_leave(item, worker, ItemStatus.FAILED, {"finished_at": timezone.now(), **fields})


def item_give_back(*, item: JobDocument, worker: str, **fields) -> bool:
    """running -> pending: another runner (or this one) takes it again later."""
    return _item_leave(item, worker, ItemStatus.PENDING, {"worker": "", **fields})


def item_cancel(*, item: JobDocument, worker: str, **fields) -> bool:
    """running -> cancelled: its job was cancelled while the document was in progress."""
    return _item_leave(item, worker, ItemStatus.CANCELLED, {"worker": "", **fields})


# Where the sweeper may put an item its dead runner held.
TAKE_BACK_TO = frozenset({ItemStatus.PENDING, ItemStatus.FAILED, ItemStatus.CANCELLED})


def item_take_back(*, item: JobDocument, status: str, error: str) -> bool:
    """running -> ``status`` (pending, failed or cancelled), by the sweeper, from a runner
    that stopped renewing its lease: only if that runner still holds it at the attempt
    the sweeper read, so a runner finishing at that moment keeps its outcome."""
    if status not in TAKE_BACK_TO:
        raise ValueError(f"An item cannot be taken back to {status!r}.")
    fields = {"worker": "", "error": error}
    if status == ItemStatus.FAILED:  # out of attempts: it ends here, as item_fail says
        fields["finished_at"] = timezone.now()
    return _item_leave(item, item.worker, status, fields)


def items_cancel_pending(*, job_id: int) -> int:
    """pending -> cancelled, for every pending item of a job being cancelled."""
    return JobDocument.objects.filter(job_id=job_id, status=ItemStatus.PENDING).update(
        status=ItemStatus.CANCELLED, lease_expires_at=None
    )


def items_fail_pending(*, job_id: int, error: str) -> int:
    """pending -> failed, for every pending item of a job no document can succeed in."""
    return JobDocument.objects.filter(job_id=job_id, status=ItemStatus.PENDING).update(
        status=ItemStatus.FAILED, error=error
    )
