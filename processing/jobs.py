"""Job services: create, cancel, retry failed, resume. Every change is logged.

The checks and messages live here; the state changes themselves are the conditional
UPDATEs of ``lifecycle.py``, so two requests (or a request and a worker) racing on the
same job cannot both win.
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, QuerySet

from extractor.llm.batch import batch_support
from processing import lifecycle, reuse
from processing.carry import carry_unchanged
from processing.dispatch import enqueue_batch_step, enqueue_work
from processing.estimates import job_estimate
from processing.lifecycle import job_log
from processing.models import JobDocument, ProcessingJob, ProcessingLog
from processing.signals import full_run_requested
from projects.models import Document, Project
from schemas.inputs import MODE_MESSAGE
from schemas.models import SchemaVersion
from schemas.versions import current_version

Status = ProcessingJob.Status
ItemStatus = JobDocument.Status


class JobConflict(Exception):
    """The job cannot be created or changed in its current state (HTTP 409)."""

    def __init__(self, message: str, *, code: str = "conflict", details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.details = details or {}


def active_run(*, project_id: int, version_id: int, kind: str) -> ProcessingJob | None:
    """The job of this run (project, schema version, kind) that still holds its
    documents, if any: there is at most one (the ``one_active_job_per_run`` index)."""
    return (
        ProcessingJob.objects.filter(
            project_id=project_id,
            schema_version_id=version_id,
            kind=kind,
            status__in=ProcessingJob.HOLDING,
        )
        .order_by("-id")
        .first()
    )


def _nothing_to_run(run: dict, message: str) -> JobConflict:
    """No document left for a new run: because the same run is active (started a moment
    ago, with these documents), or as ``message`` says."""
    if active_run(**run) is not None:
        return _run_conflict(**run)
    return JobConflict(message, code="nothing_to_process")


def _without_taken(*, project: Project, version, chosen: list[int]) -> list[int]:
    """``chosen`` less what another run took since it was chosen. Called in the
    transaction that creates the job: the project's row lock orders job creations."""
    Project.objects.select_for_update().filter(pk=project.pk).first()
    taken = _in_flight(version.pk, project.model_name)
    return [pk for pk in chosen if pk not in taken]


def _run_conflict(*, project_id: int, version_id: int, kind: str) -> JobConflict:
    job = active_run(project_id=project_id, version_id=version_id, kind=kind)
    if job is None:  # finished between the refusal and this read: say so plainly
        return JobConflict(
            "Another request started or resumed this run at the same moment; reload.",
            code="job_running",
        )
    return JobConflict(
        f"A {job.get_kind_display().lower()} run of this schema version is already "
        f"{job.get_status_display().lower()} (job {job.pk}): wait for it to finish, "
        "or cancel it first.",
        code="job_running",
        details={"job_id": job.pk, "status": job.status},
    )


