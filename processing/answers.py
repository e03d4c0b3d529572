"""Validate the model's answer for one document, variable by variable (DESIGN step 4, 5).

The answer is the JSON object the structured-output schema asks for:
``{<key>: {"value": ..., "evidence": "...", "confidence": 0.9}, ...}``. Every variable
gets a ``ValidatedValue`` whose ``status`` is one of the ``Extraction.Status`` values:

- ``ok``: a value of the right type (the message may carry a note, e.g. "no evidence
  quoted" or "read 12% as 12");
- ``missing``: null, blank or absent (the message says so when the variable is required);
- ``invalid``: a value that cannot be read as the variable's type or category; the value
  is None and the model's answer stays in ``raw`` for the reviewer;
- ``unsupported_evidence``: a valid value whose quote is not in the document (the value
  is kept: a person decides);
- ``error``: the answer as a whole was not a JSON object.

Decisions on ambiguous input (the reviewer sees every note in ``message``):

- Numbers: a dot followed by digits is a decimal point ("1.5"), except in a number with
  several dots ("1.234.567"). A comma followed by exactly three digits is a thousands
  separator ("1,234" -> 1234; so is "1,234,567"), any other single comma is a decimal
  comma ("12,5" -> 12.5, "0,125" -> 0.125). With both, the last one is the decimal mark
  ("1,234.5" and "1.234,5" -> 1234.5). Spaces and apostrophes between groups of three
  digits are thousands separators ("1 234", "1'234"). A trailing "%" is dropped with a
  note ("12%" -> 12). Words or units around the number make it invalid ("about 12").
- Integers use the same reading and must come out whole ("12.0" -> 12, "12.5" invalid).
- Dates become ISO 8601: ``YYYY-MM-DD``, or ``YYYY-MM`` / ``YYYY`` when only that much is
  given. Numeric dates with dots are day first (German/French "05.03.2020"); with
  slashes or dashes the order is read from the numbers when one is above 12, and a date
  such as "03/05/2020", which could be 3 May or 5 March, is invalid rather than guessed.
  Two-digit years are invalid. Month names in English, French, German, Spanish,
  Italian, Portuguese and Dutch are understood; a time part is dropped.
- Categories match the allowed values ignoring case, surrounding whitespace and
  punctuation, and accents; an exact match wins over a looser one. Without allowed
  values any text is accepted (the schema has nothing to check against).
- Lists and multi-categories: an empty list is missing; duplicates are dropped; a single
  string becomes a one-item list (for multi-categories a string that is not itself an
  allowed value is split on ";" and ",").
- A present value without evidence stays ``ok`` with the note "no evidence quoted": the
  value may still be right, and the results page flags it for review. Evidence of an
  invalid value is located too (the reviewer needs it most); a missing value keeps the
  quote it came with but no offsets.
- Confidence is clamped to 0..1 ("85%" reads as 0.85); anything unreadable is None.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from processing.evidence import EvidenceIndex

__all__ = [
    "CoercionError",
    "Status",
    "ValidatedValue",
    "coerce_value",
    "parse_date",
    "parse_number",
    "validate_answer",
]


class Status(StrEnum):
    """Same values as ``processing.models.Extraction.Status`` (kept ORM-free here)."""

    OK = "ok"
    MISSING = "missing"
    INVALID = "invalid"
    UNSUPPORTED_EVIDENCE = "unsupported_evidence"
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

    @property
    def has_value(self) -> bool:
        return self.value is not None


class CoercionError(ValueError):
    """The value cannot be read as the variable's type; the message says why."""


NO_EVIDENCE_NOTE = "no evidence quoted"
EVIDENCE_NOT_FOUND_NOTE = "evidence quote not found in the document"

_ABSENT = object()  # the answer has no entry for the variable

# Strings that models write instead of null.
_NULL_WORDS = frozenset(
    {"", "null", "none", "n/a", "na", "nil", "-", "--", "unknown", "not stated",
     "not mentioned", "not available", "not applicable", "not specified"}
)  # fmt: skip


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
        value, notes = coerce_value(variable, entry.get("value"))
    except CoercionError as exc:
        return _with_offsets(replace(base, status=Status.INVALID, message=str(exc)), index)
    if value is None:
        return replace(base, message=_missing_message(variable, "no value given"))
    return _check_evidence(replace(base, value=value, status=Status.OK), notes, index)


