"""OCR of scanned PDF pages and images, on real scans made in the test (``ocr_files``).

Tests marked ``requires_tesseract`` run Tesseract for real; the others hold without it,
among them what a machine without Tesseract answers (``OCR_TESSERACT_CMD`` pointed at
nothing).
"""

from __future__ import annotations

import struct
import uuid
import zlib

import pytest
from django.core.exceptions import ValidationError

from processing.evidence import locate
from projects.forms import ProjectForm
from projects.ingest import iter_upload, ocr
from projects.ingest.pdf import PAGE_SEPARATOR
from projects.ingest.sniff import sniff
from projects.models import Document
from projects.tests.ingest_files import PARAGRAPH, make_pdf, only
from projects.tests.ocr_files import (
    PAGES,
    image_file,
    images_pdf,
    make_mixed_pdf,
    make_scanned_pdf,
    requires_tesseract,
    text_images,
    word_recall,
)


@pytest.fixture
def no_tesseract(settings):
    """A machine without Tesseract; a new path each time, as availability is cached
    per command."""
    settings.OCR_TESSERACT_CMD = f"/nonexistent/{uuid.uuid4().hex}/tesseract"
    assert not ocr.ocr_available()


def parsed(filename: str, data: bytes, **kwargs):
    outcome = only(iter_upload(filename, data, **kwargs))
    assert outcome.error is None, outcome.error
    [document] = outcome.documents
    return outcome, document


def page_slices(document) -> list[str]:
    ends = [*document.page_offsets[1:], len(document.text) + len(PAGE_SEPARATOR)]
    return [
        document.text[start : end - len(PAGE_SEPARATOR)]
        for start, end in zip(document.page_offsets, ends, strict=True)
    ]


# --- Scanned PDFs ---------------------------------------------------------------------------


@requires_tesseract
def test_a_scanned_pdf_is_read_by_ocr_page_by_page():
    outcome, document = parsed("scan.pdf", make_scanned_pdf(PAGES))
    assert document.source_type == "pdf" and outcome.source_type == "pdf"
    assert word_recall(" ".join(PAGES), document.text) >= 0.95
    # Each page's offsets hold that page's words, and only them.
    assert len(document.page_offsets) == len(PAGES)
    for expected, got in zip(PAGES, page_slices(document), strict=True):
        assert word_recall(expected, got) >= 0.95
    metadata = document.metadata
    assert metadata["ocr"] is True and metadata["ocr_languages"] == "eng"
    assert [page["page"] for page in metadata["ocr_pages"]] == [1, 2, 3]
    assert all(80 <= page["confidence"] <= 100 for page in metadata["ocr_pages"])
    assert metadata["ocr_low_confidence_pages"] == []
    assert "pages_without_text" not in metadata
    assert any("OCR" in note for note in outcome.notes)


@requires_tesseract
def test_evidence_offsets_work_on_ocr_text():
    _, document = parsed("scan.pdf", make_scanned_pdf(PAGES))
    quote = "imports of steel rose by eight percent"
    start, end = locate(quote, document.text)
    assert " ".join(document.text[start:end].split()) == quote  # across a line break
    assert document.page_offsets[1] <= start < document.page_offsets[2]


@requires_tesseract
def test_a_mixed_pdf_ocrs_only_its_scanned_page(monkeypatch):
    calls = []
    real_read = ocr.image_read

    def counting_read(image, **kwargs):
        calls.append(image.size)
        return real_read(image, **kwargs)

    monkeypatch.setattr(ocr, "image_read", counting_read)
    outcome, document = parsed("mixed.pdf", make_mixed_pdf(PARAGRAPH, PAGES[1]))
    assert len(calls) == 1
    text_page, scanned_page = page_slices(document)
    assert text_page == PARAGRAPH.replace("safeguards for sensitive", "safeguards for\nsensitive")
    assert word_recall(PAGES[1], scanned_page) >= 0.95
    assert [page["page"] for page in document.metadata["ocr_pages"]] == [2]


