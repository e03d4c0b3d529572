"""Steps 2 and 3 wizard pages: the variable editor, suggestions, review and versions."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from extractor.llm.errors import LLMError
from extractor.text import whole_number
from extractor.throttling import wizard_throttle
from projects import access
from projects.models import Document
from projects.selectors import project_get_for_user
from projects.views import project_context
from schemas import variables as variable_service
from schemas.calls import document_calls
from schemas.changes import draft_changes
from schemas.forms import VariableForm
from schemas.models import SchemaVersion, Variable
from schemas.prompts import variable_instruction
from schemas.suggestions import suggest_variables
from schemas.types import CATEGORY_TYPES, TYPES, VariableType
from schemas.versions import (
    NOTE_MAX_LENGTH,
    NothingToConfirm,
    schema_confirm,
    schema_restore,
    schema_state,
    version_history,
)

EDITOR = "wizard/step2/variables.html"


def _variable_rows(project) -> list[dict]:
    return [
        {"variable": variable, "instruction": variable_instruction(_as_dict(variable))}
        for variable in Variable.objects.filter(project=project)
    ]


def _as_dict(variable: Variable) -> dict:
    return {
        "key": variable.key,
        "label": variable.label,
        "type": variable.type,
        "instructions": variable.instructions,
        "allowed_values": variable.allowed_values,
        "required": variable.required,
    }


def _editor_context(
    project,
    *,
    form: VariableForm | None = None,
    focus_variable: int | None = None,
    focus_new: bool = False,
) -> dict:
    state = schema_state(project)
    return project_context(project, step=2) | {
        "rows": _variable_rows(project),
        "form": form or VariableForm(project=project, autofocus=focus_new),
        "focus_variable": focus_variable,
        "state": state,
        "category_types": sorted(CATEGORY_TYPES),
        "type_hints": TYPE_HINTS,
        "max_variables": variable_service.max_variables(),
    }


# The step-2 page's hint under the type field, from each type.
TYPE_HINTS = {name: kind.help_text for name, kind in TYPES.items()}


def _editor(
    request: HttpRequest,
    project,
    *,
    form=None,
    status: int = 200,
    focus_variable: int | None = None,
    focus_new: bool = False,
    clear_suggestions: bool = False,
    refused_suggestions: list[dict] | None = None,
) -> HttpResponse:
    project = project_get_for_user(request.user, project.pk)  # fresh counts for the stepper
    template = EDITOR + "#editor" if request.htmx else EDITOR
    context = _editor_context(
        project, form=form, focus_variable=focus_variable, focus_new=focus_new
    )
    context["clear_suggestions"] = clear_suggestions
    if refused_suggestions:
        context["refused_suggestions"] = refused_suggestions
        context["type_choices"] = VariableType.choices
    response = render(request, template, context, status=status)
    if request.htmx and status == 200:
        response["HX-Trigger"] = "schema-changed"  # the stepper refreshes itself
    return response


@require_GET
def variables(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id)
    return render(request, EDITOR, _editor_context(project))


@require_POST
def variable_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    form = VariableForm(request.POST, project=project)
    if form.is_valid():
        try:
            variable = variable_service.variable_create(project=project, data=form.cleaned_values)
        except variable_service.VariableValidationError as exc:
            form.add_error(None, list(exc.errors.values())[0])
        else:
            messages.success(request, f"Variable “{variable.key}” added.")
            return _editor(request, project, focus_new=True)
    return _editor(request, project, form=form, status=400)


@require_http_methods(["GET", "POST"])
def variable_edit(request: HttpRequest, project_id: int, variable_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    variable = get_object_or_404(Variable, project=project, pk=variable_id)
    form = VariableForm(request.POST or None, project=project, instance=variable, autofocus=True)
    if request.method == "POST" and form.is_valid():
        variable_service.variable_update(variable=variable, data=form.cleaned_values)
        messages.success(request, f"Variable “{variable.key}” saved.")
        return _editor(request, project, focus_variable=variable.pk)
    status = 400 if request.method == "POST" else 200
    context = project_context(project, step=2) | {
        "edit_form": form,
        "variable": variable,
        "category_types": sorted(CATEGORY_TYPES),
        "type_hints": TYPE_HINTS,
    }
    template = "wizard/step2/variable_edit.html"
    if not request.htmx:
        return render(request, template, context, status=status)
    response = render(request, template + "#edit-form", context, status=status)
    if status == 400:
        # The form posts to the whole editor for the list it saves into; with errors it
        # goes back where it was opened, keeping what was typed.
        response = reswap(retarget(response, f"#variable-{variable.pk}"), "innerHTML")
    return response


@require_POST
def variable_delete(request: HttpRequest, project_id: int, variable_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    variable = get_object_or_404(Variable, project=project, pk=variable_id)
    key = variable.key
    variable_service.variable_delete(variable=variable)
    messages.success(request, f"Variable “{key}” deleted.")
    if not request.htmx:
        return redirect("schemas:variables", project.pk)
    return _editor(request, project, focus_new=True)


@require_POST
def variable_move(request: HttpRequest, project_id: int, variable_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    variable = get_object_or_404(Variable, project=project, pk=variable_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    variable_service.variable_move(variable=variable, offset=offset)
    return _editor(request, project) if request.htmx else redirect("schemas:variables", project.pk)


@require_POST
@wizard_throttle("suggest")
def suggest(request: HttpRequest, project_id: int) -> HttpResponse:
    """Ask the model for variables; the answer is shown for review, never saved."""
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    context = project_context(project, step=2)
    status = 200
    try:
        context["suggestions"] = suggest_variables(project=project, limit=10)
    except LLMError as exc:
        context["suggest_error"] = str(exc)
        status = 503 if not exc.permanent else 400
    context["type_choices"] = VariableType.choices
    context["category_types"] = sorted(CATEGORY_TYPES)
    template = "wizard/step2/suggestions.html"
    if request.htmx:
        template += "#suggestions"
    return render(request, template, context, status=status)


@require_POST
def suggestions_add(request: HttpRequest, project_id: int) -> HttpResponse:
    """Add the ticked suggestions, as the user edited them; report the ones refused."""
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    picked = set(request.POST.getlist("pick"))
    added, refused, kept = [], [], []
    for index in _suggestion_indexes(request.POST):
        data = _suggestion_as_typed(request.POST, f"s{index}-")
        if index not in picked:
            kept.append(data)
            continue
        try:
            added.append(variable_service.variable_create(project=project, data=data).key)
        except variable_service.VariableValidationError as exc:
            refused.append(f"{data['key'] or 'unnamed'}: {exc}")
            kept.append(data | {"error": str(exc)})
    if added:
        messages.success(request, f"Added {len(added)} variable(s): {', '.join(added)}.")
    for problem in refused:
        messages.error(request, f"Not added — {problem}")
    if not added and not refused:
        messages.warning(request, "Tick the suggestions you want to add.")
    if not request.htmx:
        return redirect("schemas:variables", project.pk)
    # What was not added stays in the panel as edited: refused ones to mend, others to
    # add later; the panel closes once everything is in.
    return _editor(request, project, clear_suggestions=not kept, refused_suggestions=kept)


def _suggestion_indexes(form) -> list[str]:
    """The suggestions the form showed (``s<n>-key`` fields), in their order."""
    found = (name[1:-4] for name in form if name.startswith("s") and name.endswith("-key"))
    return sorted((index for index in found if whole_number(index) is not None), key=int)


def _suggestion_as_typed(form, prefix: str) -> dict:
    data = {
        "key": form.get(prefix + "key", ""),
        "label": form.get(prefix + "label", ""),
        "type": form.get(prefix + "type", ""),
        "instructions": form.get(prefix + "instructions", ""),
        "allowed_values": form.get(prefix + "allowed_values", "").splitlines(),
        "required": form.get(prefix + "required") == "on",
    }
    if data["type"] not in CATEGORY_TYPES:
        data["allowed_values"] = []
    return data


# --- Step 3 ---------------------------------------------------------------------------


def _preview_document(project, document_id: str | None) -> Document | None:
    documents = project.documents.ready()
    chosen_id = whole_number(document_id)
    if chosen_id is not None:
        chosen = documents.filter(pk=chosen_id).first()
        if chosen:
            return chosen
    return documents.order_by("id").first()


@require_GET
def review(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id)
    state = schema_state(project)
    document = _preview_document(project, request.GET.get("document"))
    calls = []
    if state.variables and document is not None:
        calls = document_calls(
            project=project,
            variables=state.variables,
            instructions=project.instructions,
            document=document,
        )
    context = project_context(project, step=3) | {
        "state": state,
        "codebook": [
            {"variable": variable, "instruction": variable_instruction(variable)}
            for variable in state.variables
        ],
        "document": document,
        "documents": project.documents.ready().order_by("id").only("id", "name")[:200],
        "calls": calls,
        "json_schema": json.dumps(state.bundle.json_schema, indent=2, ensure_ascii=False),
        "history": version_history(project),
        "changes": draft_changes(state) if state.dirty else None,
    }
    template = "wizard/step3/review.html"
    if request.htmx and request.htmx.target == "prompt-preview":
        template += "#prompt-preview"
    return render(request, template, context)


@require_POST
def confirm(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    previous = schema_state(project).current
    try:
        version = schema_confirm(
            project=project, user=request.user, note=request.POST.get("note", "")[:NOTE_MAX_LENGTH]
        )
    except NothingToConfirm as exc:
        messages.error(request, str(exc))
        return redirect("schemas:variables", project.pk)
    if previous is not None and previous.pk == version.pk:
        messages.info(request, f"Nothing changed since version {version.number}.")
    else:
        messages.success(
            request, f"Version {version.number} confirmed. Run a sample to check the answers."
        )
    return redirect("processing:index", project.pk)


@require_POST
def restore(request: HttpRequest, project_id: int, number: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    version = get_object_or_404(SchemaVersion, project=project, number=number)
    schema_restore(project=project, version=version)
    messages.success(
        request, f"Version {number} restored: the draft now holds its variables and it is current."
    )
    return redirect("schemas:review", project.pk)
