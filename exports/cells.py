"""Turning one value into safe spreadsheet text: the rules CSV and XLSX share.

Three concerns, applied in this order to every text cell of a CSV or XLSX export
(header names included, since metadata column names come from uploaded files):

1. **Illegal characters are removed.** XML 1.0 forbids the C0 control characters other
   than tab, LF and CR (NUL included), U+FFFE, U+FFFF and unpaired surrogates, so an XLSX
   cannot hold them. CSV drops the same set: NUL breaks many CSV readers, a lone
   surrogate cannot be encoded as UTF-8, and a CSV and an XLSX of the same export then
   hold the same text cell for cell.
2. **Formulas are neutralised.** A text cell starting with ``=``, ``+``, ``-``, ``@``,
   tab or carriage return gets a leading single quote (OWASP's advice against CSV
   injection), so a spreadsheet shows it as text and never evaluates it. This is about
   the *text*, not the meaning: the string ``"-5"`` from a text variable becomes
   ``"'-5"``, while the number ``-5`` of an integer variable is written as a number and
   left alone. Removal comes first so ``"\\x00=cmd"`` cannot sneak a formula through.
3. **XLSX only: text is capped** at Excel's 32,767 characters per cell, with a marker
   saying how long the full text was (CSV and JSON keep it whole).

Lists (``list`` and ``multi_category`` values) become one cell: items joined with
``"; "``. Inside an item, a backslash is written ``\\\\`` and a semicolon ``\\;``, so
:func:`split_list` gives the items back exactly (after removing the formula quote, if
the cell got one).

JSON exports use none of this: JSON is data, not a spreadsheet, and keeps values as
they are.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = "; "
EXCEL_MAX_CELL_CHARS = 32_767
TRUE_TEXT = "TRUE"
FALSE_TEXT = "FALSE"

# openpyxl's ILLEGAL_CHARACTERS_RE (C0 controls but tab, LF, CR), plus the two
# non-characters and the unpaired surrogates that XML 1.0 and UTF-8 also reject.
ILLEGAL_CHARACTERS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ITEM_ESCAPE_RE = re.compile(r"[\\;]")
_ITEM_SPLIT_RE = re.compile(r"\\(.)|(; ?)", re.DOTALL)


def strip_illegal(text: str) -> str:
    """Drop the characters an XLSX (XML 1.0) or a UTF-8 CSV cannot carry."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def neutralise_formula(text: str) -> str:
    """Prefix text a spreadsheet would read as a formula with a single quote."""
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def sanitise_text(text: str) -> str:
    """The CSV and XLSX treatment of one text cell: remove, then neutralise."""
    return neutralise_formula(strip_illegal(text))


def truncate_for_excel(text: str, limit: int = EXCEL_MAX_CELL_CHARS) -> str:
    """Cap text at Excel's cell limit, ending with a marker that gives the full length."""
    if len(text) <= limit:
        return text
    marker = f" [truncated: {len(text):,} characters in full, see the CSV or JSON export]"
    return text[: limit - len(marker)] + marker


def scalar_text(value: Any) -> str:
    """Plain text for a value that has no native cell type (before sanitising).

    Booleans are ``TRUE``/``FALSE`` (what Excel writes and what R, pandas and Stata read),
    dates are ISO 8601, floats use Python's shortest round-trip form, and non-finite
    floats (which no spreadsheet or JSON can hold) become empty.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return TRUE_TEXT if value else FALSE_TEXT
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else ""
    if isinstance(value, dt.date):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return join_list(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def join_list(items: Iterable[Any]) -> str:
    """One cell for a list: items joined with ``"; "``, separators inside items escaped."""
    return LIST_SEPARATOR.join(_ITEM_ESCAPE_RE.sub(r"\\\g<0>", scalar_text(item)) for item in items)


def split_list(cell: str) -> list[str]:
    """Undo :func:`join_list`: the items of a list cell, unescaped. Empty cell: no items."""
    if cell == "":
        return []
    items: list[str] = []
    current: list[str] = []
    position = 0
    for match in _ITEM_SPLIT_RE.finditer(cell):
        current.append(cell[position : match.start()])
        if match.group(1) is not None:
            current.append(match.group(1))
        else:
            items.append("".join(current))
            current = []
        position = match.end()
    current.append(cell[position:])
    items.append("".join(current))
    return items
