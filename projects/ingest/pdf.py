"""PDF text, page by page, with pypdfium2 (PDFium: fast, and robust on real-world files).

Pages are joined with a blank line ("\\n\\n") rather than a form feed: the form feed is
a control character we strip everywhere else, browsers show it as nothing, and the
page boundaries are recorded exactly in ``page_offsets`` anyway.

A page without a text layer that shows something (a scan) is rendered and read by OCR
(``ocr``); pages with a text layer are never OCR'd, so a mixed PDF keeps its text as it
is. Without Tesseract a PDF with no text page fails with ``ocr_unavailable``, while a
mixed one keeps its text pages and says which pages could not be read.
"""

from __future__ import annotations

import logging
import math

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
from django.conf import settings

from projects.ingest import errors, ocr
from projects.ingest.errors import IngestError
from projects.ingest.results import Parsed, check_text, whole_file_document
from projects.ingest.text import clean_text
from projects.models import Document

logger = logging.getLogger(__name__)

PAGE_SEPARATOR = "\n\n"
_PASSWORD_ERRORS = {pdfium_raw.FPDF_ERR_PASSWORD, pdfium_raw.FPDF_ERR_SECURITY}
_METADATA_KEYS = {"Title": "title", "Author": "author", "Subject": "subject"}


def parse_pdf(filename: str, data: bytes, *, ocr_languages: str = "eng") -> Parsed:
    """One document of the PDF's pages; ``ocr_languages`` (eng+deu) read its scans."""
    pdf = _open(filename, data)
    try:
        page_count = len(pdf)
        if page_count > settings.INGEST_MAX_PDF_PAGES:
            raise errors.too_many_pages(filename, page_count)
        pages = [clean_text(text).strip() for text in _page_texts(filename, pdf)]
        scanned = [index for index, text in enumerate(pages) if not text and _shows(pdf, index)]
        pages, report, notes = _read_scanned(filename, pdf, pages, scanned, ocr_languages)
        metadata = _metadata(pdf)
    finally:
        pdf.close()
    return _document(filename, data, pages, metadata, report, notes)


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


def _shows(pdf: pdfium.PdfDocument, index: int) -> bool:
    """Whether a page has anything on it (a scan is one image object): truly blank
    pages are not worth a Tesseract run."""
    page = pdf[index]
    try:
        return pdfium_raw.FPDFPage_CountObjects(page.raw) > 0
    finally:
        page.close()


def _read_scanned(
    filename: str, pdf: pdfium.PdfDocument, pages: list[str], scanned: list[int], languages: str
) -> tuple[list[str], ocr.OcrReport | None, list[str]]:
    """``pages`` with the ``scanned`` ones read by OCR, what OCR did, and notes."""
    if not scanned:
        return pages, None, []
    try:
        languages = ocr.ocr_check(filename, languages, what=_why_ocr(pages, scanned))
    except IngestError as error:
        if not any(pages):
            raise
        return pages, None, [error.message]  # a mixed PDF: its text pages stand
    pages = list(pages)
    report = ocr.OcrReport(languages=languages, pages=[])
    for done, index in enumerate(scanned, start=1):
        result = _ocr_page(filename, pdf, index, languages)
        pages[index] = clean_text(result.text).strip()
        report.add(index + 1, result)
        ocr.page_done(done, len(scanned))
    return pages, report, []


def _why_ocr(pages: list[str], scanned: list[int]) -> str:
    if not any(pages):
        return "is a scan (its pages are images, without a text layer)"
    numbers = ", ".join(str(index + 1) for index in scanned)
    return f"has pages without a text layer ({numbers}), probably scanned"


def _ocr_page(filename: str, pdf: pdfium.PdfDocument, index: int, languages: str) -> ocr.PageText:
    page = pdf[index]
    try:
        width, height = page.get_size()  # in points, 72 to the inch
        # OCR_DPI, or less where the page is so large that it would pass MAX_PIXELS.
        scale = min(settings.OCR_DPI / 72, math.sqrt(ocr.MAX_PIXELS / max(width * height, 1)))
        bitmap = page.render(scale=scale, grayscale=True)
    except Exception as exc:  # as in _page_texts: a damaged page fails in many ways
        logger.warning("PDF %s: page %s not renderable: %r", filename, index + 1, exc)
        raise errors.corrupt_file(filename, "a PDF") from exc
    finally:
        page.close()
    try:
        return ocr.image_read(bitmap.to_pil(), languages=languages, dpi=scale * 72)
    except ocr.OcrError as exc:
        raise errors.ocr_failed(filename, index + 1, str(exc)) from exc
    finally:
        bitmap.close()


def join_pages(pages: list[str]) -> tuple[str, list[int]]:
    """The document text of page texts, and where each page starts in it."""
    offsets, position = [], 0
    for page in pages:
        offsets.append(position)
        position += len(page) + len(PAGE_SEPARATOR)
    return PAGE_SEPARATOR.join(pages), offsets


def _document(
    filename: str,
    data: bytes,
    pages: list[str],
    metadata: dict,
    report: ocr.OcrReport | None,
    notes: list[str],
) -> Parsed:
    if not any(pages):
        raise errors.no_text_layer(filename)
    joined, offsets = join_pages(pages)
    text = check_text(filename, joined)
    blank = [number for number, page in enumerate(pages, start=1) if not page]
    if blank:
        metadata["pages_without_text"] = blank
        numbers = ", ".join(map(str, blank))
        notes = [f"{len(blank)} of {len(pages)} pages have no text (page(s) {numbers}).", *notes]
    if report is not None:
        metadata.update(report.metadata())
        notes = [*notes, *report.notes()]
    document = whole_file_document(
        filename=filename,
        source_type=Document.SourceType.PDF,
        text=text,
        data=data,
        page_offsets=offsets,
        metadata=metadata,
    )
    return Parsed([document], notes)
