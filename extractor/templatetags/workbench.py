"""Number formatting for people: durations, money, percentages."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """``125`` -> ``2 min 5 s``; empty for None."""
    if seconds is None or seconds == "":
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


@register.filter
def usd(amount) -> str:
    """Money with precision where it matters: $0.0042, $1.25, $1,234.50."""
    if amount is None or amount == "":
        return "–"
    value = Decimal(str(amount))
    if value == 0:
        return "$0.00"
    if abs(value) < 1:
        return f"${value:.4f}"
    return f"${value:,.2f}"


@register.filter
def percent(fraction, digits: int = 0) -> str:
    if fraction is None or fraction == "":
        return "–"
    return f"{float(fraction) * 100:.{int(digits)}f}%"


@register.filter
def get_item(mapping, key):
    """``counts|get_item:"failed"``: a dict lookup with a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def cellvalue(value) -> str:
    """A dataset value as a person reads it (the template escapes the result)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(item) for item in value) if value else "—"
    return str(value)


@register.filter
def pretty_json(value) -> str:
    """Indented JSON for display (escaped by the template like any text)."""
    import json

    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
