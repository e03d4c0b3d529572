"""Parquet files (pyarrow): typed columns, the codebook and metadata in the footer.

The columns are those of :func:`exports.statistics.file_fields`: the table's, a date
variable's ``<key>__text`` and a multi-category's ``<key>__<value>`` dummies (the same
rules as the Stata and SPSS files, so one script reads all three alike), under their
own names (Parquet takes any name). Types:

==================  ========================================================
column              Arrow type
==================  ========================================================
integer, id,        int64 (a value beyond int64 is null)
offsets
number, confidence  float64 (a non-finite number is null)
boolean             bool
date                date32, full dates only; ``<key>__text``: the ISO text as
                    stored, partial dates (``YYYY``, ``YYYY-MM``) included
category            string
multi_category      list<string>; the dummies int8 0/1
list                list<string>
table-row fields    int64, float64 or bool when every value is one, else string
text and the rest   string (the long layout's values as CSV writes them)
==================  ========================================================

None is null everywhere (also in a dummy, when the variable has no value). Text is
written as it is, NUL included: Parquet is data, not a spreadsheet, so there is no
formula quoting; only unpaired surrogates, which UTF-8 cannot hold, become U+FFFD.
Each field carries its label (``label`` in the field's metadata); the file's key-value
metadata holds the codebook (``extractor.codebook``) and the export's metadata
(``extractor.metadata``) as JSON.

Rows are read once and written a row group at a time (about ``CELLS_PER_GROUP`` cells).
A table-row field's type is known only once every value is seen, so when the table has
such fields the row groups go first to an Arrow spool on disk, with those fields as
text, and are then copied to the Parquet file with their final types.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from exports.cells import scalar_text
from exports.statistics import (
    BOOLEAN,
    CATEGORY,
    DATE,
    DUMMY,
    INT64,
    INTEGER,
    ITEMS,
    METADATA,
    NUMBER,
    TEXT,
    FileField,
    MetadataKinds,
    dummy,
    file_fields,
    full_date,
    items_of,
    real_number,
    scratch_path,
    truth,
    utf8_safe,
    whole_number,
)
from exports.writers import ExportTable

CODEBOOK_KEY = "extractor.codebook"
METADATA_KEY = "extractor.metadata"
CELLS_PER_GROUP = 200_000
MIN_GROUP_ROWS = 256
ARROW_TYPES = {
    INTEGER: pa.int64(),
    NUMBER: pa.float64(),
    BOOLEAN: pa.bool_(),
    DATE: pa.date32(),
    CATEGORY: pa.string(),
    ITEMS: pa.list_(pa.string()),
    DUMMY: pa.int8(),
    TEXT: pa.string(),
    METADATA: pa.string(),  # until every value is seen (then one of the above)
}


def write_parquet(table: ExportTable, fileobj: IO[bytes]) -> int:
    """Write the table as Parquet to a binary file object (left open); the number of
    data rows."""
    fields = file_fields(table.columns, table.codebook)
    kinds = {item.name: MetadataKinds() for item in fields if item.role == METADATA}
    plan = [(item.index, _converter(item, kinds.get(item.name))) for item in fields]
    size = max(MIN_GROUP_ROWS, CELLS_PER_GROUP // max(len(fields), 1))
    first = _schema(table, fields, {})  # table-row fields as text for now
    batches = _batches(table, plan, first, size)
    if not kinds:
        return _write(fileobj, first, batches)
    with scratch_path(".arrows") as path:
        _spool(path, first, batches)
        schema = _schema(table, fields, {name: found.role for name, found in kinds.items()})
        with pa.memory_map(path) as source:
            reader = pa.ipc.open_file(source)
            count = reader.num_record_batches
            return _write(
                fileobj, schema, (_cast(reader.get_batch(i), schema) for i in range(count))
            )


def _spool(path: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> None:
    """The batches in an Arrow file on disk, to be read back (memory-mapped) once the
    table-row fields' types are known."""
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, schema) as spool:
        for batch in batches:
            spool.write_batch(batch)


def _write(fileobj: IO[bytes], schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
    count = 0
    with pq.ParquetWriter(fileobj, schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
            count += batch.num_rows
    return count


def _schema(table: ExportTable, fields: Sequence[FileField], roles: dict[str, str]) -> pa.Schema:
    """The file's schema; ``roles`` gives the table-row fields' final roles."""
    return pa.schema(
        [
            pa.field(
                item.name,
                ARROW_TYPES[roles.get(item.name, item.role)],
                metadata={"label": item.label},
            )
            for item in fields
        ],
        metadata={CODEBOOK_KEY: _json(table.codebook), METADATA_KEY: _json(table.metadata)},
    )


def _batches(
    table: ExportTable,
    plan: Sequence[tuple[int, Callable[[Any], Any]]],
    schema: pa.Schema,
    size: int,
) -> Iterator[pa.RecordBatch]:
    """The rows as record batches of ``size`` rows: only one batch of Python values is
    held at a time."""
    width = len(table.columns)
    columns: list[list[Any]] = [[] for _ in plan]
    held = 0
    for number, row in enumerate(table.rows, start=1):
        if len(row) != width:
            raise ValueError(f"Row {number} has {len(row)} values for {width} columns.")
        for column, (index, convert) in zip(columns, plan, strict=True):
            column.append(convert(row[index]))
        held += 1
        if held == size:
            yield _record_batch(columns, schema)
            columns, held = [[] for _ in plan], 0
    if held:
        yield _record_batch(columns, schema)


def _record_batch(columns: list[list[Any]], schema: pa.Schema) -> pa.RecordBatch:
    arrays = [
        pa.array(values, type=item.type) for values, item in zip(columns, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _cast(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """A spooled batch with the table-row fields cast from text to their final types
    (the text is what :func:`_metadata_text` wrote, so the cast is exact)."""
    arrays = [
        column if column.type == item.type else pc.cast(column, item.type)
        for column, item in zip(batch.columns, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _converter(item: FileField, kinds: MetadataKinds | None) -> Callable[[Any], Any]:
    """How a cell of ``item`` becomes the Python value pyarrow reads for its type."""
    role = item.role
    if role == INTEGER:
        return _int64
    if role == NUMBER:
        return real_number
    if role == BOOLEAN:
        return truth
    if role == DATE:
        return full_date
    if role == ITEMS:
        return items_of
    if role == DUMMY:
        option = item.option or ""
        return lambda value: dummy(value, option)
    if role == METADATA and kinds is not None:

        def spooled(value: Any) -> str | None:
            kinds.add(value)
            return _metadata_text(value)

        return spooled
    return _text  # text, category, the long layout's values


def _int64(value: Any) -> int | None:
    number = whole_number(value)
    if number is None or not INT64[0] <= number <= INT64[1]:
        return None
    return number


def _text(value: Any) -> str | None:
    return None if value is None else utf8_safe(scalar_text(value))


def _metadata_text(value: Any) -> str | None:
    """A table-row field's value as text that casts back exactly to its final type."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return utf8_safe(scalar_text(value))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)
