"""Step 2: writing the draft schema. One validation for the wizard, the API and
suggestions alike, so a rule never holds in one place and not in another."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from projects.models import Project
from schemas.models import MAX_ALLOWED_VALUE_LENGTH, MAX_ALLOWED_VALUES, MAX_SYNONYMS, Variable
from schemas.types import CATEGORY_TYPES, VariableType

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Export columns every dataset has; a variable with one of these keys would collide.
RESERVED_KEYS = frozenset(
    # exports.layout's document columns (named here: schemas cannot import exports)
    {"document_id", "document_name", "document_status", "document_error", "document_metadata"}
)
FIELDS = ("key", "label", "type", "instructions", "allowed_values", "synonyms", "required")
LABEL_MAX = Variable._meta.get_field("label").max_length
INSTRUCTIONS_MAX = Variable._meta.get_field("instructions").max_length


class VariableValidationError(Exception):
    """Field-level messages: ``{"key": ["..."], "allowed_values": ["..."]}``."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()))
        self.errors = errors


def max_variables() -> int:
    return settings.SCHEMA_MAX_VARIABLES


def key_from_label(label: str) -> str:
    """A valid key suggested from a label ("Sample size (n)" -> "sample_size_n")."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if not key or not key[0].isalpha():
        key = f"v_{key}".rstrip("_")
    return key[:63].rstrip("_")


def _clean_key(raw: Any, errors: dict[str, list[str]]) -> str:
    key = str(raw or "").strip()
    if not key:
        errors.setdefault("key", []).append("Give the variable a key, e.g. sample_size.")
    elif not KEY_PATTERN.match(key):
        errors.setdefault("key", []).append(
            f"“{key[:70]}” is not a valid key: use lowercase letters, digits and underscores, "
            "starting with a letter, at most 63 characters (e.g. sample_size)."
        )
    elif key in RESERVED_KEYS or "__" in key:
        errors.setdefault("key", []).append(
            f"“{key}” is reserved for export columns; choose another key (no double underscores)."
        )
    return key


def _clean_allowed_values(raw: Any, var_type: str, errors: dict[str, list[str]]) -> list[str]:
    if raw in (None, ""):
        raw = []
    if isinstance(raw, str):
        raw = raw.splitlines()
    if not isinstance(raw, list | tuple):
        errors.setdefault("allowed_values", []).append("Send the allowed values as a list.")
        return []
    values = [str(value).strip() if value is not None else "" for value in raw]
    problems: list[str] = []
    if var_type not in CATEGORY_TYPES:
        if any(values):
            problems.append("Only category variables take allowed values.")
        values = []
    else:
        problems.extend(_category_problems(values))
        values = [value for value in values if value]
    if problems:
        errors["allowed_values"] = problems
    return values


def _clean_synonyms(
    raw: Any, allowed: list[str], errors: dict[str, list[str]]
) -> dict[str, list[str]]:
    """``{allowed value: [synonym, ...]}``, keyed by the allowed value as written (a key
    matching one in another case is taken for it); only category variables have any."""
    if not raw:
        return {}
    if not isinstance(raw, Mapping):
        errors["synonyms"] = ["Send synonyms as an object: {allowed value: [synonyms]}."]
        return {}
    by_fold = {value.casefold(): value for value in allowed}
    cleaned: dict[str, list[str]] = {}
    problems: list[str] = []
    for key, words in raw.items():
        value = by_fold.get(str(key).strip().casefold())
        if value is None:
            problems.append(f"“{str(key)[:40]}” is not one of the allowed values.")
            continue
        words = [words] if isinstance(words, str) else words
        if not isinstance(words, list | tuple) or not all(isinstance(w, str) for w in words):
            problems.append(f"The synonyms of “{value[:40]}” must be a list of texts.")
            continue
        words = list(dict.fromkeys(w.strip() for w in words if w.strip()))
        if len(words) > MAX_SYNONYMS or any(len(w) > MAX_ALLOWED_VALUE_LENGTH for w in words):
            problems.append(
                f"“{value[:40]}” takes at most {MAX_SYNONYMS} synonyms of "
                f"{MAX_ALLOWED_VALUE_LENGTH} characters."
            )
            continue
        if words:
            cleaned[value] = words
    if problems:
        errors["synonyms"] = problems
    return cleaned


def _category_problems(values: list[str]) -> list[str]:
    problems = []
    if any(not value for value in values):
        problems.append("Allowed values cannot be empty.")
    present = [value for value in values if value]
    if not present:
        problems.append("A category variable needs at least one allowed value.")
    seen: set[str] = set()
    for value in present:
        if value.casefold() in seen:
            problems.append(f"“{value}” is listed twice.")
        seen.add(value.casefold())
        if len(value) > MAX_ALLOWED_VALUE_LENGTH:
            problems.append(
                f"“{value[:40]}…” is longer than {MAX_ALLOWED_VALUE_LENGTH} characters."
            )
    if len(present) > MAX_ALLOWED_VALUES:
        problems.append(f"At most {MAX_ALLOWED_VALUES} allowed values, not {len(present)}.")
    return problems


def variable_clean(
    *, project: Project, data: Mapping[str, Any], instance: Variable | None = None
) -> dict[str, Any]:
    """Checked, normalised field values for a new or edited variable.

    ``data`` may be partial when ``instance`` is given (PATCH). Raises
    ``VariableValidationError`` with every problem at once, per field.
    """
    current = {field: getattr(instance, field) for field in FIELDS} if instance else {}
    merged = {**current, **{k: v for k, v in data.items() if k in FIELDS}}
    errors: dict[str, list[str]] = {}

    key = _clean_key(merged.get("key"), errors)
    var_type = str(merged.get("type") or "").strip()
    if var_type not in VariableType.values:
        errors["type"] = [
            f"Choose a type: {', '.join(VariableType.values)}."
            if var_type
            else "Choose the variable's type."
        ]
    label = str(merged.get("label") or "").strip()
    if len(label) > LABEL_MAX:
        errors["label"] = [f"Keep the label to {LABEL_MAX:,} characters."]
    instructions = str(merged.get("instructions") or "").strip()
    if not instructions:
        errors["instructions"] = ["Tell the model what to look for and how to code it."]
    elif len(instructions) > INSTRUCTIONS_MAX:
        errors["instructions"] = [f"Keep instructions to {INSTRUCTIONS_MAX:,} characters."]
    allowed_values = _clean_allowed_values(merged.get("allowed_values"), var_type, errors)
    synonyms = _clean_synonyms(merged.get("synonyms"), allowed_values, errors)
    required = merged.get("required", False)
    if not isinstance(required, bool):
        errors["required"] = ["Must be true or false."]

    siblings = Variable.objects.filter(project=project)
    if instance is not None:
        siblings = siblings.exclude(pk=instance.pk)
    if key and "key" not in errors and siblings.filter(key=key).exists():
        errors["key"] = [f"This project already has a variable “{key}”."]
    if instance is None and siblings.count() >= max_variables():
        errors.setdefault("non_field_errors", []).append(
            f"A schema holds at most {max_variables()} variables; remove one first."
        )
    if errors:
        raise VariableValidationError(errors)
    return {
        "key": key,
        "label": label or key.replace("_", " ").capitalize(),
        "type": var_type,
        "instructions": instructions,
        "allowed_values": allowed_values,
        "synonyms": synonyms,
        "required": required,
    }


def variable_create(*, project: Project, data: Mapping[str, Any]) -> Variable:
    with transaction.atomic():
        # Lock the project row so two simultaneous adds cannot both pass the 50 limit.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        fields = variable_clean(project=project, data=data)
        last = Variable.objects.filter(project=project).aggregate(m=Max("position"))["m"]
        variable = Variable.objects.create(
            project=project, position=(last + 1) if last is not None else 0, **fields
        )
        _touch(project)
    return variable


def variable_update(*, variable: Variable, data: Mapping[str, Any]) -> Variable:
    fields = variable_clean(project=variable.project, data=data, instance=variable)
    for name, value in fields.items():
        setattr(variable, name, value)
    variable.save()
    _touch(variable.project)
    return variable


def variable_delete(*, variable: Variable) -> None:
    project = variable.project
    variable.delete()
    _touch(project)


def variables_reorder(*, project: Project, order: Iterable[int]) -> list[Variable]:
    """Positions from a full list of the project's variable ids, each exactly once."""
    order = list(order)
    variables = {variable.pk: variable for variable in Variable.objects.filter(project=project)}
    if sorted(order) != sorted(variables) or len(set(order)) != len(order):
        raise VariableValidationError(
            {"order": ["List every variable id of this project exactly once."]}
        )
    for position, pk in enumerate(order):
        variables[pk].position = position
    Variable.objects.bulk_update(variables.values(), ["position"])
    _touch(project)
    return sorted(variables.values(), key=lambda variable: variable.position)


def variable_move(*, variable: Variable, offset: int) -> list[Variable]:
    """Move one place up (-1) or down (+1): the keyboard path of reordering."""
    ids = list(Variable.objects.filter(project=variable.project).values_list("pk", flat=True))
    index = ids.index(variable.pk)
    target = min(max(index + offset, 0), len(ids) - 1)
    ids.insert(target, ids.pop(index))
    return variables_reorder(project=variable.project, order=ids)


def _touch(project: Project) -> None:
    Project.objects.filter(pk=project.pk).update(updated_at=timezone.now())
