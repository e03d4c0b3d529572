"""Dataset writers for step 5: CSV, XLSX and JSON, streamed from an iterator of rows.

The writers know nothing about the ORM. The export service hands them an
:class:`ExportTable`: the export's metadata, the codebook, the columns, and the rows as
an *iterator* (in production a generator over a database cursor). Each writer consumes
the rows once, writes them as they come, keeps at most a small, fixed number of them in
memory, and returns how many data rows it wrote.

Values are plain Python: ``str``, ``int``, ``float``, ``bool``, ``None``, ISO date
strings in ``date`` columns (``YYYY-MM-DD``, or the partial ``YYYY`` / ``YYYY-MM``),
lists for ``list`` and ``multi_category``. ``datetime.date``, ``datetime.datetime``,
``Decimal`` and ``dict`` are accepted too, for metadata.

How each format writes a value (the spreadsheet rules live in :mod:`exports.cells`):

=============  ==========================  ============================  ===============
value          CSV                         XLSX                          JSON
=============  ==========================  ============================  ===============
None           empty                       empty cell                    null
bool           ``TRUE`` / ``FALSE``        boolean cell                  true / false
int, float     as written by Python        number cell                   number
date column    ISO text                    date cell, ``yyyy-mm-dd``     ISO string
partial date   ``YYYY`` / ``YYYY-MM``      text                          string
list           items joined with ``"; "``  same text as CSV              array
text           sanitised                   sanitised, capped at 32,767   unchanged
=============  ==========================  ============================  ===============

"Sanitised" means characters illegal in XML 1.0 removed and formulas neutralised with a
leading ``'`` (see :mod:`exports.cells`). Non-finite floats have no spreadsheet or JSON
form and are written empty / null. Datetimes are written as ISO 8601 text, so the time
zone stays visible.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import itertools
import json
import math
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from exports.cells import (
    EXCEL_MAX_CELL_CHARS,
    sanitise_text,
    scalar_text,
    truncate_for_excel,
)
from exports.layout import COLUMN_KINDS, Column, wide_columns, wide_row
from schemas.types import TYPES, VariableType

# Columns whose ISO strings become real dates in XLSX: the types that say so.
DATE_KINDS = frozenset(name for name, kind in TYPES.items() if kind.is_date)
CODEBOOK_FIELDS = ("key", "label", "type", "instructions", "allowed_values", "required")

# Column widths come from the header and this many leading rows, never the whole file.
WIDTH_SAMPLE_ROWS = 50
MIN_WIDTH = 6
MAX_WIDTH = 60

NO_RELIABILITY = "none: no completed coding round of this version"

_FULL_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BOLD = Font(bold=True)


@dataclass(slots=True)
class ExportTable:
    """Everything a writer needs. ``rows`` is consumed once, so a table is written once.

    ``metadata``: a flat-ish dict (project, schema version, prompt hash, model, job ids,
    token usage, cost, export time, whether values were simulated...); nested dicts are
    shown as dotted keys in the XLSX metadata sheet. ``reliability``, when it is a dict,
    has a list of per-variable dicts under ``variables``: the XLSX writes them as a
    ``reliability`` sheet and keeps only the rest in the metadata sheet.
    ``codebook``: one dict per variable, ``{key, label, type, instructions,
    allowed_values, required}``, in schema order.
    ``rows``: lists of values aligned with ``columns``.
    """

    metadata: dict[str, Any]
    codebook: list[dict[str, Any]]
    columns: list[Column]
    rows: Iterable[Sequence[Any]]

    def __post_init__(self) -> None:
        counts = Counter(column.name for column in self.columns)
        duplicates = sorted(name for name, count in counts.items() if count > 1)
        if duplicates:
            raise ValueError(f"Duplicate column names: {', '.join(duplicates)}.")

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


# --- shared plumbing ----------------------------------------------------------------------


def _checked_rows(table: ExportTable) -> Iterator[Sequence[Any]]:
    """The rows, each checked for length: a short row would silently shift columns."""
    width = len(table.columns)
    for number, row in enumerate(table.rows, start=1):
        if len(row) != width:
            raise ValueError(f"Row {number} has {len(row)} values for {width} columns.")
        yield row


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested dicts as dotted keys, for the two-column metadata sheet."""
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, prefix=name + ".")
        else:
            yield name, value


# --- CSV --------------------------------------------------------------------------------


BOOLEANS = ("true_false", "1_0")


