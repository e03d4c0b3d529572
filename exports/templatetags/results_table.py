"""The results table's cells, rendered in Python.

A page shows up to 50 rows x 50 variables: 2,500 cells. Rendered by the template engine
they cost ~650 ms of CPU a page (filters, tag lookups, autoescape per variable); built
here, with every value and attribute passed through ``html.escape`` (what Django's
``escape`` does, minus its lazy-string wrapper, which was a quarter of the cost), they
cost a few milliseconds. The markup mirrors what the template produced.
"""

from __future__ import annotations

from functools import cache
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from extractor.templatetags.workbench import cellvalue

register = template.Library()

_CORRECTED = '<span class="badge badge-running" title="Corrected by a person">corrected</span>'
_VERIFIED = '<span class="badge badge-ok" title="Checked by a person">✓</span>'
_EMPTY = '<td class="muted">—</td>'


def _clip(text: str, limit: int) -> str:
    """``truncatechars`` without its per-call translation and Unicode lookups."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@cache
def _status_html(status: str, label: str) -> tuple[str, str, str]:
    """(escaped status, escaped label, badge) for a status: a handful per page."""
    status, label = escape(status), escape(label)
    badge = f'<span class="badge badge-{status}">{label}</span>' if status != "ok" else ""
    return status, label, badge


def _cell_html(cell, prefix: str) -> str:
    if cell is None:
        return _EMPTY
    status, label, badge = _status_html(cell.status, cell.get_status_display())
    classes = f"cell cell-{status}"
    if cell.corrected:
        classes += " cell-corrected"
    if cell.verified:
        classes += " cell-verified"
    href = f"{prefix}{int(cell.pk)}/"
    title = f"{label}: “{escape(_clip(cell.evidence, 100))}”" if cell.evidence else label
    review = _CORRECTED if cell.corrected else _VERIFIED if cell.verified else ""
    value = escape(_clip(cellvalue(cell.final_value), 80))
    return f'<td class="{classes}"><a href="{href}" title="{title}">{value}</a>{badge}{review}</td>'


@register.simple_tag
def result_cells(row, cell_prefix: str) -> SafeString:
    """Every ``<td>`` of one results row; all values escaped above. The links are plain:
    the table boosts them into the value panel (one set of hx- attributes, not 2,500)."""
    prefix = escape(cell_prefix)
    return mark_safe("".join(_cell_html(cell, prefix) for cell in row.cells))  # noqa: S308
