"""The parsing layer on real files generated here: no database, no stored fixtures.

Files are made by ``ingest_files``; tables and archives have test modules of their own.
"""

from __future__ import annotations

import os

import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from projects.ingest import iter_upload
from projects.ingest import sniff as sniff_module
from projects.ingest.pdf import PAGE_SEPARATOR
from projects.tests.ingest_files import (
    PARAGRAPH,
    error_code,
    make_docx,
    make_image_pdf,
    make_pdf,
    make_zip,
    only,
    text_of,
)
from projects.tests.ocr_files import requires_tesseract

# --- Sniffing ----------------------------------------------------------------------------


def test_type_comes_from_content_not_extension():
    pdf = make_pdf([PARAGRAPH])
    outcome = only(iter_upload("notes.txt", pdf))
    assert outcome.documents[0].source_type == "pdf"
    assert outcome.source_type == "pdf"


def test_unknown_binary_is_unsupported():
    data = os.urandom(4096) + b"\x00"
    outcome = only(iter_upload("blob.dat", data))
    assert outcome.error.code == "unsupported_file_type"
    assert "blob.dat" in outcome.error.message
    assert outcome.content is None  # refused files are not kept


@pytest.mark.parametrize(
    ("data", "hint"),
    [
        (b"GIF89a" + os.urandom(64), "PNG"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "DOCX"),
        (b"{\\rtf1\\ansi hello}", "RTF"),
    ],
    ids=["gif", "ole2", "rtf"],  # the same names in every process (pytest-xdist)
)
def test_known_binaries_are_unsupported_with_a_hint(data, hint):
    outcome = only(iter_upload("file.bin", data))
    assert outcome.error.code == "unsupported_file_type"
    assert hint in outcome.error.message


def test_empty_file():
    outcome = only(iter_upload("nothing.pdf", b""))
    assert outcome.error.code == "empty_file"
    assert "nothing.pdf" in outcome.error.message


def test_whitespace_only_text_is_empty():
    assert error_code("blank.txt", b"  \r\n\t \n") == "empty_file"


def test_file_over_size_limit(settings):
    settings.UPLOAD_MAX_FILE_BYTES = 100
    outcome = only(iter_upload("big.txt", b"a" * 101))
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
    outcome = only(iter_upload("notes.md", b"# Title\n\n*Some* text."))
    document = outcome.documents[0]
    assert (document.source_type, document.text) == ("md", "# Title\n\n*Some* text.")
    assert document.page_offsets == []


def test_whole_file_sha256_is_of_the_bytes():
    import hashlib

    data = b"Some text."
    document = only(iter_upload("a.txt", data)).documents[0]
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.content == data


def test_text_too_long(settings):
    settings.INGEST_MAX_TEXT_CHARS = 1000
    outcome = only(iter_upload("long.txt", b"x" * 1001))
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
    outcome = only(iter_upload("long.txt", b"x" * 100_000))
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
    outcome = only(iter_upload("report.pdf", make_pdf(pages)))
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


@requires_tesseract
def test_pdf_image_only_has_no_text_layer():
    outcome = only(iter_upload("scan.pdf", make_image_pdf()))
    assert outcome.error.code == "no_text_layer"
    assert "OCR" in outcome.error.message
    assert outcome.content is not None and outcome.source_type == "pdf"


def test_pdf_blank_pages_have_no_text_layer():
    assert error_code("blank.pdf", make_pdf(["", ""])) == "no_text_layer"


def test_pdf_some_pages_without_text_are_noted():
    pdf = make_pdf([PARAGRAPH, "", PARAGRAPH])
    outcome = only(iter_upload("mixed.pdf", pdf))
    document = outcome.documents[0]
    assert document.metadata["pages_without_text"] == [2]
    assert len(document.page_offsets) == 3
    assert outcome.notes and "1 of 3 pages" in outcome.notes[0]


def test_pdf_encrypted():
    pdf = make_pdf([PARAGRAPH], owner_password="owner", user_password="secret")
    outcome = only(iter_upload("secret.pdf", pdf))
    assert outcome.error.code == "encrypted_pdf"
    assert "password" in outcome.error.message


def test_pdf_with_only_an_owner_password_opens():
    # Permissions-only encryption: any reader opens it without a password.
    pdf = make_pdf([PARAGRAPH], owner_password="owner")
    assert PARAGRAPH[:40] in text_of("restricted.pdf", pdf)


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_pdf_truncated_is_corrupt(cut):
    pdf = make_pdf([PARAGRAPH] * 3)
    outcome = only(iter_upload("cut.pdf", pdf[: int(len(pdf) * cut)]))
    assert outcome.error.code == "corrupt_file"
    assert outcome.source_type == "pdf"


def test_pdf_header_only_is_corrupt():
    assert error_code("x.pdf", b"%PDF-1.7\n") == "corrupt_file"


def test_not_a_pdf_named_pdf_is_corrupt():
    outcome = only(iter_upload("report.pdf", b"just some text, not a PDF"))
    assert outcome.error.code == "corrupt_file"
    assert outcome.source_type == "pdf"


def test_pdf_too_many_pages(settings):
    settings.INGEST_MAX_PDF_PAGES = 2
    outcome = only(iter_upload("long.pdf", make_pdf(["a", "b", "c"])))
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
    outcome = only(iter_upload("report.docx", make_docx(_report_docx)))
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
    outcome = only(iter_upload("report.docx", b"This is plain text with a .docx name."))
    assert outcome.error.code == "corrupt_file"
    assert outcome.source_type == "docx"
    assert "Word" in outcome.error.message


def test_zip_without_word_parts_named_docx_is_corrupt():
    outcome = only(iter_upload("report.docx", make_zip({"a.txt": b"hello"})))
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
    outcome = only(iter_upload("page.html", PAGE))
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
    assert only(iter_upload("saved.txt", PAGE)).documents[0].source_type == "html"


def test_html_in_windows_1252():
    page = "<html><body><p>\u201cQuoted\u201d \u20ac</p></body></html>".encode("cp1252")
    assert text_of("page.htm", page) == "\u201cQuoted\u201d \u20ac"
