"""Step 1 wizard pages: projects, uploads, the document list and a document's text."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from extractor.throttling import wizard_throttle
from projects import access, ingest, members, quota, services
from projects.forms import MemberForm, PasteForm, ProjectForm
from projects.models import Document, ProjectMember, Upload
from projects.selectors import (
    document_get_for_user,
    document_pages,
    document_queryset_for_user,
    document_search,
    project_get_for_user,
    project_queryset_for_user,
    with_summary,
)
from projects.uploads import read_uploads, request_too_large
from projects.workflow import step_url, workflow_steps

DOCUMENTS_PER_PAGE = 50
UPLOADS_SHOWN = 20
RECENT_UPLOAD_MINUTES = 15
STOP_POLLING = 286  # htmx stops polling on this status


def project_context(project, *, step: int) -> dict:
    """What every project page's layout needs: the project, the stepper, and what the
    user's role lets them do (pages offer only that; the views check it again)."""
    role = getattr(project, "access_role", None)  # unknown: offer nothing beyond reading
    return {
        "project": project,
        "steps": workflow_steps(project, active=step),
        "role": role,
        "can_manage": access.allows(role, access.MANAGE),
        "can_code": access.allows(role, access.CODE),
    }


@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    projects = with_summary(project_queryset_for_user(request.user))
    return render(request, "projects/list.html", {"projects": projects})


@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = form.save(commit=False)
        project.owner = request.user
        project.save()
        messages.success(request, f"Project “{project.name}” created. Add its documents.")
        return redirect("projects:documents", project.pk)
    return render(
        request, "projects/form.html", {"form": form, "known_models": settings.LLM_PRICING}
    )


@require_GET
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    """A project opens at the step it is waiting on."""
    return redirect(step_url(project_get_for_user(request.user, project_id)))


@require_http_methods(["GET", "POST"])
def project_settings(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    form = ProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Project settings saved.")
        return redirect("projects:settings", project.pk)
    context = project_context(project, step=0) | {
        "form": form,
        "known_models": settings.LLM_PRICING,
        "members": members.members_of(project),
        "member_form": MemberForm(),
    }
    return render(request, "projects/settings.html", context)


@require_POST
def member_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    form = MemberForm(request.POST)
    if not form.is_valid():
        for problems in form.errors.values():
            messages.error(request, " ".join(problems))
        return redirect("projects:settings", project.pk)
    try:
        member = members.member_add(project=project, added_by=request.user, **form.cleaned_data)
    except members.MemberError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"{member.user.get_username()} is now a {member.get_role_display().lower()}."
        )
    return redirect("projects:settings", project.pk)


