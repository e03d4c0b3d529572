"""Reads of step 4: jobs, their items and logs, scoped to the projects of their owner and
members."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from processing.models import JobDocument, ProcessingJob, ProcessingLog
from projects import access
from projects.selectors import require_role
from schemas.versions import with_version_number


def job_get_for_user(user, job_id: int, *, can: str = access.READ) -> ProcessingJob:
    """A job of one of the user's projects (404 otherwise); ``can``: what the request
    does with it (cancelling, retrying, resuming are the owner's)."""
    job = get_object_or_404(with_version_number(ProcessingJob.objects.for_user(user)), pk=job_id)
    if can != access.READ:
        require_role(user, job.project, can)
    return job


def jobs_for_project(project) -> QuerySet[ProcessingJob]:
    return with_version_number(ProcessingJob.objects.filter(project=project)).prefetch_related(
        "batches"
    )


def job_eta_seconds(job: ProcessingJob) -> int | None:
    """Remaining time at the pace so far; None until there is a pace to go by."""
    if job.status != ProcessingJob.Status.RUNNING or not job.processed or not job.started_at:
        return None
    if job.mode == ProcessingJob.Mode.BATCH:
        return None  # answers arrive a batch at a time, whenever the provider is done
    elapsed = (timezone.now() - job.started_at).total_seconds()
    return max(round(elapsed / job.processed * (job.total - job.processed)), 0)


def job_items(job: ProcessingJob, *, status: str = "") -> QuerySet[JobDocument]:
    items = (
        JobDocument.objects.filter(job=job)
        .select_related("document")
        .only(
            "id",
            "status",
            "attempts",
            "error",
            "llm_calls",
            "cost_usd",
            "asked",
            "started_at",
            "finished_at",
            "document__id",
            "document__name",
            "document__project_id",
        )
    )
    if status in JobDocument.Status.values:
        items = items.filter(status=status)
    return items


def job_logs(job: ProcessingJob, *, level: str = "") -> QuerySet[ProcessingLog]:
    logs = (
        ProcessingLog.objects.filter(job=job)
        .select_related("document")
        .only(
            "id",
            "created_at",
            "level",
            "event",
            "message",
            "data",
            "document__id",
            "document__name",
        )
    )
    if level in ProcessingLog.Level.values:
        logs = logs.filter(level=level)
    return logs
