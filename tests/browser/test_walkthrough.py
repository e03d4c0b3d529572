"""The whole workflow in Chromium, as a new user does it: sign up, create a project,
upload a PDF, a DOCX and a CSV, define three variables, confirm, run a sample through a
real Celery worker, correct a value, run the rest, export XLSX and check the file
against the database. No JavaScript error may show up on the way."""

from __future__ import annotations

import re

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from exports.models import Export
from processing.models import Extraction, ProcessingJob
from projects.models import Document, Project
from schemas.models import SchemaVersion
from tests.browser.helpers import (
    CSV_ROWS,
    CSV_TEXT_COLUMN,
    PHONE,
    make_csv,
    make_docx,
    make_pdf,
    page_overflows,
    screenshot,
    unlabelled_fields,
    wide_elements,
)

pytestmark = pytest.mark.browser

JOB_TIMEOUT = 90_000  # ms; a handful of documents, but a cold worker on a 2-core machine
VARIABLES = [
    {
        "key": "stance",
        "label": "Stance",
        "type": "category",
        "instructions": "The stance of the main country towards the agreement.",
        "allowed_values": "support\noppose\nneutral",
    },
    {
        "key": "year",
        "label": "Year signed",
        "type": "integer",
        "instructions": "The year the agreement was signed, as four digits.",
    },
    {
        "key": "summary",
        "label": "Summary",
        "type": "text",
        "instructions": "One sentence on what the document says about the agreement.",
    },
]


