"""PDF text, page by page, with pypdfium2 (PDFium: fast, and robust on real-world files).

Pages are joined with a blank line ("\\n\\n") rather than a form feed: the form feed is
a control character we strip everywhere else, browsers show it as nothing, and the
page boundaries are recorded exactly in ``page_offsets`` anyway.
"""

from __future__ import annotations

import logging

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
from django.conf import settings

from projects.ingest import errors
from projects.ingest.results import Parsed, check_text, whole_file_document
from projects.ingest.text import clean_text
from projects.models import Document

logger = logging.getLogger(__name__)

PAGE_SEPARATOR = "\n\n"
_PASSWORD_ERRORS = {pdfium_raw.FPDF_ERR_PASSWORD, pdfium_raw.FPDF_ERR_SECURITY}
_METADATA_KEYS = {"Title": "title", "Author": "author", "Subject": "subject"}


def parse_pdf(filename: str, data: bytes) -> Parsed:
    pdf = _open(filename, data)
    try:
        page_count = len(pdf)
        if page_count > settings.INGEST_MAX_PDF_PAGES:
            raise errors.too_many_pages(filename, page_count)
        pages = _page_texts(filename, pdf)
        metadata = _metadata(pdf)
    finally:
        pdf.close()
    return _document(filename, data, pages, metadata)


def _open(filename: str, data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code in _PASSWORD_ERRORS:
            raise errors.encrypted_pdf(filename) from exc
        raise errors.corrupt_file(filename, "a PDF") from exc


def _page_texts(filename: str, pdf: pdfium.PdfDocument) -> list[str]:
    texts = []
    for index in range(len(pdf)):
        try:
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    texts.append(textpage.get_text_range())
                finally:
                    textpage.close()
            finally:
                # Closing each page keeps memory flat on long PDFs.
                page.close()
        except Exception as exc:  # PDFium can fail on a damaged page in many ways
            logger.warning("PDF %s: page %s unreadable: %r", filename, index + 1, exc)
            raise errors.corrupt_file(filename, "a PDF") from exc
    return texts


def _metadata(pdf: pdfium.PdfDocument) -> dict:
    try:
        raw = pdf.get_metadata_dict(skip_empty=True)
    except Exception:  # metadata is a nicety; a broken info dictionary costs nothing
        logger.info("PDF metadata unreadable", exc_info=True)
        return {}
    return {ours: raw[theirs].strip() for theirs, ours in _METADATA_KEYS.items() if raw.get(theirs)}


def _document(filename: str, data: bytes, pages: list[str], metadata: dict) -> Parsed:
    cleaned = [clean_text(page).strip() for page in pages]
    if not any(cleaned):
        raise errors.no_text_layer(filename)
    offsets, position = [], 0
    for page in cleaned:
        offsets.append(position)
        position += len(page) + len(PAGE_SEPARATOR)
    text = check_text(filename, PAGE_SEPARATOR.join(cleaned))
    notes = []
    blank = [number for number, page in enumerate(cleaned, start=1) if not page]
    if blank:
        metadata["pages_without_text"] = blank
        notes.append(
            f"{len(blank)} of {len(cleaned)} pages have no text layer (scanned images?); "
            "their text is missing unless you run OCR on the file."
        )
    document = whole_file_document(
        filename=filename,
        source_type=Document.SourceType.PDF,
        text=text,
        data=data,
        page_offsets=offsets,
        metadata=metadata,
    )
    return Parsed([document], notes)
