"""Step 5 API: results rows, reviews beside the model's value, agreement, exports."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from exports.models import Export
from processing.models import Extraction, ProcessingLog

pytestmark = pytest.mark.django_db


def test_results_rows_have_the_api_shape(api, processed_project):
    body = api.get(f"/api/v1/projects/{processed_project.pk}/results/?page_size=2").json()
    assert body["count"] == 5
    assert len(body["results"]) == 2 and body["next"]
    row = body["results"][0]
    assert set(row["document"]) == {"id", "name", "metadata"}
    assert list(row["values"]) == ["country", "year", "signed_on", "parties", "stance"]
    cell = row["values"]["year"]
    assert {
        "extraction_id",
        "value",
        "status",
        "evidence",
        "evidence_start",
        "evidence_end",
        "confidence",
        "human_value",
        "verified",
    } <= set(cell)


def test_results_filters(api, processed_project):
    base = f"/api/v1/projects/{processed_project.pk}/results/"
    Extraction.objects.filter(variable_key="year").update(status="ok")
    target = Extraction.objects.filter(variable_key="year").first()
    Extraction.objects.filter(pk=target.pk).update(status="invalid")
    flagged = api.get(base + "?status=flagged&variable=year").json()
    assert [r["document"]["id"] for r in flagged["results"]] == [target.document_id]
    searched = api.get(base + "?search=doc-003").json()
    assert [r["document"]["name"] for r in searched["results"]] == ["doc-003"]
    assert api.get(base + "?schema_version=7").status_code == 400


def test_sorting_numbers_as_numbers(api, processed_project):
    for value, extraction in zip(
        [100, 9, 20, 3, 55], Extraction.objects.filter(variable_key="parties"), strict=True
    ):
        api.patch(f"/api/v1/extractions/{extraction.pk}/", {"human_value": value}, format="json")
    body = api.get(f"/api/v1/projects/{processed_project.pk}/results/?sort=-parties").json()
    values = [row["values"]["parties"]["final_value"] for row in body["results"]]
    assert values == [100, 55, 20, 9, 3]


def test_correction_is_stored_beside_the_model_value(api, processed_project, user):
    extraction = Extraction.objects.filter(variable_key="year").first()
    model_value = extraction.value
    response = api.patch(
        f"/api/v1/extractions/{extraction.pk}/", {"human_value": "1999"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["human_value"] == 1999 and body["corrected"] and body["verified"]
    assert body["value"] == model_value
    extraction.refresh_from_db()
    assert extraction.value == model_value and extraction.final_value == 1999
    log = ProcessingLog.objects.get(event="value_reviewed")
    assert log.user == user and log.data["after"]["human_value"] == 1999

    api.patch(f"/api/v1/extractions/{extraction.pk}/", {"corrected": False}, format="json")
    extraction.refresh_from_db()
    assert not extraction.corrected and extraction.final_value == model_value


@pytest.mark.parametrize(
    ("key", "value"),
    [("year", "about twelve"), ("stance", "maybe"), ("signed_on", "03/05/2007")],
)
def test_a_correction_of_the_wrong_type_is_400(api, processed_project, key, value):
    extraction = Extraction.objects.filter(variable_key=key).first()
    response = api.patch(
        f"/api/v1/extractions/{extraction.pk}/", {"human_value": value}, format="json"
    )
    assert response.status_code == 400
    assert "human_value" in response.json()["error"]["details"]
    extraction.refresh_from_db()
    assert not extraction.corrected


def test_empty_review_is_400(api, processed_project):
    extraction = Extraction.objects.first()
    response = api.patch(f"/api/v1/extractions/{extraction.pk}/", {}, format="json")
    assert response.status_code == 400


def test_agreement_endpoint(api, processed_project):
    stance = list(Extraction.objects.filter(variable_key="stance").order_by("id"))
    api.patch(f"/api/v1/extractions/{stance[0].pk}/", {"verified": True}, format="json")
    other = next(v for v in ("support", "oppose", "neutral") if v != stance[1].value)
    api.patch(f"/api/v1/extractions/{stance[1].pk}/", {"human_value": other}, format="json")
    rows = api.get(f"/api/v1/projects/{processed_project.pk}/agreement/").json()
    by_key = {row["key"]: row for row in rows}
    assert by_key["stance"]["n_verified"] == 2
    assert by_key["stance"]["agreement"] == 0.5
    assert by_key["year"]["n_verified"] == 0 and by_key["year"]["agreement"] is None


def _export(api, project, **body):
    return api.post(f"/api/v1/projects/{project.pk}/exports/", body, format="json")


def _download(api, body) -> bytes:
    response = api.get(body["download_url"])
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _expected(project):
    rows = {}
    for extraction in Extraction.objects.filter(document__project=project):
        rows.setdefault(extraction.document_id, {})[extraction.variable_key] = (
            extraction.final_value
        )
    return rows


def test_csv_export_matches_the_database(api, processed_project):
    hostile = Extraction.objects.filter(variable_key="country").first()
    api.patch(
        f"/api/v1/extractions/{hostile.pk}/",
        {"human_value": '=HYPERLINK("http://x", "click"), "quoted"\nline'},
        format="json",
    )
    body = _export(api, processed_project, format="csv", include_evidence=True).json()
    assert body["status"] == "completed" and body["row_count"] == 5
    reader = csv.DictReader(io.StringIO(_download(api, body).decode("utf-8")))
    rows = list(reader)
    assert reader.fieldnames[:2] == ["document_id", "document_name"]
    assert "year__evidence" in reader.fieldnames and "year__status" in reader.fieldnames
    expected = _expected(processed_project)
    for row in rows:
        values = expected[int(row["document_id"])]
        year = values["year"]
        assert row["year"] == ("" if year is None else str(year))
    cell = next(r["country"] for r in rows if int(r["document_id"]) == hostile.document_id)
    assert cell.startswith("'=HYPERLINK")  # neutralised, not executed by a spreadsheet
    assert cell.endswith('"quoted"\nline')


def test_xlsx_export_has_three_sheets_and_typed_cells(api, processed_project):
    extraction = Extraction.objects.filter(variable_key="parties").first()
    api.patch(f"/api/v1/extractions/{extraction.pk}/", {"human_value": 27}, format="json")
    body = _export(api, processed_project, format="xlsx").json()
    workbook = openpyxl.load_workbook(io.BytesIO(_download(api, body)))
    assert workbook.sheetnames == ["data", "codebook", "metadata"]
    data = workbook["data"]
    assert data.freeze_panes == "A2"
    header = [cell.value for cell in data[1]]
    column = header.index("parties")
    values = {row[0]: row[column] for row in data.iter_rows(min_row=2, values_only=True)}
    assert values[extraction.document_id] == 27  # the human value wins, as a number
    metadata = {row[0]: row[1] for row in workbook["metadata"].iter_rows(values_only=True)}
    assert metadata["schema_version"] == 1
    assert len(metadata["prompt_hash"]) == 64


def test_json_export_envelope(api, processed_project):
    body = _export(api, processed_project, format="json").json()
    document = json.loads(_download(api, body))
    assert set(document) == {"metadata", "codebook", "rows"}
    assert len(document["rows"]) == 5
    assert [v["key"] for v in document["codebook"]] == [
        "country",
        "year",
        "signed_on",
        "parties",
        "stance",
    ]


@pytest.mark.parametrize(
    ("body", "status"),
    [({"format": "pdf"}, 400), ({"format": "csv", "schema_version": 9}, 400)],
)
def test_bad_export_requests(api, processed_project, body, status):
    assert _export(api, processed_project, **body).status_code == status
    assert not Export.objects.exists()


def test_export_before_any_result_is_409(api, project):
    assert _export(api, project, format="csv").status_code == 409


def test_another_users_results_and_exports_are_404(api, other_api, processed_project):
    body = _export(api, processed_project, format="csv").json()
    extraction = Extraction.objects.first()
    project = processed_project.pk
    assert other_api.get(f"/api/v1/projects/{project}/results/").status_code == 404
    assert other_api.get(f"/api/v1/projects/{project}/agreement/").status_code == 404
    assert other_api.get(f"/api/v1/projects/{project}/exports/").status_code == 404
    assert other_api.get(f"/api/v1/exports/{body['id']}/").status_code == 404
    assert other_api.get(f"/api/v1/exports/{body['id']}/download/").status_code == 404
    response = other_api.patch(
        f"/api/v1/extractions/{extraction.pk}/", {"verified": True}, format="json"
    )
    assert response.status_code == 404
    extraction.refresh_from_db()
    assert not extraction.verified