def _check_evidence(
    result: ValidatedValue, notes: list[str], index: EvidenceIndex
) -> ValidatedValue:
    if not result.evidence:
        return replace(result, message=_join([*notes, NO_EVIDENCE_NOTE]))
    located = _with_offsets(result, index)
    if located.evidence_start is None:
        status, notes = Status.UNSUPPORTED_EVIDENCE, [*notes, EVIDENCE_NOT_FOUND_NOTE]
        return replace(result, status=status, message=_join(notes))
    return replace(located, message=_join(notes))


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


# --- coercion by type -----------------------------------------------------------------


def coerce_value(variable: dict, value: Any) -> tuple[Any, list[str]]:
    """The typed value (None when absent) and notes on what was changed.

    Raises ``CoercionError`` with a message for a person when it cannot be read.
    """
    kind = variable.get("type")
    coerce = _COERCERS.get(kind)
    if coerce is None:
        raise CoercionError(f"unknown variable type {kind!r}")
    if _is_null(value) and not _is_allowed_value(variable, value):
        return None, []
    return coerce(variable, value)


def _is_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return " ".join(value.split()).casefold() in _NULL_WORDS
    return isinstance(value, list) and not value


def _is_allowed_value(variable: dict, value: Any) -> bool:
    """A category literally named "None" or "Unknown" is an answer, not a null."""
    if not isinstance(value, str) or not value.strip():
        return False
    return _match_category(value, _allowed(variable)) is not None


def _coerce_text(variable: dict, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CoercionError(f"expected a text, got {_show(value)}")
    return str(value).strip(), []


def _coerce_integer(variable: dict, value: Any) -> tuple[Any, list[str]]:
    number, notes = _coerce_number(variable, value)
    if isinstance(number, float):
        raise CoercionError(f"{_show(value)} is not a whole number")
    return number, notes


def _coerce_number(variable: dict, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, bool):
        raise CoercionError(f"expected a number, got {_show(value)}")
    if isinstance(value, int):
        return value, []
    if isinstance(value, float):
        return _tidy_number(value, value), []
    if isinstance(value, str):
        return parse_number(value)
    raise CoercionError(f"expected a number, got {_show(value)}")


def _coerce_boolean(variable: dict, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, bool):
        return value, []
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value), []
    if isinstance(value, str):
        word = _fold(value).strip(" .!")
        if word in _TRUE_WORDS:
            return True, []
        if word in _FALSE_WORDS:
            return False, []
    raise CoercionError(f"expected true or false, got {_show(value)}")


_TRUE_WORDS = frozenset({"true", "yes", "y", "t", "1"})
_FALSE_WORDS = frozenset({"false", "no", "n", "f", "0"})


