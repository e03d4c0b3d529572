"""The main text of web pages, and metadata that carry information (for every parser).

A saved news page keeps its article and loses its menu, cookie banner, sidebar and
footer; what the extractor cannot read as a page falls back to the visible text.
Metadata that say nothing (``about:blank``, empty titles, program names) are dropped
from PDF, DOCX and HTML documents alike, and table rows keep their cells as they are.
"""

from __future__ import annotations

import socket

import pytest
import trafilatura
from fpdf import FPDF

from projects.ingest import iter_upload
from projects.ingest.metadata import clean_metadata
from projects.tests.ingest_files import PARAGRAPH, make_docx, make_zip, only, text_of

ARTICLE = [
    "The government agreed on Tuesday to cut tariffs on agricultural goods by twelve "
    "percent over five years, ending eighteen months of talks with its largest trading "
    "partners and farmers' unions.",
    "Ministers said the agreement keeps safeguards for sensitive products such as dairy "
    "and sugar, which can be reimposed if imports rise by more than a fifth in a single "
    "season.",
    "Farmers' groups welcomed the timetable but warned that smaller producers would need "
    "help to adapt, and asked for the savings to be passed on to consumers rather than "
    "retailers.",
    "Analysts expect exports of grain and fruit to grow fastest, while the effect on food "
    "prices at home is likely to be modest in the first two years of the agreement.",
]
BOILERPLATE = [
    "Home",
    "World",
    "Sport",
    "We use cookies",
    "Accept all",
    "Most read",
    "Celebrity chef opens",
    "(c) News Corp",
    "Privacy policy",
    "Great article",
    "Share on",
]


def news_page(*, head: str = "") -> bytes:
    paragraphs = "\n".join(f"<p>{text}</p>" for text in ARTICLE)
    most_read = "".join(
        f'<li><a href="/story/{n}">Celebrity chef opens restaurant number {n}</a></li>'
        for n in range(8)
    )
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Tariffs cut on farm goods | News Corp</title>
<meta name="author" content="Jane Reporter">
<meta property="article:published_time" content="2024-03-05T10:00:00Z">
<meta name="generator" content="WordPress 6.4">
<link rel="canonical" href="https://news.example.com/world/tariffs">
{head}
<script>window.dataLayer = [{{"page": "article"}}];</script></head>
<body>
<div id="cookie-banner" class="cookie-consent"><p>We use cookies to improve your
experience on our site.</p><button>Accept all</button></div>
<header class="site-header"><a href="/" class="logo">News Corp</a>
<nav class="main-nav"><ul><li><a href="/">Home</a></li> | <li><a href="/world">World</a></li>
 | <li><a href="/sport">Sport</a></li></ul></nav></header>
