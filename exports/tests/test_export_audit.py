"""Exports that keep the audit trail: every document a row (failed ones with the
reason), the model's and the person's values side by side, review counts without
double counting, table metadata as columns and the rest as one JSON column, and old
exports that say they are out of date."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exports.models import Export
from exports.services import export_build
from processing.models import Extraction, JobDocument, ProcessingJob
from projects.models import Document, Project
from projects.services import document_delete
from schemas.models import SchemaVersion
from schemas.versions import current_version

pytestmark = pytest.mark.django_db
AUDIT_SUFFIXES = ["__model", "__human", "__review", "__status", "__confidence", "__evidence"]


def _export(api, project, **body) -> dict:
    response = api.post(f"/api/v1/projects/{project.pk}/exports/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _download(api, body) -> bytes:
    response = api.get(body["download_url"])
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _json_rows(api, project, **body) -> tuple[dict, dict[int, dict]]:
    document = json.loads(_download(api, _export(api, project, format="json", **body)))
    return document["metadata"], {row["document_id"]: row for row in document["rows"]}


def _document(project, name: str, **fields) -> Document:
    return Document.objects.create(
        project=project,
        name=name,
        source_type=fields.pop("source_type", "pdf"),
        sha256=name.rjust(64, "0"),
        text=fields.pop("text", ""),
        **fields,
    )


@pytest.fixture
def troubled_project(processed_project):
    """The five coded documents, plus one that could not be read, one still queued,
    one the run failed on, and one added after the run."""
    project = processed_project
    version = current_version(project)
    _document(project, "scan.pdf", status="failed", error="The PDF has no text layer.",
              metadata={"error_code": "no_text_layer"})  # fmt: skip
    _document(project, "big.pdf", status="queued")
    failed = _document(project, "bad.txt", status="ready", text="text", source_type="txt")
    job = ProcessingJob.objects.get(project=project, schema_version=version)
    JobDocument.objects.create(
        job=job, document=failed, status="failed", error="The model's answer was not JSON.",
        finished_at=timezone.now(),
    )  # fmt: skip
    _document(project, "late.txt", status="ready", text="text", source_type="txt")
    return project


def test_every_document_is_a_row_and_failed_ones_say_why(api, troubled_project):
    metadata, rows = _json_rows(api, troubled_project)

    assert len(rows) == Document.objects.filter(project=troubled_project).count() == 9
    by_name = {row["document_name"]: row for row in rows.values()}
    expected = {
        "scan.pdf": ("failed", "The PDF has no text layer."),
        "big.pdf": ("queued", None),
        "bad.txt": ("extraction_failed", "The model's answer was not JSON."),
        "late.txt": ("not_processed", None),
    }
    for name, (status, error) in expected.items():
        row = by_name[name]
        assert (row["document_status"], row["document_error"]) == (status, error), name
        assert row["country"] is None and row["country__model"] is None
        assert row["country__review"] is None
    coded = [row for row in rows.values() if row["document_status"] == "ready"]
    assert len(coded) == 5 and all(row["document_error"] is None for row in coded)
    assert by_name["scan.pdf"]["document_metadata"] == {"error_code": "no_text_layer"}
    assert metadata["documents"] == 9
    assert metadata["documents_ready"] == 5
    assert metadata["documents_failed"] == 1
    assert metadata["documents_extraction_failed"] == 1
    assert metadata["documents_failed_total"] == 2
    assert metadata["documents_not_processed"] == 1
    assert metadata["documents_not_ready"] == 1


def test_a_failed_document_is_a_csv_row_with_empty_values(api, troubled_project):
    body = _export(api, troubled_project, format="csv")
    assert body["row_count"] == 9
    rows = list(csv.DictReader(io.StringIO(_download(api, body).decode("utf-8"))))
    scan = next(row for row in rows if row["document_name"] == "scan.pdf")
    assert scan["document_status"] == "failed"
    assert scan["document_error"] == "The PDF has no text layer."
    assert scan["country"] == scan["year"] == scan["stance"] == ""


def test_a_corrected_value_exports_the_model_and_the_person_side_by_side(api, processed_project):
    corrected = Extraction.objects.filter(variable_key="year").first()
    api.patch(f"/api/v1/extractions/{corrected.pk}/", {"human_value": 1999}, format="json")
    Extraction.objects.filter(pk=corrected.pk).update(human_evidence="signed in 1999")
    corrected.refresh_from_db()
    verified = Extraction.objects.exclude(pk=corrected.pk).filter(variable_key="year").first()
    api.patch(f"/api/v1/extractions/{verified.pk}/", {"verified": True}, format="json")

    _metadata, rows = _json_rows(api, processed_project)

    row = rows[corrected.document_id]
    assert row["year"] == 1999
    assert row["year__model"] == corrected.value != 1999
    assert row["year__human"] == 1999
    assert row["year__review"] == "corrected"
    assert row["year__status"] == corrected.status  # the checks' verdict on the model's value
    assert row["year__confidence"] == corrected.confidence
    assert row["year__evidence"] == "signed in 1999"  # the person's quote, not the model's
    other = rows[verified.document_id]
    assert other["year__review"] == "verified" and other["year__human"] is None
    assert other["year"] == other["year__model"] == verified.value
    assert other["year__evidence"] == verified.evidence
    unchecked = Extraction.objects.filter(variable_key="country", verified=False).first()
    assert rows[unchecked.document_id]["country__review"] == "unchecked"


def test_a_correction_without_a_quote_keeps_the_models_evidence(api, processed_project):
    corrected = Extraction.objects.filter(variable_key="year").first()
    api.patch(f"/api/v1/extractions/{corrected.pk}/", {"human_value": 1999}, format="json")
    _metadata, rows = _json_rows(api, processed_project, include_audit=False, include_evidence=True)
    row = rows[corrected.document_id]
    assert row["year__evidence"] == corrected.evidence
    assert row["year__status"] == "corrected"  # no review column: the status says it
    assert "year__model" not in row


def test_the_metadata_sheet_counts_each_value_once(api, processed_project):
    first, second, third = Extraction.objects.order_by("pk")[:3]
    api.patch(f"/api/v1/extractions/{first.pk}/", {"verified": True}, format="json")
    api.patch(f"/api/v1/extractions/{second.pk}/", {"verified": True}, format="json")
    # A correction is also a check (verified is set), yet it counts once: as corrected.
    api.patch(f"/api/v1/extractions/{third.pk}/", {"human_value": None}, format="json")
    assert Extraction.objects.filter(verified=True).count() == 3

    body = _export(api, processed_project, format="xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(_download(api, body)))
    metadata = dict(workbook["metadata"].iter_rows(min_row=2, values_only=True))

    total = Extraction.objects.count()
    assert metadata["values"] == total
    assert (metadata["values_verified"], metadata["values_corrected"]) == (2, 1)
    assert metadata["values_unchecked"] == total - 3
    assert metadata["documents_failed_total"] == 0


@pytest.mark.parametrize(
    ("body", "audit"),
    [
        ({"format": "csv"}, False),
        ({"format": "csv", "include_audit": True}, True),
        ({"format": "csv", "include_audit": None}, False),
        ({"format": "xlsx"}, True),
        ({"format": "json"}, True),
        ({"format": "json", "include_audit": False}, False),
    ],
)
def test_audit_columns_by_format_and_option(api, processed_project, body, audit):
    answer = _export(api, processed_project, **body)
    assert answer["include_audit"] is audit
    content = _download(api, answer)
    if body["format"] == "csv":
        header = next(csv.reader(io.StringIO(content.decode("utf-8"))))
    elif body["format"] == "json":
        header = list(json.loads(content)["rows"][0])
    else:
        header = [cell.value for cell in openpyxl.load_workbook(io.BytesIO(content))["data"][1]]
    assert header[:4] == ["document_id", "document_name", "document_status", "document_error"]
    assert [name for name in header if name.startswith("year")] == (
        ["year", *(f"year{suffix}" for suffix in AUDIT_SUFFIXES)] if audit else ["year"]
    )


@pytest.mark.parametrize(
    ("form", "audit"),
    [({}, True), ({"include_audit": ""}, True), ({"include_audit": "false"}, False)],
)
def test_the_page_offers_the_audit_option(client_logged_in, processed_project, form, audit):
    page = client_logged_in.get(f"/projects/{processed_project.pk}/results/")
    assert b'name="include_audit"' in page.content
    client_logged_in.post(
        f"/projects/{processed_project.pk}/exports/new/", {"format": "xlsx", **form}
    )
    assert Export.objects.get().options["include_audit"] is audit


def _listed(api, project) -> dict:
    answer = api.get(f"/api/v1/projects/{project.pk}/exports/").json()
    return {export["id"]: export for export in answer["results"]}


def test_an_export_is_out_of_date_after_a_review(api, client_logged_in, processed_project):
    body = _export(api, processed_project, format="csv")
    assert body["out_of_date"] is False
    assert _listed(api, processed_project)[body["id"]]["out_of_date"] is False
    page = client_logged_in.get(f"/projects/{processed_project.pk}/results/")
    assert b"out of date" not in page.content

    extraction = Extraction.objects.first()
    api.patch(f"/api/v1/extractions/{extraction.pk}/", {"verified": True}, format="json")

    assert _listed(api, processed_project)[body["id"]]["out_of_date"] is True
    assert api.get(f"/api/v1/exports/{body['id']}/").json()["out_of_date"] is True
    page = client_logged_in.get(f"/projects/{processed_project.pk}/results/")
    assert b"out of date" in page.content
    fresh = _export(api, processed_project, format="csv")
    listed = _listed(api, processed_project)
    assert listed[fresh["id"]]["out_of_date"] is False and listed[body["id"]]["out_of_date"]


def test_an_export_is_out_of_date_after_a_document_is_deleted(api, processed_project):
    body = _export(api, processed_project, format="json")
    document_delete(document=processed_project.documents.first())
    assert _listed(api, processed_project)[body["id"]]["out_of_date"] is True


def test_an_export_is_out_of_date_after_a_document_fails_or_is_added(api, processed_project):
    body = _export(api, processed_project, format="json")
    document = _document(processed_project, "new.pdf", status="queued")
    assert _listed(api, processed_project)[body["id"]]["out_of_date"] is True
    again = _export(api, processed_project, format="json")
    Document.objects.filter(pk=document.pk).update(status="failed", error="Unreadable.")
    assert _listed(api, processed_project)[again["id"]]["out_of_date"] is True


def test_editing_the_project_does_not_make_an_export_out_of_date(api, processed_project):
    body = _export(api, processed_project, format="csv")
    Project.objects.filter(pk=processed_project.pk).update(
        name="Renamed", updated_at=timezone.now()
    )  # as a settings edit or a draft variable change does
    assert _listed(api, processed_project)[body["id"]]["out_of_date"] is False


def test_an_export_from_before_stamps_is_judged_on_its_values(api, processed_project):
    body = _export(api, processed_project, format="csv")
    Export.objects.filter(pk=body["id"]).update(data_stamp="")
    assert _listed(api, processed_project)[body["id"]]["out_of_date"] is False
    Extraction.objects.filter(pk=Extraction.objects.first().pk).update(updated_at=timezone.now())
    assert _listed(api, processed_project)[body["id"]]["out_of_date"] is True


def test_listing_reads_the_data_once_per_version(api, processed_project):
    url = f"/api/v1/projects/{processed_project.pk}/exports/"
    _export(api, processed_project, format="csv")
    with CaptureQueriesContext(connection) as one:
        api.get(url)
    for _ in range(3):
        _export(api, processed_project, format="csv")
    with CaptureQueriesContext(connection) as four:
        assert len(api.get(url).json()["results"]) == 4
    assert len(four) == len(one)


# --- metadata from different sources -------------------------------------------------------


@pytest.fixture
def mixed_version(user):
    """Two rows of a CSV upload (their other columns are metadata) and a PDF with a
    title and OCR figures, each with one value."""
    project = Project.objects.create(owner=user, name="Mixed")
    version = SchemaVersion.objects.create(
        project=project, number=1, system_prompt="s", user_template="u", json_schema={},
        prompt_hash="h" * 64,
        variables=[{"key": "title", "label": "Title", "type": "text", "instructions": "t",
                    "allowed_values": [], "required": False}],
    )  # fmt: skip
    sources = [
        ("row 1", "csv", {"party": "Greens", "source_file": "t.csv", "source_row": 2}),
        ("row 2", "csv", {"party": "Labour", "region": "North", "source_file": "t.csv"}),
        ("scan.pdf", "pdf", {"title": "A report", "ocr": True, "ocr_pages": [{"page": 1}]}),
    ]
    for name, source_type, metadata in sources:
        document = _document(
            project, name, source_type=source_type, status="ready", text="t", metadata=metadata
        )
        Extraction.objects.create(
            document=document, schema_version=version, variable_key="title", value=name,
            status="ok",
        )  # fmt: skip
    return version


def _build(version, fmt: str) -> Export:
    export = Export.objects.create(project=version.project, schema_version=version, format=fmt)
    export = export_build(export)
    assert export.status == Export.Status.COMPLETED, export.error
    return export


def test_table_metadata_are_columns_and_the_rest_one_json_column(mixed_version):
    export = _build(mixed_version, "csv")
    reader = csv.DictReader(io.StringIO(export.file.open("rb").read().decode("utf-8")))
    rows = {row["document_name"]: row for row in reader}
    fixed = ["document_id", "document_name", "document_status", "document_error"]
    assert reader.fieldnames[:4] == fixed
    # PostgreSQL's jsonb keeps a row's keys in its own order: the set is what is fixed.
    assert set(reader.fieldnames[4:8]) == {"party", "source_file", "source_row", "region"}
    assert reader.fieldnames[8:] == ["document_metadata", "title"]
    assert rows["row 2"]["party"] == "Labour" and rows["row 2"]["region"] == "North"
    assert rows["row 1"]["document_metadata"] == ""
    assert rows["scan.pdf"]["party"] == ""
    assert json.loads(rows["scan.pdf"]["document_metadata"]) == {
        "title": "A report", "ocr": True, "ocr_pages": [{"page": 1}],
    }  # fmt: skip
    assert rows["scan.pdf"]["title"] == "scan.pdf"  # the variable, not the PDF's title


def test_json_keeps_document_metadata_as_an_object(mixed_version):
    export = _build(mixed_version, "json")
    document = json.loads(export.file.open("rb").read())
    pdf = next(row for row in document["rows"] if row["document_name"] == "scan.pdf")
    assert pdf["document_metadata"]["ocr_pages"] == [{"page": 1}]
    assert "table rows" in document["metadata"]["document_metadata_note"]
