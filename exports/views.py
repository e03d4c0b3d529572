"""Step 5 wizard pages: the results table, a value's evidence and review, exports, and two
schema versions compared."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import push_url

from exports import blinding
from exports.compare import CHANGED_VALUES_LIMIT, changed_values_list, versions_compared
from exports.downloads import download_response
from exports.evidence_window import evidence_view
from exports.freshness import exports_mark_out_of_date
from exports.inputs import ExportCreateSerializer
from exports.models import Export
from exports.results import (
    DEFAULT_PAGE_SIZE,
    RESULT_STATUS_CHOICES,
    ResultFilters,
    cached_results,
    project_agreement,
    results_page,
    results_state,
    version_for,
    versions_with_results,
)
from exports.review import ReviewError, extraction_review, value_input_context, variable_of
from exports.services import ExportError, export_create
from extractor.inputs import field_messages
from extractor.text import whole_number
from extractor.throttling import wizard_throttle
from processing.models import Extraction
from projects import access
from projects.selectors import project_get_for_user
from projects.views import project_context
from schemas.types import value_type
from schemas.versions import current_version, with_version_number


@require_GET
def results(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id)
    version = version_for(project, request.GET.get("schema_version"))
    blind = blinding.coding_blind(request.user, version.pk if version else None)
    if blind is not None:
        return blinding.notice(request, project, blind)
    state = results_state(project, version) if version is not None else None
    context = project_context(project, step=5) | {
        "version": version,
        "has_results": state is not None and state.has_values,
    }
    # The table swapped in place, or embedded in the step-4 sample view: no page around it.
    table_only = bool(request.htmx) and (
        request.htmx.target == "results-table" or request.GET.get("embed") == "1"
    )
    if context["has_results"]:
        table = cached_results(
            project, version, state, "table", request.GET, lambda: _results_table(request, context)
        )
        if table_only:
            return HttpResponse(table)
        context |= {
            "version_numbers": project.schema_versions.values_list("number", flat=True),
            "results_table": mark_safe(table),  # noqa: S308 - our own template's output
            "agreement": project_agreement(project, version),
        } | _exports_context(project)
    else:
        # A new version starts empty: its predecessors' values and reviews stay reachable.
        context["versions_with_results"] = versions_with_results(project)
    return render(request, "wizard/step5/results.html", context)


def _results_table(request: HttpRequest, context: dict) -> str:
    """The table with its filters and pager: the part of the page that reads values."""
    project, version = context["project"], context["version"]
    filters = ResultFilters.from_query(request.GET)
    page, rows = results_page(
        project,
        version,
        filters,
        page_number=request.GET.get("page"),
        page_size=_page_size(request.GET.get("page_size")),
        for_table=True,
    )
    table_context = {
        "project": project,
        "version": version,
        "variables": version.variables,
        "filters": filters,
        "statuses": RESULT_STATUS_CHOICES,
        "embed": request.GET.get("embed") == "1",
        "page": page,
        "rows": rows,
    }
    return render_to_string("wizard/step5/results.html#results-table", table_context, request)


def _page_size(raw: str | None) -> int:
    size = whole_number(raw)
    return size if size and size <= 200 else DEFAULT_PAGE_SIZE


def _extraction_for(request: HttpRequest, project_id: int, extraction_id: int):
    """The value in its project; reviewing it is for the owner and coders."""
    can = access.for_method(request.method, unsafe=access.CODE)
    project = project_get_for_user(request.user, project_id, can=can)
    extraction = get_object_or_404(
        Extraction.objects.select_related("document", "schema_version"),
        pk=extraction_id,
        document__project=project,
    )
    return project, extraction


def _cell_context(
    project, extraction: Extraction, *, error: str = "", typed: list[str] | None = None
) -> dict:
    """What the value's page shows; ``typed`` is a refused correction as the form sent
    it, shown again so the person can mend it instead of typing it anew."""
    variable = variable_of(extraction)
    return {
        "project": project,
        "extraction": extraction,
        "variable": variable,
        "evidence_view": evidence_view(extraction),
        "error": error,
        "can_code": access.allows(getattr(project, "access_role", None), access.CODE),
    } | value_input_context(variable, extraction, typed=typed)


@require_GET
def cell(request: HttpRequest, project_id: int, extraction_id: int) -> HttpResponse:
    project, extraction = _extraction_for(request, project_id, extraction_id)
    blind = blinding.coding_blind(request.user, extraction.schema_version_id)
    if blind is not None:
        return blinding.notice(request, project, blind)
    context = project_context(project, step=5) | _cell_context(project, extraction)
    if not request.htmx:
        return render(request, "wizard/step5/cell.html", context)
    # Opened from the table (a boosted link) into the panel beside it: the address stays
    # the table's. htmx 2 pushes boosted links whatever hx-push-url says; this header wins.
    return push_url(render(request, "wizard/step5/cell.html#cell-detail", context), False)


@require_POST
def cell_review(request: HttpRequest, project_id: int, extraction_id: int) -> HttpResponse:
    project, extraction = _extraction_for(request, project_id, extraction_id)
    blind = blinding.coding_blind(request.user, extraction.schema_version_id)
    if blind is not None:
        return blinding.notice(request, project, blind)
    action = request.POST.get("action", "")
    error = ""
    try:
        if action == "correct":
            variable = variable_of(extraction)
            fields = request.POST.getlist("human_value")
            value = value_type(variable["type"]).from_form(variable, fields)
            extraction_review(extraction=extraction, user=request.user, human_value=value)
            done = "Correction saved; the model's value is kept beside it."
        elif action == "verify":
            extraction_review(extraction=extraction, user=request.user, verified=True)
            done = "Marked as verified."
        elif action == "unverify":
            extraction_review(extraction=extraction, user=request.user, verified=False)
            done = "No longer marked as verified."
        elif action == "revert":
            extraction_review(extraction=extraction, user=request.user, corrected=False)
            done = "Correction removed."
        else:
            raise ReviewError({"action": ["Choose what to do with this value."]})
    except ReviewError as exc:
        error = str(exc)
        done = ""
    extraction.refresh_from_db()
    typed = request.POST.getlist("human_value") if error and action == "correct" else None
    context = _cell_context(project, extraction, error=error, typed=typed)
    if request.htmx:
        context |= {"saved": done}
        response = render(
            request, "wizard/step5/cell.html#cell-detail", context, status=400 if error else 200
        )
        response["HX-Trigger"] = "results-changed"
        return response
    if error:  # the page again, with the reason and what was typed
        page = project_context(project, step=5) | context
        return render(request, "wizard/step5/cell.html", page, status=400)
    messages.success(request, done)
    return redirect("exports:cell", project.pk, extraction.pk)


@require_GET
def agreement_fragment(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id)
    version = version_for(project, request.GET.get("schema_version"))
    context = {
        "project": project,
        "version": version,
        "agreement": project_agreement(project, version) if version else [],
    }
    return render(request, "wizard/step5/results.html#agreement", context)


@require_GET
def compare(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id)
    numbers = list(project.schema_versions.values_list("number", flat=True))  # newest first
    context = project_context(project, step=5) | {"version_numbers": numbers}
    if len(numbers) >= 2:
        a_number, b_number = _compared_numbers(request, project, numbers)
        context |= {"a_number": a_number, "b_number": b_number}
        if a_number != b_number:
            versions = {
                v.number: v for v in project.schema_versions.filter(number__in=(a_number, b_number))
            }
            a, b = versions[a_number], versions[b_number]
            blind = blinding.coding_blind(request.user, a.pk) or blinding.coding_blind(
                request.user, b.pk
            )
            if blind is not None:
                return blinding.notice(request, project, blind)
            rows = versions_compared(project=project, a=a, b=b)
            context |= {
                "a": a,
                "b": b,
                "rows": [row | {"sides": _sides(row)} for row in rows],
                "changes": changed_values_list(project=project, a=a, b=b),
                "changes_limit": CHANGED_VALUES_LIMIT,
            }
    return render(request, "wizard/step5/compare.html", context)


def _compared_numbers(request: HttpRequest, project, numbers: list[int]) -> tuple[int, int]:
    """``?a=&b=`` where the project has those versions; else b is the current version and
    a the version b was confirmed from, or the one numbered just before it (or the
    nearest other one)."""
    asked_b = whole_number(request.GET.get("b"))
    if asked_b in numbers:
        b = asked_b
    else:
        current = current_version(project)
        b = current.number if current is not None else numbers[0]
    asked_a = whole_number(request.GET.get("a"))
    if asked_a in numbers:
        return asked_a, b
    based_on = project.schema_versions.filter(number=b).values_list("based_on", flat=True).first()
    if based_on in numbers and based_on != b:  # what b was confirmed from, as its history says
        return based_on, b
    before = [number for number in numbers if number < b]
    return (max(before) if before else min(n for n in numbers if n != b)), b


def _sides(row: dict) -> list[tuple[dict, bool]]:
    """The two versions' figures, each marked where its agreement is the higher one (a
    side whose agreement is undefined is never better)."""
    a, b = row["a"]["agreement"], row["b"]["agreement"]
    defined = a is not None and b is not None
    return [(row["a"], defined and a > b), (row["b"], defined and b > a)]


@require_POST
@wizard_throttle("export")
def export_start(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.READ)
    body = ExportCreateSerializer(data=request.POST, context={"project": project})
    if not body.is_valid():
        for problems in field_messages(body.errors).values():
            messages.error(request, " ".join(problems))
        return redirect("exports:results", project.pk)
    data = body.validated_data
    blind = blinding.coding_blind(request.user, getattr(data["version"], "pk", None))
    if blind is not None:
        return blinding.notice(request, project, blind)
    try:
        export = export_create(
            project=project,
            user=request.user,
            format=data["format"],
            version=data["version"],
            include_evidence=data["include_evidence"],
            include_audit=data["include_audit"],
            bom=data["bom"],
            layout=data["layout"],
            booleans=data["booleans"],
            package_formats=data["package_formats"],
            include_texts=data["include_texts"],
        )
    except ExportError as exc:
        messages.error(request, str(exc))
        return redirect("exports:results", project.pk)
    if export.status == Export.Status.COMPLETED:
        messages.success(
            request, f"{export.get_format_display()} export ready: {export.row_count} rows."
        )
    elif export.status == Export.Status.FAILED:
        messages.error(request, export.error)
    else:
        messages.info(request, "The export is being written; it appears below when ready.")
    return redirect(reverse("exports:results", args=[project.pk]) + "#exports")


@require_GET
def export_list(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id)
    context = {"project": project} | _exports_context(project)
    response = render(request, "wizard/step5/results.html#export-list", context)
    if request.htmx and not context["exports_pending"]:
        response.status_code = 286  # nothing left to wait for: stop polling
    return response


def _exports_context(project) -> dict:
    exports = list(with_version_number(Export.objects.filter(project=project))[:20])
    exports_mark_out_of_date(exports)
    pending = any(e.status in (Export.Status.QUEUED, Export.Status.RUNNING) for e in exports)
    return {"exports": exports, "exports_pending": pending}


@require_GET
def export_download(request: HttpRequest, project_id: int, export_id: int) -> FileResponse:
    project = project_get_for_user(request.user, project_id)
    export = get_object_or_404(Export, pk=export_id, project=project)
    blind = blinding.coding_blind(request.user, export.schema_version_id)
    if blind is not None:
        return blinding.notice(request, project, blind)
    return download_response(export)
