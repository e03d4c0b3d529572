"""Coding rounds: several people code the same documents independently, their agreement
is measured, their disagreements are adjudicated.

A round is made on one schema version: documents that have its model values (a seeded
random sample, or chosen ones), the variables to code (default all), two or more coders
(the owner and members whose role is ``coder``), blind by default. Each coder gets one
item per document x variable; their values are stored per coder, never over the model's
value or another coder's. The round is completed when every item is coded.

Reliability (``exports/reliability.py``) is computed per variable on the coded items.
The adjudicated value of a unit is its adjudication where there is one, else the value
every coder gave when they all agree: what the model is compared with
(``model_vs_adjudicated``). An adjudication becomes the cell's human value (verified
when it is the model's value, corrected otherwise), logged like any review.
"""

from __future__ import annotations

import random
from collections import defaultdict
from itertools import combinations
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from exports.models import Adjudication, CodingItem, CodingRound
from exports.reliability import variable_reliability
from exports.review import ReviewError, extraction_review, typed_value
from extractor.api import Forbidden
from processing.models import Extraction, ProcessingLog
from projects import access
from projects.models import Document, Project, ProjectMember
from schemas.models import SchemaVersion
from schemas.types import value_type
from schemas.versions import current_version

# A round's size: documents x variables x coders items, at most, and documents: its
# reliability report is computed in a request (bench/rounds.py: 200 x 50 x 3 in 0.65 s).
MAX_ROUND_ITEMS = 200_000
MAX_ROUND_DOCUMENTS = 500
DEFAULT_DRAWS = 1000


class RoundError(Exception):
    """Bad input for a round, per field (HTTP 400)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(" ".join(v) for v in errors.values()))
        self.errors = errors


class RoundConflict(Exception):
    """The round is not in a state that allows this (HTTP 409)."""

    def __init__(self, message: str, *, code: str = "conflict"):
        super().__init__(message)
        self.code = code


# --- Creating a round -------------------------------------------------------------------


def _coders(project: Project, usernames: list[str]) -> list:
    """The users named, each the owner or a member who may code (HTTP 400 otherwise)."""
    names = list(dict.fromkeys(name.strip() for name in usernames if name and name.strip()))
    if len(names) < 2:
        raise RoundError({"coders": ["A round needs at least two different coders."]})
    users = {
        user.get_username(): user for user in get_user_model().objects.filter(username__in=names)
    }
    roles = dict(
        ProjectMember.objects.filter(project=project, user__in=users.values()).values_list(
            "user__username", "role"
        )
    )
    refused = []
    for name in names:
        user = users.get(name)
        role = access.OWNER if user is not None and user.pk == project.owner_id else roles.get(name)
        if not access.allows(role, access.CODE):
            refused.append(name)
    if refused:
        raise RoundError(
            {
                "coders": [
                    "Coders must be the owner or members with the coder role: "
                    + ", ".join(refused[:20])
                    + "."
                ]
            }
        )
    return [users[name] for name in names]


def _round_documents(
    version: SchemaVersion,
    *,
    sample_size: int | None,
    document_ids: list[int] | None,
    seed: int,
) -> list[int]:
    """Documents with the version's model values: the chosen ones, or a seeded sample."""
    valued = set(
        Extraction.objects.filter(schema_version=version)
        .values_list("document_id", flat=True)
        .distinct()
    )
    if document_ids:
        unknown = sorted(set(document_ids) - valued)
        if unknown:
            raise RoundError(
                {"document_ids": [f"No values of version {version.number} for: {unknown[:20]}."]}
            )
        return sorted(set(document_ids))
    if not valued:
        raise RoundError(
            {"schema_version": [f"Version {version.number} has no values yet: run it first."]}
        )
    size = sample_size or min(len(valued), 20)
    if size < 1:
        raise RoundError({"sample_size": ["A round needs at least one document."]})
    return sorted(random.Random(seed).sample(sorted(valued), min(size, len(valued))))