@require_POST
def member_remove(request: HttpRequest, project_id: int, member_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    member = get_object_or_404(ProjectMember, project=project, pk=member_id)
    name = member.user.get_username()
    members.member_remove(member=member)
    messages.success(request, f"{name} no longer has access to this project.")
    return redirect("projects:settings", project.pk)


@require_POST
def project_delete(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    name = project.name
    services.project_delete(project=project)
    messages.success(request, f"Project “{name}” and all its documents were deleted.")
    return redirect("projects:list")


@require_GET
def documents(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id)
    return _documents_page(request, project)


def _documents_page(
    request: HttpRequest, project, *, paste_form: PasteForm | None = None, status: int = 200
) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    status_filter = request.GET.get("status", "")
    queryset = document_search(
        document_queryset_for_user(request.user).filter(project=project),
        search=search,
        status=status_filter,
    )
    page = Paginator(queryset, DOCUMENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = (
        project_context(project, step=1)
        | {
            "page": page,
            "search": search,
            "status": status_filter,
            "statuses": Document.Status.choices,
            "paste_form": paste_form or PasteForm(),
            "max_file_mb": settings.UPLOAD_MAX_FILE_BYTES // (1024 * 1024),
            "storage": quota.storage_use(project.pk),
        }
        | _uploads_context(project)
    )
    template = "wizard/step1/documents.html"
    if request.htmx and request.htmx.target == "document-list":
        template += "#document-list"
    return render(request, template, context, status=status)


def _uploads_context(project) -> dict:
    """Uploads the workers are reading, and those finished in the last few minutes (what
    became of them), for the progress list above the documents."""
    recent = timezone.now() - timedelta(minutes=RECENT_UPLOAD_MINUTES)
    uploads = list(
        Upload.objects.filter(project=project)
        .filter(Q(status__in=Upload.IN_FLIGHT) | Q(finished_at__gte=recent))
        .order_by("-pk")[:UPLOADS_SHOWN]
    )
    in_flight = any(upload.status in Upload.IN_FLIGHT for upload in uploads)
    return {"uploads": uploads, "uploads_in_flight": in_flight}


@require_GET
def upload_progress(request: HttpRequest, project_id: int) -> HttpResponse:
    """The progress list alone, polled while the workers read uploads: htmx stops
    polling (286) once nothing is left in flight, and the documents list refreshes."""
    project = project_get_for_user(request.user, project_id)
    context = {"project": project} | _uploads_context(project)
    response = render(request, "wizard/step1/documents.html#upload-progress", context)
    if not context["uploads_in_flight"]:
        response.status_code = STOP_POLLING
    response["HX-Trigger"] = "documents-changed"  # new rows, statuses, and the stepper
    return response


@require_POST
@wizard_throttle("upload")
def document_upload(request: HttpRequest, project_id: int) -> HttpResponse:
    """Files from the drop zone or the table import; HTMX gets one line per file."""
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    text_column = request.POST.get("text_column") or None
    report = _upload_refusal(request, project)
    if report is not None:
        status = 413
    else:
        files = read_uploads(request.FILES.getlist("files"))
        if not files:
            messages.error(request, "Choose at least one file to upload.")
            report, status = None, 400
        else:
            report = services.documents_ingest(
                project=project, files=files, text_column=text_column, user=request.user, defer=True
            )
            status = 200
    if request.htmx:
        response = render(
            request,
            "wizard/step1/upload_results.html",
            {"project": project, "report": report},
            status=status,
        )
        kept_failed = report is not None and any(e["document_id"] for e in report.errors)
        if report is not None and (report.created or kept_failed or report.processing):
            # The list and the stepper refresh, and the progress of what workers read.
            events = ["documents-changed"] + (["uploads-changed"] if report.processing else [])
            response["HX-Trigger"] = ", ".join(events)
        return response
    if report is not None:
        _report_messages(request, report)
    return redirect("projects:documents", project.pk)


def _upload_refusal(request: HttpRequest, project) -> services.IngestReport | None:
    """The one-line answer to an upload refused before its body is read: too large a
    request, or a project already at its storage quota (the API's 413s)."""
    if request_too_large(request):
        code = "file_too_large"
        message = (
            f"The upload is larger than {settings.UPLOAD_MAX_REQUEST_BYTES // 1024**2} MB. "
            "Send fewer files at a time."
        )
    elif (use := quota.storage_use(project.pk)).full:
        code, message = quota.CODE, use.full_message()
    else:
        return None
    error = {"filename": "upload", "code": code, "message": message, "document_id": None}
    return services.IngestReport(errors=[error])


def _report_messages(request: HttpRequest, report) -> None:
    if report.created:
        messages.success(request, f"{len(report.created):,} document(s) added.")
    if report.processing:
        messages.info(
            request,
            f"{len(report.processing):,} file(s) stored and being read; they appear below "
            "as they become documents.",
        )
    for duplicate in report.duplicates:
        messages.warning(
            request, f"{duplicate['filename']}: already in this project, not added again."
        )
    for error in report.errors:
        messages.error(request, f"{error['filename']}: {error['message']}")


@require_POST
def document_paste(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    form = PasteForm(request.POST)
    if form.is_valid():
        report = services.document_create_from_text(
            project=project, name=form.cleaned_data["name"], text=form.cleaned_data["text"]
        )
        if request.htmx:
            response = render(
                request,
                "wizard/step1/upload_results.html",
                {"project": project, "report": report, "paste_form": PasteForm()},
            )
            if report.created:
                response["HX-Trigger"] = "documents-changed"
            return response
        _report_messages(request, report)
        return redirect("projects:documents", project.pk)
    if request.htmx:
        response = render(
            request,
            "wizard/step1/documents.html#paste-form",
            {"project": project, "paste_form": form},
            status=400,
        )
        # Errors belong next to the fields: swap the form itself, not the results area.
        response["HX-Retarget"] = "#paste-form"
        response["HX-Reswap"] = "outerHTML"
        return response
    return _documents_page(request, project, paste_form=form, status=400)


@require_POST
def table_columns(request: HttpRequest, project_id: int) -> HttpResponse:
    """The header of a CSV/XLSX file, so the user can pick the text column before import."""
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    files = read_uploads(request.FILES.getlist("files"))
    columns: list[str] = []
    error = ""
    if not files:
        error = "Choose a CSV or XLSX file."
    elif request_too_large(request):
        error = "This file is larger than the upload limit."
    else:
        name, data = files[0]
        try:
            columns = ingest.table_columns(name, data)
        except ingest.IngestError as exc:
            error = exc.message
    return render(
        request,
        "wizard/step1/documents.html#column-picker",
        {"project": project, "columns": columns, "column_error": error},
        status=200 if columns else 400,
    )


@require_GET
def document_detail(request: HttpRequest, project_id: int, document_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id)
    document = document_get_for_user(request.user, project, document_id)
    context = project_context(project, step=1) | {
        "document": document,
        "pages": document_pages(document),
    }
    return render(request, "wizard/step1/document.html", context)


@require_POST
def document_delete(request: HttpRequest, project_id: int, document_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    document = document_get_for_user(request.user, project, document_id)
    name = document.name
    services.document_delete(document=document)
    messages.success(request, f"“{name}” deleted.")
    return redirect(reverse("projects:documents", args=[project.pk]))