def test_blank_pages_are_not_given_to_tesseract(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a blank page went to OCR")

    monkeypatch.setattr(ocr, "image_read", refuse)
    outcome, document = parsed("blank-page.pdf", make_pdf([PARAGRAPH, ""]))
    assert document.metadata["pages_without_text"] == [2]
    assert "ocr" not in document.metadata
    assert outcome.notes[0].startswith("1 of 2 pages have no text")


@requires_tesseract
def test_a_picture_without_writing_has_no_text():
    blank_scan = images_pdf([text_images([""])[0]])
    outcome = only(iter_upload("picture.pdf", blank_scan))
    assert outcome.error.code == "no_text_layer"
    assert "OCR" in outcome.error.message
    assert outcome.content is not None  # kept with the failure


@requires_tesseract
def test_low_confidence_pages_are_listed(settings):
    settings.OCR_LOW_CONFIDENCE = 100.5  # no page is that sure
    outcome, document = parsed("scan.pdf", make_scanned_pdf(PAGES[:2]))
    assert document.metadata["ocr_low_confidence_pages"] == [1, 2]
    assert any("unsure of page(s) 1, 2" in note for note in outcome.notes)


@requires_tesseract
def test_a_tesseract_failure_names_the_page(monkeypatch):
    import pytesseract

    def fail(*args, **kwargs):
        raise pytesseract.TesseractError(1, "Error in pixReadMem")

    monkeypatch.setattr(pytesseract, "image_to_data", fail)
    outcome = only(iter_upload("scan.pdf", make_scanned_pdf(PAGES[:1])))
    assert outcome.error.code == "ocr_failed"
    assert "page 1" in outcome.error.message and "pixReadMem" in outcome.error.message


# --- Images ---------------------------------------------------------------------------------


@requires_tesseract
@pytest.mark.parametrize(("image_format", "filename"), [("PNG", "page.png"), ("JPEG", "page.jpg")])
def test_an_image_is_read_by_ocr(image_format, filename):
    data = image_file(text_images(PAGES[:1]), image_format)
    outcome, document = parsed(filename, data)
    assert document.source_type == Document.SourceType.IMAGE == outcome.source_type
    assert document.page_offsets == [0]
    assert word_recall(PAGES[0], document.text) >= 0.95
    assert document.metadata["ocr"] is True
    assert document.content == data


@requires_tesseract
def test_a_multi_page_tiff_is_one_document_with_a_page_per_frame():
    outcome, document = parsed("stack.tiff", image_file(text_images(PAGES[:2]), "TIFF"))
    assert len(document.page_offsets) == 2
    for expected, got in zip(PAGES[:2], page_slices(document), strict=True):
        assert word_recall(expected, got) >= 0.95
    assert [page["page"] for page in document.metadata["ocr_pages"]] == [1, 2]


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "TIFF"])
def test_images_are_known_by_their_content(image_format):
    data = image_file(text_images(["x"], dpi=20), image_format)
    assert sniff("scan.dat", data).kind == Document.SourceType.IMAGE


def test_a_damaged_image_is_kept_as_a_failed_image():
    outcome = only(iter_upload("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(100)))
    assert outcome.error.code == "corrupt_file"
    assert outcome.source_type == Document.SourceType.IMAGE and outcome.content is not None


def test_a_gif_is_refused_with_a_hint():
    outcome = only(iter_upload("anim.gif", b"GIF89a" + bytes(64)))
    assert outcome.error.code == "unsupported_file_type"
    assert "PNG" in outcome.error.message


def test_the_unsupported_type_message_lists_images():
    outcome = only(iter_upload("blob.dat", b"MZ\x90\x00" + bytes(64)))
    assert "images (PNG, JPEG, TIFF)" in outcome.error.message


# 72 million pixels passes Pillow's own limit, not ours; 400 million passes neither.
@pytest.mark.parametrize(("width", "height"), [(9_000, 8_000), (20_000, 20_000)])
def test_an_image_claiming_too_many_pixels_is_refused_unread(width, height):
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(99)))
    outcome = only(iter_upload("huge.png", png))
    assert outcome.error.code == "image_too_large"
    assert "60 megapixels" in outcome.error.message


def test_large_images_are_scaled_down_for_tesseract():
    huge = ocr.Image.new("RGBA", (8000, 6000), (0, 0, 0, 0))
    prepared, dpi = ocr._prepared(huge, 600)
    assert prepared.mode == "L" and prepared.width * prepared.height <= ocr.MAX_PIXELS
    assert prepared.getpixel((0, 0)) == 255  # transparency on white, not black
    assert dpi == pytest.approx(600 * prepared.width / 8000, rel=0.01)


def test_page_text_lays_out_words_and_averages_confidence():
    rows = [
        # level, block, paragraph, line, confidence, text
        (4, 1, 1, 1, -1, ""),
        (5, 1, 1, 1, 90, "Tariffs"),
        (5, 1, 1, 1, 80, "fell."),
        (5, 1, 1, 2, 70, "Then"),
        (5, 2, 1, 1, 60, "Annex"),
        (5, 2, 1, 1, 95, " "),
    ]
    keys = ["level", "block_num", "par_num", "line_num", "conf", "text"]
    data = {key: [row[i] for row in rows] for i, key in enumerate(keys)}
    result = ocr.page_text(data)
    assert result.text == "Tariffs fell.\nThen\n\nAnnex"
    assert result.confidence == 75.0 and result.words == 4


# --- Languages ------------------------------------------------------------------------------


@requires_tesseract
def test_installed_languages_come_from_tesseract():
    installed = ocr.installed_languages()
    assert "eng" in installed and "osd" not in installed
    assert installed == sorted(installed)


@requires_tesseract
def test_languages_must_be_installed():
    assert ocr.ocr_languages_clean(" eng, eng ") == "eng"
    with pytest.raises(ValidationError) as excinfo:
        ocr.ocr_languages_clean("eng+qqq")
    message = excinfo.value.messages[0]
    assert "qqq" in message and "Installed: " in message and "eng" in message


