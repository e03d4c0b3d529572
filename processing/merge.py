"""Split a large schema into calls, and merge the answers of a long document's chunks.

Two ways one document can need several LLM calls (DESIGN step 4, point 3):

- a schema with many variables is split into groups (``schemas.planning``); each group's
  answer covers different keys, so the engine simply joins the validated dicts;
- a document longer than the model's context is split into overlapping chunks; each
  chunk's answer covers every key of the group, and ``merge_chunk_answers`` chooses or
  combines one value per variable.

Offsets contract: the engine validates each chunk's answer against the WHOLE document
text (``validate_answer(text=document.text, ...)``, ideally with one shared
``EvidenceIndex``), so every ``ValidatedValue`` handed to ``merge_chunk_answers``
already carries offsets into the whole document. Merging never shifts offsets.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from processing.answers import Status, ValidatedValue
from schemas.types import value_type

__all__ = ["merge_chunk_answers"]

# Which status describes a variable that no chunk gave a value for: an unreadable answer
# says more than a failed call, which says more than "not found".
_NO_VALUE_PRIORITY = (Status.INVALID, Status.ERROR, Status.MISSING)


def merge_chunk_answers(
    *, variables: list[dict], answers: list[dict[str, ValidatedValue]]
) -> dict[str, ValidatedValue]:
    """One value per variable from the validated answers of every chunk, in chunk order.

    Each type says how (its ``merge_rule`` in ``schemas.types``):

    - ``best`` (text, numbers, yes/no, dates): the value of the best chunk (evidence
      found and supporting beats evidence not found or not supporting, then the highest
      confidence, then the earliest);
    - ``majority`` (category): the value most chunks gave; ties go to the highest summed
      confidence, then to the value seen first;
    - ``union`` (list, multi-category): the union of all chunks' items in the order the
      type gives (first seen; allowed-value order for multi-categories), evidence from
      the chunk that gave the most items.

    Evidence and offsets come from the chosen chunk, unchanged (see the module docstring).
    When chunks disagree the message lists the other values. With more than one chunk,
    ``raw`` is the list of the chunks' raw answers, so the audit trail keeps them all.
    """
    merged = {}
    for variable in variables:
        key = variable["key"]
        candidates = [answer[key] for answer in answers if key in answer]
        merged[key] = _merge_variable(variable, candidates)
    return merged


def _merge_variable(variable: dict, candidates: list[ValidatedValue]) -> ValidatedValue:
    if not candidates:
        return ValidatedValue(None, Status.MISSING, _required("no answer in any chunk", variable))
    if len(candidates) == 1:
        return candidates[0]
    present = [(order, c) for order, c in enumerate(candidates) if c.value is not None]
    rule = value_type(variable.get("type")).merge_rule
    if not present:
        chosen = _most_telling_failure(candidates)
    elif rule == "union":
        chosen = _union(variable, present)
    elif rule == "majority":
        chosen = _majority(present)
    else:
        chosen = _best(present)
    return replace(chosen, raw=[c.raw for c in candidates])


def _rank(order: int, candidate: ValidatedValue) -> tuple:
    """Sort key, best first: evidence found and not contradicting the value (a flagged
    ``unsupported_evidence`` and ``evidence_mismatch`` rank alike), then confidence,
    then chunk order."""
    confidence = candidate.confidence if candidate.confidence is not None else -1.0
    return (candidate.status != Status.OK, -confidence, order)


def _lead_rank(order: int, candidate: ValidatedValue) -> tuple:
    """Whose evidence a union shows: found evidence, most items, then ``_rank``."""
    unsupported, confidence, order = _rank(order, candidate)
    return (unsupported, -len(candidate.value), confidence, order)


def _best(present: list[tuple[int, ValidatedValue]]) -> ValidatedValue:
    _, chosen = min(present, key=lambda pair: _rank(*pair))
    others = _distinct(c.value for _, c in present if c.value != chosen.value)
    return _noted(chosen, f"other chunks gave: {others}" if others else "")


def _majority(present: list[tuple[int, ValidatedValue]]) -> ValidatedValue:
    votes = Counter(c.value for _, c in present)
    confidence: dict[Any, float] = {}
    first_seen: dict[Any, int] = {}
    for order, c in present:
        confidence[c.value] = confidence.get(c.value, 0.0) + (c.confidence or 0.0)
        first_seen.setdefault(c.value, order)
    winner = min(votes, key=lambda value: (-votes[value], -confidence[value], first_seen[value]))
    chosen = _best([(order, c) for order, c in present if c.value == winner])
    others = _distinct(value for value in votes if value != winner)
    note = f"{votes[winner]} of {len(present)} chunks; others gave: {others}" if others else ""
    return _noted(chosen, note)


def _union(variable: dict, present: list[tuple[int, ValidatedValue]]) -> ValidatedValue:
    items: list[Any] = []
    for _, c in present:
        for item in c.value:
            if item not in items:
                items.append(item)
    items = value_type(variable["type"]).ordered(variable, items)
    _, lead = min(present, key=lambda pair: _lead_rank(*pair))
    contributors = sum(1 for _, c in present if c.value)
    note = f"merged from {contributors} chunks" if contributors > 1 else ""
    return _noted(replace(lead, value=items), note)


def _most_telling_failure(candidates: list[ValidatedValue]) -> ValidatedValue:
    for status in _NO_VALUE_PRIORITY:
        for candidate in candidates:
            if candidate.status == status:
                return candidate
    return candidates[0]


def _noted(value: ValidatedValue, note: str) -> ValidatedValue:
    if not note:
        return value
    message = f"{value.message}; {note}" if value.message else note
    return replace(value, message=message)


def _distinct(values) -> str:
    unique = list(dict.fromkeys(repr(value) for value in values))
    return ", ".join(unique)


def _required(reason: str, variable: dict) -> str:
    return f"{reason} (required)" if variable.get("required") else reason
