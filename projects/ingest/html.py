"""Readable text from an HTML page: what a person sees, block elements on their own lines.

Script, style and other non-content elements are dropped; whitespace is collapsed as a
browser would (inside <pre> only runs within a line are kept: leading indentation goes,
a price worth paying for prose-first corpora); table cells are joined with " | " like DOCX
tables. The walk uses an explicit stack: saved pages can nest deeper than Python's
recursion limit.
"""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, CData, NavigableString, Tag, XMLParsedAsHTMLWarning

from projects.ingest.results import Parsed, check_text, whole_file_document
from projects.ingest.text import clean_text
from projects.models import Document

# Elements whose content is never shown as text.
_SKIPPED = {
    "script", "style", "noscript", "template", "head", "svg", "math", "canvas",
    "iframe", "object", "embed", "audio", "video", "select", "button",
}  # fmt: skip
_BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details",
    "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "legend", "li", "main",
    "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead",
    "tr", "ul",
}  # fmt: skip
_CELLS = {"td", "th"}
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_SPACES_AROUND_NEWLINE = re.compile(r"[ \t]*\n[ \t]*")
_BLANK_LINES = re.compile(r"\n{3,}")
_LEAVE = object()  # stack marker: the element below it is being left


def parse_html(filename: str, data: bytes, *, text: str) -> Parsed:
    with warnings.catch_warnings():
        # XHTML with an <?xml ?> declaration is still HTML to us.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(text, "lxml")
    metadata = _metadata(soup)
    body = clean_text(_visible_text(soup))
    return Parsed(
        [
            whole_file_document(
                filename=filename,
                source_type=Document.SourceType.HTML,
                text=check_text(filename, body),
                data=data,
                metadata=metadata,
            )
        ]
    )


def _metadata(soup: BeautifulSoup) -> dict:
    metadata = {}
    if soup.title and soup.title.get_text(strip=True):
        metadata["title"] = " ".join(soup.title.get_text().split())
    html = soup.find("html")
    if isinstance(html, Tag) and isinstance(html.get("lang"), str):
        metadata["lang"] = html["lang"].strip()
    return metadata


def _visible_text(soup: BeautifulSoup) -> str:
    parts: list[str] = []
    pre_depth = 0
    first_cell = True
    stack: list = [soup]
    while stack:
        node = stack.pop()
        if node is _LEAVE:
            element = stack.pop()
            if element.name == "pre":
                pre_depth -= 1
            if element.name in _BLOCKS:
                parts.append("\n")
            continue
        if isinstance(node, NavigableString):
            # Comments, doctypes and processing instructions are strings too.
            if type(node) in (NavigableString, CData):
                parts.append(str(node) if pre_depth else _WHITESPACE.sub(" ", str(node)))
            continue
        if not isinstance(node, Tag) or node.name in _SKIPPED:
            continue
        name = node.name
        if name == "br" or name in _BLOCKS:
            parts.append("\n")
        if name == "tr":
            first_cell = True
        elif name in _CELLS:
            if not first_cell:
                parts.append(" | ")
            first_cell = False
        if name == "pre":
            pre_depth += 1
        stack.extend((node, _LEAVE))
        stack.extend(reversed(node.contents))
    return _tidy("".join(parts))


def _tidy(text: str) -> str:
    text = _SPACES_AROUND_NEWLINE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()