def round_create(
    *,
    project: Project,
    user,
    coders: list[str],
    schema_version: int | None = None,
    sample_size: int | None = None,
    document_ids: list[int] | None = None,
    variables: list[str] | None = None,
    blind: bool = True,
    seed: int | None = None,
    name: str = "",
    adjudicator: str | None = None,
) -> CodingRound:
    """A round of ``coders`` over documents of a version, one item per coder x document x
    variable."""
    if schema_version is None:
        version = current_version(project)
        if version is None:
            raise RoundError({"schema_version": ["Confirm and run a schema version first."]})
    else:
        version = SchemaVersion.objects.filter(project=project, number=schema_version).first()
        if version is None:
            raise RoundError({"schema_version": [f"The project has no version {schema_version}."]})
    keys = version.variable_keys
    chosen = list(dict.fromkeys(variables)) if variables else keys
    unknown = [key for key in chosen if key not in keys]
    if unknown:
        raise RoundError({"variables": [f"Not variables of version {version.number}: {unknown}."]})
    chosen = [key for key in keys if key in chosen]  # schema order
    people = _coders(project, coders)
    judge = None
    if adjudicator and adjudicator.strip() != project.owner.get_username():
        # The owner adjudicates anyway; another adjudicator must be a coder member.
        try:
            judge = _coders(project, [adjudicator, project.owner.get_username()])[0]
        except RoundError:
            raise RoundError(
                {"adjudicator": ["The adjudicator must be a member with the coder role."]}
            ) from None
    seed = random.SystemRandom().randrange(2**31) if seed is None else seed
    documents = _round_documents(
        version, sample_size=sample_size, document_ids=document_ids, seed=seed
    )
    if len(documents) > MAX_ROUND_DOCUMENTS:
        raise RoundError(
            {"sample_size": [f"A round codes at most {MAX_ROUND_DOCUMENTS} documents."]}
        )
    total = len(documents) * len(chosen) * len(people)
    if total > MAX_ROUND_ITEMS:
        raise RoundError(
            {
                "sample_size": [
                    f"{total:,} items (documents x variables x coders) is more than "
                    f"{MAX_ROUND_ITEMS:,}: choose fewer."
                ]
            }
        )
    with transaction.atomic():
        coding_round = CodingRound.objects.create(
            project=project,
            schema_version=version,
            name=name.strip()[:200],
            blind=blind,
            seed=seed,
            variables=chosen,
            documents=documents,
            adjudicator=judge,
            created_by=user,
        )
        CodingItem.objects.bulk_create(
            (
                CodingItem(round=coding_round, coder=coder, document_id=document, variable_key=key)
                for document in documents
                for key in chosen
                for coder in people
            ),
            batch_size=2000,
        )
        _log(
            coding_round,
            "round_created",
            f"Coding round of {len(documents)} document(s) x {len(chosen)} variable(s) by "
            f"{len(people)} coders on version {version.number}"
            f"{' (blind)' if blind else ''}.",
            user=user,
            data={"seed": seed, "coders": [p.get_username() for p in people]},
        )
    return coding_round


def _log(coding_round: CodingRound, event: str, message: str, *, user, data=None, document=None):
    ProcessingLog.objects.create(
        project_id=coding_round.project_id,
        document_id=document,
        user=user if getattr(user, "is_authenticated", False) else None,
        event=event,
        message=message,
        data={"round": coding_round.pk, **(data or {})},
    )


# --- Reading a round ----------------------------------------------------------------------


def variables_of(coding_round: CodingRound) -> list[dict]:
    """The round's variables as its version defines them, in schema order."""
    by_key = {variable["key"]: variable for variable in coding_round.schema_version.variables}
    return [by_key[key] for key in coding_round.variables if key in by_key]


def round_coders(coding_round: CodingRound) -> list[dict]:
    """``[{username, coded, total}]`` per coder, in the order they were named."""
    rows = (
        CodingItem.objects.filter(round=coding_round)
        .values("coder__username", "coder_id")
        .annotate(total=Count("id"), coded=Count("id", filter=Q(coded=True)))
        .order_by("coder_id")
    )
    return [
        {"username": row["coder__username"], "coded": row["coded"], "total": row["total"]}
        for row in rows
    ]


def is_coder(coding_round: CodingRound, user) -> bool:
    return CodingItem.objects.filter(round=coding_round, coder=user).exists()


BLIND_UNTIL_COMPLETED = (
    "This blind round is still open: the coders' values stay hidden from its coders until "
    "every item is coded."
)


