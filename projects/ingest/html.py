"""Text from an HTML page: its main content, or failing that everything a person sees.

A saved news page is mostly not the article: menus ("Home | World | Sport"), cookie
banners, "most read" sidebars and footers ("(c) News Corp") would reach the model and
the text that evidence quotes are matched against. trafilatura finds the main content
(article, post, report) and drops the rest; its result is rendered as text by the same
walk as a whole page, so both read alike: block elements on their own lines with a
blank line between them, table cells joined with " | " like DOCX tables.

When the extractor finds no main content (fragments, short pages, pages that are
not an article: a list of contacts, a table), the page's visible text is kept, as
before (trafilatura's own last resort is that text run into one paragraph). Visible
means script, style and other non-content elements dropped, whitespace collapsed as a
browser would (inside <pre> only runs within a line are kept: leading indentation
goes, a price worth paying for prose-first corpora). The walk uses an explicit stack:
saved pages can nest deeper than Python's recursion limit.

The metadata are the page's <title> (else the headline trafilatura finds), its author
and publication date when the page states them, and its <html lang>.
"""

from __future__ import annotations

import logging
import re
import warnings

import trafilatura
from bs4 import BeautifulSoup, CData, NavigableString, Tag, XMLParsedAsHTMLWarning
from lxml.html import HtmlElement

from projects.ingest.results import Parsed, check_text, whole_file_document
from projects.ingest.text import clean_text
from projects.models import Document

logger = logging.getLogger(__name__)

# Main content only: no reader comments, no link targets or images (the text is what
# counts), tables kept. deduplicate stays off: trafilatura's cache of seen paragraphs
# is process-wide and would drop text shared by two documents of a corpus.
_EXTRACT_OPTIONS = {
    "output_format": "html",
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "deduplicate": False,
}
# Dates from the page's markup only (meta tags, JSON-LD, <time>, bylines): htmldate's
# extensive search also guesses from any date in the text and makes "(c) 2023" in a
# footer the publication date, 2023-01-01.
_DATE_SEARCH = {"original_date": True, "extensive_search": False}

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
    tree = _load(filename, text)
    body = _main_text(filename, tree) if tree is not None else ""
    if not body:
        body = clean_text(_visible_text(_soup(text)))
    return Parsed(
        [
            whole_file_document(
                filename=filename,
                source_type=Document.SourceType.HTML,
                text=check_text(filename, body),
                data=data,
                metadata=_metadata(filename, tree) if tree is not None else {},
            )
        ]
    )


def _load(filename: str, text: str) -> HtmlElement | None:
    """The page as trafilatura reads it; None for a fragment it does not take for a page
    (a lone <p> or <div>), which the visible-text walk reads."""
    try:
        return trafilatura.load_html(text)
    except Exception:  # the extractor is a refinement: the walk below never needs it
        logger.warning("HTML %s: trafilatura cannot load it", filename, exc_info=True)
        return None


def _main_text(filename: str, tree: HtmlElement) -> str:
    """The main content's text, or "" when the extractor found none."""
    try:
        html = trafilatura.extract(tree, **_EXTRACT_OPTIONS)
    except Exception:  # as in _load: the visible text is always there to fall back on
        logger.warning("HTML %s: main text extraction failed", filename, exc_info=True)
        return ""
    if not html:
        return ""
    soup = _soup(html)
    if _is_page_dump(soup):
        return ""
    return clean_text(_visible_text(soup))


def _is_page_dump(soup: BeautifulSoup) -> bool:
    """trafilatura's last resort, when none of its extractors finds the main content, is
    every line of the page in one paragraph: not a main text, and the visible-text walk
    reads the same page with its blocks intact."""
    body = soup.body
    blocks = body.find_all(True, recursive=False) if body else []
    return len(blocks) == 1 and blocks[0].name == "p" and "\n" in blocks[0].get_text()


def _soup(text: str) -> BeautifulSoup:
    with warnings.catch_warnings():
        # XHTML with an <?xml ?> declaration is still HTML to us.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(text, "lxml")


def _metadata(filename: str, tree: HtmlElement) -> dict:
    """<title> and <html lang> as the page has them, author and date when it states them.
    Empty values are dropped with the others that carry no information, in
    ``whole_file_document``."""
    root = tree.getroottree().getroot()
    metadata = {
        "title": " ".join((root.findtext(".//title") or "").split()),
        "lang": (root.get("lang") or "").strip(),
    }
    try:
        found = trafilatura.extract_metadata(root, date_config=_DATE_SEARCH)
    except Exception:  # a missing author or date costs nothing more
        logger.warning("HTML %s: metadata extraction failed", filename, exc_info=True)
        return metadata
    if not metadata["title"] and found.title:
        metadata["title"] = found.title
    metadata["author"] = found.author
    metadata["date"] = found.date
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
