"""What a file really is, from its content; the extension is only a tie-breaker.

A PDF renamed ``.txt`` is read as a PDF; a ``.docx`` that is not a zip is a damaged
Word file (``corrupt_file``), not text; a PNG, JPEG or TIFF is an image for OCR
whatever its name, and a GIF is refused whatever its name. The
extension decides only between readings that the content cannot tell apart: CSV or
Markdown versus plain text.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings

from projects.ingest import errors
from projects.ingest.text import MAX_BOM_BYTES, MAX_BYTES_PER_CHAR, decode_text
from projects.models import Document

SourceType = Document.SourceType
# Not a Document source type: an archive becomes one outcome per member.
ZIP = "zip"

_PDF_MAGIC = b"%PDF-"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
# The images OCR reads: PNG, JPEG, TIFF (little- and big-endian).
_IMAGE_MAGICS = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
# Known binary formats we do not read, with a hint about what to do instead.
_OTHER_BINARIES = (
    (
        b"\xd0\xcf\x11\xe0",
        " (an old Word/Excel file, or a password-protected one; save it as "
        "DOCX or XLSX without a password)",
    ),
    (b"GIF8", " (a GIF image: save it as PNG)"),
    (b"{\\rtf", " (RTF: save it as DOCX or PDF)"),
    (b"Rar!", " (a RAR archive: use ZIP)"),
    (b"7z\xbc\xaf", " (a 7-Zip archive: use ZIP)"),
    (b"\x1f\x8b", " (a gzip archive: use ZIP)"),
)
# Extensions that promise a binary format: content that does not match is damage.
_CLAIMED = {
    ".pdf": ("a PDF", SourceType.PDF),
    ".docx": ("a Word (DOCX) document", SourceType.DOCX),
    ".xlsx": ("an Excel (XLSX) workbook", SourceType.XLSX),
    ".zip": ("a ZIP archive", None),
    ".png": ("an image", SourceType.IMAGE),
    ".jpg": ("an image", SourceType.IMAGE),
    ".jpeg": ("an image", SourceType.IMAGE),
    ".tif": ("an image", SourceType.IMAGE),
    ".tiff": ("an image", SourceType.IMAGE),
}
_HTML_EXTENSIONS = {".html", ".htm", ".xhtml"}
_MARKDOWN_EXTENSIONS = {".md", ".markdown"}
_TABLE_EXTENSIONS = {".csv", ".tsv"}
_HTML_START = re.compile(
    r"\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b",
    re.IGNORECASE | re.DOTALL,
)
_ANY_TAG = re.compile(r"<[a-zA-Z!/]")
# Enough of a large text file to tell plain text from HTML (``_text_kind`` reads 4,096
# characters) in any encoding, and what ``decode_text`` samples.
_HEAD_BYTES = 64 * 1024


@dataclass
class Sniffed:
    """The type a file will be parsed as; ``text`` is the decoded text of text types."""

    kind: str  # a Document.SourceType value, or ZIP
    text: str | None = None


def extension(filename: str) -> str:
    return PurePosixPath(filename.replace("\\", "/")).suffix.lower()


def sniff(filename: str, data: bytes) -> Sniffed:
    """Raises ``empty_file``, ``unsupported_file_type``, ``corrupt_file``, or
    ``text_too_long`` for plain text too large to fit the limit in any encoding."""
    if not data:
        raise errors.empty_file(filename)
    ext = extension(filename)
    if data.startswith(_PDF_MAGIC) or (ext == ".pdf" and _PDF_MAGIC in data[:1024]):
        # The PDF spec lets the header sit anywhere in the first 1024 bytes; only trust
        # that leniency when the name agrees, so text quoting "%PDF-" stays text.
        return Sniffed(SourceType.PDF)
    if data.startswith(_ZIP_MAGICS):
        return Sniffed(_zip_kind(filename, data, ext))
    if data.startswith(_IMAGE_MAGICS):
        return Sniffed(SourceType.IMAGE)
    for magic, hint in _OTHER_BINARIES:
        if data.startswith(magic):
            raise errors.unsupported_file_type(filename, hint)
    if ext in _CLAIMED:
        kind, source_type = _CLAIMED[ext]
        raise errors.corrupt_file(filename, kind, source_type=source_type)
    _refuse_plain_text_too_large(filename, data, ext)
    text = decode_text(filename, data)
    return Sniffed(_text_kind(text, ext), text)


def _refuse_plain_text_too_large(filename: str, data: bytes, ext: str) -> None:
    """Plain text (TXT, MD) whose bytes cannot fit INGEST_MAX_TEXT_CHARS whatever its
    encoding is refused before the whole file is decoded: decoding tens of megabytes to
    refuse them afterwards costs several times their size in memory. Only the head is
    decoded, to tell it from HTML and CSV, whose text is shorter than their bytes."""
    limit = MAX_BYTES_PER_CHAR * settings.INGEST_MAX_TEXT_CHARS + MAX_BOM_BYTES
    if len(data) <= limit:
        return
    try:
        head = decode_text(filename, data[:_HEAD_BYTES])
    except errors.IngestError:
        return  # decoding the whole file gives the real answer
    kind = _text_kind(head, ext)
    if kind in (SourceType.TXT, SourceType.MD):
        # With its type, so that an uploaded file is kept as failed like any text too long.
        raise errors.plain_text_too_large(filename, len(data), source_type=kind)


def _zip_kind(filename: str, data: bytes, ext: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        kind, source_type = _CLAIMED.get(ext, _CLAIMED[".zip"])
        raise errors.corrupt_file(filename, kind, source_type=source_type) from exc
    if "word/document.xml" in names:
        return SourceType.DOCX
    if "xl/workbook.xml" in names:
        return SourceType.XLSX
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise errors.unsupported_file_type(
            filename, " (an OpenDocument file: save it as DOCX, XLSX or PDF)"
        )
    if mimetype.startswith(b"application/epub"):
        raise errors.unsupported_file_type(filename, " (an EPUB book: convert it to PDF)")
    if ext in (".docx", ".xlsx"):
        # A zip, but without the part that makes it a Word or Excel file.
        kind, source_type = _CLAIMED[ext]
        raise errors.corrupt_file(filename, kind, source_type=source_type)
    return ZIP


def _text_kind(text: str, ext: str) -> str:
    head = text[:4096].lstrip("\ufeff")
    if _HTML_START.match(head) or (ext in _HTML_EXTENSIONS and _ANY_TAG.search(head)):
        return SourceType.HTML
    if ext in _TABLE_EXTENSIONS:
        return SourceType.CSV
    if ext in _MARKDOWN_EXTENSIONS:
        return SourceType.MD
    return SourceType.TXT
