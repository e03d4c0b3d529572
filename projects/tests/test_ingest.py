"""The parsing layer on real files generated here: no database, no stored fixtures.

The ``make_*`` helpers are imported by test_documents_service.py as well.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile

import docx
import openpyxl
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from fpdf import FPDF
from PIL import Image

from projects.ingest import IngestError, parse_upload, table_columns
from projects.ingest import sniff as sniff_module
from projects.ingest.archive import _Overflow, read_bounded
from projects.ingest.pdf import PAGE_SEPARATOR

PARAGRAPH = (
    "The agreement lowers tariffs on agricultural goods by twelve percent over five "
    "years, with safeguards for sensitive products."
)


# --- File makers ----------------------------------------------------------------------


def make_pdf(pages: list[str], *, owner_password: str = "", user_password: str = "") -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 6, text=text)
    if owner_password:
        pdf.set_encryption(owner_password=owner_password, user_password=user_password or None)
    return bytes(pdf.output())


def make_image_pdf() -> bytes:
    """A "scan": one page holding only a picture."""
    pdf = FPDF()
    pdf.add_page()
    pdf.image(Image.new("RGB", (300, 120), "gray"), x=10, y=10, w=120)
    return bytes(pdf.output())


def make_docx(build) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_xlsx(sheets: dict[str, list[list]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_zip(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def only(outcomes):
    """The single outcome of a single file."""
    assert len(outcomes) == 1, outcomes
    return outcomes[0]


def error_code(filename: str, data: bytes, **kwargs) -> str | None:
    outcome = only(parse_upload(filename, data, **kwargs))
    return outcome.error.code if outcome.error else None


def text_of(filename: str, data: bytes) -> str:
    outcome = only(parse_upload(filename, data))
    assert outcome.error is None, outcome.error
    return outcome.documents[0].text


# --- Sniffing ----------------------------------------------------------------------------


def test_type_comes_from_content_not_extension():
    pdf = make_pdf([PARAGRAPH])
    outcome = only(parse_upload("notes.txt", pdf))
    assert outcome.documents[0].source_type == "pdf"
    assert outcome.source_type == "pdf"


def test_unknown_binary_is_unsupported():
    data = os.urandom(4096) + b"\x00"
    outcome = only(parse_upload("blob.dat", data))
    assert outcome.error.code == "unsupported_file_type"
    assert "blob.dat" in outcome.error.message
    assert outcome.content is None  # refused files are not kept


@pytest.mark.parametrize(
    ("data", "hint"),
    [
        (b"\x89PNG\r\n\x1a\n" + os.urandom(64), "OCR"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "DOCX"),
        (b"{\\rtf1\\ansi hello}", "RTF"),
    ],
)
def test_known_binaries_are_unsupported_with_a_hint(data, hint):
    outcome = only(parse_upload("file.bin", data))
    assert outcome.error.code == "unsupported_file_type"
    assert hint in outcome.error.message


def test_empty_file():
    outcome = only(parse_upload("nothing.pdf", b""))
    assert outcome.error.code == "empty_file"
    assert "nothing.pdf" in outcome.error.message


def test_whitespace_only_text_is_empty():
    assert error_code("blank.txt", b"  \r\n\t \n") == "empty_file"


def test_file_over_size_limit(settings):
    settings.UPLOAD_MAX_FILE_BYTES = 100
    outcome = only(parse_upload("big.txt", b"a" * 101))
    assert outcome.error.code == "file_too_large"
    assert outcome.content is None
    assert "big.txt" in outcome.error.message and "100 bytes" in outcome.error.message


# --- Text and encodings ------------------------------------------------------------------

WESTERN = "Le café était très animé; naïve façade, garçon, Ærø, Straße, über. Prix: 12 £."
CURLY = "He said \u201chello\u201d \u2014 it costs 5 \u20ac, that\u2019s all\u2026 \u2018ok\u2019"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (WESTERN.encode("utf-8"), WESTERN),
        (WESTERN.encode("utf-8-sig"), WESTERN),
        (WESTERN.encode("utf-16"), WESTERN),  # BOM, platform order (LE)
        (b"\xff\xfe" + WESTERN.encode("utf-16-le"), WESTERN),
        (b"\xfe\xff" + WESTERN.encode("utf-16-be"), WESTERN),
        (WESTERN.encode("utf-16-le"), WESTERN),  # no BOM: found by its NUL bytes
        (WESTERN.encode("latin-1"), WESTERN),
        (CURLY.encode("cp1252"), CURLY),
        ("café".encode("latin-1"), "café"),
        ("\u201cQuote\u201d \u20ac5".encode("cp1252"), "\u201cQuote\u201d \u20ac5"),
        (
            "Привет, как дела? Это тест кодировки для русского текста.".encode("cp1251"),
            "Привет, как дела? Это тест кодировки для русского текста.",
        ),
    ],
    ids=[
        "utf8",
        "utf8-bom",
        "utf16-bom",
        "utf16le-bom",
        "utf16be-bom",
        "utf16le-no-bom",
        "latin1",
        "cp1252",
        "latin1-short",
        "cp1252-short",
        "cp1251",
    ],
)
def test_encodings(data, expected):
    assert text_of("text.txt", data) == expected


def test_newlines_are_normalised():
    assert text_of("a.txt", b"one\r\ntwo\rthree\nfour") == "one\ntwo\nthree\nfour"


def test_nul_and_control_characters_are_stripped_other_unicode_kept():
    raw = "A\x00B\x01C\x1bD\x7fE\tF\nG\x0cH\x0bI 😀 中文 עברית \u200d é".encode()
    assert text_of("a.txt", raw) == "ABCDE\tF\nG\nH\nI 😀 中文 עברית \u200d é"


def test_markdown_is_kept_as_written():
    outcome = only(parse_upload("notes.md", b"# Title\n\n*Some* text."))
    document = outcome.documents[0]
    assert (document.source_type, document.text) == ("md", "# Title\n\n*Some* text.")
    assert document.page_offsets == []


def test_whole_file_sha256_is_of_the_bytes():
    import hashlib

    data = b"Some text."
    document = only(parse_upload("a.txt", data)).documents[0]
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.content == data


def test_text_too_long(settings):
    settings.INGEST_MAX_TEXT_CHARS = 1000
    outcome = only(parse_upload("long.txt", b"x" * 1001))
    assert outcome.error.code == "text_too_long"
    assert outcome.content is not None  # a supported file: kept as a failed document


def test_plain_text_too_large_for_the_char_limit_is_refused_without_decoding(settings, monkeypatch):
    settings.INGEST_MAX_TEXT_CHARS = 1000
    decoded = []
    decode_text = sniff_module.decode_text

    def recording(filename, data):
        decoded.append(len(data))
        return decode_text(filename, data)

    monkeypatch.setattr(sniff_module, "decode_text", recording)
    outcome = only(parse_upload("long.txt", b"x" * 100_000))
    assert outcome.error.code == "text_too_long"
    assert "long.txt is 97.7 KB of plain text" in outcome.error.message
    assert max(decoded) < 100_000  # only its head was read, to see it is not HTML
    # At the bound (4 bytes a character, plus a byte-order mark) it is read as usual,
    # and HTML, whose text is shorter than its markup, is never refused by its size.
    assert text_of("wide.txt", ("x" * 1000).encode("utf-32")) == "x" * 1000
    page = b"<html><body><p>Short.</p><!-- " + b"x" * 5000 + b" --></body></html>"
    assert text_of("page.txt", page) == "Short."


# --- PDF ---------------------------------------------------------------------------------


def test_pdf_pages_and_offsets():
    pages = [f"Page {n}. {PARAGRAPH}" for n in (1, 2, 3)]
    outcome = only(parse_upload("report.pdf", make_pdf(pages)))
    document = outcome.documents[0]
    assert document.source_type == "pdf"
    assert len(document.page_offsets) == 3
    assert document.page_offsets[0] == 0
    for number, start in enumerate(document.page_offsets, start=1):
        assert document.text[start:].startswith(f"Page {number}.")
    # The separator sits right before each later page.
    for start in document.page_offsets[1:]:
        assert document.text[start - len(PAGE_SEPARATOR) : start] == PAGE_SEPARATOR
    assert "\r" not in document.text


def test_pdf_image_only_has_no_text_layer():
    outcome = only(parse_upload("scan.pdf", make_image_pdf()))
    assert outcome.error.code == "no_text_layer"
    assert "OCR" in outcome.error.message
    assert outcome.content is not None and outcome.source_type == "pdf"


def test_pdf_blank_pages_have_no_text_layer():
    assert error_code("blank.pdf", make_pdf(["", ""])) == "no_text_layer"


def test_pdf_some_pages_without_text_are_noted():
    pdf = make_pdf([PARAGRAPH, "", PARAGRAPH])
    outcome = only(parse_upload("mixed.pdf", pdf))
    document = outcome.documents[0]
    assert document.metadata["pages_without_text"] == [2]
    assert len(document.page_offsets) == 3
    assert outcome.notes and "1 of 3 pages" in outcome.notes[0]


def test_pdf_encrypted():
    pdf = make_pdf([PARAGRAPH], owner_password="owner", user_password="secret")
    outcome = only(parse_upload("secret.pdf", pdf))
    assert outcome.error.code == "encrypted_pdf"
    assert "password" in outcome.error.message


def test_pdf_with_only_an_owner_password_opens():
    # Permissions-only encryption: any reader opens it without a password.
    pdf = make_pdf([PARAGRAPH], owner_password="owner")
    assert PARAGRAPH[:40] in text_of("restricted.pdf", pdf)


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_pdf_truncated_is_corrupt(cut):
    pdf = make_pdf([PARAGRAPH] * 3)
    outcome = only(parse_upload("cut.pdf", pdf[: int(len(pdf) * cut)]))
    assert outcome.error.code == "corrupt_file"
    assert outcome.source_type == "pdf"


def test_pdf_header_only_is_corrupt():
    assert error_code("x.pdf", b"%PDF-1.7\n") == "corrupt_file"


def test_not_a_pdf_named_pdf_is_corrupt():
    outcome = only(parse_upload("report.pdf", b"just some text, not a PDF"))
    assert outcome.error.code == "corrupt_file"
    assert outcome.source_type == "pdf"


def test_pdf_too_many_pages(settings):
    settings.INGEST_MAX_PDF_PAGES = 2
    outcome = only(parse_upload("long.pdf", make_pdf(["a", "b", "c"])))
    assert outcome.error.code == "too_many_pages"
    assert "3 pages" in outcome.error.message and "2" in outcome.error.message


# --- DOCX --------------------------------------------------------------------------------


def _report_docx(document) -> None:
    document.core_properties.title = "Annual report"
    document.core_properties.author = "Ministry of Trade"
    document.add_heading("Results", level=1)
    document.add_paragraph("Before the table.")
    table = document.add_table(rows=2, cols=3)
    values = [("Country", "Year", "Tariff"), ("Chile", "2019", "12%")]
    for row, row_values in zip(table.rows, values, strict=True):
        for cell, value in zip(row.cells, row_values, strict=True):
            cell.text = value
    document.add_paragraph("After the table.")
    # Content inside a content control (Word's cover pages, TOCs) and a hyperlink.
    document.element.body.insert(
        len(document.element.body) - 1,
        parse_xml(
            f"<w:sdt {nsdecls('w')}><w:sdtContent><w:p><w:r><w:t>Inside a control."
            "</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        ),
    )
    paragraph = document.add_paragraph("See ")
    paragraph._p.append(
        parse_xml(f"<w:hyperlink {nsdecls('w')}><w:r><w:t>the annex</w:t></w:r></w:hyperlink>")
    )


def test_docx_paragraphs_and_tables_in_reading_order():
    outcome = only(parse_upload("report.docx", make_docx(_report_docx)))
    document = outcome.documents[0]
    assert document.source_type == "docx"
    assert document.text.split("\n") == [
        "Results",
        "Before the table.",
        "Country | Year | Tariff",
        "Chile | 2019 | 12%",
        "After the table.",
        "Inside a control.",
        "See the annex",
    ]
    assert document.metadata == {"title": "Annual report", "author": "Ministry of Trade"}


def test_docx_that_is_not_a_zip_is_corrupt():
    outcome = only(parse_upload("report.docx", b"This is plain text with a .docx name."))
    assert outcome.error.code == "corrupt_file"
    assert outcome.source_type == "docx"
    assert "Word" in outcome.error.message


def test_zip_without_word_parts_named_docx_is_corrupt():
    outcome = only(parse_upload("report.docx", make_zip({"a.txt": b"hello"})))
    assert (outcome.error.code, outcome.source_type) == ("corrupt_file", "docx")


def test_docx_with_broken_xml_is_corrupt():
    data = make_zip({"[Content_Types].xml": b"<oops", "word/document.xml": b"<w:document"})
    assert error_code("broken.docx", data) == "corrupt_file"


# --- HTML --------------------------------------------------------------------------------

PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><title>Trade  news</title>
<style>body { color: red }</style><script>var secret = "script text";</script></head>
<body>
<noscript>Enable JavaScript</noscript><template><p>template text</p></template>
<h1>Headline</h1><p>First   paragraph
spans lines.</p><div>Block<br>with a break</div>
<!-- a comment -->
<ul><li>one</li><li>two</li></ul>
<table><tr><th>Country</th><th>Year</th></tr><tr><td>Chile</td><td>2019</td></tr></table>
<p>Caf&eacute; &amp; more <b>bold</b> inline.</p>
<script>alert("late script")</script>
</body></html>"""


