"""Step 5's coding rounds pages: a project's rounds and the form that creates one, a
round's progress and reliability, coding one's own items one at a time, and the units
the coders disagree on, adjudicated.

Thin, like the API (``exports/rounds_api.py``): the rules are in ``exports/rounds.py``.
Everyone in the project reads rounds; the owner creates them; each coder of a round
codes only their own items (anyone else gets 404 there, a viewer 403); the owner or the
round's adjudicator adjudicates. In a blind round a coder sees neither the model's value
nor the other coders' before saving their own (``rounds.revealed`` decides).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import ValidationError

from exports import rounds
from exports.models import CodingItem, CodingRound
from exports.review import value_input_context
from extractor.inputs import field_messages
from extractor.text import whole_number
from processing.models import Extraction
from projects import access
from projects.models import ProjectMember
from projects.selectors import project_get_for_user
from projects.views import project_context
from schemas.inputs import SampleSizeField
from schemas.types import value_type
from schemas.versions import current_version

LIST_TEMPLATE = "wizard/step5/rounds.html"
ROUND_TEMPLATE = "wizard/step5/round.html"
CODE_TEMPLATE = "wizard/step5/round_code.html"
DISAGREEMENTS_TEMPLATE = "wizard/step5/round_disagreements.html"
DEFAULT_SAMPLE_SIZE = 20
ROUNDS_LISTED = 50
UNITS_PER_PAGE = 25


def _round_in(
    request: HttpRequest, project_id: int, round_id: int, *, can: str = access.READ
) -> tuple:
    """The project (404 to strangers, 403 when the role does not allow ``can``) and its
    round (404 when the round is another project's)."""
    project = project_get_for_user(request.user, project_id, can=can)
    coding_round = get_object_or_404(
        CodingRound.objects.select_related("schema_version", "adjudicator"),
        pk=round_id,
        project=project,
    )
    coding_round.project = project  # may_adjudicate reads the owner from it
    return project, coding_round


# --- The rounds of a project, and a new one -----------------------------------------------


@require_GET
def round_list(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id)
    return render(request, LIST_TEMPLATE, _list_context(project))


@require_POST
def round_new(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_user(request.user, project_id, can=access.MANAGE)
    typed = _typed_round(request)
    try:
        _refuse_nul(request)
        coding_round = rounds.round_create(
            project=project,
            user=request.user,
            coders=typed["coders"],
            sample_size=_sample_size(typed["sample_size"]),
            variables=_chosen_variables(typed["variables"]),
            blind=typed["blind"],
            name=typed["name"],
            adjudicator=typed["adjudicator"] or None,
        )
    except rounds.RoundError as exc:
        for problems in exc.errors.values():
            messages.error(request, " ".join(problems))
        return render(request, LIST_TEMPLATE, _list_context(project, typed=typed), status=400)
    units = len(coding_round.documents)
    messages.success(
        request,
        f"Round created: {units} document(s) x {len(coding_round.variables)} variable(s). "
        "Each coder now codes their items.",
    )
    return redirect("exports:round", project.pk, coding_round.pk)


def _refuse_nul(request: HttpRequest) -> None:
    """PostgreSQL stores no NUL character (names are looked up, notes stored): a form
    carrying one is refused here, not with a 500."""
    if any("\x00" in value for _name, values in request.POST.lists() for value in values):
        raise rounds.RoundError({"form": ["The form contains a NUL character (\\u0000)."]})


def _typed_round(request: HttpRequest) -> dict:
    """The create form as sent, to call the service with and to show again if refused."""
    post = request.POST
    return {
        "coders": post.getlist("coders"),
        "variables": post.getlist("variables"),
        "sample_size": post.get("sample_size", "").strip(),
        "blind": post.get("blind") == "1",
        "name": post.get("name", ""),
        "adjudicator": post.get("adjudicator", "").strip(),
    }


def _sample_size(raw: str) -> int | None:
    """Empty means the service's default (every valued document, up to 20)."""
    if not raw:
        return None
    try:
        return SampleSizeField().run_validation(raw)
    except ValidationError as exc:
        raise rounds.RoundError(field_messages({"sample_size": exc.detail})) from None


def _chosen_variables(keys: list[str]) -> list[str]:
    # The service reads "no variables" as "all of them"; the form starts with every box
    # ticked, so none ticked is a mistake to point out, not a choice.
    if not keys:
        raise rounds.RoundError({"variables": ["Choose at least one variable to code."]})
    return keys


def _list_context(project, *, typed: dict | None = None) -> dict:
    listed = CodingRound.objects.filter(project=project).select_related("schema_version")
    context = project_context(project, step=5) | {
        "rounds": [
            {"round": coding_round, "coders": rounds.round_coders(coding_round)}
            for coding_round in listed[:ROUNDS_LISTED]
        ],
    }
    if context["can_manage"]:
        context |= _create_form(project, typed)
    return context


def _create_form(project, typed: dict | None) -> dict:
    """The choices of the create form (the owner and the coder members; the current
    version's variables), filled with what was typed or with the defaults."""
    version = current_version(project)
    if version is None:
        return {"create_version": None}
    owner = project.owner.get_username()
    people = [owner] + [
        member.user.get_username()
        for member in ProjectMember.objects.filter(
            project=project, role=ProjectMember.Role.CODER
        ).select_related("user")
    ]
    form = typed or {
        "coders": [],
        "variables": version.variable_keys,
        "sample_size": str(DEFAULT_SAMPLE_SIZE),
        "blind": True,
        "name": "",
        "adjudicator": "",
    }
    return {"create_version": version, "people": people, "owner_name": owner, "form": form}


# --- One round --------------------------------------------------------------------------------


@require_POST
def round_close(request: HttpRequest, project_id: int, round_id: int) -> HttpResponse:
    project, coding_round = _round_in(request, project_id, round_id, can=access.MANAGE)
    try:
        rounds.round_close(coding_round=coding_round, user=request.user)
    except rounds.RoundConflict as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, "Round closed: its figures use the items coded so far.")
    return redirect("exports:round", project.pk, coding_round.pk)


@require_GET
def round_detail(request: HttpRequest, project_id: int, round_id: int) -> HttpResponse:
    project, coding_round = _round_in(request, project_id, round_id)
    coders = rounds.round_coders(coding_round)
    mine = next((row for row in coders if row["username"] == request.user.get_username()), None)
    hidden = rounds.values_hidden_from(coding_round, request.user)
    context = project_context(project, step=5)
    context |= {
        "round": coding_round,
        "coders": coders,
        "mine": mine,
        "may_code": (
            context["can_code"]
            and coding_round.status == CodingRound.Status.OPEN
            and mine is not None
            and mine["coded"] < mine["total"]
        ),
        "reliability": [_reliability_row(row) for row in rounds.round_reliability(coding_round)],
        "values_hidden": hidden,
        "disagreements": None if hidden else len(rounds.round_disagreements(coding_round)),
        "may_adjudicate": rounds.may_adjudicate(coding_round, request.user),
    }
    return render(request, ROUND_TEMPLATE, context)


def _figure(number: float | None) -> str:
    """A figure of the reliability table: three decimals, a dash where undefined."""
    return "—" if number is None else f"{number:.3f}"


def _reliability_row(row: dict) -> dict:
    ci = row["alpha_ci95"]
    versus = row["model_vs_adjudicated"]
    return {
        "key": row["key"],
        "label": row["label"],
        "level": row["level"],
        "units": row["units"],
        "alpha": _figure(row["alpha"]),
        "alpha_ci95": f"{_figure(ci[0])} – {_figure(ci[1])}" if ci else "—",
        "percent_agreement": _figure(row["percent_agreement"]),
        "fleiss_kappa": _figure(row["fleiss_kappa"]),
        "kappa_pairs": [
            {"coders": " / ".join(pair["coders"]), "kappa": _figure(pair["kappa"]), "n": pair["n"]}
            for pair in row["kappa_pairs"]
        ],
        "alpha_with_model": _figure(row["alpha_with_model"]),
        "model_vs_adjudicated": (
            {
                "agreement": _figure(versus["agreement"]),
                "kappa": _figure(versus["kappa"]),
                "n": versus["n"],
            }
            if versus
            else None
        ),
    }


# --- Coding one's items -----------------------------------------------------------------------


def _coder_round(request: HttpRequest, project_id: int, round_id: int) -> tuple:
    """The round, for one of its coders: anyone else who may code gets 404, a viewer 403."""
    project, coding_round = _round_in(request, project_id, round_id, can=access.CODE)
    if not rounds.is_coder(coding_round, request.user):
        raise Http404("You are not a coder of this round.")
    return project, coding_round


@require_GET
def round_code(request: HttpRequest, project_id: int, round_id: int) -> HttpResponse:
    """The caller's next open item, or the one asked for (``?item=``), one at a time."""
    project, coding_round = _coder_round(request, project_id, round_id)
    items = rounds.coder_items(coding_round, request.user)
    asked = whole_number(request.GET.get("item"))
    item = get_object_or_404(items, pk=asked) if asked else items.filter(coded=False).first()
    return render(request, CODE_TEMPLATE, _code_context(project, coding_round, request.user, item))


@require_POST
def round_code_item(
    request: HttpRequest, project_id: int, round_id: int, item_id: int
) -> HttpResponse:
    project, coding_round = _coder_round(request, project_id, round_id)
    item = get_object_or_404(
        CodingItem.objects.select_related("document"),
        pk=item_id,
        round=coding_round,
        coder=request.user,
    )
    item.round = coding_round
    variable = _variable(coding_round, item.variable_key)
    typed = request.POST.getlist("human_value")
    try:
        value = value_type(variable["type"]).from_form(variable, typed)
        rounds.item_code(item=item, user=request.user, value=value)
    except (rounds.RoundError, rounds.RoundConflict) as exc:
        status = 400 if isinstance(exc, rounds.RoundError) else 409
        context = _code_context(
            project, coding_round, request.user, item, error=str(exc), typed=typed
        )
        return render(request, CODE_TEMPLATE, context, status=status)
    url = reverse("exports:round_code", args=[project.pk, coding_round.pk])
    if coding_round.blind:  # the same item again, now with the model's and the others' values
        messages.success(request, "Your value is saved. Here is what the model and others gave.")
        return redirect(f"{url}?{urlencode({'item': item.pk})}")
    messages.success(request, "Your value is saved.")
    return redirect(url)  # the model's value was in view already: on to the next item


def _variable(coding_round: CodingRound, key: str) -> dict:
    for variable in rounds.variables_of(coding_round):
        if variable["key"] == key:
            return variable
    raise Http404("The variable is no longer in the round's version.")


def _code_context(
    project,
    coding_round: CodingRound,
    user,
    item: CodingItem | None,
    *,
    error: str = "",
    typed: list[str] | None = None,
) -> dict:
    mine = CodingItem.objects.filter(round=coding_round, coder=user)
    context = project_context(project, step=5) | {
        "round": coding_round,
        "item": item,
        "coded": mine.filter(coded=True).count(),
        "total": mine.count(),
        "error": error,
        "completed": coding_round.status == CodingRound.Status.COMPLETED,
    }
    if item is None:
        return context
    variable = _variable(coding_round, item.variable_key)
    others = rounds.coder_items(coding_round, user, status="open").exclude(pk=item.pk)
    after = Q(document_id__gt=item.document_id) | Q(document_id=item.document_id, id__gt=item.pk)
    following = others.filter(after).first() or others.first()  # then from the start
    # The input is filled with the coder's own value, never the model's: an unsaved
    # stand-in for value_input_context, which reads a person's value off a cell.
    shown = rounds.revealed(coding_round, item)
    own = Extraction(human_value=item.value, corrected=item.coded)
    return (
        context
        | {
            "variable": variable,
            "shown": shown,
            "others": sorted(shown.get("other_values", {}).items()),
            "next_item": following,
        }
        | value_input_context(variable, own, typed=typed)
    )


# --- Disagreements and adjudication -----------------------------------------------------------


@require_GET
def round_disagreement_list(request: HttpRequest, project_id: int, round_id: int) -> HttpResponse:
    project, coding_round = _round_in(request, project_id, round_id)
    if rounds.values_hidden_from(coding_round, request.user):
        messages.info(request, rounds.BLIND_UNTIL_COMPLETED)
        return redirect("exports:round", project.pk, coding_round.pk)
    context = _disagreements_context(request, project, coding_round, request.GET.get("page"))
    return render(request, DISAGREEMENTS_TEMPLATE, context)


@require_POST
def round_adjudicate(request: HttpRequest, project_id: int, round_id: int) -> HttpResponse:
    project, coding_round = _round_in(request, project_id, round_id, can=access.CODE)
    document_id = whole_number(request.POST.get("document"))
    key = request.POST.get("variable", "")
    page = request.POST.get("page", "")
    typed = request.POST.getlist("human_value")
    try:
        _refuse_nul(request)
        variable = next((v for v in rounds.variables_of(coding_round) if v["key"] == key), None)
        if variable is None or document_id is None:
            raise rounds.RoundError({"variable": ["Choose a unit of this round."]})
        rounds.adjudicate(
            coding_round=coding_round,
            user=request.user,
            document_id=document_id,
            variable=key,
            value=value_type(variable["type"]).from_form(variable, typed),
            note=request.POST.get("note", ""),
        )
    except rounds.RoundConflict as exc:
        messages.error(request, str(exc))
        return redirect("exports:round_disagreements", project.pk, coding_round.pk)
    except rounds.RoundError as exc:
        refused = {
            "document": document_id,
            "variable": key,
            "typed": typed,
            "note": request.POST.get("note", ""),
            "error": str(exc),
        }
        context = _disagreements_context(request, project, coding_round, page, refused=refused)
        return render(request, DISAGREEMENTS_TEMPLATE, context, status=400)
    messages.success(request, f"Adjudicated: {key} of document {document_id} is final.")
    url = reverse("exports:round_disagreements", args=[project.pk, coding_round.pk])
    query = f"?{urlencode({'page': page})}" if whole_number(page) else ""
    return redirect(f"{url}{query}#unit-{document_id}-{key}")


def _disagreements_context(
    request: HttpRequest, project, coding_round: CodingRound, page_number, *, refused=None
) -> dict:
    """A page of units the coders disagree on, each with the coders' values in the
    round's order, and (for who may adjudicate) the form's typed input."""
    coders = [row["username"] for row in rounds.round_coders(coding_round)]
    definitions = {variable["key"]: variable for variable in rounds.variables_of(coding_round)}
    page = Paginator(rounds.round_disagreements(coding_round), UNITS_PER_PAGE).get_page(page_number)
    may_adjudicate = rounds.may_adjudicate(coding_round, request.user)
    units = []
    for unit in page:
        variable, values = definitions[unit["variable"]], unit["values"]
        is_refused = bool(refused) and (refused["document"], refused["variable"]) == (
            unit["document"]["id"],
            unit["variable"],
        )
        decided = Extraction(human_value=unit["adjudicated_value"], corrected=unit["adjudicated"])
        units.append(
            unit
            | {
                "definition": variable,
                "anchor": f"unit-{unit['document']['id']}-{unit['variable']}",
                "coder_values": [
                    {"coder": name, "coded": name in values, "value": values.get(name)}
                    for name in coders
                ],
                "error": refused["error"] if is_refused else "",
                "input": value_input_context(
                    variable, decided, typed=refused["typed"] if is_refused else None
                ),
            }
        )
    return project_context(project, step=5) | {
        "round": coding_round,
        "coders": coders,
        "page": page,
        "units": units,
        "may_adjudicate": may_adjudicate,
        # A refusal for a unit not on this page (or for no unit) is said at the top.
        "refused_elsewhere": bool(refused) and not any(unit["error"] for unit in units),
        "refused": refused,
    }