def test_malformed_languages_are_refused_anywhere(no_tesseract):
    for value in ["", "+", "eng;rm", "../eng"]:
        with pytest.raises(ValidationError):
            ocr.ocr_languages_clean(value)


def test_without_tesseract_any_well_formed_language_is_accepted(no_tesseract):
    assert ocr.ocr_languages_clean("eng+chi_sim") == "eng+chi_sim"
    assert ocr.installed_languages() == []


@requires_tesseract
def test_a_language_missing_at_parse_time_fails_the_scan():
    outcome = only(iter_upload("scan.pdf", make_scanned_pdf(PAGES[:1]), ocr_languages="qqq"))
    assert outcome.error.code == "ocr_unavailable"
    assert "qqq" in outcome.error.message and "eng" in outcome.error.message


@requires_tesseract
def test_the_project_form_checks_languages_and_lists_the_installed_ones():
    form = ProjectForm({"name": "Scans", "ocr_languages": "eng+qqq"})
    assert not form.is_valid()
    assert "qqq" in form.errors["ocr_languages"][0]
    assert "Installed language packs: " in form.fields["ocr_languages"].help_text
    assert ProjectForm({"name": "Scans", "ocr_languages": ""}).is_valid()


@requires_tesseract
def test_the_settings_page_shows_the_language_packs(client_logged_in, project):
    response = client_logged_in.get(f"/projects/{project.pk}/settings/")
    assert "Installed language packs: " in response.content.decode()
    response = client_logged_in.post(
        f"/projects/{project.pk}/settings/", {"name": project.name, "ocr_languages": "eng"}
    )
    assert response.status_code == 302


@requires_tesseract
def test_the_api_reads_and_validates_ocr_languages(api, project):
    url = f"/api/v1/projects/{project.pk}/"
    assert api.get(url).json()["ocr_languages"] == "eng"
    response = api.patch(url, {"ocr_languages": "qqq"}, format="json")
    assert response.status_code == 400
    assert "Installed: " in str(response.json()["error"]["details"]["ocr_languages"])
    installed = ocr.installed_languages()
    both = "+".join(dict.fromkeys(["eng", installed[-1]]))
    response = api.patch(url, {"ocr_languages": both.replace("+", ", ")}, format="json")
    assert response.status_code == 200 and response.json()["ocr_languages"] == both
    project.refresh_from_db()
    assert project.ocr_languages == both


def test_the_document_page_lists_low_confidence_pages(client_logged_in, project):
    document = Document.objects.create(
        project=project,
        name="scan.pdf",
        source_type=Document.SourceType.PDF,
        text="Page one.\n\nPage two.",
        page_offsets=[0, 11],
        page_count=2,
        metadata={
            "ocr": True,
            "ocr_languages": "eng",
            "ocr_pages": [{"page": 1, "confidence": 91.5}, {"page": 2, "confidence": 41.2}],
            "ocr_low_confidence_pages": [2],
        },
    )
    response = client_logged_in.get(f"/projects/{project.pk}/documents/{document.pk}/")
    html = response.content.decode()
    assert "Page 2: confidence 41.2 %" in html and "Page 1: confidence" not in html


# --- Without Tesseract ----------------------------------------------------------------------


def test_without_tesseract_a_scan_fails_saying_how_to_enable_ocr(no_tesseract):
    data = make_scanned_pdf(PAGES[:1])
    outcome = only(iter_upload("scan.pdf", data))
    assert outcome.error.code == "ocr_unavailable"
    assert "scan.pdf is a scan" in outcome.error.message
    assert "apt-get install tesseract-ocr" in outcome.error.message
    assert outcome.content == data and outcome.source_type == "pdf"


def test_without_tesseract_an_image_fails_the_same_way(no_tesseract):
    outcome = only(iter_upload("page.png", image_file(text_images(PAGES[:1]), "PNG")))
    assert outcome.error.code == "ocr_unavailable"
    assert "page.png is an image" in outcome.error.message


def test_without_tesseract_a_mixed_pdf_keeps_its_text_pages(no_tesseract):
    outcome, document = parsed("mixed.pdf", make_mixed_pdf(PARAGRAPH, PAGES[1]))
    assert document.text.startswith("The agreement lowers tariffs")
    assert document.metadata["pages_without_text"] == [2]
    assert "ocr" not in document.metadata
    assert any("tesseract-ocr" in note for note in outcome.notes)


def test_a_missing_tesseract_is_logged_once(settings, caplog):
    settings.OCR_TESSERACT_CMD = f"/nonexistent/{uuid.uuid4().hex}/tesseract"
    for _ in range(3):
        assert not ocr.ocr_available()
    assert sum("OCR is off" in record.getMessage() for record in caplog.records) == 1


@requires_tesseract
def test_a_page_over_the_time_limit_fails(settings):
    settings.OCR_PAGE_SECONDS = 0.01
    outcome = only(iter_upload("scan.pdf", make_scanned_pdf(PAGES[:1])))
    assert outcome.error.code == "ocr_failed"
    assert "longer than 0.01 s" in outcome.error.message
