"""Tables in: CSV and XLSX uploads, one document per row, columns as metadata."""

from __future__ import annotations

import datetime as dt

import pytest

from projects.ingest import IngestError, iter_upload, table_columns
from projects.tests.ingest_files import (
    error_code,
    make_xlsx,
    make_zip,
    only,
)

# --- CSV and XLSX -----------------------------------------------------------------------


def test_csv_semicolon_rows_with_named_text_column():
    data = (
        b"id;title;abstract;score\n"
        b"7;First;A first long abstract, with a comma;1,5\n"
        b"8;Second;;2,0\n"
        b'9;Third;"A quoted; abstract\nover two lines";3,5\n'
    )
    outcome = only(iter_upload("data.csv", data))
    assert outcome.error is None
    documents = outcome.documents
    assert [d.text for d in documents] == [
        "A first long abstract, with a comma",
        "A quoted; abstract\nover two lines",
    ]
    assert [d.name for d in documents] == ["First", "Third"]
    assert documents[0].metadata == {
        "id": "7",
        "title": "First",
        "score": "1,5",
        "source_file": "data.csv",
        "source_row": 2,
        "text_column": "abstract",
    }
    assert documents[1].metadata["source_row"] == 4
    assert all(d.source_type == "csv" and d.content is None for d in documents)
    assert any("1 row(s)" in note for note in outcome.notes)
    assert any("“abstract”" in note for note in outcome.notes)
    assert outcome.content == data  # the table file is kept once, for all rows


def test_csv_row_sha256_is_of_the_text():
    import hashlib

    outcome = only(iter_upload("d.csv", b"text\nhello\n"))
    assert outcome.documents[0].sha256 == hashlib.sha256(b"hello").hexdigest()


def test_csv_tab_delimited_and_explicit_column():
    data = b"name\tcomment\tnote\nAnn\tGood service\tx\nBob\tSlow\ty\n"
    outcome = only(iter_upload("survey.tsv", data, text_column="Comment"))  # any case
    assert [d.text for d in outcome.documents] == ["Good service", "Slow"]
    assert [d.name for d in outcome.documents] == ["Ann", "Bob"]
    assert outcome.documents[0].metadata["note"] == "x"


def test_csv_id_column_names_rows_and_fallback_row_numbers():
    outcome = only(iter_upload("d.csv", b"doc_id,text\nA-1,hello\n,world\n"))
    assert [d.name for d in outcome.documents] == ["d.csv doc_id A-1", "d.csv row 3"]


def test_csv_longest_column_is_the_default_when_clear():
    data = b"code,comment\n1,This is a long free-text comment\n2,Another long comment here\n"
    outcome = only(iter_upload("d.csv", data))
    assert outcome.documents[0].text == "This is a long free-text comment"
    assert any("longest" in note for note in outcome.notes)


def test_csv_ambiguous_columns_ask_for_a_choice():
    data = b"question,answer\nWhat is it for?,It is for trade\nWho signs?,The ministers\n"
    outcome = only(iter_upload("qa.csv", data))
    assert outcome.error.code == "missing_text_column"
    assert "“question”, “answer”" in outcome.error.message


def test_csv_missing_chosen_column_lists_the_columns():
    outcome = only(iter_upload("d.csv", b"a,b\n1,2\n", text_column="text"))
    assert outcome.error.code == "missing_text_column"
    assert "“text”" in outcome.error.message and "“a”, “b”" in outcome.error.message
    assert outcome.error.details["columns"] == ["a", "b"]


def test_csv_single_column_with_commas_in_text():
    outcome = only(iter_upload("d.csv", b"text\nhello, world\nsecond one\n"))
    assert [d.text for d in outcome.documents] == ["hello, world", "second one"]


def test_csv_in_windows_1252():
    data = "id,text\n1,\u201cCaf\u00e9\u201d costs 5 \u20ac\n".encode("cp1252")
    assert only(iter_upload("d.csv", data)).documents[0].text == "\u201cCafé\u201d costs 5 \u20ac"


def test_csv_too_many_rows(settings):
    settings.INGEST_MAX_ROWS = 5
    data = "text\n" + "".join(f"row {n}\n" for n in range(7))
    outcome = only(iter_upload("big.csv", data.encode()))
    assert outcome.error.code == "too_many_rows"
    assert "7 rows" in outcome.error.message and "5" in outcome.error.message


def test_csv_field_over_text_limit(settings):
    settings.INGEST_MAX_TEXT_CHARS = 1000
    outcome = only(iter_upload("d.csv", b"id,text\n1,short\n2," + b"x" * 1500 + b"\n"))
    assert outcome.error.code == "text_too_long"


def test_csv_with_only_a_header_is_empty():
    assert error_code("d.csv", b"id,text\n") == "empty_file"


def test_table_columns():
    assert table_columns("d.csv", b"id;Title;;title\n1;a;b;c\n") == [
        "id",
        "Title",
        "column_3",
        "title",
    ]
    assert table_columns("d.xlsx", make_xlsx({"S": [[None, "id", "text"], [None, 1, "x"]]})) == [
        "column_1",
        "id",
        "text",
    ]
    with pytest.raises(IngestError) as caught:
        table_columns("a.txt", b"hello")
    assert caught.value.code == "not_a_table"


def test_xlsx_rows_with_typed_metadata():
    data = make_xlsx(
        {
            "Articles": [
                [],
                ["ID", "Title", "Abstract", "Published", "Pages"],
                [1, "First", "Text of the first article.", dt.date(2020, 1, 2), 12],
                [2, "Second", None, dt.date(2021, 3, 4), 3],
                [3, "Third", "Text of the third.", None, 7.5],
            ],
            "Notes": [["x"], ["y"]],
        }
    )
    outcome = only(iter_upload("articles.xlsx", data))
    assert outcome.error is None
    first, third = outcome.documents
    assert (first.source_type, first.name, first.text) == (
        "xlsx",
        "First",
        "Text of the first article.",
    )
    assert first.metadata == {
        "ID": 1,
        "Title": "First",
        "Published": "2020-01-02T00:00:00",
        "Pages": 12,
        "source_file": "articles.xlsx",
        "source_row": 3,
        "text_column": "Abstract",
    }
    assert third.metadata["Pages"] == 7.5 and third.metadata["source_row"] == 5
    notes = " ".join(outcome.notes)
    assert "“Articles”" in notes and "1 row(s)" in notes


def test_xlsx_corrupt():
    data = make_zip({"xl/workbook.xml": b"<broken", "[Content_Types].xml": b"<x/>"})
    outcome = only(iter_upload("book.xlsx", data))
    assert (outcome.error.code, outcome.source_type) == ("corrupt_file", "xlsx")
