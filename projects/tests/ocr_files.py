"""Scans made in the test: text typeset with fpdf, rendered to pixels with pypdfium2,
and put back into a PDF (or saved as PNG, JPEG, TIFF) with no text layer left.

``requires_tesseract`` skips a test where Tesseract is not installed, unless
``REQUIRE_OCR=1`` (CI sets it): then the test runs and fails, as it should.
"""

from __future__ import annotations

import difflib
import io
import os
import re

import pypdfium2 as pdfium
import pytest
from PIL import Image

from projects.ingest import ocr
from projects.tests.ingest_files import make_pdf

requires_tesseract = pytest.mark.skipif(
    not ocr.ocr_available() and os.environ.get("REQUIRE_OCR") != "1",
    reason="Tesseract is not installed (apt-get install tesseract-ocr; REQUIRE_OCR=1 "
    "turns this skip into a failure)",
)

# Pages of different, ordinary prose: OCR is measured on words, not on one sentence.
PAGES = [
    "Minutes of the trade committee. The delegation reviewed the tariff schedule for "
    "agricultural goods and agreed to lower duties on wheat, barley and rice by twelve "
    "percent over five years. Safeguards remain for sensitive products such as sugar.",
    "The ministry published its annual implementation report in March. It found that "
    "imports of steel rose by eight percent while exports of machinery fell slightly. "
    "Several members asked for a review of the rules of origin before the next session.",
    "Parliament ratified the agreement after a long debate about labour standards and "
    "environmental protection. The opposition argued that the dispute settlement "
    "procedure gives too much power to private investors and too little to the courts.",
]

SCAN_DPI = 200  # what office scanners default to


def page_images(pdf: bytes, *, dpi: int = SCAN_DPI) -> list[Image.Image]:
    """Each page of ``pdf`` as a grayscale picture, as a scanner would see it."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil() for page in document]
    finally:
        document.close()


def text_images(pages: list[str], *, dpi: int = SCAN_DPI) -> list[Image.Image]:
    return page_images(make_pdf(pages), dpi=dpi)


def images_pdf(images: list[Image.Image], *, dpi: int = SCAN_DPI) -> bytes:
    """A PDF of pictures only (what a scanner makes): no text layer at all."""
    buffer = io.BytesIO()
    first, *rest = images
    first.save(buffer, format="PDF", resolution=dpi, save_all=True, append_images=rest)
    return buffer.getvalue()


def make_scanned_pdf(pages: list[str]) -> bytes:
    return images_pdf(text_images(pages))


def make_mixed_pdf(text_page: str, scanned_page: str) -> bytes:
    """Page 1 with a text layer, page 2 a scan."""
    mixed = pdfium.PdfDocument.new()
    for part in (make_pdf([text_page]), make_scanned_pdf([scanned_page])):
        mixed.import_pages(pdfium.PdfDocument(part))
    buffer = io.BytesIO()
    mixed.save(buffer)
    return buffer.getvalue()


def image_file(images: list[Image.Image], image_format: str, *, dpi: int = SCAN_DPI) -> bytes:
    """PNG, JPEG or TIFF bytes; a TIFF holds every image as a frame."""
    buffer = io.BytesIO()
    first, *rest = images
    options = {"save_all": True, "append_images": rest} if rest else {}
    first.save(buffer, format=image_format, dpi=(dpi, dpi), **options)
    return buffer.getvalue()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def word_recall(expected: str, got: str) -> float:
    """The share of ``expected``'s words that OCR gave back, in order."""
    wanted = words(expected)
    matcher = difflib.SequenceMatcher(a=wanted, b=words(got), autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(wanted)