def _coerce_date(variable: dict, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return str(value), []
    if not isinstance(value, str):
        raise CoercionError(f"expected a date, got {_show(value)}")
    return parse_date(value)


def _coerce_category(variable: dict, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, list):
        if len(value) != 1:
            raise CoercionError(f"expected one category, got {len(value)}: {_show(value)}")
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CoercionError(f"expected a category, got {_show(value)}")
    allowed = _allowed(variable)
    if not allowed:
        return str(value).strip(), ["no allowed values defined"]
    match = _match_category(str(value), allowed)
    if match is None:
        raise CoercionError(f"{_show(value)} is not one of the allowed values")
    return match, []


def _coerce_multi_category(variable: dict, value: Any) -> tuple[Any, list[str]]:
    allowed = _allowed(variable)
    items, notes = _items_of(value, allowed)
    if not allowed:
        return _dedupe(items), [*notes, "no allowed values defined"]
    matched, bad = set(), []
    for item in items:
        match = _match_category(item, allowed)
        if match is None:
            bad.append(item)
        else:
            matched.add(match)
    if bad:
        shown = ", ".join(_show(item) for item in bad)
        raise CoercionError(f"not among the allowed values: {shown}")
    return [option for option in allowed if option in matched] or None, notes


def _items_of(value: Any, allowed: list[str]) -> tuple[list[str], list[str]]:
    """The items of a multi-category answer: a list, or one string (maybe "a; b")."""
    if isinstance(value, str):
        if not allowed or _match_category(value, allowed) is not None:
            return [value], []
        parts = [part for part in re.split(r"[;,]", value) if part.strip()]
        return parts, (["split the text into items"] if len(parts) > 1 else [])
    if not isinstance(value, list):
        raise CoercionError(f"expected a list of categories, got {_show(value)}")
    items = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise CoercionError(f"expected a category, got {_show(item)}")
        if str(item).strip():
            items.append(str(item).strip())
    return items, []


def _coerce_list(variable: dict, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise CoercionError(f"expected a list of texts, got {_show(value)}")
    items = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise CoercionError(f"expected texts in the list, got {_show(item)}")
        if str(item).strip():
            items.append(str(item).strip())
    unique = _dedupe(items)
    notes = ["duplicates removed"] if len(unique) < len(items) else []
    return unique or None, notes


_COERCERS: dict[str, Callable[[dict, Any], tuple[Any, list[str]]]] = {
    "text": _coerce_text,
    "integer": _coerce_integer,
    "number": _coerce_number,
    "boolean": _coerce_boolean,
    "date": _coerce_date,
    "category": _coerce_category,
    "multi_category": _coerce_multi_category,
    "list": _coerce_list,
}


# --- numbers --------------------------------------------------------------------------

_GROUP_SEPARATORS = re.compile(r"(?<=\d)[ '\u00a0\u2009\u202f\u2019](?=\d{3}(?!\d))")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?")
_THOUSANDS = {",": re.compile(r"\d{1,3}(?:,\d{3})+"), ".": re.compile(r"\d{1,3}(?:\.\d{3})+")}


def parse_number(raw: str) -> tuple[int | float, list[str]]:
    """Read a number written by a person or a model (rules in the module docstring)."""
    text = unicodedata.normalize("NFKC", raw).strip().replace("\u2212", "-")
    notes: list[str] = []
    if text.endswith("%"):
        text = text[:-1].rstrip()
        notes.append(f"read {raw.strip()} as {text} (percent sign dropped)")
    sign = ""
    if text[:1] in "+-":
        sign, text = text[0], text[1:].lstrip()
    digits = _without_group_separators(_GROUP_SEPARATORS.sub("", text), raw)
    if digits.isascii() and digits.isdigit():
        return int(sign + digits), notes  # exact, however long
    if not _PLAIN_NUMBER.fullmatch(digits.lower()):
        raise CoercionError(f"{_show(raw)} is not a number")
    number = float(sign + digits)
    if math.isinf(number):
        raise CoercionError(f"{_show(raw)} is too large")
    return _tidy_number(number, sign + digits), notes


def _without_group_separators(text: str, raw: str) -> str:
    """Turn "1.234,5" / "1,234.5" / "12,5" into "1234.5" / "1234.5" / "12.5"."""
    has_comma, has_dot = "," in text, "." in text
    if has_comma and has_dot:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        whole, _, fraction = text.rpartition(decimal)
        if not _THOUSANDS[thousands].fullmatch(whole):
            raise CoercionError(f"{_show(raw)} is not a number")
        return whole.replace(thousands, "") + "." + fraction
    if has_comma:
        if _THOUSANDS[","].fullmatch(text) and not text.startswith("0"):
            return text.replace(",", "")
        if text.count(",") == 1:
            return text.replace(",", ".")
        raise CoercionError(f"{_show(raw)} is not a number")
    if has_dot and text.count(".") > 1:
        if _THOUSANDS["."].fullmatch(text):
            return text.replace(".", "")
        raise CoercionError(f"{_show(raw)} is not a number")
    return text


def _tidy_number(number: float, source: Any) -> int | float:
    """Whole numbers come back as int (12.0 -> 12) so they print without ".0"."""
    if math.isnan(number) or math.isinf(number):
        raise CoercionError(f"{_show(source)} is not a number")
    if number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


# --- dates ----------------------------------------------------------------------------

_MONTHS = {
    1: "january jan janvier janv januar jänner enero ene gennaio genn janeiro januari",
    2: "february feb fevrier fevr fev februar febrero febbraio fevereiro februari",
    3: "march mar mars marz maerz marzo marco maart mrt",
    4: "april apr avril avr abril aprile",
    5: "may mai mayo maggio maio mei",
    6: "june jun juin juni junio giugno junho",
    7: "july jul juillet juil juli julio luglio julho",
    8: "august aug aout august agosto augustus",
    9: "september sep sept septembre settembre setembro",
    10: "october oct octobre oktober octubre ottobre outubro okt",
    11: "november nov novembre noviembre novembro",
    12: "december dec decembre dezember diciembre dicembre dezembro dez",
}
_MONTH_NAMES = {name: number for number, names in _MONTHS.items() for name in names.split()}
_FILLER_WORDS = frozenset(
    {"de", "del", "of", "the", "le", "el", "den", "der", "di", "da", "do", "on",
     "st", "nd", "rd", "th", "er",
     "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
     "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"}
)  # fmt: skip
_ISO_DATE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
_ISO_DATETIME = re.compile(
    r"(\d{4}-\d{1,2}-\d{1,2})[t ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?"
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_NUMERIC_DATE = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})")
_NUMERIC_MONTH_YEAR = re.compile(r"(\d{1,2})[-/.](\d{4})")


def parse_date(raw: str) -> tuple[str, list[str]]:
    """An ISO 8601 date (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``) from common spellings."""
    text = _fold(raw).strip(" .,")
    notes: list[str] = []
    if match := _ISO_DATETIME.fullmatch(text):
        text = match.group(1)
        notes.append("time of day dropped")
    if match := _ISO_DATE.fullmatch(text):
        return _iso(raw, match.group(1), match.group(2), match.group(3)), notes
    if match := _COMPACT_DATE.fullmatch(text):
        return _iso(raw, *match.group(1, 2, 3)), notes
    if match := _NUMERIC_DATE.fullmatch(text):
        return _numeric_date(raw, *match.group(1, 2, 3, 4)), notes
    if match := _NUMERIC_MONTH_YEAR.fullmatch(text):
        return _iso(raw, match.group(2), match.group(1), None), notes
    return _worded_date(raw, text), notes


def _numeric_date(raw: str, first: str, separator: str, second: str, year: str) -> str:
    if len(year) == 2:
        raise CoercionError(f"{_show(raw)}: two-digit year, century unknown")
    if separator == "." or int(first) > 12 or first == second:
        return _iso(raw, year, second, first)
    if int(second) > 12:
        return _iso(raw, year, first, second)
    raise CoercionError(f"{_show(raw)} is ambiguous: day and month order unknown")


def _worded_date(raw: str, text: str) -> str:
    """Dates with a month name: 5 March 2020, March 5th 2020, le 1er mars 2020, März 2020."""
    month, numbers = None, []
    for token in re.findall(r"[^\W\d_]+|\d+", text):
        if token.isdigit():
            numbers.append(token)
        elif token in _MONTH_NAMES and month is None:
            month = _MONTH_NAMES[token]
        elif token not in _FILLER_WORDS:
            raise CoercionError(f"{_show(raw)} is not a date")
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if month is None or len(years) != 1 or len(days) > 1 or len(numbers) != len(years) + len(days):
        raise CoercionError(f"{_show(raw)} is not a date")
    return _iso(raw, years[0], str(month), days[0] if days else None)


def _iso(raw: str, year: str, month: str | None, day: str | None) -> str:
    try:
        if day is not None:
            return datetime.date(int(year), int(month), int(day)).isoformat()
        if month is not None:
            return datetime.date(int(year), int(month), 1).isoformat()[:7]
        return datetime.date(int(year), 1, 1).isoformat()[:4]
    except ValueError:
        raise CoercionError(f"{_show(raw)} is not a valid date") from None


# --- categories -----------------------------------------------------------------------


def _allowed(variable: dict) -> list[str]:
    values = variable.get("allowed_values") or []
    return _dedupe([str(value).strip() for value in values if str(value).strip()])


def _match_category(value: str, allowed: list[str]) -> str | None:
    """The allowed value ``value`` names, trying exact, then looser comparisons; a
    looser comparison only counts when it picks exactly one allowed value."""
    for key in (str.strip, _loose, _accentless):
        wanted = key(value)
        matches = [option for option in allowed if key(option) == wanted]
        if len(matches) == 1:
            return matches[0]
    return None


def _loose(value: str) -> str:
    """Case-, width- and whitespace-insensitive, quotes and end punctuation ignored."""
    folded = " ".join(unicodedata.normalize("NFKC", value).casefold().split())
    return folded.strip(" \"'`.,;:!?\u201c\u201d\u2018\u2019\u00ab\u00bb")


def _accentless(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", _loose(value))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# --- small helpers --------------------------------------------------------------------


def _fold(value: str) -> str:
    return _accentless(value)


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _show(value: Any, limit: int = 80) -> str:
    """A value quoted for a message, cut short so one bad answer cannot flood a page."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