def values_hidden_from(coding_round: CodingRound, user) -> bool:
    """Whether the coders' values (disagreements, the long file) are hidden from ``user``:
    while a blind round is open, from every coder of it (the owner too, if they code),
    so nobody codes knowing what the others said."""
    return (
        coding_round.blind
        and coding_round.status == CodingRound.Status.OPEN
        and is_coder(coding_round, user)
    )


def coder_items(coding_round: CodingRound, user, *, status: str = ""):
    """The caller's items, documents in order; ``status`` ``open`` or ``coded``."""
    items = (
        CodingItem.objects.filter(round=coding_round, coder=user)
        .select_related("document")
        .only("id", "value", "coded", "coded_at", "variable_key", "document__id", "document__name")
        .order_by("document_id", "id")
    )
    if status == "open":
        items = items.filter(coded=False)
    elif status == "coded":
        items = items.filter(coded=True)
    return items


def revealed(coding_round: CodingRound, item: CodingItem) -> dict[str, Any]:
    """What a coder may see beside their item: in a blind round nothing until they have
    given their value, then the model's value and evidence and the other coders' values;
    in an open round the model's value and evidence from the start."""
    if coding_round.blind and not item.coded:
        return {}
    model = (
        Extraction.objects.filter(
            schema_version_id=coding_round.schema_version_id,
            document_id=item.document_id,
            variable_key=item.variable_key,
        )
        .values("value", "evidence")
        .first()
        or {}
    )
    shown: dict[str, Any] = {
        "model_value": model.get("value"),
        "model_evidence": model.get("evidence", ""),
    }
    if item.coded:
        others = CodingItem.objects.filter(
            round=coding_round,
            document_id=item.document_id,
            variable_key=item.variable_key,
            coded=True,
        ).exclude(pk=item.pk)
        shown["other_values"] = dict(others.values_list("coder__username", "value"))
    return shown


# --- Coding -------------------------------------------------------------------------------


def item_code(*, item: CodingItem, user, value: Any) -> CodingItem:
    """Store the coder's value (typed like the variable) on their own item; the round is
    completed when its last item is coded. In an open round a coder may change their
    value until then; in a blind round a coded item shows the others' values, so its
    value is final."""
    coding_round = item.round
    if item.coder_id != user.pk:
        raise RoundConflict("Only the coder of an item codes it.", code="not_your_item")
    variable = next(v for v in variables_of(coding_round) if v["key"] == item.variable_key)
    try:
        typed = typed_value(variable, value, field="value")
    except ReviewError as exc:
        raise RoundError(exc.errors) from None
    now = timezone.now()
    with transaction.atomic():
        # The round's row orders coders finishing at once: the last one completes it.
        status = (
            CodingRound.objects.select_for_update()
            .values_list("status", flat=True)
            .get(pk=coding_round.pk)
        )
        if status == CodingRound.Status.COMPLETED:
            raise RoundConflict(
                "The round is completed: its values are final.", code="round_completed"
            )
        if coding_round.blind and CodingItem.objects.filter(pk=item.pk, coded=True).exists():
            raise RoundConflict(
                "In a blind round a value cannot change once the others' are shown.",
                code="already_coded",
            )
        CodingItem.objects.filter(pk=item.pk).update(value=typed, coded=True, coded_at=now)
        if not CodingItem.objects.filter(round=coding_round, coded=False).exists():
            CodingRound.objects.filter(pk=coding_round.pk).update(
                status=CodingRound.Status.COMPLETED, completed_at=now
            )
    item.refresh_from_db()
    return item


def round_close(*, coding_round: CodingRound, user) -> CodingRound:
    """The owner ends an open round as it stands (a coder left, a document was deleted,
    enough was coded): items not coded stay out of its figures, and it counts as
    completed (for the gate too). Logged with what was left."""
    if coding_round.project.owner_id != user.pk:
        raise Forbidden("Only the owner of the project closes a round.", code="role_forbidden")
    now = timezone.now()
    with transaction.atomic():
        closed = CodingRound.objects.filter(
            pk=coding_round.pk, status=CodingRound.Status.OPEN
        ).update(status=CodingRound.Status.COMPLETED, completed_at=now)
        if not closed:
            raise RoundConflict("The round is already completed.", code="round_completed")
        left = CodingItem.objects.filter(round=coding_round, coded=False).count()
        _log(
            coding_round,
            "round_closed",
            f"Round closed by its owner with {left} item(s) not coded.",
            user=user,
            data={"items_not_coded": left},
        )
    coding_round.refresh_from_db()
    return coding_round


