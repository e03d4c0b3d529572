"""CSV and XLSX files: one document per row.

The text comes from one column; the other columns go into the document's metadata
(they become columns of the export), next to three keys of ours: ``source_file``,
``source_row`` (the row number a spreadsheet shows, header = row 1) and
``text_column``. A table column of the same name wins over ours.

Without a chosen text column, a default is taken only when it is unambiguous: a column
named text/content/body/abstract, else the column whose text is clearly the longest on
average (at least 1.5 times the runner-up). Otherwise the researcher is asked to choose
(``missing_text_column`` lists the columns; the UI asks first with ``table_columns``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings

from projects.ingest import errors
from projects.ingest.results import Parsed, ParsedDocument, clip_name, sha256_hex
from projects.ingest.text import clean_text
from projects.models import Document

TEXT_COLUMN_NAMES = ("text", "content", "body", "abstract")
TITLE_COLUMN_NAMES = ("title", "headline", "name", "subject")
ID_COLUMN_NAMES = ("id", "doc_id", "document_id", "identifier", "record_id", "uuid")
_AUTO_MARGIN = 1.5
_AUTO_SAMPLE_ROWS = 2000
_DELIMITERS = (",", ";", "\t", "|")
# A delimiter that cannot occur: clean_text removes C0 controls before parsing.
_NO_DELIMITER = "\x1f"
_SNIFF_CHARS = 64 * 1024
_SNIFF_ROWS = 50


@dataclass
class Table:
    """A table as read: header names and data rows, blank rows already dropped."""

    filename: str
    source_type: str
    headers: list[str]
    rows: list[tuple[int, Sequence]] = field(default_factory=list)  # (row number, values)
    notes: list[str] = field(default_factory=list)
    unnamed: frozenset[int] = frozenset()  # columns with a blank header cell

    @classmethod
    def from_header(cls, filename: str, source_type: str, header: Sequence) -> Table:
        unnamed = frozenset(index for index, value in enumerate(header) if is_blank([value]))
        return cls(filename, source_type, unique_headers(header), unnamed=unnamed)


# --- Reading ----------------------------------------------------------------------------


def unique_headers(raw: Sequence) -> list[str]:
    """Header cells as names: blanks become ``column_3``, repeats get ``_2``, ``_3``."""
    headers: list[str] = []
    seen: set[str] = set()
    for index, value in enumerate(raw, start=1):
        base = " ".join(str(value if value is not None else "").split()) or f"column_{index}"
        name, n = base, 1
        while name in seen:
            n += 1
            name = f"{base}_{n}"
        seen.add(name)
        headers.append(name)
    return headers


def is_blank(values: Sequence) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def collect_rows(table: Table, rows: Iterable[tuple[int, Sequence]]) -> Table:
    """Keep up to INGEST_MAX_ROWS rows; past that, count the rest for the message."""
    limit = settings.INGEST_MAX_ROWS
    kept = table.rows
    extra = 0
    for number, values in rows:
        if is_blank(values):
            continue
        if len(kept) < limit:
            kept.append((number, values))
        else:
            extra += 1
    if extra:
        raise errors.too_many_rows(table.filename, limit + extra)
    return table


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first rows into the same number (>1) of fields;
    csv.Sniffer is slow on big samples and trips over commas inside quoted text."""
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # no half row at the end
    best, best_score = _NO_DELIMITER, (0.0, 0)
    for delimiter in _DELIMITERS:
        try:
            rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row]
        except csv.Error:
            continue
        counts = [len(row) for row in rows[:_SNIFF_ROWS]]
        if not counts or counts[0] < 2:
            continue
        score = (sum(count == counts[0] for count in counts) / len(counts), counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_csv(filename: str, text: str, *, header_only: bool = False) -> Table:
    text = clean_text(text)
    delimiter = detect_delimiter(text)
    # Module-wide setting, only ever raised: the default (128 KiB) is shorter than a
    # long interview transcript in one cell.
    if csv.field_size_limit() <= settings.INGEST_MAX_TEXT_CHARS:
        csv.field_size_limit(settings.INGEST_MAX_TEXT_CHARS + 1)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    # Row numbers count records, as a spreadsheet showing the file would, not lines.
    rows = enumerate(reader, start=1)
    try:
        header = next(((number, row) for number, row in rows if not is_blank(row)), None)
        if header is None:
            raise errors.empty_file(filename)
        table = Table.from_header(filename, Document.SourceType.CSV, header[1])
        return table if header_only else collect_rows(table, rows)
    except csv.Error as exc:
        where = f"{filename} (line {reader.line_num})"
        if "field larger than field limit" in str(exc):
            raise errors.text_too_long(where, None) from exc
        raise errors.corrupt_file(where, "a CSV table") from exc


# --- Rows to documents -------------------------------------------------------------------


def cell_text(value) -> str:
    if value is None:
        return ""
    return clean_text(value if isinstance(value, str) else str(value)).strip()


def table_to_documents(table: Table, text_column: str | None) -> Parsed:
    headers = table.headers
    text_index, chosen_note = _text_column_index(table, text_column)
    title_index = _named_column(headers, TITLE_COLUMN_NAMES, exclude=text_index)
    id_index = _named_column(headers, ID_COLUMN_NAMES, exclude=text_index)
    text_header = headers[text_index]
    documents, skipped = [], 0
    max_chars = settings.INGEST_MAX_TEXT_CHARS
    for number, values in table.rows:
        text = cell_text(values[text_index]) if text_index < len(values) else ""
        if not text:
            skipped += 1
            continue
        if len(text) > max_chars:
            raise errors.text_too_long(f"{table.filename} row {number}", len(text))
        metadata = _row_metadata(table, values, text_index)
        metadata.setdefault("source_file", table.filename)
        metadata.setdefault("source_row", number)
        metadata.setdefault("text_column", text_header)
        documents.append(
            ParsedDocument(
                name=_row_name(table, number, values, title_index, id_index),
                source_type=table.source_type,
                text=text,
                page_offsets=[],
                metadata=metadata,
                content=None,
                sha256=sha256_hex(text.encode("utf-8")),
            )
        )
    notes = [*table.notes, *([chosen_note] if chosen_note else [])]
    if skipped:
        notes.append(f"{skipped:,} row(s) with an empty “{text_header}” were skipped.")
    if not documents:
        raise errors.empty_file(f"{table.filename} (column “{text_header}”)")
    return Parsed(documents, notes)


def _text_column_index(table: Table, text_column: str | None) -> tuple[int, str | None]:
    headers = table.headers
    if text_column is not None and text_column.strip():
        wanted = " ".join(text_column.split())
        for matches in (str.__eq__, lambda a, b: a.casefold() == b.casefold()):
            for index, header in enumerate(headers):
                if matches(header, wanted):
                    return index, None
        raise errors.missing_text_column(
            table.filename, headers, f"there is no column “{text_column}”"
        )
    if len(headers) == 1:
        return 0, None
    named = _named_column(headers, TEXT_COLUMN_NAMES)
    if named is not None:
        return named, f"The text was taken from the column “{headers[named]}”."
    longest = _longest_column(table)
    return longest, (
        f"The text was taken from the column with the longest text, “{headers[longest]}”; "
        "choose another column if that is wrong."
    )


def _longest_column(table: Table) -> int:
    sample = table.rows[:_AUTO_SAMPLE_ROWS]
    averages = []
    for index in range(len(table.headers)):
        # Only strings count as text: an XLSX column of numbers is never the text.
        lengths = [
            len(values[index]) if index < len(values) and isinstance(values[index], str) else 0
            for _, values in sample
        ]
        averages.append((sum(lengths) / max(len(lengths), 1), index))
    averages.sort(reverse=True)
    best = averages[0]
    runner_up = averages[1][0] if len(averages) > 1 else 0.0
    if best[0] == 0 or best[0] < _AUTO_MARGIN * runner_up:
        reason = (
            "no column holds text"
            if best[0] == 0
            else "several columns could hold the text and none is clearly the longest"
        )
        raise errors.missing_text_column(table.filename, table.headers, reason)
    return best[1]


def _named_column(
    headers: list[str], names: Sequence[str], *, exclude: int | None = None
) -> int | None:
    folded = [header.casefold() for header in headers]
    for name in names:
        for index, header in enumerate(folded):
            if header == name and index != exclude:
                return index
    return None


def _row_metadata(table: Table, values: Sequence, text_index: int) -> dict:
    headers = table.headers
    metadata = {}
    for index, value in enumerate(values):
        if index == text_index:
            continue
        blank = is_blank([value])
        if index < len(headers):
            # Unnamed and empty: a spreadsheet's unused margin column, not data.
            if not (blank and index in table.unnamed):
                metadata[headers[index]] = value
        elif not blank:
            # A row longer than the header: keep the stray cells rather than lose data.
            metadata[f"column_{index + 1}"] = value
    return metadata


def _row_name(
    table: Table, number: int, values: Sequence, title_index: int | None, id_index: int | None
) -> str:
    if title_index is not None and title_index < len(values):
        title = " ".join(cell_text(values[title_index]).split())
        if title:
            return clip_name(title)
    if id_index is not None and id_index < len(values):
        identifier = cell_text(values[id_index])
        if identifier:
            return clip_name(f"{table.filename} {table.headers[id_index]} {identifier}")
    return clip_name(f"{table.filename} row {number}")
