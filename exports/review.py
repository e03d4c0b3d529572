"""Human review of values: corrections and verifications, beside the model's, logged."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from processing.models import Extraction, ProcessingLog
from schemas.types import CoercionError, VariableType, read_value

UNSET = object()
# A person's value, written as JSON: a long text answer or a list of a hundred items fit.
HUMAN_VALUE_MAX_CHARS = 10_000


class ReviewError(Exception):
    """Field-level problems with a correction."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(" ".join(v) for v in errors.values()))
        self.errors = errors


def variable_of(extraction: Extraction) -> dict:
    """The variable definition this value was extracted for (from its version)."""
    for variable in extraction.schema_version.variables:
        if variable["key"] == extraction.variable_key:
            return variable
    return {"key": extraction.variable_key, "type": VariableType.TEXT, "allowed_values": []}


def _typed(variable: dict, value: Any) -> Any:
    if len(json.dumps(value, ensure_ascii=False)) > HUMAN_VALUE_MAX_CHARS:
        raise ReviewError(
            {"human_value": [f"A value holds at most {HUMAN_VALUE_MAX_CHARS:,} characters."]}
        )
    try:
        typed, _notes = read_value(variable, value)
    except CoercionError as exc:
        raise ReviewError({"human_value": [str(exc)]}) from None
    # PostgreSQL stores no NUL character (in text or JSON): refuse it here, not with a 500.
    if _has_nul(typed):
        raise ReviewError({"human_value": ["The value contains a NUL character (\\u0000)."]})
    return typed


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    return False


def extraction_review(
    *,
    extraction: Extraction,
    user,
    human_value: Any = UNSET,
    verified: bool | None = None,
    corrected: bool | None = None,
) -> Extraction:
    """Apply a person's review. The model's value is never touched.

    - ``human_value`` (any JSON, typed like the variable; null means "no value") sets a
      correction; ``corrected=False`` removes one.
    - ``verified=True`` records that the final value was checked and is right.
    """
    if human_value is UNSET and verified is None and corrected is None:
        raise ReviewError(
            {"non_field_errors": ["Send human_value, verified or corrected to review a value."]}
        )
    before = {
        "human_value": extraction.human_value,
        "corrected": extraction.corrected,
        "verified": extraction.verified,
    }
    if human_value is not UNSET:
        if corrected is False:
            raise ReviewError(
                {"corrected": ["Send either a human_value or corrected: false, not both."]}
            )
        extraction.human_value = _typed(variable_of(extraction), human_value)
        extraction.corrected = True
    elif corrected is False:
        extraction.human_value = None
        extraction.corrected = False
    elif corrected is True and not extraction.corrected:
        raise ReviewError({"corrected": ["Send the corrected value as human_value."]})
    if verified is not None:
        extraction.verified = verified
    elif human_value is not UNSET:
        # Correcting a value is checking it: the person saw the document.
        extraction.verified = True
    extraction.reviewed_by = user if getattr(user, "is_authenticated", False) else None
    extraction.reviewed_at = timezone.now()
    extraction.refresh_sort_keys()
    after = {
        "human_value": extraction.human_value,
        "corrected": extraction.corrected,
        "verified": extraction.verified,
    }
    with transaction.atomic():
        extraction.save(
            update_fields=[
                "human_value",
                "corrected",
                "verified",
                "reviewed_by",
                "reviewed_at",
                "sort_number",
                "sort_text",
                "updated_at",
            ]
        )
        ProcessingLog.objects.create(
            project_id=extraction.schema_version.project_id,
            job=None,
            document_id=extraction.document_id,
            user=extraction.reviewed_by,
            level=ProcessingLog.Level.INFO,
            event="value_reviewed",
            message=_describe(extraction, before, after),
            data={
                "extraction": extraction.pk,
                "before": before,
                "after": after,
                "model_value": extraction.value,
            },
        )
    return extraction


def _describe(extraction: Extraction, before: dict, after: dict) -> str:
    key = extraction.variable_key
    if after["corrected"] and after["human_value"] != before["human_value"]:
        return f"{key}: corrected to {after['human_value']!r} (model said {extraction.value!r})."
    if before["corrected"] and not after["corrected"]:
        return f"{key}: correction removed; the model's value {extraction.value!r} applies."
    if after["verified"] != before["verified"]:
        return f"{key}: marked {'verified' if after['verified'] else 'not verified'}."
    return f"{key}: reviewed, unchanged."
