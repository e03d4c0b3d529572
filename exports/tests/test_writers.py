"""Each writer's output read back with an independent reader, cell by cell."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import tracemalloc
from decimal import Decimal
from typing import Any, NamedTuple

import pytest
from openpyxl import load_workbook

from exports.cells import (
    EXCEL_MAX_CELL_CHARS,
    split_list,
)
from exports.writers import (
    MAX_WIDTH,
    MIN_WIDTH,
    WIDTH_SAMPLE_ROWS,
    Column,
    ExportTable,
    wide_columns,
    wide_row,
    write_csv,
    write_json,
    write_xlsx,
)

LONG_TEXT = "Long text. " * 4000  # 44,000 characters: over Excel's cell limit


class Case(NamedTuple):
    """One value, and what each format must give back for it."""

    name: str
    kind: str
    value: Any
    csv: str
    xlsx: Any
    json: Any


def same(name: str, kind: str, value: Any) -> Case:
    """A value every format gives back unchanged."""
    return Case(name, kind, value, value, value, value)


ITEMS = ["alpha", "be;ta", "back\\slash"]
ITEMS_CELL = "alpha; be\\;ta; back\\\\slash"
MAPPING_TEXT = '{"a": 1, "b": "é"}'

CASES = [
    same("accents", "text", "Müller, Zoë — café"),
    same("cjk", "text", "北京市 東京都"),
    same("emoji", "text", "👩‍🔬 done 🎉"),
    same("rtl", "text", "مرحبا שלום"),
    same("newlines", "text", "one\ntwo\r\nthree"),
    same("quotes", "text", 'He said "yes", then left'),
    same("semicolons", "text", "a; b; c"),
    same("leading_space", "text", "  padded  "),
    same("iso_in_text", "text", "2024-01-05"),
    same("error_code", "text", "#N/A"),
    Case("formula_eq", "text", "=SUM(A1)", "'=SUM(A1)", "'=SUM(A1)", "=SUM(A1)"),
    Case("formula_plus", "text", "+1", "'+1", "'+1", "+1"),
    Case("formula_minus", "text", "-x", "'-x", "'-x", "-x"),
    Case("formula_at", "text", "@cmd", "'@cmd", "'@cmd", "@cmd"),
    Case("formula_tab", "text", "\tx", "'\tx", "'\tx", "\tx"),
    Case("formula_cr", "text", "\rx", "'\rx", "'\rx", "\rx"),
    Case("minus_five_text", "text", "-5", "'-5", "'-5", "-5"),
    Case("minus_five_int", "integer", -5, "-5", -5, -5),
    Case("controls", "text", "a\x00b\x07c\x1fd\x0be", "abcde", "abcde", "a\x00b\x07c\x1fd\x0be"),
    Case("nul_then_formula", "text", "\x00=cmd()", "'=cmd()", "'=cmd()", "\x00=cmd()"),
    Case("none", "text", None, "", None, None),
    Case("empty", "text", "", "", None, ""),
    Case("list", "list", ITEMS, ITEMS_CELL, ITEMS_CELL, ITEMS),
    Case("empty_list", "list", [], "", None, []),
    Case("multi", "multi_category", ["for", "no"], "for; no", "for; no", ["for", "no"]),
    Case("list_formula", "list", ["=x", "y"], "'=x; y", "'=x; y", ["=x", "y"]),
    Case("true", "boolean", True, "TRUE", True, True),
    Case("false", "boolean", False, "FALSE", False, False),
    Case("int", "integer", 42, "42", 42, 42),
    Case("big_int", "integer", 2**60, str(2**60), str(2**60), 2**60),
    Case("float", "number", 3.25, "3.25", 3.25, 3.25),
    Case("tiny_float", "number", 1e-7, "1e-07", 1e-7, 1e-7),
    Case("nan", "number", float("nan"), "", None, None),
    Case("date", "date", "2024-02-29", "2024-02-29", dt.datetime(2024, 2, 29), "2024-02-29"),
    Case(
        "date_obj", "date", dt.date(2021, 7, 1), "2021-07-01", dt.datetime(2021, 7, 1), "2021-07-01"
    ),
    same("year", "date", "2024"),
    same("year_month", "date", "2024-03"),
    same("bad_date", "date", "2023-02-30"),
    Case("decimal", "metadata", Decimal("1.50"), "1.50", 1.5, 1.5),
    Case("mapping", "metadata", {"a": 1, "b": "é"}, MAPPING_TEXT, MAPPING_TEXT, {"a": 1, "b": "é"}),
    Case("long", "text", LONG_TEXT, LONG_TEXT, "(see test_xlsx_truncates_long_text)", LONG_TEXT),
]

METADATA = {
    "project": "Trade agreements",
    "schema_version": 3,
    "prompt_hash": "ab12",
    "model": "gpt-4o-mini",
    "job_ids": [7, 9],
    "token_usage": {"input": 1200, "output": 300},
    "cost_usd": Decimal("0.004200"),
    "exported_at": dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    "simulated": True,
}
CODEBOOK = [
    {
        "key": "country",
        "label": "Country",
        "type": "category",
        "instructions": "Where the treaty was signed.",
        "allowed_values": ["France", "Germany"],
        "required": True,
    },
    {
        "key": "year",
        "label": "Year",
        "type": "date",
        "instructions": "=Year of signature",
        "allowed_values": [],
        "required": False,
    },
]


def case_table(rows: Any = None) -> ExportTable:
    columns = [Column("document_id", "id")] + [Column(case.name, case.kind) for case in CASES]
    if rows is None:
        rows = iter([[1] + [case.value for case in CASES], [2] + [None] * len(CASES)])
    return ExportTable(metadata=METADATA, codebook=CODEBOOK, columns=columns, rows=rows)


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --- CSV ---------------------------------------------------------------------------------


def test_csv_round_trips_every_case():
    out = io.BytesIO()
    assert write_csv(case_table(), out) == 2
    header, first, second = csv_rows(out.getvalue())
    assert header == ["document_id"] + [case.name for case in CASES]
    assert first[0] == "1"
    for case, cell in zip(CASES, first[1:], strict=True):
        assert cell == case.csv, case.name
    assert second == ["2"] + [""] * len(CASES)


def test_csv_list_cells_split_back_into_their_items():
    out = io.BytesIO()
    write_csv(case_table(), out)
    header, first, _ = csv_rows(out.getvalue())
    cell = first[header.index("list")]
    assert split_list(cell) == ["alpha", "be;ta", "back\\slash"]


@pytest.mark.parametrize("bom", [True, False])
def test_csv_bom_only_when_asked(bom):
    out = io.BytesIO()
    write_csv(case_table(), out, bom=bom)
    assert out.getvalue().startswith(codecs.BOM_UTF8) is bom
    assert out.getvalue().count(codecs.BOM_UTF8) == int(bom)


def test_csv_uses_crlf_and_minimal_quoting():
    columns = [Column("a", "text"), Column("b", "integer")]
    out = io.BytesIO()
    write_csv(ExportTable({}, [], columns, iter([["plain", 1], ["x,y", 2]])), out)
    assert out.getvalue() == b'a,b\r\nplain,1\r\n"x,y",2\r\n'


def test_csv_leaves_the_file_open():
    out = io.BytesIO()
    write_csv(case_table(), out)
    assert not out.closed
    out.write(b"")


# --- XLSX --------------------------------------------------------------------------------


@pytest.fixture
def workbook():
    out = io.BytesIO()
    assert write_xlsx(case_table(), out) == 2
    return load_workbook(io.BytesIO(out.getvalue()))


def test_xlsx_has_the_three_sheets_in_order(workbook):
    assert workbook.sheetnames == ["data", "codebook", "metadata"]


def test_xlsx_round_trips_every_case(workbook):
    sheet = workbook["data"]
    header = [cell.value for cell in sheet[1]]
    assert header == ["document_id"] + [case.name for case in CASES]
    first = dict(zip(header, sheet[2], strict=True))
    assert first["document_id"].value == 1
    for case in CASES:
        if case.name != "long":
            assert first[case.name].value == case.xlsx, case.name
    assert all(cell.value is None for cell in sheet[3][1:])


def test_xlsx_types_cells(workbook):
    sheet = workbook["data"]
    header = [cell.value for cell in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=True))
    assert cells["date"].is_date
    assert cells["date"].number_format == "yyyy-mm-dd"
    assert cells["date_obj"].is_date
    for partial in ("year", "year_month", "bad_date", "iso_in_text"):
        assert cells[partial].data_type == "s", partial
    assert cells["true"].data_type == "b"
    assert cells["int"].data_type == "n"
    assert cells["float"].data_type == "n"
    assert cells["minus_five_int"].data_type == "n"
    assert cells["error_code"].data_type == "s"
    assert cells["formula_eq"].data_type == "s"


def test_xlsx_truncates_long_text(workbook):
    sheet = workbook["data"]
    header = [cell.value for cell in sheet[1]]
    value = sheet.cell(row=2, column=header.index("long") + 1).value
    assert len(value) == EXCEL_MAX_CELL_CHARS
    assert value.startswith(LONG_TEXT[:1000])
    assert value.endswith("[truncated: 44,000 characters in full, see the CSV or JSON export]")


def test_xlsx_header_is_bold_and_frozen_with_capped_widths(workbook):
    for name in workbook.sheetnames:
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2", name
        assert all(cell.font.b for cell in sheet[1]), name
    data = workbook["data"]
    widths = [data.column_dimensions[letter].width for letter in ("A", "B", "C")]
    assert all(MIN_WIDTH <= width <= MAX_WIDTH for width in widths)
    header = [cell.value for cell in data[1]]
    long_letter = data.cell(row=1, column=header.index("long") + 1).column_letter
    assert data.column_dimensions[long_letter].width == MAX_WIDTH


def test_xlsx_codebook_sheet(workbook):
    rows = [[cell.value for cell in row] for row in workbook["codebook"].iter_rows()]
    assert rows == [
        ["key", "label", "type", "instructions", "allowed_values", "required"],
        ["country", "Country", "category", "Where the treaty was signed.", "France; Germany", True],
        ["year", "Year", "date", "'=Year of signature", None, False],
    ]


def test_xlsx_metadata_sheet(workbook):
    rows = [[cell.value for cell in row] for row in workbook["metadata"].iter_rows()]
    assert rows == [
        ["key", "value"],
        ["project", "Trade agreements"],
        ["schema_version", 3],
        ["prompt_hash", "ab12"],
        ["model", "gpt-4o-mini"],
        ["job_ids", "7; 9"],
        ["token_usage.input", 1200],
        ["token_usage.output", 300],
        ["cost_usd", 0.0042],
        ["exported_at", "2025-01-02T03:04:05+00:00"],
        ["simulated", True],
    ]


def test_xlsx_writes_to_a_path(tmp_path):
    path = tmp_path / "export.xlsx"
    assert write_xlsx(case_table(), path) == 2
    assert load_workbook(path)["data"].max_row == 3


def test_xlsx_with_no_rows_still_has_a_header():
    columns = [Column("document_id", "id"), Column("x", "text")]
    out = io.BytesIO()
    assert write_xlsx(ExportTable({}, [], columns, iter([])), out) == 0
    sheet = load_workbook(io.BytesIO(out.getvalue()))["data"]
    assert [cell.value for cell in sheet[1]] == ["document_id", "x"]
    assert sheet.max_row == 1


def test_xlsx_failing_half_way_leaves_no_temporary_files(tmp_path):
    from openpyxl.worksheet._writer import ALL_TEMP_FILES

    def rows():
        for number in range(WIDTH_SAMPLE_ROWS + 10):
            yield [number, "x"]
        raise RuntimeError("database went away")

    before = list(ALL_TEMP_FILES)
    columns = [Column("document_id", "id"), Column("x", "text")]
    with pytest.raises(RuntimeError, match="database went away"):
        write_xlsx(ExportTable({}, [], columns, rows()), tmp_path / "export.xlsx")
    assert before == ALL_TEMP_FILES


# --- JSON --------------------------------------------------------------------------------


def test_json_envelope_and_rows():
    out = io.BytesIO()
    assert write_json(case_table(), out) == 2
    document = json.loads(out.getvalue().decode("utf-8"))
    assert list(document) == ["metadata", "codebook", "rows"]
    assert document["metadata"] == {
        **METADATA,
        "cost_usd": 0.0042,
        "exported_at": "2025-01-02T03:04:05+00:00",
    }
    assert document["codebook"] == CODEBOOK
    first, second = document["rows"]
    assert first["document_id"] == 1
    for case in CASES:
        assert first[case.name] == case.json, case.name
    assert second == {"document_id": 2, **{case.name: None for case in CASES}}


def test_json_is_utf8_not_ascii_escaped():
    out = io.BytesIO()
    write_json(case_table(), out)
    assert "北京市".encode() in out.getvalue()
    assert b"\\u" in out.getvalue()  # only the control characters are escaped


def test_json_replaces_an_unpaired_surrogate_to_stay_valid_utf8():
    out = io.BytesIO()
    write_json(ExportTable({}, [], [Column("x", "text")], iter([["a\ud800b"]])), out)
    assert json.loads(out.getvalue().decode("utf-8"))["rows"] == [{"x": "a\ufffdb"}]


def test_json_with_no_rows():
    out = io.BytesIO()
    assert write_json(ExportTable({"a": 1}, [], [Column("x", "text")], iter([])), out) == 0
    assert json.loads(out.getvalue()) == {"metadata": {"a": 1}, "codebook": [], "rows": []}


# --- streaming ---------------------------------------------------------------------------


class OnceIterable:
    """Rows that can be iterated once only, as from a database cursor."""

    def __init__(self, rows):
        self._rows = rows
        self.iterations = 0

    def __iter__(self):
        self.iterations += 1
        if self.iterations > 1:
            raise AssertionError("rows iterated twice")
        return iter(self._rows)


WRITERS = [
    pytest.param(lambda table, out: write_csv(table, out), id="csv"),
    pytest.param(lambda table, out: write_xlsx(table, out), id="xlsx"),
    pytest.param(lambda table, out: write_json(table, out), id="json"),
]


@pytest.mark.parametrize("write", WRITERS)
def test_rows_are_iterated_once(write):
    rows = OnceIterable([[1] + [case.value for case in CASES]])
    assert write(case_table(rows), io.BytesIO()) == 1
    assert rows.iterations == 1


@pytest.mark.parametrize("write", WRITERS)
def test_memory_stays_bounded_however_many_rows(write, tmp_path):
    """20 MB of rows through each writer, with the Python heap peak far below that."""
    row_count, cell_chars = 2_000, 10_000

    def rows():
        for number in range(row_count):
            yield [number, "é" + "x" * cell_chars, number * 0.5]

    columns = [Column("document_id", "id"), Column("text", "text"), Column("n", "number")]
    table = ExportTable({}, [], columns, rows())
    with (tmp_path / "out").open("wb") as out:
        tracemalloc.start()
        try:
            written = write(table, out)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert written == row_count
    assert peak < 3_000_000, f"peak {peak:,} bytes"


@pytest.mark.parametrize("write", WRITERS)
def test_a_short_row_is_an_error_not_a_shifted_row(write):
    table = ExportTable({}, [], [Column("a", "text"), Column("b", "text")], iter([["x"]]))
    with pytest.raises(ValueError, match="Row 1 has 1 values for 2 columns"):
        write(table, io.BytesIO())


# --- the table and the wide layout ---------------------------------------------------------


def test_table_rejects_duplicate_column_names():
    with pytest.raises(ValueError, match="Duplicate column names: a"):
        ExportTable({}, [], [Column("a", "text"), Column("a", "integer")], iter([]))


def test_column_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="Unknown column kind"):
        Column("a", "blob")


VARIABLES = [{"key": "country", "type": "category"}, {"key": "year", "type": "date"}]


def test_wide_columns_order():
    columns = wide_columns(VARIABLES, ["source", "page"])
    assert [(column.name, column.kind) for column in columns] == [
        ("document_id", "id"),
        ("document_name", "text"),
        ("source", "metadata"),
        ("page", "metadata"),
        ("country", "category"),
        ("year", "date"),
    ]


def test_wide_columns_with_evidence_follow_each_variable():
    names = [column.name for column in wide_columns(VARIABLES, [], include_evidence=True)]
    assert names == [
        "document_id",
        "document_name",
        "country",
        "country__evidence",
        "country__status",
        "year",
        "year__evidence",
        "year__status",
    ]


@pytest.mark.parametrize("include_evidence", [True, False])
def test_wide_columns_prefix_only_colliding_metadata(include_evidence):
    metadata_keys = ["source", "country", "document_name", "year__status", "meta_country"]
    columns = wide_columns(VARIABLES, metadata_keys, include_evidence=include_evidence)
    metadata = [(column.name, column.source) for column in columns if column.kind == "metadata"]
    assert metadata == [
        ("source", "source"),
        ("meta_country", "country"),
        ("meta_document_name", "document_name"),
        ("meta_year__status", "year__status"),
        ("meta_meta_country", "meta_country"),
    ]


def test_wide_columns_reject_a_variable_named_like_a_fixed_column():
    with pytest.raises(ValueError, match="document_name"):
        wide_columns([{"key": "document_name", "type": "text"}], [])


def test_wide_row_takes_each_value_from_its_source():
    columns = wide_columns(VARIABLES, ["country", "page"], include_evidence=True)
    row = wide_row(
        columns,
        document_id=7,
        document_name="treaty.pdf",
        metadata={"country": "FR"},
        values={"country": {"value": "France", "evidence": "signed in Paris", "status": "ok"}},
    )
    assert dict(zip([column.name for column in columns], row, strict=True)) == {
        "document_id": 7,
        "document_name": "treaty.pdf",
        "meta_country": "FR",
        "page": None,
        "country": "France",
        "country__evidence": "signed in Paris",
        "country__status": "ok",
        "year": None,
        "year__evidence": None,
        "year__status": None,
    }


def test_header_names_from_uploaded_files_are_sanitised_too():
    columns = wide_columns([], ["=HYPERLINK(1)"])
    out = io.BytesIO()
    write_csv(ExportTable({}, [], columns, iter([])), out)
    assert csv_rows(out.getvalue())[0][-1] == "'=HYPERLINK(1)"
