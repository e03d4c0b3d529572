"""Does a located quote support its value? One rule per type (``ValueType.evidence_check``).

Finding the quote in the document (``processing.evidence``) only shows the model did not
invent it; these rules check that it says what the value says, strictly where that can
be read off the text and leniently elsewhere, because a false flag costs a reviewer's
time on a correct value (target: under 2 % of correct values flagged). The outcome is
supported (stored as ``passed``), mismatch (``failed``: the value becomes
``evidence_mismatch``, with a reason such as "the quote does not contain 2023") or
``not_applicable`` (no lexical check can tell), the values of the API's
``evidence_check`` and of ``Extraction.EvidenceCheck``.

- number, integer: the quote must write the number (``scanning.numbers_in``: "1,200",
  "1 200", "1.200", "12 %", "1.2 million", "二十七", "twenty-seven", full-width digits;
  signs ignored). A quote with only a vague quantity ("several", "dozens") is
  not_applicable; any other quote without the number is a mismatch.
- date: the quote must write the date at the value's precision ("13 December 2007",
  "13.12.2007", "2007-12-13", "2018年9月1日"; a year value is supported by any date of
  that year). A quote that gives part of it without contradiction ("December 2007" for
  2007-12-13) or an era year ("令和3年") is not_applicable; else a mismatch.
- yes/no: the answer cannot be read off words, so a quote with words is not_applicable;
  a quote with no letters or digits at all ("—") is a mismatch.
- category: supported when the quote names the value: the value itself, its label
  ("self_reporting" reads "self reporting"), all of its key words (any order, loosely
  inflected, British or American spelling), or a synonym. A mismatch only when it does
  not, names none of the value's key words, and names another allowed value (strictly:
  "oppose" is named by "opposed", not by "opposition"); catch-all values ("other",
  "none", "unknown", "unclear") never make or take a mismatch. Anything else is
  not_applicable: a stance is often supported by words that do not name it.
- text: supported when the quote holds at least 60 % of the value's content words (or
  the value's initials, "EU" for "European Union"); a mismatch when a short value (at
  most three content words, such as a name or a place) shares no word with the quote;
  else not_applicable (a paraphrase, a summary in the model's words).
- list, multi-category: each item by its rule; supported when every item is, a mismatch
  when no item is supported and at least one is a mismatch (the quote is about
  something else), else not_applicable (one quote often covers only some items).

Categories, text and lists are compared only when quote and value share a script: a
Chinese quote for the value "China" is not_applicable. Text in scripts without spaces is
compared character by character.

Synonyms: a variable may carry ``"synonyms": {"<allowed value>": ["<synonym>", ...]}``;
allowed values stay plain strings, so codebooks without synonyms read as before.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from schemas.types.categories import allowed_values
from schemas.types.lexical import (
    acronym_in,
    acronym_written,
    content_words,
    has_word,
    is_acronym,
    names_phrase,
    same_script,
    unspaced_chars,
    word_set,
    words,
)
from schemas.types.scanning import dates_in, has_era_year, has_vague_quantity, numbers_in
from schemas.types.words import fold, show

SUPPORTED = "passed"
MISMATCH = "failed"
NOT_APPLICABLE = "not_applicable"
OUTCOMES = (SUPPORTED, MISMATCH, NOT_APPLICABLE)

# A text of at most this many content words is a name or a place: absent means wrong.
SHORT_TEXT_WORDS = 3
TEXT_SUPPORT_SHARE = 0.6
CATCH_ALL_WORDS = word_set(
    "other others none unknown unclear both neither n a na not stated "
    "applicable specified unspecified various misc miscellaneous yes no"
)


@dataclass(frozen=True)
class Support:
    """What the check found; ``reason`` says what a mismatched quote lacks."""

    outcome: str
    reason: str = ""

    @property
    def is_mismatch(self) -> bool:
        return self.outcome == MISMATCH


_SUPPORTED = Support(SUPPORTED)
_NOT_APPLICABLE = Support(NOT_APPLICABLE)


# --- numbers, dates, yes/no -------------------------------------------------------------


def number_support(value: Any, quote: str) -> Support:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _NOT_APPLICABLE
    target = abs(float(value))
    if any(math.isclose(target, n, rel_tol=1e-9, abs_tol=1e-9) for n in numbers_in(quote)):
        return _SUPPORTED
    if has_vague_quantity(quote):
        return Support(NOT_APPLICABLE, "the quote gives no exact number")
    return Support(MISMATCH, f"the quote does not contain {_number_text(value)}")


def _number_text(value: int | float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def date_support(value: Any, quote: str) -> Support:
    wanted = _date_parts(value)
    if wanted is None or has_era_year(quote):
        return _NOT_APPLICABLE
    found = dates_in(quote)
    if any(_covers(parts, wanted) for parts in found):
        return _SUPPORTED
    # A quote that writes another date as fully as the value is a mismatch even though
    # its year alone agrees ("14 December 2007" for 2007-12-13).
    complete = any(_precision(parts) >= _precision(wanted) for parts in found)
    if not complete and any(_agrees(parts, wanted) for parts in found):
        return Support(NOT_APPLICABLE, "the quote gives only part of the date")
    return Support(MISMATCH, f"the quote does not contain the date {value}")


def _date_parts(value: Any) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) of an ISO value "YYYY[-MM[-DD]]", None if it is not one."""
    parts = str(value).split("-") if value is not None else []
    if not 1 <= len(parts) <= 3 or not all(part.isdigit() for part in parts):
        return None
    year, month, day = ([int(part) for part in parts] + [None, None])[:3]
    return year, month, day


