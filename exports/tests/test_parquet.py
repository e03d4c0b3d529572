"""Parquet exports read back with pyarrow and compared with the database: types, every
cell, the codebook and metadata in the file, wide and long; row groups and table-row
fields whose type shows only late, on their own."""

from __future__ import annotations

import datetime as dt
import io
import json
import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from exports.layout import wide_columns, wide_row
from exports.parquet import CODEBOOK_KEY, METADATA_KEY, write_parquet
from exports.tests.test_statistics_formats import (
    DUMMIES,
    KEYS,
    LONG_KEY,
    LONG_TEXT,
    TYPES_BY_KEY,
    VARIABLES,
    _export,
    _human,
    as_text,
    by_document,
    make_dataset,
)
from exports.writers import ExportTable
from projects.models import Document


@pytest.fixture
def dataset(user):
    return make_dataset(user)


ARROW = {
    "category": pa.string(),
    "multi_category": pa.list_(pa.string()),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "text": pa.string(),
    "list": pa.list_(pa.string()),
}


def _read(user, version, **options) -> pa.Table:
    export, path = _export(user, version, "parquet", **options)
    table = pq.read_table(path)
    assert export.row_count == table.num_rows
    return table


def _typed(kind: str, value):
    """The Python value pyarrow gives back for a variable's value."""
    if value is None:
        return None
    if kind == "date":
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    return value


def test_wide_parquet_has_typed_columns_and_the_database_values(user, dataset):
    table = _read(user, dataset, include_audit=True)
    schema = table.schema
    for key in KEYS:
        kind = TYPES_BY_KEY[key]
        assert schema.field(key).type == ARROW[kind], key
        audit = pa.string() if kind == "date" else ARROW[kind]  # a date's trail is its text
        assert schema.field(f"{key}__model").type == audit
        assert schema.field(f"{key}__confidence").type == pa.float64()
        assert schema.field(f"{key}__review").type == pa.string()
    assert schema.field("signed__text").type == pa.string()
    for dummy in DUMMIES.values():
        assert schema.field(dummy).type == pa.int8()
    assert schema.field("document_id").type == pa.int64()
    assert schema.field("source_row").type == pa.int64()
    assert schema.field("Sample size (n)").type == pa.float64()
    assert schema.field("if").type == pa.string()
    assert schema.field("country").metadata[b"label"].decode().startswith("Le pays principal")
    assert schema.field(LONG_KEY).type == pa.int64()  # Parquet takes any name: not renamed

    cells = by_document(dataset)
    rows = table.to_pylist()
    assert {row["document_id"] for row in rows} == set(
        Document.objects.filter(project=dataset.project).values_list("id", flat=True)
    )
    for row in rows:
        held = cells.get(row["document_id"], {})
        assert row["document_status"] == ("ready" if held else "not_processed")
        for key in KEYS:
            extraction = held.get(key)
            value = extraction.final_value if extraction else None
            kind = TYPES_BY_KEY[key]
            assert row[key] == _typed(kind, value), (key, row[key])
            if kind == "date":
                assert row[f"{key}__text"] == value
            if kind == "multi_category":
                for option, dummy in DUMMIES.items():
                    assert row[dummy] == (None if value is None else int(option in value))
            if extraction is None:
                assert row[f"{key}__model"] is None
                continue
            model, human = extraction.value, _human(extraction)
            if kind != "date":
                model, human = _typed(kind, model), _typed(kind, human)
            assert (row[f"{key}__model"], row[f"{key}__human"]) == (model, human), key
            assert row[f"{key}__review"] == str(extraction.review_status)
            assert row[f"{key}__status"] == extraction.status
            assert row[f"{key}__confidence"] == pytest.approx(extraction.confidence)
            assert row[f"{key}__evidence"] == extraction.evidence
    by_name = {row["document_name"]: row for row in rows}
    assert by_name["doc-a"]["summary"] == LONG_TEXT
    assert by_name["doc-a"]["parties"] == 28  # the person's correction, not the model's 27
    assert by_name["doc-b"]["Sample size (n)"] == 80.5
    assert by_name["doc-a"]["if"] == "oui" and by_name["doc-c"]["if"] is None
    assert json.loads(by_name["doc-c"]["document_metadata"]) == {"title": "A PDF's title"}


def test_parquet_holds_the_codebook_and_the_metadata(user, dataset):
    table = _read(user, dataset)
    metadata = table.schema.metadata
    assert json.loads(metadata[CODEBOOK_KEY.encode()]) == VARIABLES
    about = json.loads(metadata[METADATA_KEY.encode()])
    assert about["schema_version"] == 1
    assert about["prompt_hash"] == "h" * 64
    assert about["layout"] == "wide"
    assert "Parquet" in about["missing_values"]