def write_csv(
    table: ExportTable, fileobj: IO[bytes], *, bom: bool = False, booleans: str = "true_false"
) -> int:
    """Write the table as UTF-8 CSV (RFC 4180 quoting, CRLF) to a binary file object.

    ``bom`` adds a UTF-8 byte order mark: without it Excel on Windows reads the file as
    the local code page and mangles every accent. ``booleans``: ``TRUE``/``FALSE``
    (``true_false``) or ``1``/``0`` (``1_0``: Stata reads ``TRUE`` as text). The file
    object is left open.
    """
    if booleans not in BOOLEANS:
        raise ValueError(f"booleans must be one of {BOOLEANS}, not {booleans!r}.")
    as_number = booleans == "1_0"
    if bom:
        fileobj.write(codecs.BOM_UTF8)
    stream = io.TextIOWrapper(fileobj, encoding="utf-8", newline="")
    try:
        writer = csv.writer(stream, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([sanitise_text(name) for name in table.column_names])
        count = 0
        for row in _checked_rows(table):
            if as_number:
                row = [int(value) if type(value) is bool else value for value in row]
            writer.writerow([_csv_cell(value) for value in row])
            count += 1
        stream.flush()
    finally:
        stream.detach()  # hand the caller's file back open
    return count


def _csv_cell(value: Any) -> str | int:
    # Exact type checks first: text and integers are most cells, and this runs per cell.
    if type(value) is str:
        return sanitise_text(value)
    if type(value) is int:  # never a formula, whatever its sign
        return value
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date):
        return scalar_text(value)
    return sanitise_text(scalar_text(value))


# --- XLSX -------------------------------------------------------------------------------


def write_xlsx(table: ExportTable, path_or_file: str | os.PathLike[str] | IO[bytes]) -> int:
    """Write the table as an XLSX workbook: sheets ``data``, ``codebook``, ``metadata``,
    and ``reliability`` when the metadata has a coding round's figures.

    openpyxl's write-only mode streams each sheet to a temporary file, so memory stays
    flat however many rows there are. Headers are bold and frozen; column widths come
    from the header and the first rows.
    """
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("data")
    codebook = workbook.create_sheet("codebook")
    metadata = workbook.create_sheet("metadata")
    summary, figures = _reliability_split(table.metadata)
    reliability = workbook.create_sheet("reliability") if figures is not None else None
    try:
        count = _xlsx_data(data, table)
        _xlsx_sheet(codebook, list(CODEBOOK_FIELDS), _codebook_rows(table.codebook))
        _xlsx_sheet(metadata, ["key", "value"], [list(item) for item in _flatten(summary)])
        if reliability is not None:
            header = list(dict.fromkeys(name for row in figures for name in row)) or ["variable"]
            _xlsx_sheet(
                reliability, header, [[row.get(name) for name in header] for row in figures]
            )
        workbook.save(path_or_file)
    except BaseException:
        _discard_temporary_files(workbook)
        raise
    return count


def _reliability_split(
    metadata: dict[str, Any],
) -> tuple[dict[str, Any], list[Mapping[str, Any]] | None]:
    """(the metadata without the per-variable reliability figures, those figures): a
    list of dicts in one metadata cell would be unreadable, so they get a sheet."""
    if "reliability" not in metadata:
        return metadata, None
    reliability = metadata["reliability"]
    if reliability is None:  # a sentence rather than an empty cell a reader may drop
        return {**metadata, "reliability": NO_RELIABILITY}, None
    if not isinstance(reliability, Mapping) or not isinstance(reliability.get("variables"), list):
        return metadata, None
    figures = reliability["variables"]
    rest = {key: value for key, value in reliability.items() if key != "variables"}
    rest["variables"] = f"{len(figures)}: see the reliability sheet"
    return {**metadata, "reliability": rest}, figures


def _discard_temporary_files(workbook: Workbook) -> None:
    """Remove the sheets' temporary files after a failed write.

    openpyxl deletes them on save or at interpreter exit only, so a long-lived worker
    would keep one per sheet of every export that failed half way (a database error in
    the rows generator, say). This reaches into openpyxl 3.1's write-only internals.
    """
    for sheet in workbook.worksheets:
        if getattr(sheet, "_writer", None) is None:
            continue  # never started: no file
        with contextlib.suppress(Exception):
            sheet.close()  # ends the XML cleanly, so nothing complains when collected
        with contextlib.suppress(Exception):
            sheet._writer.cleanup()


def _xlsx_data(sheet: Any, table: ExportTable) -> int:
    rows = _checked_rows(table)
    sample = list(itertools.islice(rows, WIDTH_SAMPLE_ROWS))
    kinds = [column.kind for column in table.columns]
    _xlsx_header(sheet, table.column_names, sample)
    count = 0
    for row in itertools.chain(sample, rows):
        sheet.append(
            [_xlsx_cell(sheet, value, kind) for value, kind in zip(row, kinds, strict=True)]
        )
        count += 1
    return count


