"""The wide layout's columns and rows, without the database."""

from __future__ import annotations

import pytest

from exports.layout import Column, wide_columns, wide_row

VARIABLES = [{"key": "country", "type": "category"}, {"key": "signed", "type": "date"}]
AUDIT = ["__model", "__human", "__review", "__status", "__confidence", "__evidence"]


def _names(columns: list[Column]) -> list[str]:
    return [column.name for column in columns]


def test_audit_columns_follow_each_variable_and_keep_its_type():
    columns = wide_columns(VARIABLES, [], include_audit=True)
    assert _names(columns)[2:] == [
        *("country", *(f"country{suffix}" for suffix in AUDIT)),
        *("signed", *(f"signed{suffix}" for suffix in AUDIT)),
    ]
    kinds = {column.name: column.kind for column in columns}
    # A model's or a person's date is a date cell like the final value.
    assert kinds["signed__model"] == kinds["signed__human"] == "date"
    assert kinds["signed__confidence"] == "confidence"


def test_audit_includes_what_evidence_asks_for():
    both = wide_columns(VARIABLES, [], include_audit=True, include_evidence=True)
    assert _names(both) == _names(wide_columns(VARIABLES, [], include_audit=True))


def test_document_columns_surround_the_table_metadata():
    columns = wide_columns(VARIABLES, ["party"], document_columns=True)
    assert _names(columns) == [
        "document_id", "document_name", "document_status", "document_error", "party",
        "document_metadata", "country", "signed",
    ]  # fmt: skip


def test_a_document_column_yields_its_name_to_a_variable():
    variables = [{"key": "document_status", "type": "text"}]
    names = _names(wide_columns(variables, ["document_error"], document_columns=True))
    assert names == [
        "document_id", "document_name", "meta_document_status", "document_error",
        "meta_document_error", "document_metadata", "document_status",
    ]  # fmt: skip


@pytest.mark.parametrize("include_audit", [True, False])
def test_audit_names_are_reserved_whatever_the_options(include_audit):
    columns = wide_columns(VARIABLES, ["country__model"], include_audit=include_audit)
    assert "meta_country__model" in _names(columns)


def test_a_row_takes_each_audit_field_and_the_document_fields():
    columns = wide_columns(VARIABLES[:1], ["party"], include_audit=True, document_columns=True)
    entry = {
        "value": "Spain", "model": "France", "human": "Spain", "review": "corrected",
        "status": "evidence_mismatch", "confidence": 0.4, "evidence": "in Madrid",
    }  # fmt: skip
    row = wide_row(
        columns,
        document_id=3,
        document_name="a.pdf",
        metadata={"party": "Greens"},
        values={"country": entry},
        document={"document_status": "ready", "document_metadata": {"title": "T"}},
    )
    assert dict(zip(_names(columns), row, strict=True)) == {
        "document_id": 3, "document_name": "a.pdf", "document_status": "ready",
        "document_error": None, "party": "Greens", "document_metadata": {"title": "T"},
        "country": "Spain", "country__model": "France", "country__human": "Spain",
        "country__review": "corrected", "country__status": "evidence_mismatch",
        "country__confidence": 0.4, "country__evidence": "in Madrid",
    }  # fmt: skip


def test_a_document_without_values_has_empty_cells():
    columns = wide_columns(VARIABLES, [], include_audit=True, document_columns=True)
    row = wide_row(
        columns,
        document_id=4,
        document_name="scan.pdf",
        metadata={},
        values={},
        document={"document_status": "failed", "document_error": "No text layer."},
    )
    assert row[:4] == [4, "scan.pdf", "failed", "No text layer."]
    assert row[4:] == [None] * (len(columns) - 4)
