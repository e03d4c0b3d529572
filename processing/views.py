"""Step 4 wizard pages: run a sample, watch it, check it, run the corpus."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from extractor.inputs import field_messages
from extractor.llm.batch import batch_support
from extractor.throttling import wizard_throttle
from processing import jobs
from processing.estimates import draft_estimates, job_estimate, job_estimates
from processing.inputs import JobCreateSerializer, ResumeSerializer, job_input
from processing.models import JobDocument, ProcessingJob
from processing.selectors import job_eta_seconds, job_items, job_logs, jobs_for_project
from projects import access
from projects.selectors import project_get_for_user
from projects.views import project_context
from schemas.inputs import EstimateQuerySerializer
from schemas.versions import current_version, schema_state

STOP_POLLING = 286  # htmx stops polling on this status
KINDS = (ProcessingJob.Kind.SAMPLE, ProcessingJob.Kind.FULL)


def _estimates(project, version) -> dict:
    if version is None:
        return {}
    remaining = jobs.full_run_documents(project, version)
    count = remaining.count()
    runs = {"sample": {"kind": "sample"}}
    if count:
        runs["full"] = {"kind": "full", "document_ids": remaining.values("pk")}
    return job_estimates(project=project, version=version, runs=runs) | {"remaining": count}


@require_GET
def index(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id)
    return render(request, "wizard/step4/index.html", _index_context(project))


def _index_context(project) -> dict:
    state = schema_state(project)
    version = state.current
    project_jobs = jobs_for_project(project)
    latest_sample = project_jobs.filter(kind=ProcessingJob.Kind.SAMPLE).first()
    ready = project.documents.ready().count()
    estimates = _estimates(project, version)
    context = project_context(project, step=4) | {
        "state": state,
        "version": version,
        "jobs": project_jobs[:50],
        "latest_sample": latest_sample,
        "estimates": estimates,
        "ready_count": ready,
        "default_sample_size": min(settings.PROCESSING_SAMPLE_SIZE, ready),
    }
    if estimates.get("remaining") and context["can_manage"]:
        # The full run's form offers batch mode, or shows why the provider cannot.
        context["batch"] = batch_support()
    return context


@require_GET
def sample_estimate(request: HttpRequest, project_id: int) -> HttpResponse:
    """The sample's estimate for the size being typed (the form asks as it changes)."""
    project = project_get_for_user(request.user, project_id)
    version = current_version(project)
    if version is None:
        return HttpResponse(status=204)
    query = EstimateQuerySerializer(data=request.GET)
    if not query.is_valid():  # 0, negative, not a number: no estimate to show for it
        problems = field_messages(query.errors).values()
        context = {"project": project, "size_error": " ".join(" ".join(p) for p in problems)}
    else:
        size = query.validated_data["sample_size"]
        estimate = job_estimate(project=project, version=version, kind="sample", sample_size=size)
        context = {"project": project, "estimates": {"sample": estimate}}
    return render(request, "wizard/step4/index.html#sample-estimate", context)


@require_GET
def next_run_estimate(request: HttpRequest, project_id: int) -> HttpResponse:
    """Step 3's estimate of the next sample and full run if the draft is confirmed now:
    loaded into the page by htmx (schemas does not read processing's values)."""
    project = project_get_for_user(request.user, project_id)
    estimates = {}
    if project.variables.exists():
        estimates = draft_estimates(project=project, kinds=KINDS)
    context = {"project": project, "estimates": estimates}
    return render(request, "wizard/step3/_next_run_estimate.html", context)