def test_html_readable_text():
    outcome = only(parse_upload("page.html", PAGE))
    document = outcome.documents[0]
    assert document.source_type == "html"
    lines = [line for line in document.text.split("\n") if line]
    assert lines == [
        "Headline",
        "First paragraph spans lines.",
        "Block",
        "with a break",
        "one",
        "two",
        "Country | Year",
        "Chile | 2019",
        "Café & more bold inline.",
    ]
    for hidden in ("script text", "late script", "color: red", "Enable", "template", "comment"):
        assert hidden not in document.text
    assert document.metadata == {"title": "Trade news", "lang": "en"}


def test_html_sniffed_from_markup_whatever_the_name():
    assert only(parse_upload("saved.txt", PAGE)).documents[0].source_type == "html"


def test_html_in_windows_1252():
    page = "<html><body><p>\u201cQuoted\u201d \u20ac</p></body></html>".encode("cp1252")
    assert text_of("page.htm", page) == "\u201cQuoted\u201d \u20ac"


# --- CSV and XLSX -----------------------------------------------------------------------


def test_csv_semicolon_rows_with_named_text_column():
    data = (
        b"id;title;abstract;score\n"
        b"7;First;A first long abstract, with a comma;1,5\n"
        b"8;Second;;2,0\n"
        b'9;Third;"A quoted; abstract\nover two lines";3,5\n'
    )
    outcome = only(parse_upload("data.csv", data))
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

    outcome = only(parse_upload("d.csv", b"text\nhello\n"))
    assert outcome.documents[0].sha256 == hashlib.sha256(b"hello").hexdigest()


