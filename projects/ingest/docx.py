"""Word (DOCX) text in reading order: paragraphs and tables as they appear in the body.

python-docx opens the package (it finds the main part and parses XML without resolving
entities); the body XML is then walked directly rather than through
``Paragraph.text`` / ``iter_inner_content()``, which skip text inside content controls
(cover pages, tables of contents), tracked insertions and smart tags.

One block per line: paragraphs (headings included, as plain text), and tables one row
per line with cells joined by " | ". Headers, footers, footnotes and comments are not
part of the body and are left out.
"""

from __future__ import annotations

import io
import logging
import re

import docx
from docx.oxml.ns import qn

from projects.ingest import errors
from projects.ingest.results import Parsed, check_text, whole_file_document
from projects.ingest.text import clean_text
from projects.models import Document

logger = logging.getLogger(__name__)

CELL_SEPARATOR = " | "
_P, _TBL, _TR, _TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
_T, _TAB, _BR, _CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_NO_BREAK_HYPHEN = qn("w:noBreakHyphen")
# Alternate renderings of the same content (mc:Fallback repeats mc:Choice) and
# deleted revisions: reading them would duplicate text or resurrect deleted text.
_SKIPPED = {
    "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback",
    qn("w:del"),
    qn("w:moveFrom"),
}
_BLANK_LINES = re.compile(r"\n{3,}")


def parse_docx(filename: str, data: bytes) -> Parsed:
    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
        metadata = _metadata(document)
    except Exception as exc:  # python-docx, zipfile and lxml raise many kinds
        logger.info("DOCX %s unreadable: %r", filename, exc)
        raise errors.corrupt_file(filename, "a Word (DOCX) document") from exc
    lines: list[str] = []
    _blocks(body, lines)
    text = _BLANK_LINES.sub("\n\n", clean_text("\n".join(lines))).strip()
    text = check_text(filename, text)
    return Parsed(
        [
            whole_file_document(
                filename=filename,
                source_type=Document.SourceType.DOCX,
                text=text,
                data=data,
                metadata=metadata,
            )
        ]
    )


def _metadata(document) -> dict:
    properties = document.core_properties
    found = {"title": properties.title, "author": properties.author}
    return {key: value.strip() for key, value in found.items() if value and value.strip()}


def _blocks(element, lines: list[str]) -> None:
    """Paragraphs and tables under ``element`` (the body, a content control...)."""
    for child in element:
        if child.tag == _P:
            lines.append(_paragraph_text(child))
        elif child.tag == _TBL:
            lines.extend(_table_rows(child))
        elif child.tag not in _SKIPPED:
            # Containers such as w:sdt/w:sdtContent and w:customXml hold blocks too.
            _blocks(child, lines)


def _table_rows(table) -> list[str]:
    rows = []
    for row in table.iter(_TR):
        # iter() also finds rows of nested tables; those are read inside their cell.
        if _nearest(row, _TBL) is not table:
            continue
        cells = [_cell_text(cell) for cell in row.iter(_TC) if _nearest(cell, _TR) is row]
        rows.append(CELL_SEPARATOR.join(cells))
    return rows


def _cell_text(cell) -> str:
    lines: list[str] = []
    _blocks(cell, lines)
    # One table row per line: a cell's own paragraphs and nested rows become spaces.
    return " ".join(" ".join(lines).split())


def _nearest(element, tag: str):
    parent = element.getparent()
    while parent is not None and parent.tag != tag:
        parent = parent.getparent()
    return parent


def _paragraph_text(paragraph) -> str:
    parts: list[str] = []
    _runs_text(paragraph, parts)
    return "".join(parts)


def _runs_text(element, parts: list[str]) -> None:
    for child in element:
        tag = child.tag
        if tag == _T:
            parts.append(child.text or "")
        elif tag == _TAB:
            parts.append("\t")
        elif tag in (_BR, _CR):
            parts.append("\n")
        elif tag == _NO_BREAK_HYPHEN:
            parts.append("-")
        elif tag == _P:
            # A paragraph inside a paragraph is a text box: keep it on its own line.
            parts.append("\n")
            _runs_text(child, parts)
            parts.append("\n")
        elif tag not in _SKIPPED and isinstance(tag, str):
            _runs_text(child, parts)
