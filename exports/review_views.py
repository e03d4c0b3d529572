"""Step 5's review queue pages: unchecked values one at a time, blind by default.

In blind mode a value is shown without the model's answer or quote; the person's own
answer is saved first (``review.blind_entry``), then the model's is revealed and they
keep theirs or take the model's. Outside blind mode the value is shown with its quote
highlighted, to verify or correct. Keys (static/js/app.js): ``v`` verify, ``c``
correct, ``n``/``p`` next/previous, ``?`` help.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from exports import blinding
from exports.evidence_window import evidence_view
from exports.queue import QueueScope, queue_next, queue_progress
from exports.results import version_for
from exports.review import (
    ReviewError,
    blind_entry,
    extraction_review,
    value_input_context,
    variable_of,
)
from extractor.text import whole_number
from processing.models import Extraction
from projects import access
from projects.selectors import project_get_for_user
from projects.views import project_context
from schemas.types import value_type

TEMPLATE = "wizard/step5/review_queue.html"


def _blind(request: HttpRequest, project) -> bool:
    """The project's setting, unless the request says ``blind=0`` or ``blind=1``."""
    asked = request.GET.get("blind", request.POST.get("blind", ""))
    return {"0": False, "1": True}.get(asked, project.blind_review)


def _queue_url(project, scope: QueueScope, blind: bool, **extra) -> str:
    query = scope.query() | {"blind": "1" if blind else "0"} | {k: str(v) for k, v in extra.items()}
    return reverse("exports:review_queue", args=[project.pk]) + "?" + urlencode(query)


def _context(request, project, scope: QueueScope, item: Extraction | None, **extra) -> dict:
    blind = _blind(request, project)
    context = project_context(project, step=5) | {
        "scope": scope,
        "version": scope.version,
        "blind": blind,
        "item": item,
        "progress": queue_progress(scope),
        "flagged_only": scope.status == "flagged",
        "here": _queue_url(project, scope, blind),
    }
    if item is not None:
        variable = variable_of(item)
        revealed = item.blind_entered or item.verified or item.corrected or not blind
        context |= {
            "variable": variable,
            "revealed": revealed,
            "blind_entered": item.blind_entered,
            # Blind, before the entry: the text without the model's quote marked.
            "evidence_view": evidence_view(item) if revealed else evidence_view(_unmarked(item)),
            "next_url": _queue_url(project, scope, blind, after=item.pk),
            "previous_url": _queue_url(project, scope, blind, before=item.pk),
        } | value_input_context(variable, item)
    return context | extra


def _unmarked(item: Extraction) -> Extraction:
    shown = Extraction(document=item.document, evidence_start=None, evidence_end=None)
    return shown


@require_GET
def review_queue(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.CODE)
    version = version_for(project, request.GET.get("schema_version"))
    if version is None:
        return redirect("exports:results", project.pk)
    blind = blinding.coding_blind(request.user, version.pk)
    if blind is not None:
        return blinding.notice(request, project, blind)
    scope = QueueScope.from_query(version, request.GET)
    shown = whole_number(request.GET.get("at"))
    if shown:  # a given value (after a blind entry, its reveal), checked or not
        values = Extraction.objects.select_related("document", "schema_version")
        item = values.filter(schema_version=version, pk=shown).first()
    else:
        item = queue_next(
            scope,
            after=whole_number(request.GET.get("after")),
            before=whole_number(request.GET.get("before")),
        )
    return _render(request, _context(request, project, scope, item))


@require_POST
def review_queue_item(request: HttpRequest, project_id: int, extraction_id: int) -> HttpResponse:
    """One action on the value shown: ``blind`` (the person's own answer, then the
    model's is revealed), ``verify``, ``correct``, ``agree`` (take the model's after a
    blind entry) or ``keep`` (keep one's own); then the next value."""
    project = project_get_for_user(request.user, project_id, can=access.CODE)
    item = get_object_or_404(
        Extraction.objects.select_related("document", "schema_version"),
        pk=extraction_id,
        document__project=project,
    )
    blind = blinding.coding_blind(request.user, item.schema_version_id)
    if blind is not None:
        return blinding.notice(request, project, blind)
    scope = QueueScope.from_query(item.schema_version, request.POST)
    action = request.POST.get("action", "")
    variable = variable_of(item)
    typed = request.POST.getlist("human_value")
    try:
        if action == "blind":
            value = value_type(variable["type"]).from_form(variable, typed)
            blind_entry(extraction=item, user=request.user, value=value)
        else:
            _act(item, request.user, action, variable, typed)
    except ReviewError as exc:
        context = _context(request, project, scope, item, error=str(exc))
        context |= value_input_context(variable, item, typed=typed)
        return _render(request, context, status=400)
    blind = _blind(request, project)
    if action == "blind":  # the same value again, now with the model's answer beside it
        if not request.htmx:
            return redirect(_queue_url(project, scope, blind, at=item.pk))
        item.refresh_from_db()
        return _render(request, _context(request, project, scope, item, saved=_DONE["blind"]))
    if not request.htmx:
        messages.success(request, _DONE[action])
        return redirect(_queue_url(project, scope, blind, after=item.pk))
    following = queue_next(scope, after=item.pk)
    return _render(request, _context(request, project, scope, following, saved=_DONE[action]))


_DONE = {
    "blind": "Your answer is saved. Here is the model's: keep yours or take it.",
    "verify": "Marked as verified.",
    "correct": "Correction saved; the model's value is kept beside it.",
    "agree": "The model's value is kept; your blind answer still counts for agreement.",
    "keep": "Your value is kept.",
}


def _act(item: Extraction, user, action: str, variable: dict, typed: list[str]) -> None:
    if action == "verify":
        extraction_review(extraction=item, user=user, verified=True)
    elif action == "correct":
        value = value_type(variable["type"]).from_form(variable, typed)
        extraction_review(extraction=item, user=user, human_value=value)
    elif action == "agree":
        extraction_review(extraction=item, user=user, corrected=False, verified=True)
    elif action != "keep":
        raise ReviewError({"action": ["Choose what to do with this value."]})


def _render(request: HttpRequest, context: dict, *, status: int = 200) -> HttpResponse:
    if request.htmx:
        response = render(request, TEMPLATE + "#queue-item", context, status=status)
        response["HX-Trigger"] = "results-changed"
        return response
    return render(request, TEMPLATE, context, status=status)