def test_csv_tab_delimited_and_explicit_column():
    data = b"name\tcomment\tnote\nAnn\tGood service\tx\nBob\tSlow\ty\n"
    outcome = only(parse_upload("survey.tsv", data, text_column="Comment"))  # any case
    assert [d.text for d in outcome.documents] == ["Good service", "Slow"]
    assert [d.name for d in outcome.documents] == ["Ann", "Bob"]
    assert outcome.documents[0].metadata["note"] == "x"


def test_csv_id_column_names_rows_and_fallback_row_numbers():
    outcome = only(parse_upload("d.csv", b"doc_id,text\nA-1,hello\n,world\n"))
    assert [d.name for d in outcome.documents] == ["d.csv doc_id A-1", "d.csv row 3"]


def test_csv_longest_column_is_the_default_when_clear():
    data = b"code,comment\n1,This is a long free-text comment\n2,Another long comment here\n"
    outcome = only(parse_upload("d.csv", data))
    assert outcome.documents[0].text == "This is a long free-text comment"
    assert any("longest" in note for note in outcome.notes)


def test_csv_ambiguous_columns_ask_for_a_choice():
    data = b"question,answer\nWhat is it for?,It is for trade\nWho signs?,The ministers\n"
    outcome = only(parse_upload("qa.csv", data))
    assert outcome.error.code == "missing_text_column"
    assert "“question”, “answer”" in outcome.error.message


