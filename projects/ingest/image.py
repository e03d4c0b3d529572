"""Images (PNG, JPEG, TIFF) read by OCR into one document, one page per frame.

A multi-page TIFF (how fax machines and many document scanners save a stack of pages)
becomes one document whose ``page_offsets`` mark its frames, exactly as a PDF's pages;
a PNG or JPEG is a one-page document. Without Tesseract an image fails with
``ocr_unavailable``: it has no text but what OCR reads.
"""

from __future__ import annotations

import io
import logging

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from projects.ingest import errors, ocr
from projects.ingest.pdf import join_pages
from projects.ingest.results import Parsed, check_text, whole_file_document
from projects.ingest.text import clean_text
from projects.models import Document

logger = logging.getLogger(__name__)

_FORMATS = ["PNG", "JPEG", "TIFF"]
# Pixels of one frame at most: an A4 page at 800 dpi. A frame is decoded whole before
# it is scaled down for Tesseract (ocr.MAX_PIXELS), and this bounds the worker's memory
# (three bytes a pixel in colour); a scan never needs more than 300-600 dpi.
MAX_FRAME_PIXELS = 60_000_000


def parse_image(filename: str, data: bytes, *, ocr_languages: str = "eng") -> Parsed:
    """One document of the image's frames, read with ``ocr_languages`` (eng+deu)."""
    image = _open(filename, data)
    try:
        # Only TIFF frames are pages; a JPEG's further frames (MPO) are previews.
        frames = image.n_frames if image.format == "TIFF" else 1
        if frames > settings.INGEST_MAX_PDF_PAGES:
            raise errors.too_many_pages(filename, frames)
        languages = ocr.ocr_check(filename, ocr_languages, what="is an image")
        report = ocr.OcrReport(languages=languages, pages=[])
        pages = []
        for index in range(frames):
            result = _read_frame(filename, image, index, languages)
            pages.append(clean_text(result.text).strip())
            report.add(index + 1, result)
            ocr.page_done(index + 1, frames)
    finally:
        image.close()
    return _document(filename, data, pages, report)


def _open(filename: str, data: bytes) -> Image.Image:
    """The image, its header read; damage further in shows when a frame is read."""
    try:
        image = Image.open(io.BytesIO(data), formats=_FORMATS)
    except Image.DecompressionBombError as exc:  # Pillow's own, far larger, limit
        raise errors.image_too_large(filename, MAX_FRAME_PIXELS) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise errors.corrupt_file(filename, "an image") from exc
    _check_size(filename, image)
    return image


def _check_size(filename: str, image: Image.Image) -> None:
    """Refused from the header, before a byte of pixels is decoded: a few kilobytes
    of PNG can claim gigapixels."""
    if image.width * image.height > MAX_FRAME_PIXELS:
        image.close()
        raise errors.image_too_large(filename, MAX_FRAME_PIXELS)


def _read_frame(filename: str, image: Image.Image, index: int, languages: str) -> ocr.PageText:
    try:
        image.seek(index)
        _check_size(filename, image)
        # Upright as the camera held it: phones store the turn in EXIF, not the pixels.
        frame = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or damaged
        logger.info("image %s: frame %s unreadable: %r", filename, index + 1, exc)
        raise errors.corrupt_file(filename, "an image") from exc
    try:
        return ocr.image_read(frame, languages=languages, dpi=_dpi(image))
    except ocr.OcrError as exc:
        raise errors.ocr_failed(filename, index + 1, str(exc)) from exc


def _dpi(frame: Image.Image) -> float | None:
    """The resolution the file states, when it is believable: many images say 72 or
    nothing, and Tesseract then does better estimating from the letters' size."""
    try:
        dpi = float(frame.info.get("dpi", (0, 0))[0])
    except (TypeError, ValueError, IndexError):
        return None
    return dpi if 100 <= dpi <= 1200 else None


def _document(filename: str, data: bytes, pages: list[str], report: ocr.OcrReport) -> Parsed:
    if not any(pages):
        raise errors.no_text_found(filename)
    joined, offsets = join_pages(pages)
    metadata = report.metadata()
    notes = report.notes()
    blank = [number for number, page in enumerate(pages, start=1) if not page]
    if blank:
        metadata["pages_without_text"] = blank
        notes.insert(0, f"{len(blank)} of {len(pages)} pages have no text.")
    document = whole_file_document(
        filename=filename,
        source_type=Document.SourceType.IMAGE,
        text=check_text(filename, joined),
        data=data,
        page_offsets=offsets,
        metadata=metadata,
    )
    return Parsed([document], notes)