def _xlsx_sheet(sheet: Any, header: list[str], rows: list[list[Any]]) -> None:
    """A small sheet (codebook, metadata): every row is its own width sample."""
    _xlsx_header(sheet, header, rows)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value, VariableType.TEXT) for value in row])


def _xlsx_header(sheet: Any, header: list[str], sample: list[Sequence[Any]]) -> None:
    """Widths and frozen pane must be set before the first row in write-only mode."""
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header):
        values = [row[index] for row in sample]
        letter = get_column_letter(index + 1)
        sheet.column_dimensions[letter].width = _column_width(name, values)
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, truncate_for_excel(sanitise_text(name)))
        cell.font = _BOLD
        cell.data_type = "s"
        cells.append(cell)
    sheet.append(cells)


def _xlsx_cell(sheet: Any, value: Any, kind: str) -> Any:
    """The value openpyxl should write; a WriteOnlyCell where it would guess wrong."""
    if type(value) is str and kind not in DATE_KINDS:  # most cells: take the short way
        return _xlsx_text(sheet, value)
    if value is None or isinstance(value, bool | int):
        if type(value) is int and abs(value) > 2**53:  # beyond a double: keep every digit
            return str(value)
        return value
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return _date_cell(sheet, value)
    if isinstance(value, str) and _FULL_DATE_RE.fullmatch(value):
        try:
            return _date_cell(sheet, dt.date.fromisoformat(value))
        except ValueError:
            pass  # "2023-02-30" stays text rather than failing the export
    return _xlsx_text(sheet, scalar_text(value))


def _xlsx_text(sheet: Any, text: str) -> Any:
    text = truncate_for_excel(sanitise_text(text))
    if text in ERROR_CODES:  # openpyxl would store "#N/A" as an error, not as text
        cell = WriteOnlyCell(sheet, text)
        cell.data_type = "s"
        return cell
    return text


def _date_cell(sheet: Any, value: dt.date) -> Any:
    cell = WriteOnlyCell(sheet, value)
    cell.number_format = "yyyy-mm-dd"
    return cell


def _codebook_rows(codebook: list[dict[str, Any]]) -> list[list[Any]]:
    return [[variable.get(field) for field in CODEBOOK_FIELDS] for variable in codebook]


def _column_width(header: str, values: list[Any]) -> float:
    """Characters of the widest sampled line (wide East Asian glyphs count twice), capped."""
    width = _display_width(header) + 2  # room for the bold font and the filter arrow
    for value in values:
        if value is None:
            continue
        text = scalar_text(value)[: MAX_WIDTH * 4]
        longest = max(text.split("\n"), key=len) if text else ""
        width = max(width, _display_width(longest) + 1)
        if width >= MAX_WIDTH:
            return MAX_WIDTH
    return max(MIN_WIDTH, width)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


# --- JSON -------------------------------------------------------------------------------


def write_json(table: ExportTable, fileobj: IO[bytes]) -> int:
    """Write ``{"metadata", "codebook", "rows"}`` as UTF-8 JSON, one row per line.

    Rows are objects keyed by column name with native JSON types (lists as arrays,
    None as null). Text is written unchanged: JSON is data, not a spreadsheet, so there
    is no formula neutralising or control-character removal here.
    """
    names = table.column_names
    _write_utf8(fileobj, '{"metadata": ' + _dumps(table.metadata))
    _write_utf8(fileobj, ',\n"codebook": ' + _dumps(table.codebook) + ',\n"rows": [')
    count = 0
    for row in _checked_rows(table):
        separator = "\n" if count == 0 else ",\n"
        _write_utf8(fileobj, separator + _dumps(dict(zip(names, row, strict=True))))
        count += 1
    _write_utf8(fileobj, "\n]}\n")
    return count


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=_json_default)
    except ValueError:  # NaN or infinity somewhere: JSON has no such number
        return json.dumps(_finite(value), ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} cannot be written to JSON.")


def _finite(value: Any) -> Any:
    """Non-finite floats as None, through nested containers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _write_utf8(fileobj: IO[bytes], text: str) -> None:
    """Encode strictly; an unpaired surrogate (not encodable) becomes U+FFFD."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        data = _SURROGATE_RE.sub("\ufffd", text).encode("utf-8")
    fileobj.write(data)


# The wide layout lives in exports.layout; its names stay importable from here.
__all__ = [
    "COLUMN_KINDS",
    "EXCEL_MAX_CELL_CHARS",
    "Column",
    "ExportTable",
    "wide_columns",
    "wide_row",
    "write_csv",
    "write_json",
    "write_xlsx",
]