def test_csv_missing_chosen_column_lists_the_columns():
    outcome = only(parse_upload("d.csv", b"a,b\n1,2\n", text_column="text"))
    assert outcome.error.code == "missing_text_column"
    assert "“text”" in outcome.error.message and "“a”, “b”" in outcome.error.message
    assert outcome.error.details["columns"] == ["a", "b"]


def test_csv_single_column_with_commas_in_text():
    outcome = only(parse_upload("d.csv", b"text\nhello, world\nsecond one\n"))
    assert [d.text for d in outcome.documents] == ["hello, world", "second one"]


def test_csv_in_windows_1252():
    data = "id,text\n1,\u201cCaf\u00e9\u201d costs 5 \u20ac\n".encode("cp1252")
    assert only(parse_upload("d.csv", data)).documents[0].text == "\u201cCafé\u201d costs 5 \u20ac"


def test_csv_too_many_rows(settings):
    settings.INGEST_MAX_ROWS = 5
    data = "text\n" + "".join(f"row {n}\n" for n in range(7))
    outcome = only(parse_upload("big.csv", data.encode()))
    assert outcome.error.code == "too_many_rows"
    assert "7 rows" in outcome.error.message and "5" in outcome.error.message


def test_csv_field_over_text_limit(settings):
    settings.INGEST_MAX_TEXT_CHARS = 1000
    outcome = only(parse_upload("d.csv", b"id,text\n1,short\n2," + b"x" * 1500 + b"\n"))
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
    outcome = only(parse_upload("articles.xlsx", data))
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
    outcome = only(parse_upload("book.xlsx", data))
    assert (outcome.error.code, outcome.source_type) == ("corrupt_file", "xlsx")


# --- ZIP ---------------------------------------------------------------------------------


def test_zip_mixed_members():
    data = make_zip(
        {
            "sub/a.txt": b"Plain text member.",
            "report.pdf": make_pdf([PARAGRAPH]),
            "letter.docx": make_docx(lambda d: d.add_paragraph("A letter.")),
            "rows.csv": b"text\nrow one\nrow two\n",
            "picture.png": b"\x89PNG\r\n\x1a\n" + bytes(32),
            ".hidden.txt": b"skip me",
            "__MACOSX/sub/._a.txt": b"skip me too",
            "empty-dir/": b"",
        }
    )
    outcomes = parse_upload("archive.zip", data)
    by_name = {outcome.filename: outcome for outcome in outcomes}
    assert set(by_name) == {
        "archive.zip/sub/a.txt",
        "archive.zip/report.pdf",
        "archive.zip/letter.docx",
        "archive.zip/rows.csv",
        "archive.zip/picture.png",
    }
    assert by_name["archive.zip/sub/a.txt"].documents[0].text == "Plain text member."
    assert by_name["archive.zip/sub/a.txt"].documents[0].name == "archive.zip/sub/a.txt"
    assert by_name["archive.zip/sub/a.txt"].content == b"Plain text member."
    assert by_name["archive.zip/report.pdf"].documents[0].source_type == "pdf"
    assert by_name["archive.zip/letter.docx"].documents[0].text == "A letter."
    assert [d.name for d in by_name["archive.zip/rows.csv"].documents] == [
        "archive.zip/rows.csv row 2",
        "archive.zip/rows.csv row 3",
    ]
    assert by_name["archive.zip/picture.png"].error.code == "unsupported_file_type"


def test_zip_path_traversal_and_absolute_members_are_refused():
    data = make_zip(
        {"../evil.txt": b"x", "/etc/passwd.txt": b"y", "ok.txt": b"fine", "C:/win.txt": b"z"}
    )
    outcomes = {o.filename: o for o in parse_upload("a.zip", data)}
    assert outcomes["a.zip/ok.txt"].documents[0].text == "fine"
    unsafe = [name for name, o in outcomes.items() if o.error and o.error.code == "unsafe_path"]
    assert len(unsafe) == 3


def test_zip_bomb_declared_size(settings):
    settings.INGEST_MAX_UNZIPPED_BYTES = 1024 * 1024
    data = make_zip({"bomb.txt": b"0" * (5 * 1024 * 1024)})
    assert len(data) < 20_000  # highly compressible
    outcome = only(parse_upload("bomb.zip", data))
    assert outcome.error.code == "archive_too_large"
    assert outcome.filename == "bomb.zip"


def test_zip_members_that_fail_leave_nothing_to_keep(settings):
    settings.INGEST_MAX_TEXT_CHARS = 1000
    data = make_zip(
        {"long.txt": b"word " * 500, "broken.pdf": b"%PDF-1.4 not really", "ok.txt": b"fine"}
    )
    outcomes = {o.filename: o for o in parse_upload("a.zip", data)}
    assert outcomes["a.zip/long.txt"].error.code == "text_too_long"
    assert outcomes["a.zip/broken.pdf"].error.code == "corrupt_file"
    assert [name for name, o in outcomes.items() if o.error and o.content is not None] == []
    assert outcomes["a.zip/ok.txt"].content == b"fine"


def test_zip_member_over_file_limit(settings):
    settings.UPLOAD_MAX_FILE_BYTES = 10_000
    data = make_zip({"big.txt": b"a" * 20_000, "small.txt": b"small"})
    outcomes = {o.filename: o for o in parse_upload("a.zip", data)}
    assert outcomes["a.zip/big.txt"].error.code == "file_too_large"
    assert outcomes["a.zip/small.txt"].documents[0].text == "small"


def test_zip_member_count_limit(settings):
    settings.INGEST_MAX_ZIP_MEMBERS = 3
    data = make_zip({f"{n}.txt": b"x" for n in range(4)})
    outcome = only(parse_upload("many.zip", data))
    assert outcome.error.code == "archive_too_large"
    assert "4 files" in outcome.error.message


def test_zip_reads_in_bounded_chunks_whatever_the_header_says():
    data = make_zip({"a.txt": b"x" * 3_000_000})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("a.txt")
        info.file_size = 10  # a lying header must not raise the limit
        with pytest.raises((_Overflow, zipfile.BadZipFile)):
            read_bounded(archive, info, limit=1_000_000)
        info.file_size = 3_000_000
        with pytest.raises(_Overflow):
            read_bounded(archive, info, limit=1_000_000)
        assert len(read_bounded(archive, info, limit=3_000_000)) == 3_000_000


def test_nested_zip_is_not_expanded():
    inner = make_zip({"inner.txt": b"inside"})
    outcomes = {o.filename: o for o in parse_upload("outer.zip", make_zip({"in.zip": inner}))}
    assert outcomes["outer.zip/in.zip"].error.code == "nested_archive"


def test_corrupt_zip():
    outcome = only(parse_upload("a.zip", b"PK\x03\x04" + os.urandom(100)))
    assert outcome.error.code == "corrupt_file"
    assert outcome.content is None and outcome.source_type is None


def test_zip_with_only_junk_is_empty():
    assert error_code("a.zip", make_zip({".DS_Store": b"x", "__MACOSX/x": b"y"})) == "empty_file"