class JobInputError(Exception):
    """Bad input for a new job, per field (HTTP 400)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(" ".join(v) for v in errors.values()))
        self.errors = errors


def _sample_documents(documents: list[int], size: int, seed: int) -> list[int]:
    """A reproducible random choice: the same seed over the same documents gives the
    same sample, so a sample can be explained and repeated."""
    if size >= len(documents):
        return documents
    return sorted(random.Random(seed).sample(documents, size))


def _not_done(
    documents: QuerySet[Document], version: SchemaVersion, model: str
) -> QuerySet[Document]:
    """Narrow a document queryset to those lacking a value of the version with this model
    (``reuse.lacking``) and not queued for it in a job still active: a full run skips the
    rest so nothing is paid twice. Both tests run in the database (a project at 50
    variables x 1,000 documents has 50,000 extraction rows; only the answer, one id per
    document, leaves)."""
    in_flight = _in_flight_items(version.pk, model).filter(document=OuterRef("pk"))
    return reuse.lacking(documents, version, model).exclude(Exists(in_flight))


def _in_flight_items(version_id: int, model: str) -> QuerySet[JobDocument]:
    """Items queued or being processed for this version and model by a job that still
    holds them (of either kind): a new run leaves their documents out, or they are paid
    twice."""
    return JobDocument.objects.filter(
        job__schema_version_id=version_id,
        job__model=model,
        job__status__in=ProcessingJob.HOLDING,
        status__in=[ItemStatus.PENDING, ItemStatus.RUNNING],
    )


def _in_flight(version_id: int, model: str) -> set[int]:
    return set(_in_flight_items(version_id, model).values_list("document_id", flat=True))


def full_run_documents(project: Project, version: SchemaVersion) -> QuerySet[Document]:
    """The documents a full run would process now (ready, lacking a value), as a query:
    the step-4 page counts them and estimates over them without loading their ids."""
    return _not_done(project.documents.ready(), version, project.model_name)


def _chosen_documents(
    *,
    project: Project,
    kind: str,
    ready: list[int],
    version: SchemaVersion,
    sample_size: int,
    document_ids: list[int] | None,
    seed: int,
) -> list[int]:
    if document_ids:
        unknown = sorted(set(document_ids) - set(ready))
        if unknown:
            raise JobInputError(
                {"document_ids": [f"Not ready documents of this project: {unknown[:20]}."]}
            )
        return sorted(set(document_ids))
    # Documents lacking a value and not in another run's hands: a sample checks answers
    # the version does not have yet, a full run completes it.
    remaining = list(
        full_run_documents(project, version).order_by("id").values_list("pk", flat=True)
    )
    if kind == ProcessingJob.Kind.SAMPLE:
        return _sample_documents(remaining, sample_size, seed)
    return remaining


# What ProcessingJob.budget_usd holds (14 digits, 6 after the point), so what every
# form and API field accepts before anything is stored.
BUDGET_PLACES = Decimal("0.000001")
BUDGET_LIMIT = Decimal(10) ** 8


def budget_checked(budget_usd: Decimal | None) -> Decimal | None:
    """A budget as stored, or JobInputError: a value the column cannot hold would be
    saved by SQLite and break every later read of the job (and the sweeper's)."""
    if budget_usd is None:
        return None
    if not budget_usd.is_finite():
        raise JobInputError({"budget_usd": ["A budget must be an amount in USD."]})
    if budget_usd <= 0:
        raise JobInputError({"budget_usd": ["A budget must be more than zero."]})
    # Rounded only below the limit (quantize() fails on huge values); 99999999.9999999
    # rounds up to it, so the limit is checked on the stored value.
    stored = (
        max(budget_usd.quantize(BUDGET_PLACES, rounding=ROUND_HALF_UP), BUDGET_PLACES)
        if budget_usd < BUDGET_LIMIT
        else budget_usd
    )
    if stored >= BUDGET_LIMIT:
        raise JobInputError({"budget_usd": ["A budget must be under $100,000,000."]})
    return stored


def job_create(
    *,
    project: Project,
    user,
    kind: str,
    sample_size: int | None = None,
    document_ids: list[int] | None = None,
    budget_usd: Decimal | None = None,
    reliability_override: str = "",
    mode: str = ProcessingJob.Mode.STANDARD,
) -> ProcessingJob:
    """Snapshot the work of a new job (one item per document), estimate what exactly
    those documents will cost, and queue it. A full run first passes the gates later
    apps set (``signals.full_run_requested``: the reliability gate), unless the owner
    gives ``reliability_override``, a reason that is recorded. ``mode="batch"`` sends
    the requests through the provider's Batch API (``batches.py``): offered only when
    the provider has one, and refused when its estimate exceeds the budget."""
    if kind not in ProcessingJob.Kind.values:
        raise JobInputError({"kind": ["Choose sample or full."]})
    if mode not in ProcessingJob.Mode.values:
        raise JobInputError({"mode": [MODE_MESSAGE.format(input=mode)]})
    if sample_size is not None and sample_size < 1:
        raise JobInputError({"sample_size": ["A sample needs at least one document."]})
    budget_usd = budget_checked(budget_usd)
    version = current_version(project)
    if version is None:
        raise JobConflict(
            "Confirm a schema version (step 3) before processing.", code="no_confirmed_schema"
        )
    ready = list(project.documents.ready().order_by("id").values_list("pk", flat=True))
    if not ready:
        raise JobConflict("The project has no readable documents yet.", code="no_documents")
    run = {"project_id": project.pk, "version_id": version.pk, "kind": kind}
    if active_run(**run) is not None:
        raise _run_conflict(**run)
    # Gates of later apps refuse by raising; one passed by the owner's reason answers
    # what the job's log records of it.
    passed = []
    if kind == ProcessingJob.Kind.FULL:
        answers = full_run_requested.send(
            ProcessingJob,
            project=project,
            version=version,
            user=user,
            override_reason=reliability_override.strip(),
        )
        passed = [answer for _receiver, answer in answers if answer]
    # Values the previous version received since this one was confirmed (a run still
    # going then) are carried now, so the run does not ask for them.
    carry_unchanged(version)
    model = project.model_name
    seed = random.SystemRandom().randrange(2**31)
    size = sample_size or settings.PROCESSING_SAMPLE_SIZE
    chosen = _chosen_documents(
        project=project,
        kind=kind,
        ready=ready,
        version=version,
        sample_size=size,
        document_ids=document_ids,
        seed=seed,
    )
    if not chosen:
        raise _nothing_to_run(
            run,
            f"Every ready document already has every value of version {version.number} with "
            f"{model} (or is being processed). Nothing to run.",
        )
    if mode == ProcessingJob.Mode.BATCH:
        _batch_available()
    estimate = job_estimate(
        project=project,
        version=version,
        kind=ProcessingJob.Kind.FULL,
        document_ids=chosen,
        mode=mode,
    )
    try:
        with transaction.atomic():
            if not document_ids:
                untaken = _without_taken(project=project, version=version, chosen=chosen)
                if not untaken:
                    raise _nothing_to_run(
                        run,
                        "The documents of this run were all taken by another run started "
                        "a moment ago. Nothing to run.",
                    )
                if len(untaken) < len(chosen):
                    chosen = untaken
                    estimate = job_estimate(
                        project=project,
                        version=version,
                        kind=ProcessingJob.Kind.FULL,
                        document_ids=chosen,
                        mode=mode,
                    )
            if mode == ProcessingJob.Mode.BATCH:
                _batch_within_budget(estimate.cost_usd, budget_usd)
            job = ProcessingJob.objects.create(
                project=project,
                schema_version=version,
                kind=kind,
                mode=mode,
                model=model,
                seed=seed if kind == ProcessingJob.Kind.SAMPLE else None,
                sample_size=size if kind == ProcessingJob.Kind.SAMPLE else None,
                total=len(chosen),
                budget_usd=budget_usd,
                estimated_cost_usd=Decimal(str(estimate.cost_usd)),
                created_by=user if getattr(user, "is_authenticated", False) else None,
            )
            JobDocument.objects.bulk_create(
                (JobDocument(job=job, document_id=pk) for pk in chosen), batch_size=1000
            )
            job_log(
                job,
                "job_created",
                f"{job.get_kind_display()} job of {len(chosen)} document(s) with schema "
                f"version {version.number} and {model}"
                + (" through the provider's Batch API." if mode == "batch" else "."),
                user=user,
                data={"seed": seed, "documents": len(chosen), "mode": mode},
            )
            for gate in passed:
                job_log(
                    job,
                    gate["event"],
                    gate["message"],
                    user=user,
                    level=ProcessingLog.Level.WARNING,
                    data=gate["data"],
                )
            enqueue_work(job)
    except IntegrityError:
        # The same run, created by a concurrent request (a double click) a moment ago;
        # any other integrity error is a bug to see, not a conflict to report.
        if active_run(**run) is None:
            raise
        raise _run_conflict(**run) from None
    return job


def _batch_available() -> None:
    """Batch mode needs a provider with a Batch API: 409 with the reason otherwise."""
    support = batch_support()
    if not support.available:
        raise JobConflict(
            f"Batch mode is not available: {support.reason}", code="batch_unavailable"
        )


def _batch_within_budget(estimate_usd: float, budget_usd: Decimal | None) -> None:
    """A batch cannot be stopped half way like a standard run: one whose estimate
    exceeds its budget is refused before anything is sent, with the figures."""
    estimate = Decimal(str(estimate_usd))
    if budget_usd is not None and estimate > budget_usd:
        raise JobConflict(
            f"The run should cost ${estimate:.4f} at the batch price, more than its budget "
            f"of ${budget_usd:.4f}. Raise the budget, or run fewer documents.",
            code="over_budget",
            details={"estimated_cost_usd": float(estimate), "budget_usd": float(budget_usd)},
        )


def job_cancel(*, job: ProcessingJob, user=None) -> ProcessingJob:
    """Stop new work at once; items in flight finish or are abandoned between calls."""
    if not lifecycle.job_cancel_request(job_id=job.pk):
        job.refresh_from_db()
        if job.status in (Status.CANCELLING, Status.CANCELLED):
            return job
        raise JobConflict(f"A {job.get_status_display().lower()} job cannot be cancelled.")
    cancelled = lifecycle.items_cancel_pending(job_id=job.pk)
    job_log(
        job, "job_cancelling", f"Cancelled by the user; {cancelled} item(s) dropped.", user=user
    )
    if job.mode == ProcessingJob.Mode.BATCH:
        # Its batches at the provider are cancelled (and what they answered recorded).
        with transaction.atomic():
            enqueue_batch_step(job)
    lifecycle.job_finish_if_done(job_id=job.pk)
    job.refresh_from_db()
    return job


def job_retry_failed(*, job: ProcessingJob, user=None) -> ProcessingJob:
    """Queue the failed items again (and only those); finished work stays as it is."""
    if job.status in ProcessingJob.ACTIVE:
        raise JobConflict("The job is still running; wait for it to finish.")
    if job.status == Status.PAUSED:
        raise JobConflict("The job is paused by its budget: resume it, or cancel it first.")
    try:
        return _retry_failed(job=job, user=user)
    except IntegrityError:
        # Another job of the same run is active: queueing this one would run it twice.
        raise _run_conflict(
            project_id=job.project_id, version_id=job.schema_version_id, kind=job.kind
        ) from None


def _retry_failed(*, job: ProcessingJob, user) -> ProcessingJob:
    with transaction.atomic():
        count = lifecycle.job_requeue_failed(job_id=job.pk)
        if not count:
            raise JobConflict("The job has no failed documents to retry.", code="nothing_to_retry")
        job.refresh_from_db()
        job_log(job, "retry_failed", f"{count} failed document(s) queued again.", user=user)
        enqueue_work(job)
    return job


def job_resume(
    *, job: ProcessingJob, budget_usd: Decimal | None = None, user=None
) -> ProcessingJob:
    """Continue a job paused by its budget, with a new (higher) budget or none."""
    if job.status != Status.PAUSED:
        raise JobConflict("Only a job paused by its budget can be resumed.")
    budget_usd = budget_checked(budget_usd)
    if budget_usd is not None and budget_usd <= job.cost_usd:
        raise JobInputError(
            {
                "budget_usd": [
                    f"The job has already spent ${job.cost_usd:.4f}; raise the budget "
                    "above that or remove it."
                ]
            }
        )
    if lifecycle.job_resume(job_id=job.pk, budget_usd=budget_usd):
        job.refresh_from_db()
        budget = f"${budget_usd:.2f}" if budget_usd is not None else "no budget"
        job_log(job, "job_resumed", f"Resumed with {budget}.", user=user)
        with transaction.atomic():
            enqueue_work(job)
    return job


def job_counts(job: ProcessingJob) -> dict[str, int]:
    """Items per status, for the progress view."""
    rows = JobDocument.objects.filter(job=job).values("status").annotate(n=Count("id"))
    counts = dict.fromkeys(ItemStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts
