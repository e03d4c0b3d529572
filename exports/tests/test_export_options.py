"""The export options every format shares: the long layout, booleans as 1/0 in CSV, and
the refusals of what cannot be made, through the API and the step-5 form."""

from __future__ import annotations

import csv
import io

import pytest

from exports.models import Export
from processing.models import Extraction
from schemas.models import SchemaVersion

pytestmark = pytest.mark.django_db
LONG_HEADER = [
    "document_id",
    "document_name",
    "variable",
    "value",
    "model_value",
    "human_value",
    "review_status",
    "status",
    "confidence",
    "evidence",
    "evidence_start",
    "evidence_end",
]


def _export(api, project, **body) -> dict:
    response = api.post(f"/api/v1/projects/{project.pk}/exports/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _csv(api, body) -> list[list[str]]:
    response = api.get(body["download_url"])
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(content)))


def test_the_long_layout_has_a_row_per_document_and_variable(api, processed_project):
    value = Extraction.objects.filter(schema_version__project=processed_project).first()
    value.human_value, value.corrected, value.human_evidence = "Peru", True, "in Lima"
    value.save()
    body = _export(api, processed_project, format="csv", layout="long")
    assert body["layout"] == "long"
    assert "-long" in Export.objects.get(pk=body["id"]).file.name

    header, *rows = _csv(api, body)

    assert header == LONG_HEADER
    values = Extraction.objects.filter(schema_version__project=processed_project)
    assert len(rows) == values.count()
    keys = [
        variable["key"]
        for variable in SchemaVersion.objects.get(project=processed_project).variables
    ]
    first = [row for row in rows if row[0] == str(value.document_id)]
    assert [row[2] for row in first] == keys  # schema order
    corrected = next(row for row in first if row[2] == value.variable_key)
    assert corrected[3:8] == ["Peru", str(value.value), "Peru", "corrected", value.status]
    assert corrected[9:] == ["in Lima", "", ""]  # a person's quote has no position
    other = next(row for row in rows if row[7] == "ok" and row[6] == "unchecked")
    extraction = values.get(document_id=int(other[0]), variable_key=other[2])
    assert other[10:] == [str(extraction.evidence_start), str(extraction.evidence_end)]


def test_csv_booleans_can_be_1_and_0(api, user):
    from processing.tests.conftest import make_project

    project = make_project(user, variables=[("ratified", "boolean", "Ratified?", [], False)])
    version = SchemaVersion.objects.get(project=project)
    for index, document in enumerate(project.documents.order_by("id")[:2]):
        Extraction.objects.create(
            document=document,
            schema_version=version,
            variable_key="ratified",
            value=index == 0,
            status="ok",
        )
    default = _csv(api, _export(api, project, format="csv"))
    numbers = _csv(api, _export(api, project, format="csv", booleans="1_0"))

    column = default[0].index("ratified")
    assert [row[column] for row in default[1:3]] == ["TRUE", "FALSE"]
    assert [row[column] for row in numbers[1:3]] == ["1", "0"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"format": "csv", "layout": "tall"}, "layout"),
        ({"format": "csv", "booleans": "yes_no"}, "booleans"),
        ({"format": "package", "package_formats": ["xlsx"]}, "package_formats"),
        ({"format": "package", "layout": "long"}, "layout"),
        ({"format": "rdata"}, "format"),
    ],
)
def test_what_cannot_be_made_is_a_400_naming_the_field(api, processed_project, body, field):
    response = api.post(f"/api/v1/projects/{processed_project.pk}/exports/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not Export.objects.filter(project=processed_project).exists()


def test_the_step_5_form_makes_a_long_parquet_and_a_package(client_logged_in, processed_project):
    url = f"/projects/{processed_project.pk}/exports/new/"
    for data in (
        {"format": "parquet", "layout": "long"},
        {"format": "package", "layout": "wide", "package_formats": ["dta"]},
    ):
        response = client_logged_in.post(url, data)
        assert response.status_code == 302
    parquet, package = Export.objects.filter(project=processed_project).order_by("id")
    assert (parquet.format, parquet.options["layout"], parquet.status) == (
        "parquet",
        "long",
        "completed",
    )
    assert package.options["package_formats"] == ["dta"] and package.status == "completed"
    assert package.file.name.endswith(".zip")
    page = client_logged_in.get(f"/projects/{processed_project.pk}/results/")
    assert b'value="package"' in page.content and b'name="layout"' in page.content