@require_POST
@wizard_throttle("job")
def job_start(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    try:
        data = job_input(JobCreateSerializer(data=request.POST))
        job = jobs.job_create(
            project=project,
            user=request.user,
            kind=data["kind"],
            sample_size=data.get("sample_size"),
            document_ids=data.get("document_ids"),
            budget_usd=data.get("budget_usd"),
            reliability_override=data.get("reliability_override", ""),
            mode=data["mode"],
        )
    except jobs.JobInputError as exc:
        for problems in exc.errors.values():
            messages.error(request, " ".join(problems))
        # The page again with what was typed, to be mended rather than typed anew.
        context = _index_context(project) | {"typed": request.POST}
        return render(request, "wizard/step4/index.html", context, status=400)
    except jobs.JobConflict as exc:
        if exc.code == "job_running" and "job_id" in exc.details:
            # Most often a second click on the same button: show the run it started.
            messages.info(request, str(exc))
            return redirect("processing:job", project.pk, exc.details["job_id"])
        messages.error(request, str(exc))
        return redirect("processing:index", project.pk)
    messages.success(request, f"{job.get_kind_display()} job started on {job.total} document(s).")
    return redirect("processing:job", project.pk, job.pk)


def _job_for_project(request: HttpRequest, project_id: int, job_id: int):
    """The job in its project; cancelling, retrying and resuming are the owner's."""
    can = access.for_method(request.method)
    project = project_get_for_user(request.user, project_id, can=can)
    job = get_object_or_404(jobs_for_project(project), pk=job_id)
    return project, job


@require_GET
def job_detail(request: HttpRequest, project_id: int, job_id: int) -> HttpResponse:
    project, job = _job_for_project(request, project_id, job_id)
    status = request.GET.get("status", "")
    page = Paginator(job_items(job, status=status), 50).get_page(request.GET.get("page"))
    context = project_context(project, step=4) | {
        "job": job,
        "eta": job_eta_seconds(job),
        "counts": jobs.job_counts(job),
        "page": page,
        "status": status,
        "item_statuses": JobDocument.Status.choices,
        "logs": job_logs(job)[:100],
        "active": job.status in ProcessingJob.ACTIVE,
        "batches": _batches(job),
    }
    template = "wizard/step4/job.html"
    if request.htmx and request.htmx.target == "job-items":
        template += "#job-items"
    return render(request, template, context)


def _batches(job: ProcessingJob) -> list:
    """A batch job's files at the provider, oldest first; nothing for a standard job."""
    if job.mode != ProcessingJob.Mode.BATCH:
        return []
    return list(job.batches.order_by("pk"))


@require_GET
def job_progress(request: HttpRequest, project_id: int, job_id: int) -> HttpResponse:
    """The polled fragment: counts, bar, ETA, cost, recent events."""
    project, job = _job_for_project(request, project_id, job_id)
    active = job.status in ProcessingJob.ACTIVE
    context = {
        "project": project,
        "job": job,
        "eta": job_eta_seconds(job),
        "counts": jobs.job_counts(job),
        "recent_logs": job_logs(job)[:8],
        "active": active,
        "batches": _batches(job),
    }
    response = render(request, "wizard/step4/job.html#progress", context)
    if not active and request.htmx:
        # The run just ended under the user's eyes: reload once so the document list,
        # the log and the results show the final state; polling stops with it.
        response.status_code = STOP_POLLING
        response["HX-Refresh"] = "true"
    return response


def _job_action(request: HttpRequest, project_id: int, job_id: int, action, done: str):
    project, job = _job_for_project(request, project_id, job_id)
    try:
        action(job)
    except jobs.JobInputError as exc:
        for problems in exc.errors.values():
            messages.error(request, " ".join(problems))
    except jobs.JobConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("processing:job", project.pk, job.pk)


@require_POST
def job_cancel(request: HttpRequest, project_id: int, job_id: int) -> HttpResponse:
    return _job_action(
        request,
        project_id,
        job_id,
        lambda job: jobs.job_cancel(job=job, user=request.user),
        "Cancelling: no new document will start.",
    )


@require_POST
def job_retry(request: HttpRequest, project_id: int, job_id: int) -> HttpResponse:
    return _job_action(
        request,
        project_id,
        job_id,
        lambda job: jobs.job_retry_failed(job=job, user=request.user),
        "The failed documents are queued again.",
    )


@require_POST
def job_resume(request: HttpRequest, project_id: int, job_id: int) -> HttpResponse:
    def resume(job):
        data = job_input(ResumeSerializer(data=request.POST))
        return jobs.job_resume(job=job, budget_usd=data.get("budget_usd"), user=request.user)

    return _job_action(request, project_id, job_id, resume, "Resumed.")
