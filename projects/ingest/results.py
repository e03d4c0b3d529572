"""What parsing produces: documents ready to store, grouped per uploaded file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.conf import settings

from projects.ingest import errors
from projects.ingest.errors import IngestError
from projects.ingest.metadata import clean_metadata

# Document.name is a CharField(max_length=255).
MAX_NAME_LENGTH = 255


@dataclass
class ParsedDocument:
    """One future Document row.

    ``sha256`` identifies the document for duplicate detection: the original bytes for
    a whole file, the UTF-8 text for a CSV/XLSX row (a row has no bytes of its own).
    ``page_offsets`` is empty for formats without pages (everything but PDF).
    """

    name: str
    source_type: str
    text: str
    page_offsets: list[int]
    metadata: dict
    content: bytes | None
    sha256: str


@dataclass
class FileOutcome:
    """What became of one uploaded file, or of one member of an uploaded ZIP.

    Exactly one of ``documents`` / ``error`` is meaningful. ``content`` is the file's
    bytes when they are worth keeping (parsed, or an uploaded file of a supported type
    that failed to parse; never a ZIP member that failed), ``source_type`` the type it
    was read as (None for archives and for files of
    no supported type), ``notes`` things the researcher should know that are not errors
    (rows skipped, pages without text). ``part_bytes``: set on the parts of a large
    table stored one after the other, the bytes of the file each part accounts for.
    """

    filename: str
    documents: list[ParsedDocument]
    error: IngestError | None
    content: bytes | None
    source_type: str | None = None
    notes: list[str] = field(default_factory=list)
    part_bytes: int | None = None


@dataclass
class Parsed:
    """A parser's answer for one file."""

    documents: list[ParsedDocument]
    notes: list[str] = field(default_factory=list)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def clip_name(name: str) -> str:
    """Fit a name into Document.name, keeping the end (the file name itself is the most
    telling part of ``archive.zip/a/long/path/report.pdf``)."""
    name = name.strip() or "untitled"
    if len(name) <= MAX_NAME_LENGTH:
        return name
    return "…" + name[-(MAX_NAME_LENGTH - 1) :]


def check_text(filename: str, text: str) -> str:
    """The text of a whole-file document, or the error that says why it is unusable."""
    if not text.strip():
        raise errors.empty_file(filename)
    if len(text) > settings.INGEST_MAX_TEXT_CHARS:
        raise errors.text_too_long(filename, len(text))
    return text


def whole_file_document(
    *,
    filename: str,
    source_type: str,
    text: str,
    data: bytes,
    page_offsets: list[int] | None = None,
    metadata: dict | None = None,
) -> ParsedDocument:
    """A document made of a whole file. Every parser of whole files (PDF, DOCX, HTML,
    text...) builds its documents here, so this is where metadata that carries no
    information (``about:blank`` titles, program names) is dropped, for all of them."""
    return ParsedDocument(
        name=clip_name(filename),
        source_type=source_type,
        text=text,
        page_offsets=page_offsets or [],
        metadata=clean_metadata(metadata or {}, filename=filename),
        content=data,
        sha256=sha256_hex(data),
    )