def test_long_parquet_matches_the_database(user, dataset):
    table = _read(user, dataset, layout="long")
    schema = table.schema
    assert schema.names == [
        "document_id", "document_name", "variable", "value", "model_value", "human_value",
        "review_status", "status", "confidence", "evidence", "evidence_start", "evidence_end",
    ]  # fmt: skip
    for name in ("value", "model_value", "human_value", "variable", "review_status"):
        assert schema.field(name).type == pa.string()
    assert schema.field("confidence").type == pa.float64()
    assert schema.field("evidence_start").type == pa.int64()
    cells = by_document(dataset)
    rows = table.to_pylist()
    assert len(rows) == 30
    for row in rows:
        extraction = cells[row["document_id"]][row["variable"]]
        assert row["value"] == as_text(extraction.final_value)
        assert row["model_value"] == as_text(extraction.value)
        assert row["human_value"] == as_text(_human(extraction))
        assert row["review_status"] == str(extraction.review_status)
        assert row["status"] == extraction.status
        assert row["confidence"] == pytest.approx(extraction.confidence)
        assert (row["evidence_start"], row["evidence_end"]) == (
            extraction.evidence_start,
            extraction.evidence_end,
        )
    assert json.loads(table.schema.metadata[METADATA_KEY.encode()])["layout"] == "long"


# --- on their own -----------------------------------------------------------------------


def _table(columns, codebook, rows) -> ExportTable:
    return ExportTable(
        metadata={"project": "P", "schema_version": 1},
        codebook=codebook,
        columns=columns,
        rows=rows,
    )


def test_rows_are_written_in_row_groups_and_late_types_are_kept(monkeypatch):
    """A table-row field that is an integer for thousands of rows and then text stays
    text, every value kept: its type is chosen once all are seen."""
    variables = [{"key": "n", "label": "N", "type": "integer"}]
    columns = wide_columns(variables, ["code", "weight"])
    count = 5_000
    monkeypatch.setattr("exports.parquet.CELLS_PER_GROUP", 1_000)  # 256 rows a group

    def rows():
        for i in range(count):
            code = i if i < count - 1 else "X-1"
            weight = 1.5 if i == 7 else i
            yield wide_row(columns, document_id=i, document_name=f"d{i}",
                           metadata={"code": code, "weight": weight},
                           values={"n": {"value": i * 2}})  # fmt: skip

    handle = io.BytesIO()
    assert write_parquet(_table(columns, variables, rows()), handle) == count
    handle.seek(0)
    parquet = pq.ParquetFile(handle)
    assert parquet.metadata.num_row_groups == math.ceil(count / 256)
    table = parquet.read()
    assert table.schema.field("code").type == pa.string()
    assert table.schema.field("weight").type == pa.float64()
    assert table.column("code").to_pylist()[:3] == ["0", "1", "2"]
    assert table.column("code").to_pylist()[-1] == "X-1"
    assert table.column("weight").to_pylist()[7:9] == [1.5, 8.0]
    assert table.column("n").to_pylist() == [i * 2 for i in range(count)]


def test_values_parquet_cannot_hold_are_null_and_text_is_kept():
    variables = [
        {"key": "note", "label": "Note", "type": "text"},
        {"key": "size", "label": "Size", "type": "integer"},
        {"key": "share", "label": "Share", "type": "number"},
        {"key": "when", "label": "When", "type": "date"},
    ]
    columns = wide_columns(variables, [])
    entry = {"note": "a\x00b\ud800c", "size": 2**70, "share": math.inf, "when": "2023-02-30"}
    row = wide_row(columns, document_id=1, document_name="d", metadata={},
                   values={key: {"value": value} for key, value in entry.items()})  # fmt: skip
    handle = io.BytesIO()
    assert write_parquet(_table(columns, variables, iter([row])), handle) == 1
    handle.seek(0)
    (got,) = pq.read_table(handle).to_pylist()
    assert got["note"] == "a\x00b\ufffdc"  # NUL is data here; a lone surrogate is not UTF-8
    assert got["size"] is None and got["share"] is None and got["when"] is None
    assert got["when__text"] == "2023-02-30"


def test_an_empty_table_is_a_valid_parquet_file():
    variables = [{"key": "tags", "label": "Tags", "type": "multi_category",
                  "allowed_values": ["a", "b"]}]  # fmt: skip
    columns = wide_columns(variables, ["row"])
    handle = io.BytesIO()
    assert write_parquet(_table(columns, variables, iter([])), handle) == 0
    handle.seek(0)
    table = pq.read_table(handle)
    assert table.num_rows == 0
    assert table.schema.names == [
        "document_id",
        "document_name",
        "row",
        "tags",
        "tags__a",
        "tags__b",
    ]