def _field(page, label: str):
    """The field labelled exactly ``label`` (a required field's label ends in " *")."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\W*$"))


def _step_link(page, number: int):
    return page.get_by_role("navigation", name="Workflow steps").get_by_role("link").nth(number - 1)


def _mark_page(page) -> None:
    """Tag the window: the tag survives HTMX swaps and disappears on a page load."""
    page.evaluate("window.__sameDocument = true")


def _assert_same_page(page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


class _Traffic:
    """What the browser asked for: progress polls, and pages served without the CSP."""

    def __init__(self, page):
        self.progress_polls: list[str] = []
        self.pages_without_csp: list[str] = []
        page.on("request", self._request)
        page.on("response", self._response)

    def _request(self, request) -> None:
        if "/progress/" in request.url:
            self.progress_polls.append(request.url)

    def _response(self, response) -> None:
        policy = response.headers.get("content-security-policy", "")
        if response.request.is_navigation_request() and "script-src 'self'" not in policy:
            self.pages_without_csp.append(response.url)


def _wait_for_completed_job(page) -> None:
    """The job page polls its progress; when the run ends the page reloads once."""
    progress = page.locator("#job-progress")
    expect(progress.locator(".badge").first).to_have_text("Completed", timeout=JOB_TIMEOUT)
    expect(progress.locator("progress")).to_have_attribute(
        "value", progress.locator("progress").get_attribute("max")
    )
    expect(progress).to_contain_text("100%")


def test_a_new_user_goes_from_documents_to_an_xlsx_export(page, browser_errors, worker, tmp_path):
    traffic = _Traffic(page)

    # --- Sign up --------------------------------------------------------------------
    page.goto("/accounts/signup/")
    _field(page, "Username").fill("dana")
    _field(page, "Email").fill("dana@example.org")
    _field(page, "Password").fill("Quiet-harbour-1987")
    _field(page, "Password confirmation").fill("Quiet-harbour-1987")
    screenshot(page, "01-signup")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your projects")).to_be_visible()
    expect(page.get_by_text("No projects yet.")).to_be_visible()
    user = get_user_model().objects.get(username="dana")

    # --- Step 1: project and documents ----------------------------------------------
    page.get_by_role("button", name="Create your first project").click()
    _field(page, "Name").fill("Trade agreements")
    _field(page, "Description").fill(
        "Reports, interviews and statements on trade agreements: who signed, when, "
        "and where each country stood."
    )
    screenshot(page, "02-new-project")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_text("Project “Trade agreements” created.")).to_be_visible()
    project = Project.objects.get(owner=user)
    assert project.description.startswith("Reports, interviews")
    assert page.url.endswith(f"/projects/{project.pk}/documents/")

    _mark_page(page)
    page.locator("#upload-files").set_input_files(
        [make_pdf(tmp_path / "report.pdf"), make_docx(tmp_path / "interview.docx")]
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    results = page.locator("#upload-results li")
    expect(results).to_have_count(2)
    # The Word file is read in the request; the PDF is stored and read by the worker,
    # its progress shown above the list until it is a document.
    expect(results.filter(has_text="report.pdf")).to_contain_text("Being read")
    expect(results.filter(has_text="interview.docx")).to_contain_text("Added")
    read = page.locator("#upload-progress li", has_text="report.pdf")
    expect(read).to_contain_text("1 document added", timeout=JOB_TIMEOUT)
    _assert_same_page(page)
    screenshot(page, "03-uploaded-pdf-and-docx")

    page.locator("summary", has_text="Import a spreadsheet").click()
    page.locator("#table-file").set_input_files(make_csv(tmp_path / "statements.csv"))
    column = page.get_by_label("Text column")
    expect(column).to_be_enabled()
    expect(column.locator("option")).to_have_text(["ref", "region", CSV_TEXT_COLUMN])
    column.select_option(CSV_TEXT_COLUMN)
    page.get_by_role("button", name="Import rows").click()
    expect(results).to_have_count(len(CSV_ROWS))
    expect(results.filter(has_text="Added")).to_have_count(len(CSV_ROWS))
    _assert_same_page(page)
    screenshot(page, "04-imported-spreadsheet")

    documents = Document.objects.filter(project=project)
    assert documents.count() == 2 + len(CSV_ROWS)
    assert set(documents.values_list("status", flat=True)) == {"ready"}
    assert documents.get(name="report.pdf").page_count == 2
    texts = set(documents.values_list("text", flat=True))
    assert {text for _ref, _region, text in CSV_ROWS} <= texts
    rows = [d.metadata for d in documents if d.metadata.get("source_file") == "statements.csv"]
    assert sorted(m["region"] for m in rows) == sorted(region for _, region, _ in CSV_ROWS)
    assert {m["text_column"] for m in rows} == {CSV_TEXT_COLUMN}

    # The list and the stepper refresh themselves after an upload (no reload, no click).
    expect(page.locator("#document-list tbody tr")).to_have_count(documents.count())
    expect(page.locator("#stepper")).to_contain_text(f"{documents.count()} documents ready")
    _assert_same_page(page)

    # --- Step 2: variables ------------------------------------------------------------
    page.get_by_role("button", name="Next: define variables").click()
    page.get_by_role("button", name="Suggest variables").click()
    # The simulator answers the live server's own gateway; nothing is saved yet.
    expect(page.locator("#suggestions fieldset.suggestion").first).to_be_visible()
    assert not project.variables.exists()
    for count, variable in enumerate(VARIABLES, start=1):
        page.locator("#id_key-new").fill(variable["key"])
        page.locator("#id_label-new").fill(variable["label"])
        page.locator("#id_type-new").select_option(variable["type"])
        page.locator("#id_instructions-new").fill(variable["instructions"])
        if "allowed_values" in variable:
            allowed = page.locator("#id_allowed_values-new")
            expect(allowed).to_be_visible()  # revealed by the type picker, without script
            allowed.fill(variable["allowed_values"])
        else:
            expect(page.locator("#id_allowed_values-new")).to_be_hidden()
        page.get_by_role("button", name="Add variable").click()
        expect(page.locator(".variable-list > li")).to_have_count(count)
        expect(page.get_by_text(f"Variable “{variable['key']}” added.")).to_be_visible()
    screenshot(page, "05-variables")
    assert list(project.variables.values_list("key", "type")) == [
        (v["key"], v["type"]) for v in VARIABLES
    ]

    # --- Step 3: review and confirm -------------------------------------------------
    page.get_by_role("button", name="Next: review the schema").click()
    expect(page.locator("table.data").first.locator("tbody tr")).to_have_count(len(VARIABLES))
    screenshot(page, "06-review")
    page.get_by_role("button", name="Confirm as version 1").click()
    expect(page.get_by_text("Version 1 confirmed.")).to_be_visible()
    version = SchemaVersion.objects.get(project=project)
    assert version.number == 1
    assert [v["key"] for v in version.variables] == [v["key"] for v in VARIABLES]

    # --- Step 4: a sample, watched until it is done ---------------------------------
    page.get_by_label("Documents in the sample").fill("3")
    # The estimate follows the size typed.
    expect(page.locator("#sample-estimate")).to_contain_text("for 3 documents")
    screenshot(page, "07-processing")
    page.get_by_role("button", name="Run sample with version 1").click()
    expect(page.get_by_text("Sample job started on 3 document(s).")).to_be_visible()
    _wait_for_completed_job(page)
    assert traffic.progress_polls, "the job page never polled its progress"
    sample = ProcessingJob.objects.get(project=project, kind="sample")
    assert (sample.status, sample.processed, sample.succeeded) == ("completed", 3, 3)
    screenshot(page, "08-sample-completed")

    # --- Check a value of the sample and correct it ---------------------------------
    page.get_by_role("button", name="Check the values").click()
    expect(page.locator("#results-table tbody tr")).to_have_count(3)
    cell = (
        Extraction.objects.filter(job=sample, variable_key="stance").order_by("document_id").first()
    )
    corrected_to = next(v for v in ("neutral", "oppose", "support") if v != cell.final_value)
    results_url = page.url
    page.locator(f'#results-table a[href$="/results/values/{cell.pk}/"]').click()
    panel = page.locator("#cell-detail .cell-panel")
    expect(panel).to_contain_text(cell.document.name)
    assert page.url == results_url  # the panel opens beside the table; the page stays
    panel.get_by_label("Value", exact=True).select_option(corrected_to)
    panel.get_by_role("button", name="Save correction").click()
    expect(panel).to_contain_text("Correction saved")
    expect(panel.get_by_role("status")).to_be_focused()  # not lost to the page body
    expect(panel).to_contain_text("used in exports")
    # The table hears "results-changed" and redraws itself with the corrected value.
    corrected_cell = page.locator("#results-table td.cell-corrected")
    expect(corrected_cell).to_have_count(1)
    expect(corrected_cell).to_contain_text(corrected_to)
    cell.refresh_from_db()
    assert (cell.corrected, cell.human_value, cell.reviewed_by) == (True, corrected_to, user)
    screenshot(page, "09-value-corrected")

    # --- Step 4 again: the sample's values, then the rest of the corpus -------------
    _step_link(page, 4).click()
    embedded = page.locator("#latest-sample-title ~ div #results-table")
    expect(embedded.locator("tbody tr")).to_have_count(3)
    expect(embedded.locator("td.cell-corrected")).to_contain_text(corrected_to)
    embedded.locator(f'a[href$="/results/values/{cell.pk}/"]').click()  # a plain link here
    expect(page).to_have_url(re.compile(rf"/results/values/{cell.pk}/$"))
    expect(page.locator(".cell-panel")).to_contain_text("used in exports")
    page.go_back()
    remaining = documents.count() - 3
    page.get_by_role("button", name=f"Run {remaining} documents").click()
    _wait_for_completed_job(page)
    full_url = page.url
    full = ProcessingJob.objects.get(project=project, kind="full")
    assert (full.status, full.total, full.succeeded) == ("completed", remaining, remaining)
    screenshot(page, "10-full-run-completed")

    # --- Step 5: results and the XLSX export ----------------------------------------
    _step_link(page, 5).click()
    expect(page.locator("#results-table tbody tr")).to_have_count(documents.count())
    screenshot(page, "11-results")
    page.get_by_label("Format").select_option("xlsx")
    page.get_by_role("button", name="Export version 1").click()
    download_link = page.locator("#export-list").get_by_role("link", name="Excel (XLSX)")
    expect(download_link).to_be_visible()
    screenshot(page, "12-export-ready")
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert Export.objects.get(project=project).status == "completed"

    _check_workbook(path, version=version, corrected=cell)

    # --- The README screenshots: each step as it looks at the end -------------------
    for number in range(1, 6):
        _step_link(page, number).click()
        expect(_step_link(page, number)).to_have_attribute("aria-current", "step")
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, f"{12 + number}-final-step{number}", docs=f"step{number}")
        assert not unlabelled_fields(page), (number, unlabelled_fields(page))

    # --- The same results on a phone: wide tables scroll inside their frame ---------
    page.set_viewport_size(PHONE)
    for name, url in [("results", f"/projects/{project.pk}/results/"), ("job", full_url)]:
        page.goto(url)
        expect(page.locator(".table-wrap").first).to_be_visible()
        screenshot(page, f"phone-results-{name}")
        assert not page_overflows(page), f"{name} scrolls sideways: {wide_elements(page)}"

    # A CSP violation is a console error: none above means none here, with the policy on.
    assert not traffic.pages_without_csp, f"pages without the CSP: {traffic.pages_without_csp}"
    browser_errors.assert_none()


def _check_workbook(path, *, version: SchemaVersion, corrected: Extraction) -> None:
    """The file says what the database says, with the person's correction winning."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert {"data", "codebook", "metadata"} <= set(workbook.sheetnames)

    rows = list(workbook["data"].iter_rows(values_only=True))
    header, body = list(rows[0]), rows[1:]
    keys = [v["key"] for v in version.variables]
    assert header[:2] == ["document_id", "document_name"]
    assert [name for name in header if name in keys] == keys  # audit columns between
    assert f"{keys[0]}__model" in header  # XLSX keeps the audit trail by default
    assert {"ref", "region"} <= set(header)

    with_results = Document.objects.filter(extractions__schema_version=version).distinct()
    assert len(body) == with_results.count() == 5

    values = {
        (e.document_id, e.variable_key): e.final_value
        for e in Extraction.objects.filter(schema_version=version)
    }
    for row in body:
        record = dict(zip(header, row, strict=True))
        document = with_results.get(pk=record["document_id"])
        assert record["document_name"] == document.name
        for key in keys:
            expected = values.get((document.pk, key))
            assert record[key] == expected, (document.name, key, record[key], expected)
    corrected_row = next(r for r in body if r[0] == corrected.document_id)
    assert corrected_row[header.index("stance")] == corrected.human_value
    assert corrected.human_value != corrected.value

    codebook = list(workbook["codebook"].iter_rows(values_only=True))
    assert [row[0] for row in codebook[1:]] == keys

    metadata = dict(workbook["metadata"].iter_rows(min_row=2, values_only=True))
    assert metadata["schema_version"] == version.number
    assert metadata["values_corrected"] == 1
    assert metadata["simulated"] in (True, "true", "True")
