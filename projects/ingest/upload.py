"""From an uploaded file to outcomes: size check, sniffing, then the parser for the type."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from django.conf import settings

from projects.ingest import errors
from projects.ingest.archive import UnzipBudget, iter_archive
from projects.ingest.docx import parse_docx
from projects.ingest.errors import IngestError
from projects.ingest.html import parse_html
from projects.ingest.image import parse_image
from projects.ingest.pdf import parse_pdf
from projects.ingest.results import FileOutcome, Parsed
from projects.ingest.sniff import ZIP, Sniffed, SourceType, sniff
from projects.ingest.tables import read_csv, table_to_documents
from projects.ingest.text import parse_text
from projects.ingest.xlsx import read_xlsx


def iter_upload(
    filename: str,
    data: bytes,
    *,
    text_column: str | None = None,
    unzip_budget: UnzipBudget | None = None,
    ocr_languages: str = "eng",
) -> Iterator[FileOutcome]:
    """Every outcome of one uploaded file (one per member for a ZIP), one at a time: a
    large ZIP is never held parsed in memory all at once. ``unzip_budget``: shared by
    the files of one upload. ``ocr_languages``: the project's Tesseract languages."""
    return _outcomes(
        filename,
        data,
        text_column=text_column,
        in_archive=False,
        unzip_budget=unzip_budget,
        ocr_languages=ocr_languages,
    )


def table_columns(filename: str, data: bytes) -> list[str]:
    """The header names of a CSV or XLSX file, for the UI that asks for the text column.

    Raises ``IngestError``: ``not_a_table`` for other files, or why the table is unreadable.
    """
    if len(data) > settings.UPLOAD_MAX_FILE_BYTES:
        raise errors.file_too_large(filename, len(data))
    sniffed = sniff(filename, data)
    if sniffed.kind == SourceType.CSV:
        return read_csv(filename, sniffed.text, header_only=True).headers
    if sniffed.kind == SourceType.XLSX:
        return read_xlsx(filename, data, header_only=True).headers
    raise errors.not_a_table(filename)


def _outcomes(
    filename: str,
    data: bytes,
    *,
    text_column: str | None,
    in_archive: bool,
    unzip_budget: UnzipBudget | None = None,
    ocr_languages: str = "eng",
) -> Iterator[FileOutcome]:
    if len(data) > settings.UPLOAD_MAX_FILE_BYTES:
        # Not kept: storing what we refuse would defeat the limit.
        yield FileOutcome(filename, [], errors.file_too_large(filename, len(data)), None)
        return
    try:
        sniffed = sniff(filename, data)
    except IngestError as error:
        # Damage to a file that claims a supported type is kept with the failure;
        # anything else (unsupported, empty) is only reported.
        content = data if error.source_type else None
        yield FileOutcome(filename, [], error, content, error.source_type)
        return
    if sniffed.kind == ZIP:
        if in_archive:
            yield FileOutcome(filename, [], errors.nested_archive(filename), None)
            return
        member = partial(
            _outcomes, text_column=text_column, in_archive=True, ocr_languages=ocr_languages
        )
        yield from iter_archive(filename, data, parse_member=member, budget=unzip_budget)
        return
    try:
        parsed = _parse(filename, data, sniffed, text_column, ocr_languages)
    except IngestError as error:
        yield FileOutcome(filename, [], error, data, sniffed.kind)
        return
    yield FileOutcome(filename, parsed.documents, None, data, sniffed.kind, parsed.notes)


def _parse(
    filename: str, data: bytes, sniffed: Sniffed, text_column: str | None, ocr_languages: str
) -> Parsed:
    kind = sniffed.kind
    if kind == SourceType.PDF:
        return parse_pdf(filename, data, ocr_languages=ocr_languages)
    if kind == SourceType.IMAGE:
        return parse_image(filename, data, ocr_languages=ocr_languages)
    if kind == SourceType.DOCX:
        return parse_docx(filename, data)
    if kind == SourceType.HTML:
        return parse_html(filename, data, text=sniffed.text)
    if kind == SourceType.CSV:
        return table_to_documents(read_csv(filename, sniffed.text), text_column)
    if kind == SourceType.XLSX:
        return table_to_documents(read_xlsx(filename, data), text_column)
    return parse_text(filename, data, text=sniffed.text, source_type=kind)
