"""Validate the model's answer for one document, variable by variable (DESIGN step 4, 5).

The answer is the JSON object the structured-output schema asks for:
``{<key>: {"value": ..., "evidence": "...", "confidence": 0.9}, ...}``. Every variable
gets a ``ValidatedValue`` whose ``status`` is one of the ``Extraction.Status`` values:

- ``ok``: a value of the right type (the message may carry a note, e.g. "no evidence
  quoted" or "read 12% as 12");
- ``missing``: null, blank or absent (the message says so when the variable is required);
- ``invalid``: a value that cannot be read as the variable's type or category; the value
  is None and the model's answer stays in ``raw`` for the reviewer;
- ``unsupported_evidence``: a valid value whose quote is not in the document, or is only
  there cut out of a word or a number ("9 percent" out of "22.9 percent"); the value is
  kept: a person decides;
- ``evidence_mismatch``: a valid value whose quote is in the document but does not say
  it (the type's ``evidence_check``: "the quote does not contain 2023"); kept too;
- ``error``: the answer as a whole was not a JSON object.

How a value is read for its type (numbers such as "1.234,5", dates, categories matched
loosely, yes/no words) is the type's business: ``schemas.types``. Here:

- A present value without evidence stays ``ok`` with the note "no evidence quoted": the
  value may still be right, and the results page flags it for review. Evidence of an
  invalid value is located too (the reviewer needs it most); a missing value keeps the
  quote it came with but no offsets.
- A located quote is checked against the value by its type (``schemas.types.evidence``):
  ``evidence_check`` records ``passed``, ``failed`` or ``not_applicable``; it stays
  blank when nothing was checked (no quote, quote not located, no valid value).
- Confidence is clamped to 0..1 ("85%" reads as 0.85); anything unreadable is None.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from processing.evidence import EvidenceIndex
from schemas.types import CoercionError, read_value, value_type

__all__ = ["Status", "ValidatedValue", "validate_answer"]


class Status(StrEnum):
    """Same values as ``processing.models.Extraction.Status`` (kept ORM-free here)."""

    OK = "ok"
    MISSING = "missing"
    INVALID = "invalid"
    UNSUPPORTED_EVIDENCE = "unsupported_evidence"
    EVIDENCE_MISMATCH = "evidence_mismatch"
    ERROR = "error"


@dataclass(frozen=True)
class ValidatedValue:
    """One variable's checked value, ready to be stored as an ``Extraction``."""

    value: Any
    status: str
    message: str = ""
    evidence: str = ""
    evidence_start: int | None = None
    evidence_end: int | None = None
    confidence: float | None = None
    raw: Any = None
    evidence_check: str = ""  # Extraction.EvidenceCheck, blank when not checked

    @property
    def has_value(self) -> bool:
        return self.value is not None

    @property
    def flagged(self) -> bool:
        """Whether a person should look at the evidence (counted on the job)."""
        return self.status in FLAGGED_STATUSES


NO_EVIDENCE_NOTE = "no evidence quoted"
EVIDENCE_NOT_FOUND_NOTE = "evidence quote not found in the document"
EVIDENCE_CUT_NOTE = "evidence quote starts or ends inside a word or a number"
FLAGGED_STATUSES = frozenset({Status.UNSUPPORTED_EVIDENCE, Status.EVIDENCE_MISMATCH})

_ABSENT = object()  # the answer has no entry for the variable


# --- the entry point ------------------------------------------------------------------


def validate_answer(
    *,
    variables: list[dict],
    answer: dict,
    text: str,
    index: EvidenceIndex | None = None,
) -> dict[str, ValidatedValue]:
    """Check every variable of ``variables`` in ``answer`` against the document ``text``.

    Pass ``index`` (an ``EvidenceIndex`` of ``text``) when validating several answers
    for the same document, so the text is folded once.
    """
    if not isinstance(answer, dict):
        message = "the answer is not a JSON object"
        return {
            v["key"]: ValidatedValue(None, Status.ERROR, message, raw=answer) for v in variables
        }
    index = index if index is not None else EvidenceIndex(text)
    return {
        variable["key"]: _validate_entry(variable, answer.get(variable["key"], _ABSENT), index)
        for variable in variables
    }


def _validate_entry(variable: dict, entry: Any, index: EvidenceIndex) -> ValidatedValue:
    if entry is _ABSENT:
        return _missing(variable, "no answer for this variable", raw=None)
    if not isinstance(entry, dict):
        message = "expected an object with value, evidence and confidence"
        return ValidatedValue(None, Status.INVALID, message, raw=entry)
    evidence = _evidence_text(entry.get("evidence"))
    confidence = _confidence(entry.get("confidence"))
    base = ValidatedValue(None, Status.MISSING, evidence=evidence, confidence=confidence, raw=entry)
    try:
        value, notes = read_value(variable, entry.get("value"))
    except CoercionError as exc:
        return _with_offsets(replace(base, status=Status.INVALID, message=str(exc)), index)
    if value is None:
        return replace(base, message=_missing_message(variable, "no value given"))
    return _check_evidence(variable, replace(base, value=value, status=Status.OK), notes, index)


def _check_evidence(
    variable: dict, result: ValidatedValue, notes: list[str], index: EvidenceIndex
) -> ValidatedValue:
    """Locate the quote, then ask the value's type whether the quote says the value."""
    if not result.evidence:
        return replace(result, message=_join([*notes, NO_EVIDENCE_NOTE]))
    located = _with_offsets(result, index)
    if located.evidence_start is None:
        cut = index.cuts_words(result.evidence)
        note = EVIDENCE_CUT_NOTE if cut else EVIDENCE_NOT_FOUND_NOTE
        return replace(result, status=Status.UNSUPPORTED_EVIDENCE, message=_join([*notes, note]))
    kind = value_type(variable.get("type"))
    support = kind.evidence_check(variable, located.value, located.evidence)
    if support.is_mismatch:
        notes, status = [*notes, support.reason], Status.EVIDENCE_MISMATCH
        return replace(located, status=status, evidence_check=support.outcome, message=_join(notes))
    return replace(located, evidence_check=support.outcome, message=_join(notes))


def _with_offsets(result: ValidatedValue, index: EvidenceIndex) -> ValidatedValue:
    span = index.locate(result.evidence) if result.evidence else None
    if span is None:
        return result
    return replace(result, evidence_start=span[0], evidence_end=span[1])


def _missing(variable: dict, reason: str, *, raw: Any) -> ValidatedValue:
    return ValidatedValue(None, Status.MISSING, _missing_message(variable, reason), raw=raw)


def _missing_message(variable: dict, reason: str) -> str:
    return f"{reason} (required)" if variable.get("required") else reason


def _join(notes: list[str]) -> str:
    return "; ".join(note for note in notes if note)


def _evidence_text(evidence: Any) -> str:
    # Some models send several quotes as a list: the locator reads "a ... b" as
    # fragments of one passage.
    if isinstance(evidence, list) and all(isinstance(item, str) for item in evidence):
        evidence = " ... ".join(item.strip() for item in evidence if item.strip())
    return evidence.strip() if isinstance(evidence, str) else ""


def _confidence(confidence: Any) -> float | None:
    if isinstance(confidence, str):
        stripped = confidence.strip()
        percent = stripped.endswith("%")
        try:
            confidence = float(stripped.rstrip("%")) / (100 if percent else 1)
        except ValueError:
            return None
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        return None
    if math.isnan(confidence):
        return None
    return min(max(float(confidence), 0.0), 1.0)
