"""Numbers as people and models write them: "1,234.5", "1.234,5", "12 %", "1 234".

Rules: a dot followed by digits is a decimal point ("1.5"), except in a number with
several dots ("1.234.567"). A comma followed by exactly three digits is a thousands
separator ("1,234" -> 1234; so is "1,234,567"), any other single comma is a decimal
comma ("12,5" -> 12.5, "0,125" -> 0.125). With both, the last one is the decimal mark
("1,234.5" and "1.234,5" -> 1234.5). Spaces and apostrophes between groups of three
digits are thousands separators ("1 234", "1'234"). A trailing "%" is dropped with a
note ("12%" -> 12). Words or units around the number make it invalid ("about 12").
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from schemas.types.errors import CoercionError
from schemas.types.words import show

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
        raise CoercionError(f"{show(raw)} is not a number")
    number = float(sign + digits)
    if math.isinf(number):
        raise CoercionError(f"{show(raw)} is too large")
    return tidy_number(number, sign + digits), notes


def _without_group_separators(text: str, raw: str) -> str:
    """Turn "1.234,5" / "1,234.5" / "12,5" into "1234.5" / "1234.5" / "12.5"."""
    has_comma, has_dot = "," in text, "." in text
    if has_comma and has_dot:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        whole, _, fraction = text.rpartition(decimal)
        if not _THOUSANDS[thousands].fullmatch(whole):
            raise CoercionError(f"{show(raw)} is not a number")
        return whole.replace(thousands, "") + "." + fraction
    if has_comma:
        if _THOUSANDS[","].fullmatch(text) and not text.startswith("0"):
            return text.replace(",", "")
        if text.count(",") == 1:
            return text.replace(",", ".")
        raise CoercionError(f"{show(raw)} is not a number")
    if has_dot and text.count(".") > 1:
        if _THOUSANDS["."].fullmatch(text):
            return text.replace(".", "")
        raise CoercionError(f"{show(raw)} is not a number")
    return text


def tidy_number(number: float, source: Any) -> int | float:
    """Whole numbers come back as int (12.0 -> 12) so they print without ".0"."""
    if math.isnan(number) or math.isinf(number):
        raise CoercionError(f"{show(source)} is not a number")
    if number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number