def _precision(parts: tuple) -> int:
    """3 for a full date, 2 for a month, 1 for a year, 0 without a year."""
    year, month, day = parts
    if year is None:
        return 0
    return 1 + (month is not None) + (month is not None and day is not None)


def _covers(found: tuple, wanted: tuple) -> bool:
    return all(want is None or have == want for have, want in zip(found, wanted, strict=True))


def _agrees(found: tuple, wanted: tuple) -> bool:
    """No part contradicts the value and at least one part is the value's."""
    pairs = [(have, want) for have, want in zip(found, wanted, strict=True)]
    if any(have is not None and want is not None and have != want for have, want in pairs):
        return False
    return any(have is not None and have == want for have, want in pairs)


def boolean_support(quote: str) -> Support:
    if any(ch.isalnum() for ch in quote):
        return _NOT_APPLICABLE
    return Support(MISMATCH, "the quote has no words to support the answer")


# --- text ----------------------------------------------------------------------------


def text_support(value: Any, quote: str) -> Support:
    text = str(value).strip() if value is not None else ""
    if not any(ch.isalnum() for ch in text):
        return _NOT_APPLICABLE
    if not same_script(text, quote):
        return Support(NOT_APPLICABLE, "the quote is in another script")
    missing = Support(MISMATCH, f"the quote does not contain {show(text)}")
    if unspaced_chars(text):
        return _unspaced_text_support(text, quote, missing)
    if is_acronym(text):
        return _SUPPORTED if acronym_in(text, quote) else missing
    wanted = content_words(text)
    quote_words = words(quote)
    hits = sum(has_word(word, quote_words) for word in wanted)
    if hits >= TEXT_SUPPORT_SHARE * len(wanted) or _initials_in(wanted, quote):
        return _SUPPORTED
    if hits == 0 and len(wanted) <= SHORT_TEXT_WORDS:
        return missing
    return _NOT_APPLICABLE


def _initials_in(wanted: tuple[str, ...], quote: str) -> bool:
    """ "European Union" is supported by "EU" in capitals (not by the word "eu")."""
    initials = "".join(word[0] for word in wanted).upper()
    return len(wanted) >= 2 and initials.isalpha() and acronym_written(initials, quote)


