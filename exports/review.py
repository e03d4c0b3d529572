"""Human review of values: corrections and verifications, beside the model's, logged."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from processing.models import Extraction, ProcessingLog
from schemas.types import CoercionError, VariableType, read_value, value_type

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


def value_input_context(
    variable: dict, extraction: Extraction, *, typed: list[str] | None = None
) -> dict:
    """The typed input's context (``_value_input.html``): filled with the person's own
    correction, never with the model's answer (that would anchor them), or with what
    they typed when it was refused."""
    kind = value_type(variable["type"])
    current = extraction.human_value if extraction.corrected else None
    if typed is not None:
        current = typed if kind.widget == "checkboxes" else "\n".join(typed)
    return {
        "widget": kind.widget,
        "current_value": current,
        "current_list": current if isinstance(current, list) else [],
        "current_lines": kind.form_text(current),
    }


def typed_value(variable: dict, value: Any, *, field: str = "human_value") -> Any:
    """A person's value (a correction, a coder's answer, an adjudication) typed like
    ``variable``, or ``ReviewError`` under ``field`` saying why it cannot be."""
    if len(json.dumps(value, ensure_ascii=False)) > HUMAN_VALUE_MAX_CHARS:
        raise ReviewError({field: [f"A value holds at most {HUMAN_VALUE_MAX_CHARS:,} characters."]})
    try:
        typed, _notes = read_value(variable, value)
    except CoercionError as exc:
        raise ReviewError({field: [str(exc)]}) from None
    # PostgreSQL stores no NUL character (in text or JSON): refuse it here, not with a 500.
    if _has_nul(typed):
        raise ReviewError({field: ["The value contains a NUL character (\\u0000)."]})
    return typed


def _quote(text: str) -> str:
    """A person's quote, checked like their value: bounded, and without NUL."""
    if len(text) > HUMAN_VALUE_MAX_CHARS:
        raise ReviewError(
            {"human_evidence": [f"A quote holds at most {HUMAN_VALUE_MAX_CHARS:,} characters."]}
        )
    if "\x00" in text:
        raise ReviewError({"human_evidence": ["The quote contains a NUL character (\\u0000)."]})
    return text.strip()


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
    human_evidence: str | None = None,
) -> Extraction:
    """Apply a person's review. The model's value is never touched.

    - ``human_value`` (any JSON, typed like the variable; null means "no value") sets a
      correction; ``corrected=False`` removes one.
    - ``human_evidence``: with a correction, the quote that supports it (exports show it
      instead of the model's); removing the correction removes it.
    - ``verified=True`` records that the final value was checked and is right.
    """
    if human_evidence is not None and human_value is UNSET:
        raise ReviewError({"human_evidence": ["Send a quote with the human_value it supports."]})
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
        extraction.human_value = typed_value(variable_of(extraction), human_value)
        extraction.corrected = True
        extraction.human_evidence = _quote(human_evidence or "")
    elif corrected is False:
        extraction.human_value = None
        extraction.corrected = False
        extraction.human_evidence = ""
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
                "human_evidence",
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


def blind_entry(*, extraction: Extraction, user, value: Any) -> Extraction:
    """A person's own answer, given before they saw the model's (blind review).

    Stored apart (``blind_value``) and kept whatever they decide once the model's answer
    is shown: agreement compares the model with it. It also reviews the value at once:
    verified when it agrees with the model's (compared as the type compares for
    agreement), else a correction holding the person's answer, which they may keep, or
    drop for the model's (``extraction_review(corrected=False, verified=True)``).
    """
    if extraction.blind_entered or extraction.verified or extraction.corrected:
        raise ReviewError(
            {"blind_value": ["This value was already checked: a blind entry comes first."]}
        )
    variable = variable_of(extraction)
    typed = typed_value(variable, value)
    kind = value_type(variable["type"])
    agrees = kind.same(kind.comparable(extraction.value), kind.comparable(typed))
    with transaction.atomic():
        updated = Extraction.objects.filter(
            pk=extraction.pk, blind_entered=False, verified=False, corrected=False
        ).update(blind_value=typed, blind_entered=True, updated_at=timezone.now())
        if not updated:  # a second tab or a double click got there first
            raise ReviewError({"blind_value": ["This value was just checked elsewhere."]})
        extraction.blind_value, extraction.blind_entered = typed, True
        if agrees:
            return extraction_review(extraction=extraction, user=user, verified=True)
        return extraction_review(extraction=extraction, user=user, human_value=typed)


def _describe(extraction: Extraction, before: dict, after: dict) -> str:
    key = extraction.variable_key
    if after["corrected"] and after["human_value"] != before["human_value"]:
        return f"{key}: corrected to {after['human_value']!r} (model said {extraction.value!r})."
    if before["corrected"] and not after["corrected"]:
        return f"{key}: correction removed; the model's value {extraction.value!r} applies."
    if after["verified"] != before["verified"]:
        return f"{key}: marked {'verified' if after['verified'] else 'not verified'}."
    return f"{key}: reviewed, unchanged."
