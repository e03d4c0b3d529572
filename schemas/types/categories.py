"""Allowed values and matching an answer to one of them (category types)."""

from __future__ import annotations

from schemas.types.words import dedupe, fold, loose


def allowed_values(variable: dict) -> list[str]:
    """A variable's allowed values as unique, stripped strings in the order given."""
    values = variable.get("allowed_values") or []
    return dedupe([str(value).strip() for value in values if str(value).strip()])


def match_category(value: str, allowed: list[str]) -> str | None:
    """The allowed value ``value`` names, trying exact, then looser comparisons; a
    looser comparison only counts when it picks exactly one allowed value."""
    for key in (str.strip, loose, fold):
        wanted = key(value)
        matches = [option for option in allowed if key(option) == wanted]
        if len(matches) == 1:
            return matches[0]
    return None
