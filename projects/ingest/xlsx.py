"""Excel (XLSX) workbooks as tables, read with openpyxl in streaming (read-only) mode.

The first sheet that has any data is read; its first non-blank row is the header.
Cell values are kept as read (numbers stay numbers) but made JSON-safe for metadata:
dates and times become ISO 8601 strings. Formulas give their last computed value.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import warnings

import openpyxl

from projects.ingest import errors
from projects.ingest.errors import IngestError
from projects.ingest.tables import Table, collect_rows, is_blank
from projects.models import Document

logger = logging.getLogger(__name__)


def read_xlsx(filename: str, data: bytes, *, header_only: bool = False) -> Table:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; nothing for us.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return _read_first_sheet(filename, workbook, header_only=header_only)
            finally:
                workbook.close()
    except IngestError:
        raise
    except Exception as exc:  # openpyxl, zipfile and the XML parser raise many kinds
        logger.info("XLSX %s unreadable: %r", filename, exc)
        raise errors.corrupt_file(
            filename, "an Excel (XLSX) workbook", source_type=Document.SourceType.XLSX
        ) from exc


def _read_first_sheet(filename: str, workbook, *, header_only: bool) -> Table:
    sheets = workbook.worksheets
    for sheet in sheets:
        # Writers often record a wrong used range; read-only mode trusts it unless reset.
        sheet.reset_dimensions()
        rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        header = next(((number, values) for number, values in rows if not is_blank(values)), None)
        if header is None:
            continue
        table = Table.from_header(filename, Document.SourceType.XLSX, header[1])
        if len(sheets) > 1:
            table.notes.append(
                f"Only the sheet “{sheet.title}” was read; the workbook has {len(sheets)} "
                "sheets. Save the others as their own files to import them."
            )
        if header_only:
            return table
        converted = ((number, [json_value(value) for value in values]) for number, values in rows)
        return collect_rows(table, converted)
    raise errors.empty_file(filename)


def json_value(value):
    """A cell value that JSONField stores and gives back unchanged."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        # NaN and infinity are not JSON (PostgreSQL's jsonb refuses them).
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)
