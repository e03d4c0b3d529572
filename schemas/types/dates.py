"""Dates as people and models write them, read into ISO 8601.

A date becomes ``YYYY-MM-DD``, or ``YYYY-MM`` / ``YYYY`` when only that much is given.
Numeric dates with dots are day first (German/French "05.03.2020"); with slashes or
dashes the order is read from the numbers when one is above 12, and a date such as
"03/05/2020", which could be 3 May or 5 March, is invalid rather than guessed.
Two-digit years are invalid. Month names in English, French, German, Spanish, Italian,
Portuguese and Dutch are understood; a time part is dropped.
"""

from __future__ import annotations

import datetime
import re

from schemas.types.errors import CoercionError
from schemas.types.words import fold, show

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
    text = fold(raw).strip(" .,")
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


def month_number(word: str) -> int | None:
    """The month a folded word names ("march", "mars", "marz", "mrt"), else None."""
    return _MONTH_NAMES.get(word)


def is_date_filler(word: str) -> bool:
    """Whether a folded word may sit inside a written date ("of", "le", "th", "monday")."""
    return word in _FILLER_WORDS


def _numeric_date(raw: str, first: str, separator: str, second: str, year: str) -> str:
    if len(year) == 2:
        raise CoercionError(f"{show(raw)}: two-digit year, century unknown")
    if separator == "." or int(first) > 12 or first == second:
        return _iso(raw, year, second, first)
    if int(second) > 12:
        return _iso(raw, year, first, second)
    raise CoercionError(f"{show(raw)} is ambiguous: day and month order unknown")


def _worded_date(raw: str, text: str) -> str:
    """Dates with a month name: 5 March 2020, March 5th 2020, le 1er mars 2020, März 2020."""
    month, numbers = None, []
    for token in re.findall(r"[^\W\d_]+|\d+", text):
        if token.isdigit():
            numbers.append(token)
        elif token in _MONTH_NAMES and month is None:
            month = _MONTH_NAMES[token]
        elif token not in _FILLER_WORDS:
            raise CoercionError(f"{show(raw)} is not a date")
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if month is None or len(years) != 1 or len(days) > 1 or len(numbers) != len(years) + len(days):
        raise CoercionError(f"{show(raw)} is not a date")
    return _iso(raw, years[0], str(month), days[0] if days else None)


def _iso(raw: str, year: str, month: str | None, day: str | None) -> str:
    try:
        if day is not None:
            return datetime.date(int(year), int(month), int(day)).isoformat()
        if month is not None:
            return datetime.date(int(year), int(month), 1).isoformat()[:7]
        return datetime.date(int(year), 1, 1).isoformat()[:4]
    except ValueError:
        raise CoercionError(f"{show(raw)} is not a valid date") from None
