"""The document text around a value's quote, cut for a page (the value page, the queue).

Returned in three parts that the template escapes: never marked safe, the text is the
document's.
"""

from __future__ import annotations

from processing.models import Extraction

# Characters of document text shown on each side of a quote.
EVIDENCE_CONTEXT_CHARS = 1500


def evidence_view(extraction: Extraction) -> dict:
    """The document text cut around the evidence, in three parts the template escapes."""
    text = extraction.document.text
    start, end = extraction.evidence_start, extraction.evidence_end
    if start is None or end is None or not (0 <= start <= end <= len(text)):
        return {
            "found": False,
            "before": text[: EVIDENCE_CONTEXT_CHARS * 2],
            "match": "",
            "after": "",
            "clipped_start": False,
            "clipped_end": len(text) > EVIDENCE_CONTEXT_CHARS * 2,
        }
    window_start = max(start - EVIDENCE_CONTEXT_CHARS, 0)
    window_end = min(end + EVIDENCE_CONTEXT_CHARS, len(text))
    return {
        "found": True,
        "before": text[window_start:start],
        "match": text[start:end],
        "after": text[end:window_end],
        "clipped_start": window_start > 0,
        "clipped_end": window_end < len(text),
    }
