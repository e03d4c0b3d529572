"""Words and text folding shared by every type: one yes/no vocabulary, one null list.

A model, a person typing in a form and a person sending JSON write "yes", "Y", "true"
or "1" for the same answer; reading and comparing must use the same list, or the
agreement table disagrees with what validation accepted.
"""

from __future__ import annotations

import unicodedata
from typing import Any

TRUE_WORDS = frozenset({"true", "yes", "y", "t", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "f", "0"})

# Strings that models write instead of null.
NULL_WORDS = frozenset(
    {"", "null", "none", "n/a", "na", "nil", "-", "--", "unknown", "not stated",
     "not mentioned", "not available", "not applicable", "not specified"}
)  # fmt: skip

_EDGE_QUOTES = " \"'`.,;:!?\u201c\u201d\u2018\u2019\u00ab\u00bb"


def yes_no(text: str) -> bool | None:
    """True or False for a yes/no word (any case, accents and end punctuation ignored)."""
    word = fold(text).strip(" .!")
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def is_null_word(text: str) -> bool:
    return " ".join(text.split()).casefold() in NULL_WORDS


def loose(value: str) -> str:
    """Case-, width- and whitespace-insensitive, quotes and end punctuation ignored."""
    folded = " ".join(unicodedata.normalize("NFKC", value).casefold().split())
    return folded.strip(_EDGE_QUOTES)


def fold(value: str) -> str:
    """``loose`` without accents: "Février" and "fevrier" fold alike."""
    decomposed = unicodedata.normalize("NFKD", loose(value))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def dedupe(items: list[Any]) -> list[Any]:
    """The items in first-seen order, each once."""
    return list(dict.fromkeys(items))


def show(value: Any, limit: int = 80) -> str:
    """A value quoted for a message, cut short so one bad answer cannot flood a page."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
