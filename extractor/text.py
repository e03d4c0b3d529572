"""Text the database can store, whatever a file or a model sent."""

from __future__ import annotations

from typing import Any


def without_nul(value: Any) -> Any:
    """``value`` with NUL characters removed from every string in it.

    PostgreSQL refuses NUL in text and in jsonb strings (SQLite takes it), so a model
    answer or an error message carrying one must be cleaned before it is saved, or the
    save fails on one database and not the other.
    """
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


MAX_BIGINT = 2**63 - 1


def whole_number(raw: str | None) -> int | None:
    """A non-negative whole number written in ASCII digits that fits a 64-bit id, else
    None. ``str.isdigit()`` accepts "²", which ``int()`` refuses with a 500."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdecimal()):
        return None
    digits = text.lstrip("0") or "0"
    # Longer than any 64-bit id: refused before int(), which raises past 4,300 digits.
    if len(digits) > len(str(MAX_BIGINT)):
        return None
    number = int(digits)
    return number if number <= MAX_BIGINT else None
