"""Every variable type in every direction a value travels, from one table.

model text -> typed value (validation), form fields -> typed value (a person's
correction), two spellings compared (agreement), the typed value in a CSV and an XLSX
cell, and the type's value labels. Adding a type without a row here fails the first
test; a direction that reads one type differently from another fails its row.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import load_workbook

from exports.agreement import variable_agreement
from exports.writers import ExportTable, wide_columns, wide_row, write_csv, write_xlsx
from schemas.types import TYPES, CoercionError, VariableType, read_value, value_type
from schemas.types.words import FALSE_WORDS, TRUE_WORDS

ALLOWED = ["Trade", "Energy", "Fisheries"]


@dataclass(frozen=True)
class Row:
    kind: str
    model: Any  # what a model might write
    typed: Any  # what validation stores
    form: list[str]  # the correction form's human_value fields for the same answer
    agree: tuple[Any, Any]  # two spellings a researcher would call the same
    disagree: tuple[Any, Any]
    csv: str  # the stored value's CSV cell
    xlsx: Any  # the stored value's XLSX cell
    labels: dict[int, str] | None
    refused: Any  # a model answer the type cannot read


ROWS = [
    Row("text", "  Lisbon ", "Lisbon", ["Lisbon"], ("Lisbon.", "lisbon"), ("Lisbon", "Rome"),
        "Lisbon", "Lisbon", None, {"a": 1}),
    Row("integer", "1,234", 1234, ["1234"], (12, "12.0"), (12, 13),
        "1234", 1234, None, "12.5"),
    Row("number", "12,5 %", 12.5, ["12.5"], ("12.50", 12.5), (12.5, 12.6),
        "12.5", 12.5, None, "about 12"),
    Row("boolean", "Yes", True, ["true"], ("t", True), (True, "no"),
        "TRUE", True, {0: "no", 1: "yes"}, "maybe"),
    Row("date", "13 December 2007", "2007-12-13", ["2007-12-13"], ("2007-12-13", "2007-12-13"),
        ("2007-12", "2007-12-13"), "2007-12-13", dt.datetime(2007, 12, 13), None, "03/05/2020"),
    Row("category", "energy.", "Energy", ["Energy"], ("Energy", " energy "), ("Energy", "Trade"),
        "Energy", "Energy", {1: "Trade", 2: "Energy", 3: "Fisheries"}, "Mining"),
    Row("multi_category", "fisheries; trade", ["Trade", "Fisheries"], ["Trade", "Fisheries"],
        (["Trade", "Energy"], ["energy", "trade"]), (["Trade"], ["Trade", "Energy"]),
        "Trade; Fisheries", "Trade; Fisheries", {1: "Trade", 2: "Energy", 3: "Fisheries"},
        ["Mining"]),
    Row("list", ["Lisbon", "Rome", "Lisbon"], ["Lisbon", "Rome"], ["Lisbon\nRome\n"],
        (["Rome", "Lisbon"], ["lisbon", "rome"]), (["Rome"], ["Rome", "Paris"]),
        "Lisbon; Rome", "Lisbon; Rome", None, [["nested"]]),
]  # fmt: skip


def variable(kind: str) -> dict:
    allowed = ALLOWED if value_type(kind).is_category else []
    return {"key": "v", "label": "V", "type": kind, "allowed_values": allowed, "required": False}


def test_the_table_has_one_row_per_type_and_the_registry_every_type():
    assert [row.kind for row in ROWS] == list(VariableType.values)
    assert set(TYPES) == set(VariableType.values)
    for name, kind in TYPES.items():
        assert kind.name == name
        assert kind.help_text and kind.prompt_format
        assert kind.widget in {"select", "checkboxes", "yes_no", "whole_number", "decimal",
                               "iso_date", "lines", "free_text"}  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.kind)
def test_model_text_is_read_as_the_type(row):
    assert read_value(variable(row.kind), row.model)[0] == row.typed
    with pytest.raises(CoercionError):
        read_value(variable(row.kind), row.refused)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.kind)
def test_form_input_gives_the_same_value_as_the_model_text(row):
    var = variable(row.kind)
    raw = value_type(row.kind).from_form(var, row.form)
    assert read_value(var, raw)[0] == row.typed


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.kind)
def test_an_empty_form_is_no_value(row):
    var = variable(row.kind)
    assert read_value(var, value_type(row.kind).from_form(var, [""]))[0] is None


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.kind)
def test_compare_agrees_on_spellings_and_not_on_other_values(row):
    result = variable_agreement(var_type=row.kind, pairs=[row.agree, row.disagree])
    assert (result.n_verified, result.n_agree) == (2, 1)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.kind)
def test_export_cells(row, tmp_path):
    var = variable(row.kind)
    columns = wide_columns([var], [])

    def table() -> ExportTable:
        values = {"v": {"value": row.typed}}
        cells = wide_row(columns, document_id=1, document_name="d", metadata={}, values=values)
        return ExportTable(metadata={}, codebook=[var], columns=columns, rows=[cells])

    csv_file = io.BytesIO()
    write_csv(table(), csv_file)
    assert csv_file.getvalue().decode().splitlines()[1] == f"1,d,{row.csv}"
    write_xlsx(table(), tmp_path / "x.xlsx")
    sheet = load_workbook(tmp_path / "x.xlsx")["data"]
    assert sheet.cell(row=2, column=3).value == row.xlsx


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.kind)
def test_value_labels(row):
    assert value_type(row.kind).value_labels(variable(row.kind)) == row.labels


def test_one_yes_no_vocabulary_reads_every_word_in_both_directions():
    boolean = value_type(VariableType.BOOLEAN)
    for word in TRUE_WORDS | FALSE_WORDS:
        expected = word in TRUE_WORDS
        assert read_value(variable("boolean"), word.upper())[0] is expected
        assert boolean.comparable(word.upper()) is expected


def test_an_unknown_type_is_refused_everywhere():
    with pytest.raises(CoercionError, match="unknown variable type"):
        read_value({"key": "v", "type": "colour"}, "red")
    with pytest.raises(ValueError, match="unknown variable type"):
        value_type("colour")
