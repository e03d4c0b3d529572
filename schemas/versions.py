"""Step 3: the draft as the model will see it, confirmed versions, history, restore."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from projects.models import Project
from schemas.models import SchemaHead, SchemaVersion, Variable
from schemas.prompts import PromptBundle, build_prompt
from schemas.signals import version_confirmed

_Row = TypeVar("_Row", bound=models.Model)
NOTE_MAX_LENGTH = SchemaVersion._meta.get_field("note").max_length


class NothingToConfirm(Exception):
    """The draft has no variables."""


def variable_snapshot(variable: Variable) -> dict:
    """A variable as stored in a version and passed to the prompt builder (synonyms, read
    by the evidence checks only, when there are any)."""
    snapshot = {
        "key": variable.key,
        "label": variable.label,
        "type": variable.type,
        "instructions": variable.instructions,
        "allowed_values": list(variable.allowed_values),
        "required": variable.required,
    }
    if variable.synonyms:
        snapshot["synonyms"] = dict(variable.synonyms)
    return snapshot


def draft_variables(project: Project) -> list[dict]:
    return [variable_snapshot(v) for v in Variable.objects.filter(project=project)]


def draft_bundle(project: Project, variables: list[dict] | None = None) -> PromptBundle:
    """The prompts and JSON Schema the current draft would produce."""
    return build_prompt(
        instructions=project.instructions,
        variables=draft_variables(project) if variables is None else variables,
    )


# A version's prompts, JSON Schema and variables are tens of kilobytes at 50 variables;
# lists of jobs and exports, and a job read polled every few seconds, show its number.
_VERSION_BODY = (
    "note",
    "instructions",
    "variables",
    "system_prompt",
    "user_template",
    "json_schema",
)


def with_version_number(rows: QuerySet[_Row]) -> QuerySet[_Row]:
    """Rows (jobs, exports) with their ``schema_version`` joined, without its body."""
    return rows.select_related("schema_version").defer(
        *(f"schema_version__{field}" for field in _VERSION_BODY)
    )


def current_version(project: Project) -> SchemaVersion | None:
    head = SchemaHead.objects.filter(project=project).select_related("current_version").first()
    return head.current_version if head else None


@dataclass(frozen=True)
class SchemaState:
    """The draft next to the current version: what step 2, 3 and 4 all need to know."""

    variables: list[dict]
    bundle: PromptBundle
    current: SchemaVersion | None

    @property
    def dirty(self) -> bool:
        """The draft (or the project's instructions) changed since the current version."""
        if self.current is None:
            return bool(self.variables)
        return self.bundle.prompt_hash != self.current.prompt_hash


def schema_state(project: Project) -> SchemaState:
    variables = draft_variables(project)
    return SchemaState(
        variables=variables,
        bundle=draft_bundle(project, variables),
        current=current_version(project),
    )


def schema_confirm(*, project: Project, user, note: str = "") -> SchemaVersion:
    """Snapshot the draft as the next version and make it current.

    Confirming an unchanged draft returns the current version instead of a duplicate.
    Receivers of ``version_confirmed`` act in the same transaction (processing carries
    the values of unchanged variables into the new version).
    """
    with transaction.atomic():
        # One confirmation at a time per project: version numbers never collide.
        Project.objects.select_for_update().get(pk=project.pk)
        state = schema_state(project)
        if not state.variables:
            raise NothingToConfirm("Add at least one variable before confirming.")
        if state.current is not None and not state.dirty:
            return state.current
        last = SchemaVersion.objects.filter(project=project).aggregate(n=Max("number"))["n"]
        version = SchemaVersion.objects.create(
            project=project,
            number=(last or 0) + 1,
            based_on=state.current.number if state.current is not None else None,
            note=note.strip(),
            instructions=project.instructions,
            variables=state.variables,
            system_prompt=state.bundle.system,
            user_template=state.bundle.user_template,
            json_schema=state.bundle.json_schema,
            prompt_hash=state.bundle.prompt_hash,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        _set_current(project, version)
        version_confirmed.send(SchemaVersion, version=version, previous=state.current)
    return version


def schema_restore(*, project: Project, version: SchemaVersion) -> SchemaVersion:
    """Replace the draft (variables and the project's instructions, both part of the
    prompt) with ``version``'s and make it current again."""
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)
        Project.objects.filter(pk=project.pk).update(instructions=version.instructions)
        project.instructions = version.instructions
        Variable.objects.filter(project=project).delete()
        Variable.objects.bulk_create(
            Variable(project=project, position=position, **fields)
            for position, fields in enumerate(version.variables)
        )
        _set_current(project, version)
    return version


def _set_current(project: Project, version: SchemaVersion) -> None:
    SchemaHead.objects.update_or_create(project=project, defaults={"current_version": version})
    Project.objects.filter(pk=project.pk).update(updated_at=timezone.now())


def version_history(project: Project) -> list[dict]:
    """Every version, newest first, with what changed from the one it was confirmed
    from (``based_on``; the one numbered before it for versions that do not say)."""
    versions = list(SchemaVersion.objects.filter(project=project).order_by("number"))
    by_number = {version.number: version for version in versions}
    current = current_version(project)
    history = []
    previous: SchemaVersion | None = None
    for version in versions:
        parent = by_number.get(version.based_on) if version.based_on else previous
        history.append(
            {
                "version": version,
                "parent": parent.number if parent else None,
                "diff": schema_diff(parent.variables if parent else [], version.variables),
                "is_current": current is not None and current.pk == version.pk,
            }
        )
        previous = version
    return history[::-1]


DIFF_FIELDS = ("label", "type", "instructions", "allowed_values", "required")
_FIELD_DEFAULTS = {"label": "", "instructions": "", "allowed_values": [], "required": False}
_NOT_COMPARED = frozenset({"key", "id", "position"})  # order is reported separately


def schema_diff(old_variables: list[dict], new_variables: list[dict]) -> dict:
    """What changed between two codebooks, by key: ``added`` and ``removed`` keys,
    ``changed`` ``{key: {"fields": [...], "old": {...}, "new": {...}}}`` and whether the
    order of the variables both have changed (``reordered``)."""
    old = {variable["key"]: variable for variable in old_variables}
    new = {variable["key"]: variable for variable in new_variables}
    changed = {}
    for key in new.keys() & old.keys():
        fields = [
            f
            for f in _compared_fields(old[key], new[key])
            if _field(old[key], f) != _field(new[key], f)
        ]
        if fields:
            changed[key] = {
                "fields": fields,
                "old": {f: _field(old[key], f) for f in fields},
                "new": {f: _field(new[key], f) for f in fields},
            }
    return {
        "added": [key for key in new if key not in old],
        "removed": [key for key in old if key not in new],
        "changed": {key: changed[key] for key in new if key in changed},
        "reordered": [k for k in old if k in new] != [k for k in new if k in old],
    }


def _compared_fields(old: dict, new: dict) -> list[str]:
    extra = sorted((old.keys() | new.keys()) - _NOT_COMPARED - set(DIFF_FIELDS))
    return [*DIFF_FIELDS, *extra]


def _field(variable: dict, name: str) -> Any:
    value = variable.get(name)
    return _FIELD_DEFAULTS.get(name) if value is None else value
