"""What every variable type answers, and the defaults most types share.

A type is asked the same questions wherever a value goes:

- ``read``: the typed value of a model's answer or a person's JSON (None when absent),
  with notes on what was changed; ``CoercionError`` when it cannot be read.
- ``from_form``: the raw value of the correction form's fields, for ``read``.
- ``comparable`` and ``same``: the form two values are compared in for agreement.
- ``evidence_check``: whether a located quote supports the value (``evidence.py``).
- ``value_schema``, ``prompt_format``: what the model is told a value looks like.
- ``value_labels``: numeric codes and their labels, for statistical packages.
- ``help_text``, ``widget``: what the wizard shows and which input it offers.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from typing import Any, ClassVar

from schemas.types.categories import allowed_values, match_category
from schemas.types.evidence import NOT_APPLICABLE, Support
from schemas.types.words import is_null_word


class ValueType:
    """One variable type. Subclasses set the class attributes and ``coerce``."""

    name: ClassVar[str]
    help_text: ClassVar[str]
    prompt_format: ClassVar[str]
    # The correction form's input: select, checkboxes, yes_no, whole_number, decimal,
    # iso_date, lines or free_text (the cell template switches on it).
    widget: ClassVar[str] = "free_text"
    is_category: ClassVar[bool] = False
    # How the answers of a long document's chunks combine: the best chunk's value, the
    # value most chunks gave, or the union of their items.
    merge_rule: ClassVar[str] = "best"
    # Chance-corrected agreement: None, "classes" (Cohen's kappa on the values) or
    # "per_category" (the mean of one present/absent kappa per allowed value).
    kappa: ClassVar[str | None] = None
    # Spreadsheet cells: ISO strings of a date type become real dates in XLSX.
    is_date: ClassVar[bool] = False

    # --- reading ---------------------------------------------------------------------

    def read(self, variable: dict, raw: Any) -> tuple[Any, list[str]]:
        """The typed value (None when absent) and notes on what was changed."""
        if _is_null(raw) and not _names_allowed_value(variable, raw):
            return None, []
        return self.coerce(variable, raw)

    def coerce(self, variable: dict, raw: Any) -> tuple[Any, list[str]]:
        raise NotImplementedError

    def from_form(self, variable: dict, fields: Sequence[str]) -> Any:
        """The raw value the correction form's ``human_value`` fields stand for."""
        raw = fields[-1] if fields else ""
        return raw if raw.strip() else None

    def form_text(self, value: Any) -> str:
        """A stored value as the form's text input shows it."""
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return "" if value is None else str(value)

    # --- comparing -------------------------------------------------------------------

    def comparable(self, value: Any) -> Any:
        """The form a value is compared in; None means absent."""
        return None if value is None else normalise_text(value)

    def same(self, model: Any, human: Any) -> bool:
        """Whether two comparable values agree."""
        return model == human

    # --- checking evidence -----------------------------------------------------------

    def evidence_check(self, variable: dict, value: Any, quote: str) -> Support:
        """Whether a located ``quote`` supports the typed ``value`` (the rules per type
        are in ``evidence.py``); a type without a lexical rule cannot tell."""
        return Support(NOT_APPLICABLE)

    # --- describing ------------------------------------------------------------------

    def value_schema(self, variable: dict, *, nullable: bool) -> dict:
        """The JSON Schema of the ``value`` field in the structured-output schema."""
        return {"type": nullable_type("string", nullable)}

    def value_labels(self, variable: dict) -> dict[int, str] | None:
        """Codes 1..n (0/1 for yes/no) and their labels, or None for a type without."""
        return None


def nullable_type(json_type: str, nullable: bool) -> str | list[str]:
    return [json_type, "null"] if nullable else json_type


def normalise_text(value: Any) -> str | None:
    """NFKC, case folded, whitespace collapsed, punctuation stripped at the ends."""
    if value is None:
        return None
    return _normalised(value if isinstance(value, str) else str(value))


@functools.lru_cache(maxsize=4096)
def _normalised(text: str) -> str | None:
    # Cached: reviewed values repeat (categories, years, names) across documents.
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    text = " ".join(text.split())
    start, end = 0, len(text)
    while start < end and _is_edge_noise(text[start]):
        start += 1
    while end > start and _is_edge_noise(text[end - 1]):
        end -= 1
    return text[start:end] or None


def _is_edge_noise(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


def _is_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return is_null_word(value)
    return isinstance(value, list) and not value


def _names_allowed_value(variable: dict, value: Any) -> bool:
    """A category literally named "None" or "Unknown" is an answer, not a null."""
    if not isinstance(value, str) or not value.strip():
        return False
    return match_category(value, allowed_values(variable)) is not None