# --- Reliability, disagreements, adjudication -------------------------------------------------


def _coded_values(coding_round: CodingRound) -> dict[str, dict[str, dict[int, Any]]]:
    """``{key: {username: {document id: value}}}`` of the coded items."""
    values: dict[str, dict[str, dict[int, Any]]] = defaultdict(lambda: defaultdict(dict))
    rows = CodingItem.objects.filter(round=coding_round, coded=True).values_list(
        "variable_key", "coder__username", "document_id", "value"
    )
    for key, username, document_id, value in rows.iterator(chunk_size=5000):
        values[key][username][document_id] = value
    return values


def round_model_values(coding_round: CodingRound) -> dict[str, dict[int, Any]]:
    """``{key: {document id: value}}``: the model's values of the round's units."""
    values: dict[str, dict[int, Any]] = defaultdict(dict)
    rows = Extraction.objects.filter(
        schema_version_id=coding_round.schema_version_id,
        document_id__in=coding_round.documents,
        variable_key__in=coding_round.variables,
    ).values_list("variable_key", "document_id", "value")
    for key, document_id, value in rows.iterator(chunk_size=5000):
        values[key][document_id] = value
    return values


def _adjudications(coding_round: CodingRound) -> dict[str, dict[int, Any]]:
    values: dict[str, dict[int, Any]] = defaultdict(dict)
    rows = Adjudication.objects.filter(round=coding_round).values_list(
        "variable_key", "document_id", "value"
    )
    for key, document_id, value in rows:
        values[key][document_id] = value
    return values


def _agree(var_type: str, values: list[Any]) -> bool:
    """Every pair of values the same, as percent agreement counts it (a number's
    tolerance is not transitive, so comparing each with the first is not enough)."""
    kind = value_type(var_type)
    forms = [kind.comparable(value) for value in values]
    return all(kind.same(a, b) for a, b in combinations(forms, 2))


def adjudicated_values(
    variable: dict, coded: dict[str, dict[int, Any]], decided: dict[int, Any]
) -> dict[int, Any]:
    """Per unit, the adjudication where there is one, else the value every coder gave
    when at least two coded it and they all agree."""
    by_unit: dict[int, list[Any]] = defaultdict(list)
    for per_unit in coded.values():
        for document_id, value in per_unit.items():
            by_unit[document_id].append(value)
    result = {
        document_id: values[0]
        for document_id, values in by_unit.items()
        if len(values) >= 2 and _agree(variable["type"], values)
    }
    result.update(decided)
    return result


def round_reliability(
    coding_round: CodingRound, *, draws: int = DEFAULT_DRAWS
) -> list[dict[str, Any]]:
    """Per variable of the round: ``{key, label, type, ...variable_reliability}``."""
    coded = _coded_values(coding_round)
    model = round_model_values(coding_round)
    decided = _adjudications(coding_round)
    report = []
    for variable in variables_of(coding_round):
        key = variable["key"]
        per_coder = {username: dict(units) for username, units in coded.get(key, {}).items()}
        figures = variable_reliability(
            var_type=variable["type"],
            coders=per_coder,
            model=model.get(key, {}),
            adjudicated=adjudicated_values(variable, per_coder, decided.get(key, {})),
            draws=draws,
            seed=coding_round.seed or 0,
        )
        report.append(
            {"key": key, "label": variable.get("label") or key, "type": variable["type"]} | figures
        )
    return report


def round_adjudicated(coding_round: CodingRound) -> dict[str, dict[int, Any]]:
    """``{key: {document id: value}}``: each unit's adjudicated value, where it has one
    (``adjudicated_values``)."""
    coded = _coded_values(coding_round)
    decided = _adjudications(coding_round)
    return {
        variable["key"]: adjudicated_values(
            variable, coded.get(variable["key"], {}), decided.get(variable["key"], {})
        )
        for variable in variables_of(coding_round)
    }


def round_latest_completed(version_id: int) -> CodingRound | None:
    """The version's most recently completed round (None without one): what the gate
    measures, what an export's metadata reports and stamps."""
    return (
        CodingRound.objects.filter(
            schema_version_id=version_id, status=CodingRound.Status.COMPLETED
        )
        .order_by("-completed_at", "-id")
        .first()
    )


