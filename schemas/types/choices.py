"""Types of several values or of a chosen value: category, multi-category, list."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from schemas.types.base import ValueType, normalise_text, nullable_type
from schemas.types.categories import allowed_values, match_category
from schemas.types.errors import CoercionError
from schemas.types.evidence import (
    Support,
    category_support,
    items_support,
    named_others,
    shown_items,
    text_support,
)
from schemas.types.names import VariableType
from schemas.types.words import dedupe, show


class Category(ValueType):
    name = VariableType.CATEGORY
    help_text = "Exactly one of the allowed values."
    prompt_format = "exactly one of the allowed values, spelled exactly as listed"
    widget = "select"
    is_category = True
    merge_rule = "majority"
    kappa = "classes"

    def coerce(self, variable: dict, raw: Any) -> tuple[Any, list[str]]:
        if isinstance(raw, list):
            if len(raw) != 1:
                raise CoercionError(f"expected one category, got {len(raw)}: {show(raw)}")
            raw = raw[0]
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise CoercionError(f"expected a category, got {show(raw)}")
        allowed = allowed_values(variable)
        if not allowed:
            return str(raw).strip(), ["no allowed values defined"]
        match = match_category(str(raw), allowed)
        if match is None:
            raise CoercionError(f"{show(raw)} is not one of the allowed values")
        return match, []

    def evidence_check(self, variable: dict, value: Any, quote: str) -> Support:
        return category_support(variable, value, quote)

    def value_schema(self, variable: dict, *, nullable: bool) -> dict:
        schema: dict[str, Any] = {"type": nullable_type("string", nullable)}
        allowed = allowed_values(variable)
        if allowed:  # a draft may have no values yet: any string until it does
            schema["enum"] = [*allowed, None] if nullable else allowed
        return schema

    def value_labels(self, variable: dict) -> dict[int, str]:
        return _codes(variable)


class _Items(ValueType):
    """Shared by the types whose value is a list of texts."""

    merge_rule = "union"

    def comparable(self, value: Any) -> frozenset[str] | None:
        """A set of normalised texts: order and repeats do not make a disagreement."""
        if value is None:
            return None
        items = value if isinstance(value, list | tuple | set | frozenset) else [value]
        normalised = frozenset(text for item in items if (text := normalise_text(item)))
        return normalised or None

    def value_schema(self, variable: dict, *, nullable: bool) -> dict:
        return {"type": nullable_type("array", nullable), "items": self.item_schema(variable)}

    def item_schema(self, variable: dict) -> dict:
        return {"type": "string"}

    def ordered(self, variable: dict, items: list[Any]) -> list[Any]:
        """Merged items in the order a reader expects (first seen, by default)."""
        return items


class MultiCategory(_Items):
    name = VariableType.MULTI_CATEGORY
    help_text = "Any number of the allowed values."
    prompt_format = "a list of every allowed value that applies, each spelled exactly as listed"
    widget = "checkboxes"
    is_category = True
    kappa = "per_category"

    def coerce(self, variable: dict, raw: Any) -> tuple[Any, list[str]]:
        allowed = allowed_values(variable)
        items, notes = _multi_items(raw, allowed)
        if not allowed:
            return dedupe(items), [*notes, "no allowed values defined"]
        matched, bad = set(), []
        for item in items:
            match = match_category(item, allowed)
            if match is None:
                bad.append(item)
            else:
                matched.add(match)
        if bad:
            shown = ", ".join(show(item) for item in bad)
            raise CoercionError(f"not among the allowed values: {shown}")
        return [option for option in allowed if option in matched] or None, notes

    def from_form(self, variable: dict, fields: Sequence[str]) -> Any:
        return list(fields)  # one checkbox per chosen value; none checked is "no value"

    def evidence_check(self, variable: dict, value: Any, quote: str) -> Support:
        items = _as_items(value)

        def describe() -> str:
            others = [o for o in named_others(variable, "", quote) if o not in items]
            return f"the quote names {shown_items(others)}, not {shown_items(items)}"

        return items_support(items, lambda item: category_support(variable, item, quote), describe)

    def item_schema(self, variable: dict) -> dict:
        allowed = allowed_values(variable)
        return {"type": "string", "enum": allowed} if allowed else {"type": "string"}

    def value_labels(self, variable: dict) -> dict[int, str]:
        return _codes(variable)

    def ordered(self, variable: dict, items: list[Any]) -> list[Any]:
        allowed = [str(value).strip() for value in variable.get("allowed_values") or []]
        last = len(allowed)
        return sorted(items, key=lambda item: allowed.index(item) if item in allowed else last)


class List(_Items):
    name = VariableType.LIST
    help_text = "A list of short texts (e.g. every country named)."
    prompt_format = "a list of short texts, one per item, in the order the document gives them"
    widget = "lines"

    def coerce(self, variable: dict, raw: Any) -> tuple[Any, list[str]]:
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list):
            raise CoercionError(f"expected a list of texts, got {show(raw)}")
        items = _texts(raw, "expected texts in the list, got {}")
        unique = dedupe(items)
        notes = ["duplicates removed"] if len(unique) < len(items) else []
        return unique or None, notes

    def from_form(self, variable: dict, fields: Sequence[str]) -> Any:
        raw = fields[-1] if fields else ""
        return [line.strip() for line in raw.splitlines() if line.strip()]

    def evidence_check(self, variable: dict, value: Any, quote: str) -> Support:
        items = _as_items(value)
        return items_support(
            items,
            lambda item: text_support(item, quote),
            lambda: f"the quote contains none of {shown_items(items)}",
        )


def _as_items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _codes(variable: dict) -> dict[int, str]:
    """Allowed values coded 1..n in the order the codebook lists them."""
    return dict(enumerate(allowed_values(variable), start=1))


def _multi_items(value: Any, allowed: list[str]) -> tuple[list[str], list[str]]:
    """The items of a multi-category answer: a list, or one string (maybe "a; b")."""
    if isinstance(value, str):
        if not allowed or match_category(value, allowed) is not None:
            return [value], []
        parts = [part for part in re.split(r"[;,]", value) if part.strip()]
        return parts, (["split the text into items"] if len(parts) > 1 else [])
    if not isinstance(value, list):
        raise CoercionError(f"expected a list of categories, got {show(value)}")
    return _texts(value, "expected a category, got {}"), []


def _texts(items: list[Any], refusal: str) -> list[str]:
    """The non-blank items, stripped; anything but a text or a number is refused."""
    texts = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise CoercionError(refusal.format(show(item)))
        if str(item).strip():
            texts.append(str(item).strip())
    return texts
