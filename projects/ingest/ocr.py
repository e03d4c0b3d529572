"""OCR with Tesseract: the text of scanned PDF pages and of images, with a confidence.

Tesseract is reached through ``pytesseract``, a thin wrapper that runs the ``tesseract``
program, rather than ``tesserocr`` (a C binding) or OCRmyPDF, because:

* it uses the Tesseract and the language packs the machine has (Debian's
  ``tesseract-ocr``, Homebrew's ``tesseract``), so ``tesseract --list-langs`` is the one
  truth about languages. tesserocr's wheels bundle their own libtesseract without any
  language data, to be pointed at the system's tessdata of another version; built from
  source it needs libtesseract-dev and a compiler.
* ``pip install`` works on a machine without Tesseract: OCR is then unavailable, one
  file at a time (``ocr_unavailable``), and nothing fails to import or start.
* each page is read in a child process with a time limit: a Tesseract crash or a
  runaway page is killed and reported, where a C binding would take the worker with it.
* OCRmyPDF rewrites whole PDFs (ghostscript, qpdf); we only need the text of the pages
  that lack a text layer.

Its cost, one process start per page (about 0.1 s), is small beside reading a 300 dpi
page (about 1.5 s). Confidences are Tesseract's word confidences, 0-100; a page's is
the mean over its words.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image

from projects.ingest import errors

logger = logging.getLogger(__name__)

# Tesseract's OpenMP threads spin against each other on a small machine: a 10-page
# scan took 77 s with the default, 17 s with one thread per process (2 cores). The
# workers already run files side by side. An operator's own value is kept.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

# Pixels handed to Tesseract at most: an A3 page at 300 dpi is 17.4 million. Larger
# pages and images are scaled down to this, which bounds the child's memory.
MAX_PIXELS = 25_000_000
# A language pack name: eng, chi_sim, deu_latf, script/Latin.
_LANGUAGE = re.compile(r"[A-Za-z0-9_]+(?:/[A-Za-z0-9_]+)?")
_SEPARATORS = re.compile(r"[+,\s]+")
# Listed by --list-langs, but orientation and script detection, not a language.
_NOT_LANGUAGES = {"osd"}
# Tesseract's data levels (image_to_data): 5 is a word.
_WORD_LEVEL = 5
# Who hears how far OCR of the current file has got (a worker's upload progress).
_progress: ContextVar[Callable[[float], None] | None] = ContextVar("ocr_progress", default=None)


class OcrError(Exception):
    """Tesseract failed or took too long on one image; the message says which."""


@dataclass(frozen=True)
class PageText:
    """What OCR read on one page or image frame.

    ``confidence``: the mean word confidence, 0-100, or None when no word was found.
    """

    text: str
    confidence: float | None
    words: int


# --- Is Tesseract there, and with which languages --------------------------------------


def ocr_available() -> bool:
    """Whether the Tesseract program (``OCR_TESSERACT_CMD``) is installed."""
    return _tesseract_path(settings.OCR_TESSERACT_CMD) is not None


@functools.cache
def _tesseract_path(command: str) -> str | None:
    # Cached per command, so the warning is logged once; installing Tesseract while
    # the server runs needs a restart to be seen.
    path = shutil.which(command)
    if path is None:
        logger.warning(
            "OCR is off: Tesseract (%r) is not installed; scanned PDF pages and images "
            "will fail with ocr_unavailable. Install it (Debian/Ubuntu: apt-get install "
            "tesseract-ocr) or set OCR_TESSERACT_CMD.",
            command,
        )
    return path


def installed_languages() -> list[str]:
    """The language packs Tesseract can use, sorted; empty without Tesseract."""
    path = _tesseract_path(settings.OCR_TESSERACT_CMD)
    return list(_languages(path)) if path else []


@functools.cache
def _languages(path: str) -> tuple[str, ...]:
    try:
        result = subprocess.run(
            [path, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        logger.warning("tesseract --list-langs failed", exc_info=True)
        return ()
    # The first line is a heading ('List of available languages in "..." (3):').
    names = {line.strip() for line in result.stdout.splitlines()[1:]}
    return tuple(sorted(n for n in names if _LANGUAGE.fullmatch(n) and n not in _NOT_LANGUAGES))


def languages_parse(value: str) -> list[str]:
    """The language codes of a setting: ``"eng+deu"`` (or "eng, deu") -> [eng, deu]."""
    return list(dict.fromkeys(code for code in _SEPARATORS.split(value) if code))


def ocr_languages_clean(value: str) -> str:
    """A project's ``ocr_languages`` as stored (codes joined with +), for the project
    form and the API. Each language must be installed where Tesseract is; where it is
    not, well-formed codes are accepted, since nothing can say which will be there.

    Raises ``ValidationError`` with a message for the researcher.
    """
    codes = languages_parse(value)
    if not codes:
        raise ValidationError("Give at least one OCR language, e.g. eng.")
    malformed = [code for code in codes if not _LANGUAGE.fullmatch(code)]
    if malformed:
        raise ValidationError(
            f"{', '.join(malformed)} is not a Tesseract language code. Use codes such as "
            "eng, deu or fra, joined with + (eng+deu)."
        )
    if ocr_available():
        installed = installed_languages()
        missing = [code for code in codes if code not in installed]
        if missing:
            raise ValidationError(
                f"Not installed on this server: {', '.join(missing)}. Installed: "
                f"{', '.join(installed) or 'none'}."
            )
    return "+".join(codes)


def ocr_check(filename: str, languages: str, *, what: str) -> str:
    """The languages to read ``filename`` with (codes joined with +; eng when none),
    or ``ocr_unavailable``: no Tesseract, or a language of the project not installed
    (the setting is checked when saved, but the server's packs may have changed).
    ``what`` says why the file needs OCR, completing "<filename> ...: reading it needs
    OCR"."""
    if not ocr_available():
        raise errors.ocr_unavailable(filename, what)
    codes = languages_parse(languages) or ["eng"]
    installed = installed_languages()
    missing = [code for code in codes if code not in installed]
    if missing:
        raise errors.ocr_language_missing(filename, missing, installed)
    return "+".join(codes)


# --- Reading ------------------------------------------------------------------------------


def image_read(image: Image.Image, *, languages: str, dpi: float | None = None) -> PageText:
    """The text of one image (a rendered page, an image frame) and its confidence.

    ``dpi``: the image's resolution where known; Tesseract guesses from the letters'
    size otherwise. Raises ``OcrError``.
    """
    # Imported here: pytesseract imports pandas when it is installed (for the exports),
    # which every web and worker process would otherwise load at start for nothing.
    import pytesseract

    prepared, dpi = _prepared(image, dpi)
    config = f"--dpi {round(dpi)}" if dpi else ""
    # pytesseract reads the program from a module global; every call sets the same value.
    pytesseract.pytesseract.tesseract_cmd = settings.OCR_TESSERACT_CMD
    try:
        data = pytesseract.image_to_data(
            prepared,
            lang=languages,
            config=config,
            output_type=pytesseract.Output.DICT,
            timeout=settings.OCR_PAGE_SECONDS,
        )
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrError("Tesseract could not be started") from exc
    except pytesseract.TesseractError as exc:
        raise OcrError(f"Tesseract: {str(exc.message).strip()[:200]}") from exc
    except RuntimeError as exc:  # pytesseract's timeout (TesseractError is one too)
        raise OcrError(f"it took longer than {settings.OCR_PAGE_SECONDS} s") from exc
    finally:
        if prepared is not image:
            prepared.close()
    return page_text(data)


def _prepared(image: Image.Image, dpi: float | None) -> tuple[Image.Image, float | None]:
    """Grayscale (what Tesseract reads anyway, and a quarter of the bytes to hand
    over), transparency on white, and at most ``MAX_PIXELS``."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        white = Image.new("RGBA", image.size, "white")
        white.alpha_composite(image.convert("RGBA"))
        image = white
    gray = image if image.mode == "L" else image.convert("L")
    pixels = gray.width * gray.height
    if pixels <= MAX_PIXELS:
        return gray, dpi
    factor = math.sqrt(MAX_PIXELS / pixels)
    size = (max(1, int(gray.width * factor)), max(1, int(gray.height * factor)))
    return gray.resize(size, Image.Resampling.LANCZOS), dpi * factor if dpi else None


def page_text(data: dict[str, list]) -> PageText:
    """Text and mean word confidence from Tesseract's word table (``image_to_data``):
    words joined by spaces, lines by a newline, paragraphs by a blank line, as
    Tesseract's own text output lays them out."""
    paragraphs: dict[tuple, dict[tuple, list[str]]] = {}
    confidences: list[float] = []
    for level, block, paragraph, line, confidence, word in zip(
        data["level"],
        data["block_num"],
        data["par_num"],
        data["line_num"],
        data["conf"],
        data["text"],
        strict=True,
    ):
        word = str(word).strip()
        if int(level) != _WORD_LEVEL or not word:
            continue
        lines = paragraphs.setdefault((block, paragraph), {})
        lines.setdefault(line, []).append(word)
        if float(confidence) >= 0:
            confidences.append(float(confidence))
    text = "\n\n".join(
        "\n".join(" ".join(words) for words in lines.values()) for lines in paragraphs.values()
    )
    mean = round(sum(confidences) / len(confidences), 1) if confidences else None
    return PageText(text=text, confidence=mean, words=len(confidences))


# --- What the document records ------------------------------------------------------------


@dataclass
class OcrReport:
    """The pages of one document that OCR read: metadata and notes for the researcher."""

    languages: str
    pages: list[dict]

    def add(self, number: int, result: PageText) -> None:
        """Page ``number`` (from 1) was read; pages where OCR found no word are not
        listed (they are among ``pages_without_text``)."""
        if result.confidence is not None:
            self.pages.append({"page": number, "confidence": result.confidence})

    def low_confidence_pages(self) -> list[int]:
        threshold = settings.OCR_LOW_CONFIDENCE
        return [page["page"] for page in self.pages if page["confidence"] < threshold]

    def metadata(self) -> dict:
        """``ocr: true``, the languages, each page's confidence (0-100), and the pages
        below ``OCR_LOW_CONFIDENCE``; nothing when no page was read."""
        if not self.pages:
            return {}
        return {
            "ocr": True,
            "ocr_languages": self.languages,
            "ocr_pages": self.pages,
            "ocr_low_confidence_pages": self.low_confidence_pages(),
        }

    def notes(self) -> list[str]:
        if not self.pages:
            return []
        numbers = ", ".join(str(page["page"]) for page in self.pages)
        mean = sum(page["confidence"] for page in self.pages) / len(self.pages)
        notes = [f"Read by OCR ({self.languages}): page(s) {numbers}, confidence {mean:.0f} %."]
        low = self.low_confidence_pages()
        if low:
            notes.append(
                f"OCR was unsure of page(s) {', '.join(map(str, low))} (confidence below "
                f"{settings.OCR_LOW_CONFIDENCE:g} %): check their text against the original."
            )
        return notes


@contextmanager
def progress_to(callback: Callable[[float], None]) -> Iterator[None]:
    """Within the block, each page read by OCR reports the share of the file's scanned
    pages done so far to ``callback``: a long scan moves its upload's progress bar."""
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)


def page_done(done: int, total: int) -> None:
    """Called by the parsers after each page they read by OCR."""
    callback = _progress.get()
    if callback is not None and total:
        callback(done / total)