def _unspaced_text_support(text: str, quote: str, missing: Support) -> Support:
    """Chinese, Japanese, Thai: no words to split, so pairs of characters are compared
    (single characters such as 国 "country" are in every other name)."""
    wanted, quoted = unspaced_chars(text), unspaced_chars(quote)
    wanted_pairs, quoted_pairs = _pairs(wanted), _pairs(quoted)
    if wanted in quoted or wanted_pairs <= quoted_pairs:
        return _SUPPORTED
    if not wanted_pairs & quoted_pairs and len(wanted) <= 2 * SHORT_TEXT_WORDS:
        return missing
    return _NOT_APPLICABLE


def _pairs(chars: str) -> set[str]:
    return {chars[i : i + 2] for i in range(len(chars) - 1)} or {chars}


# --- categories ----------------------------------------------------------------------


def category_support(variable: dict, value: Any, quote: str) -> Support:
    names = names_of(variable, str(value))
    if not any(ch.isalpha() for name in names for ch in name):
        return _NOT_APPLICABLE  # codes such as "1", "2": nothing to read
    if not any(same_script(name, quote) for name in names):
        return Support(NOT_APPLICABLE, "the quote is in another script")
    if any(names_phrase(name, quote) for name in names):
        return _SUPPORTED
    if is_catch_all(str(value)) or _partly_named(names, quote):
        return _NOT_APPLICABLE
    others = named_others(variable, str(value), quote)
    if others:
        return Support(MISMATCH, f"the quote names {show(others[0])}, not {show(str(value))}")
    return _NOT_APPLICABLE


def names_of(variable: dict, value: str) -> list[str]:
    """The ways a quote may name an allowed value: itself, its label ("peer_review"
    reads "peer review") and the synonyms the variable gives for it."""
    names = [value]
    label = value.replace("_", " ").strip()
    if label != value:
        names.append(label)
    return names + synonyms_of(variable, value)


def synonyms_of(variable: dict, value: str) -> list[str]:
    """``variable["synonyms"][value]`` (keys compared folded), as a list of texts."""
    synonyms = variable.get("synonyms")
    if not isinstance(synonyms, dict):
        return []
    for key, found in synonyms.items():
        if fold(str(key)) == fold(value):
            found = [found] if isinstance(found, str) else found
            if isinstance(found, list):
                return [str(item) for item in found if str(item).strip()]
    return []


def is_catch_all(value: str) -> bool:
    found = set(words(value.replace("_", " ")))
    return bool(found) and found <= CATCH_ALL_WORDS


def _partly_named(names: list[str], quote: str) -> bool:
    quote_words = words(quote)
    return any(has_word(word, quote_words) for name in names for word in content_words(name))


def named_others(variable: dict, value: str, quote: str) -> list[str]:
    """The other allowed values the quote names outright (catch-alls and codes left out)."""
    return [
        other
        for other in allowed_values(variable)
        if fold(other) != fold(value)
        and not is_catch_all(other)
        and any(names_phrase(name, quote, strict=True) for name in names_of(variable, other))
    ]


# --- several items -------------------------------------------------------------------


def items_support(
    items: Sequence[Any], check: Callable[[Any], Support], describe: Callable[[], str]
) -> Support:
    """Lists and multi-categories: ``check`` each item (module docstring); ``describe``
    gives the reason of a mismatch."""
    results = [check(item) for item in items]
    if not results:
        return _NOT_APPLICABLE
    if all(result.outcome == SUPPORTED for result in results):
        return _SUPPORTED
    if not any(r.outcome == SUPPORTED for r in results) and any(r.is_mismatch for r in results):
        return Support(MISMATCH, describe())
    return _NOT_APPLICABLE


def shown_items(items: Sequence[Any]) -> str:
    return ", ".join(show(str(item)) for item in items)