<main>
<article>
<h1>Tariffs cut on farm goods</h1>
<p class="byline">By Jane Reporter, 5 March 2024</p>
{paragraphs}
<div class="share"><a href="#">Share on X</a> <a href="#">Share by email</a></div>
</article>
<aside class="sidebar"><h2>Most read</h2><ul>{most_read}</ul></aside>
<section class="comments"><h2>Comments</h2>
<div class="comment"><p>Great article, thank you.</p></div></section>
</main>
<footer class="site-footer"><p>(c) News Corp 2024. All rights reserved.</p>
<a href="/privacy">Privacy policy</a> <a href="/terms">Terms</a></footer>
</body></html>""".encode()


def pdf_with(*, title: str = "", author: str = "") -> bytes:
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, text=PARAGRAPH)
    return bytes(pdf.output())


def metadata_of(filename: str, data: bytes) -> dict:
    outcome = only(iter_upload(filename, data))
    assert outcome.error is None, outcome.error
    return outcome.documents[0].metadata


# --- Main text of web pages --------------------------------------------------------------


def test_news_page_keeps_the_article_and_drops_the_boilerplate():
    text = text_of("tariffs.html", news_page())
    for paragraph in ARTICLE:
        assert paragraph in text
    for boilerplate in BOILERPLATE:
        assert boilerplate not in text, boilerplate
    assert text.startswith("Tariffs cut on farm goods\n\n")


def test_paragraphs_are_separated_by_one_blank_line():
    # Evidence quotes are matched against this text: a paragraph is one line, and two
    # paragraphs are one blank line apart, as in the visible-text parser.
    text = text_of("tariffs.html", news_page())
    assert "\n\n".join(ARTICLE) in text
    assert "\n\n\n" not in text


def test_news_page_metadata():
    metadata = metadata_of("tariffs.html", news_page())
    assert metadata == {
        "title": "Tariffs cut on farm goods | News Corp",
        "author": "Jane Reporter",
        "date": "2024-03-05",
        "lang": "en-GB",
    }


def test_without_a_title_element_the_headline_is_the_title():
    page = news_page().replace(b"<title>Tariffs cut on farm goods | News Corp</title>", b"")
    assert metadata_of("tariffs.html", page)["title"] == "Tariffs cut on farm goods"


def test_a_date_is_not_guessed_from_the_text():
    # The copyright year in the footer is no publication date (htmldate's extensive
    # search would make it 2024-01-01).
    page = news_page().replace(
        b'<meta property="article:published_time" content="2024-03-05T10:00:00Z">', b""
    )
    page = page.replace(b"By Jane Reporter, 5 March 2024", b"By Jane Reporter")
    assert b"2024-03" not in page and b"(c) News Corp 2024" in page
    assert "date" not in metadata_of("tariffs.html", page)


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (b"<p>Short.</p>", "Short."),
        (b"<div>One line<br>and another</div>", "One line\nand another"),
        (
            b"<html><head><title>Note</title></head><body><h2>Note</h2>"
            b"<p>Back on <b>Monday</b>.</p></body></html>",
            "Note\n\nBack on Monday.",
        ),
    ],
)
def test_fragments_and_short_pages_fall_back_to_the_visible_text(page, expected):
    assert text_of("note.html", page) == expected


def test_a_page_without_an_article_keeps_its_visible_text():
    # Nothing here looks like an article: the extractor's answer would be every line of
    # the page in one paragraph; the visible-text parser keeps the blocks apart.
    page = b"""<html><body><h1>Contacts</h1>
        <table><tr><th>Office</th><th>Phone</th></tr><tr><td>Lima</td><td>123</td></tr></table>
        <ul><li>Open weekdays</li><li>Closed in August</li></ul></body></html>"""
    assert text_of("contacts.html", page) == (
        "Contacts\n\nOffice | Phone\n\nLima | 123\n\nOpen weekdays\n\nClosed in August"
    )


def test_an_extractor_failure_falls_back_to_the_visible_text(monkeypatch):
    def broken(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(trafilatura, "extract", broken)
    monkeypatch.setattr(trafilatura, "extract_metadata", broken)
    outcome = only(iter_upload("tariffs.html", news_page()))
    document = outcome.documents[0]
    assert ARTICLE[0] in document.text and "(c) News Corp" in document.text
    assert document.metadata == {"title": "Tariffs cut on farm goods | News Corp", "lang": "en-GB"}


def test_a_deeply_nested_page_is_read():
    # Deeper than lxml's tree builder goes: the extractor finds nothing, the walk does.
    page = b"<html><body>" + b"<div>" * 3000 + b"<p>Deep text.</p>" + b"</div>" * 3000
    assert "Deep text." in text_of("deep.html", page + b"</body></html>")


def test_nothing_is_downloaded(monkeypatch):
    # The page names URLs (canonical link, og:url, a linked stylesheet); parsing it must
    # not try to reach any of them, nor anything else (no network on the workers).
    def no_network(*args, **kwargs):
        raise AssertionError("the HTML parser tried to use the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    head = (
        '<meta property="og:url" content="https://news.example.com/world/tariffs">'
        '<link rel="stylesheet" href="https://cdn.example.com/site.css">'
    )
    assert ARTICLE[0] in text_of("tariffs.html", news_page(head=head))


# --- Metadata that carry no information ----------------------------------------------------


def test_html_title_about_blank_is_dropped():
    page = b"<html><head><title>about:blank</title></head><body><p>Text.</p></body></html>"
    assert metadata_of("saved.html", page) == {}


def test_pdf_title_about_blank_is_dropped():
    metadata = metadata_of("report.pdf", pdf_with(title="about:blank", author="Ana Ruiz"))
    assert metadata == {"author": "Ana Ruiz"}


def test_pdf_printed_from_word_keeps_no_title():
    data = pdf_with(title="Microsoft Word - report final.docx", author="Microsoft® Word 2016")
    assert metadata_of("report.pdf", data) == {}


def test_pdf_with_a_real_title_keeps_it():
    metadata = metadata_of("report.pdf", pdf_with(title="Trade in 2019", author="Ana Ruiz"))
    assert metadata == {"title": "Trade in 2019", "author": "Ana Ruiz"}


def test_docx_with_an_empty_title_and_the_default_author_has_no_metadata():
    # python-docx's template names itself as the author, as Word names its user.
    def build(document):
        document.core_properties.title = "   "
        document.add_paragraph("Dear minister,")

    assert metadata_of("letter.docx", make_docx(build)) == {}


def test_a_title_that_repeats_the_file_name_is_dropped_also_in_an_archive():
    def build(document):
        document.core_properties.title = "Letter"
        document.core_properties.author = "Ana Ruiz"
        document.add_paragraph("Dear minister,")

    outcome = only(iter_upload("batch.zip", make_zip({"2019/letter.docx": make_docx(build)})))
    assert outcome.documents[0].metadata == {"author": "Ana Ruiz"}


def test_table_rows_keep_their_cells_as_they_are():
    data = b"title,text,url,notes\nUntitled,Some text,about:blank,\n"
    document = only(iter_upload("data.csv", data)).documents[0]
    assert document.metadata["title"] == "Untitled"
    assert document.metadata["url"] == "about:blank"
    assert document.metadata["notes"] == ""


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "  \n ",
        "about:blank",
        "Untitled",
        " untitled  document ",
        "(no title)",
        "Unknown",
        "N/A",
        "Microsoft Word - Document1",
        "Microsoft® Word 2016",
        "Microsoft® Word for Microsoft 365",
        "Microsoft Office Word",
        "LibreOffice 7.3",
        "wkhtmltopdf 0.12.6",
        "Skia/PDF m120",
        "python-docx",
        "Acrobat Distiller 10.0",
        "report",
        "REPORT.PDF",
    ],
)
def test_values_without_information_are_dropped(value):
    assert clean_metadata({"title": value}, filename="a/report.pdf") == {}


@pytest.mark.parametrize(
    "value",
    [
        "Microsoft Word tips for researchers",
        "Unknown pleasures",
        "Annual report",
        "report 2019",
        0,
        False,
        [],
        [2, 3],
        0.42,
    ],
)
def test_values_with_information_are_kept(value):
    assert clean_metadata({"title": value}, filename="report.pdf") == {"title": value}


def test_only_a_title_is_dropped_for_repeating_the_file_name():
    metadata = {"title": "Smith", "author": "Smith", "lang": "smith"}
    assert clean_metadata(metadata, filename="smith.pdf") == {"author": "Smith", "lang": "smith"}


def test_keys_naming_the_producing_program_are_dropped():
    metadata = {"title": "Trade", "Producer": "PDF Studio", "generator": "Hugo", "ocr": True}
    assert clean_metadata(metadata) == {"title": "Trade", "ocr": True}
