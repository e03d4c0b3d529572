"""Plausible answers to the "suggest variables" request, so the offline demo's step 2
proposes a codebook a researcher would recognise instead of random strings.

Recognised by the shape of the requested schema (a root ``variables`` array of objects
with ``key``, ``type`` and ``instructions``); the suggestions come from what the
excerpts contain: years, dates, quantities, names, recurring words.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_DATE = re.compile(r"\b\d{1,2}\s+[A-Z][a-z]+\s+\d{4}\b|\b\d{4}-\d{2}-\d{2}\b")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:of\s+)?[A-Z][a-z]+)+\b")
_WORD = re.compile(r"[A-Za-zÀ-ÿ]{6,}")
_LIMIT = re.compile(r"at most (\d+) variables", re.I)
_EXISTING = re.compile(r"^- ([a-z][a-z0-9_]*):", re.M)
_STOPWORDS = frozenset(
    [
        "document",
        "documents",
        "excerpt",
        "research",
        "project",
        "researcher",
        "variables",
        "propose",
        "which",
        "should",
        "would",
        "could",
        "their",
        "there",
        "these",
        "those",
        "about",
        "between",
        "within",
        "during",
        "without",
        "because",
        "however",
        "another",
        "through",
    ]
)


def looks_like_codebook(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    items = schema.get("properties", {}).get("variables", {}).get("items", {})
    fields = set(items.get("properties", {})) if isinstance(items, dict) else set()
    return {"key", "type", "instructions"} <= fields


def _variable(key, label, kind, instructions, allowed=(), required=False) -> dict:
    return {
        "key": key,
        "label": label,
        "type": kind,
        "instructions": instructions,
        "allowed_values": list(allowed),
        "required": required,
    }


def _topics(text: str) -> list[str]:
    words = Counter(word.lower() for word in _WORD.findall(text) if word.lower() not in _STOPWORDS)
    return [word for word, _ in words.most_common(4)]


def suggest_codebook(prompt: str, rng) -> dict:
    """``{"variables": [...]}`` fitting the excerpts in ``prompt``."""
    candidates = []
    if _YEAR.search(prompt):
        candidates.append(
            _variable(
                "year",
                "Year",
                "integer",
                "The year the main event of the document took place, as four digits. "
                "Null when no year is given.",
            )
        )
    if _DATE.search(prompt):
        candidates.append(
            _variable(
                "event_date",
                "Date of the event",
                "date",
                "The date of the main event (YYYY-MM-DD; YYYY-MM or YYYY when only that is "
                "stated).",
            )
        )
    if len(_NUMBER.findall(prompt)) > len(_YEAR.findall(prompt)):
        candidates.append(
            _variable(
                "quantity_reported",
                "Main quantity",
                "number",
                "The main number the document reports (participants, parties, amount), "
                "without units.",
            )
        )
    if _NAME.search(prompt):
        candidates.append(
            _variable(
                "main_actor",
                "Main actor",
                "text",
                "The organisation, country or person the document is mainly about, as named "
                "in the text.",
            )
        )
        candidates.append(
            _variable(
                "actors_named",
                "Actors named",
                "list",
                "Every organisation, country or person the document names as taking part.",
            )
        )
    candidates.append(
        _variable(
            "stance",
            "Stance",
            "category",
            "The position the document takes on its main subject.",
            ("supportive", "opposed", "neutral", "unclear"),
            required=True,
        )
    )
    topics = _topics(prompt)
    if len(topics) >= 2:
        candidates.append(
            _variable(
                "topics",
                "Topics",
                "multi_category",
                "Every topic the document discusses at some length.",
                (*topics, "other"),
            )
        )
    candidates.append(
        _variable(
            "summary",
            "One-sentence summary",
            "text",
            "What the document reports, in one sentence of your own words.",
        )
    )
    existing = set(_EXISTING.findall(prompt))
    chosen = [c for c in candidates if c["key"] not in existing]
    limit = int(match.group(1)) if (match := _LIMIT.search(prompt)) else len(chosen)
    if rng.random() < 0.5 and len(chosen) > 2:  # not always the same order
        chosen[1], chosen[2] = chosen[2], chosen[1]
    return {"variables": chosen[:limit]}