def round_disagreements(coding_round: CodingRound) -> list[dict[str, Any]]:
    """The units at least two coders coded with values that differ, in document then
    schema order, with the model's value and evidence and any adjudication."""
    coded = _coded_values(coding_round)
    decided = _adjudications(coding_round)
    variables = variables_of(coding_round)
    units: list[tuple[int, dict]] = []
    for variable in variables:
        by_unit: dict[int, dict[str, Any]] = defaultdict(dict)
        for username, per_unit in coded.get(variable["key"], {}).items():
            for document_id, value in per_unit.items():
                by_unit[document_id][username] = value
        for document_id, values in by_unit.items():
            if len(values) >= 2 and not _agree(variable["type"], list(values.values())):
                units.append((document_id, variable | {"values": values}))
    if not units:
        return []
    order = {key: index for index, key in enumerate(coding_round.variables)}
    units.sort(key=lambda unit: (unit[0], order[unit[1]["key"]]))
    names = dict(
        Document.objects.filter(pk__in={unit[0] for unit in units}).values_list("id", "name")
    )
    model = {
        (row[0], row[1]): (row[2], row[3])
        for row in Extraction.objects.filter(
            schema_version_id=coding_round.schema_version_id,
            document_id__in={unit[0] for unit in units},
        ).values_list("document_id", "variable_key", "value", "evidence")
    }
    result = []
    for document_id, unit in units:
        key = unit["key"]
        model_value, evidence = model.get((document_id, key), (None, ""))
        decision = decided.get(key, {})
        result.append(
            {
                "document": {"id": document_id, "name": names.get(document_id, "")},
                "variable": key,
                "type": unit["type"],
                "values": unit["values"],
                "model_value": model_value,
                "model_evidence": evidence,
                "adjudicated": document_id in decision,
                "adjudicated_value": decision.get(document_id),
            }
        )
    return result


def may_adjudicate(coding_round: CodingRound, user) -> bool:
    return user.pk in (coding_round.project.owner_id, coding_round.adjudicator_id)


def adjudicate(
    *,
    coding_round: CodingRound,
    user,
    document_id: int,
    variable: str,
    value: Any,
    note: str = "",
) -> Adjudication:
    """Set the final value of a unit of the round; it becomes the cell's human value
    (verified when it is the model's value, else corrected), and is logged."""
    if not may_adjudicate(coding_round, user):
        raise Forbidden(
            "Only the owner of the project or the round's adjudicator adjudicates.",
            code="role_forbidden",
        )
    if variable not in coding_round.variables:
        raise RoundError({"variable": [f"Not a variable of this round: {variable!r}."]})
    if coding_round.blind and coding_round.status == CodingRound.Status.OPEN:
        raise RoundConflict(
            "Adjudicate once the blind round is completed: the decision becomes the "
            "value's human side, which its coders could read.",
            code="round_open",
        )
    in_project = Document.objects.filter(pk=document_id, project_id=coding_round.project_id)
    if document_id not in coding_round.documents or not in_project.exists():
        raise RoundError({"document": ["Not a document of this round."]})
    definition = next(v for v in variables_of(coding_round) if v["key"] == variable)
    try:
        typed = typed_value(definition, value, field="value")
    except ReviewError as exc:
        raise RoundError(exc.errors) from None
    extraction = (
        Extraction.objects.select_related("schema_version")
        .filter(
            schema_version_id=coding_round.schema_version_id,
            document_id=document_id,
            variable_key=variable,
        )
        .first()
    )
    with transaction.atomic():
        decision, _ = Adjudication.objects.update_or_create(
            round=coding_round,
            document_id=document_id,
            variable_key=variable,
            defaults={"value": typed, "note": note.strip()[:2000], "decided_by": user},
        )
        if extraction is not None:
            if _agree(definition["type"], [extraction.value, typed]):
                extraction_review(extraction=extraction, user=user, corrected=False, verified=True)
            else:
                extraction_review(extraction=extraction, user=user, human_value=typed)
        _log(
            coding_round,
            "value_adjudicated",
            f"Adjudicated {variable} of document {document_id}"
            + (f": {note.strip()[:200]}" if note.strip() else "."),
            user=user,
            document=document_id,
            data={"variable": variable, "value": typed},
        )
    return decision
