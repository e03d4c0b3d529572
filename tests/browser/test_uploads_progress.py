"""A scanned PDF and a large spreadsheet uploaded in the wizard: both are stored at once,
read by a real worker (OCR for the scan), and shown with their progress until they
are documents, without a reload."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from projects.models import Document, Project
from projects.tests.ocr_files import make_scanned_pdf

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not shutil.which("tesseract"), reason="no Tesseract (apt-get install tesseract-ocr)"
    ),
]

READ_TIMEOUT = 120_000  # ms: OCR of a page and 20,000 rows on a busy 2-core machine
ROWS = 20_000
SCAN = "The committee approved the budget for coastal research on Tuesday."


def test_a_scan_and_a_large_table_become_documents_while_the_page_watches(
    page, logged_in, worker, tmp_path
):
    project = Project.objects.create(owner=logged_in, name="Archive")
    scan = tmp_path / "minutes-scan.pdf"
    scan.write_bytes(make_scanned_pdf([SCAN]))
    table = tmp_path / "statements.csv"
    table.write_text(
        "ref,text\n" + "".join(f"S{n},Statement {n} on the budget.\n" for n in range(ROWS)),
        encoding="utf-8",
    )

    page.goto(f"/projects/{project.pk}/documents/")
    page.evaluate("window.__sameDocument = true")
    page.locator("#upload-files").set_input_files(str(scan))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-results li", has_text="minutes-scan.pdf")).to_contain_text(
        "Being read"
    )

    page.locator("summary", has_text="Import a spreadsheet").click()
    page.locator("#table-file").set_input_files(str(table))
    page.get_by_label("Text column").select_option("text")
    page.get_by_role("button", name="Import rows").click()

    progress = page.locator("#upload-progress")
    expect(progress.locator("li", has_text="minutes-scan.pdf")).to_contain_text(
        "1 document added", timeout=READ_TIMEOUT
    )
    expect(progress.locator("li", has_text="statements.csv")).to_contain_text(
        f"{ROWS:,} documents added", timeout=READ_TIMEOUT
    )
    # The list and the stepper followed by themselves.
    expect(page.locator("#stepper")).to_contain_text(f"{ROWS + 1:,} documents ready")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"

    scanned = Document.objects.get(project=project, name="minutes-scan.pdf")
    assert scanned.status == "ready" and scanned.metadata.get("ocr") is True
    assert "coastal research" in scanned.text
