"""A coding round's files (long codes, reliability, JSON), their download, and the
reliability a dataset export carries in its metadata."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from conftest import token_client
from exports import rounds
from exports.models import CodingItem, Export
from exports.round_files import (
    CODE_FIELDS,
    RELIABILITY_FIELDS,
    reliability_rows,
    round_csv,
    round_json,
    round_long_rows,
    version_reliability,
)
from exports.services import export_create
from exports.writers import NO_RELIABILITY
from processing.models import Extraction
from projects.models import Document
from schemas.versions import current_version

pytestmark = pytest.mark.django_db
VARIABLES = ["country", "year", "stance"]  # schema order
FORMULA = "=cmd()"


@pytest.fixture
def completed(processed_project, team):
    """Carol and dave code every document; carol writes a formula as doc-000's country,
    dave another stance for doc-000, which the owner adjudicates."""
    version = current_version(processed_project)
    coding_round = rounds.round_create(
        project=processed_project,
        user=team["alice"],
        coders=["carol", "dave"],
        variables=["stance", "year", "country"],
        seed=7,
    )
    model = {
        (e.document_id, e.variable_key): e.value
        for e in Extraction.objects.filter(schema_version=version)
    }
    first = Document.objects.get(project=processed_project, name="doc-000").pk
    disputed = "oppose" if model[(first, "stance")] != "oppose" else "support"
    for item in CodingItem.objects.filter(round=coding_round).select_related("round", "coder"):
        value = model[(item.document_id, item.variable_key)]
        if item.document_id == first:
            if item.coder.username == "carol" and item.variable_key == "country":
                value = FORMULA
            if item.coder.username == "dave" and item.variable_key == "stance":
                value = disputed
        rounds.item_code(item=item, user=item.coder, value=value)
    coding_round.refresh_from_db()
    assert coding_round.status == "completed"
    rounds.adjudicate(
        coding_round=coding_round,
        user=team["alice"],
        document_id=first,
        variable="stance",
        value=disputed,
    )
    return {"round": coding_round, "model": model, "first": first, "disputed": disputed}


def _csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_long_rows_one_per_document_variable_and_coder(completed):
    coding_round, model, first = completed["round"], completed["model"], completed["first"]
    rows = list(round_long_rows(coding_round))

    assert len(rows) == 5 * 3 * 2
    assert all(list(row) == list(CODE_FIELDS) for row in rows)
    documents = sorted(coding_round.documents)
    expected_order = [
        (document, key, coder)
        for document in documents
        for key in VARIABLES
        for coder in ("carol", "dave")
    ]
    assert [(r["document_id"], r["variable"], r["coder"]) for r in rows] == expected_order
    assert rows[0]["document_name"] == "doc-000"
    for row in rows:
        assert row["model_value"] == model[(row["document_id"], row["variable"])]
    by_unit = {(r["document_id"], r["variable"], r["coder"]): r for r in rows}
    # Adjudicated: the adjudication where there is one...
    stance = by_unit[(first, "stance", "carol")]
    assert stance["adjudicated_value"] == completed["disputed"]
    # ...else the value both coders gave, else nothing.
    year = by_unit[(first, "year", "dave")]
    assert year["adjudicated_value"] == year["value"] == model[(first, "year")]
    assert by_unit[(first, "country", "carol")]["value"] == FORMULA
    assert by_unit[(first, "country", "carol")]["adjudicated_value"] is None


def test_codes_csv_is_written_like_the_dataset_csv(completed):
    coding_round, first = completed["round"], completed["first"]
    data = round_csv(coding_round, "codes")
    assert data.splitlines()[0] == b"\xef\xbb\xbf" + ",".join(CODE_FIELDS).encode()
    rows = _csv(data)
    assert len(rows) == 30
    country = next(
        row
        for row in rows
        if row["document_id"] == str(first)
        and row["variable"] == "country"
        and row["coder"] == "carol"
    )
    assert country["value"] == "'" + FORMULA  # shown as text, never evaluated
    assert country["adjudicated_value"] == ""
    years = [row for row in rows if row["variable"] == "year"]
    for row in years:  # an integer as a number, no value as an empty cell
        value = completed["model"][(int(row["document_id"]), "year")]
        assert row["value"] == ("" if value is None else str(value))
    assert any(row["value"].isdigit() for row in years)


def test_reliability_rows_and_csv(completed):
    coding_round = completed["round"]
    report = rounds.round_reliability(coding_round)
    rows = reliability_rows(report)
    assert [row["variable"] for row in rows] == VARIABLES
    assert all(list(row) == list(RELIABILITY_FIELDS) for row in rows)
    stance = next(row for row in rows if row["variable"] == "stance")
    figures = next(row for row in report if row["key"] == "stance")
    assert stance["alpha"] == figures["alpha"]
    assert [stance["alpha_ci95_low"], stance["alpha_ci95_high"]] == figures["alpha_ci95"]
    assert stance["percent_agreement"] == pytest.approx(0.8)
    assert stance["coders"] == ["carol", "dave"]
    pair = figures["kappa_pairs"][0]
    assert stance["kappa_pairs"] == f"carol–dave: {pair['kappa']:.3f} (n=5)"
    assert stance["model_vs_adjudicated_n"] == figures["model_vs_adjudicated"]["n"]
    year = next(row for row in rows if row["variable"] == "year")
    # No unweighted kappa at the interval level: the pair is listed without one.
    assert (year["level"], year["kappa_pairs"]) == ("interval", "carol–dave: n/a (n=5)")

    written = _csv(round_csv(coding_round, "reliability"))
    assert list(written[0]) == list(RELIABILITY_FIELDS)
    cells = {row["variable"]: row for row in written}
    assert cells["stance"]["coders"] == "carol; dave"
    assert float(cells["stance"]["percent_agreement"]) == pytest.approx(0.8)
    assert cells["stance"]["kappa_pairs"].startswith("carol–dave: ")
    assert cells["year"]["kappa_pairs"] == "carol–dave: n/a (n=5)"
    with pytest.raises(ValueError):
        round_csv(coding_round, "everything")


def test_round_json_holds_the_round_its_reliability_and_codes(completed):
    coding_round = completed["round"]
    document = round_json(coding_round)
    assert document["round"] == {
        "id": coding_round.pk,
        "name": "",
        "schema_version": coding_round.schema_version.number,
        "blind": True,
        "seed": 7,
        "coders": ["carol", "dave"],
        "units": 5,
        "variables": VARIABLES,
        "created_at": coding_round.created_at.isoformat(),
        "completed_at": coding_round.completed_at.isoformat(),
    }
    assert [row["variable"] for row in document["reliability"]] == VARIABLES
    assert len(document["codes"]) == 30
    # JSON is data: values as stored, the formula unchanged.
    assert FORMULA in [row["value"] for row in document["codes"]]
    assert any(isinstance(row["value"], int) for row in document["codes"])


def test_download_for_members_only(completed, team, other_user):
    round_id = completed["round"].pk
    url = f"/api/v1/rounds/{round_id}/download/"
    viewer = token_client(team["victor"])

    codes = viewer.get(url, {"what": "codes", "format": "csv"})
    assert codes.status_code == 200
    assert codes["Content-Type"] == "text/csv; charset=utf-8"
    assert codes["Content-Disposition"] == f'attachment; filename="round-{round_id}-codes.csv"'
    assert len(_csv(codes.content)) == 30
    assert viewer.get(url).content == codes.content  # codes as CSV by default

    reliability = viewer.get(url, {"what": "reliability", "format": "csv"})
    assert reliability.status_code == 200
    assert f"round-{round_id}-reliability.csv" in reliability["Content-Disposition"]
    assert len(_csv(reliability.content)) == 3

    whole = viewer.get(url, {"format": "json"})
    assert whole.status_code == 200 and whole["Content-Type"] == "application/json"
    assert whole["Content-Disposition"].startswith("attachment;")
    assert json.loads(whole.content)["round"]["id"] == round_id

    stranger = token_client(other_user)
    assert stranger.get(url).status_code == 404
    assert stranger.get(url, {"what": "nonsense"}).status_code == 404

    for query, field in (({"what": "everything"}, "what"), ({"format": "xlsx"}, "format")):
        refused = viewer.get(url, query)
        assert refused.status_code == 400
        error = refused.json()["error"]
        assert error["code"] == "validation_error" and field in error["details"]


def test_download_is_in_the_openapi_document(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    operation = schema.json()["paths"]["/api/v1/rounds/{round_id}/download/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"what", "format"} <= names
    assert set(operation["responses"]["200"]["content"]) == {"text/csv", "application/json"}


# --- the dataset export carries the reliability ------------------------------------------


def _export(project, user, fmt) -> Export:
    export = export_create(project=project, user=user, format=fmt, version=current_version(project))
    assert export.status == Export.Status.COMPLETED, export.error
    return export


def test_xlsx_export_has_a_reliability_sheet(completed, processed_project, user):
    coding_round = completed["round"]
    export = _export(processed_project, user, "xlsx")
    workbook = openpyxl.load_workbook(export.file.open("rb"), read_only=True)
    assert workbook.sheetnames == ["data", "codebook", "metadata", "reliability"]
    sheet = list(workbook["reliability"].iter_rows(values_only=True))
    assert list(sheet[0]) == list(RELIABILITY_FIELDS)
    figures = {row[0]: dict(zip(RELIABILITY_FIELDS, row, strict=True)) for row in sheet[1:]}
    assert list(figures) == VARIABLES
    expected = {
        row["variable"]: row for row in reliability_rows(rounds.round_reliability(coding_round))
    }
    assert figures["stance"]["alpha"] == pytest.approx(expected["stance"]["alpha"])
    assert figures["stance"]["percent_agreement"] == pytest.approx(0.8)
    assert figures["stance"]["coders"] == "carol; dave"
    assert figures["stance"]["kappa_pairs"] == expected["stance"]["kappa_pairs"]

    metadata = dict(workbook["metadata"].iter_rows(min_row=2, values_only=True))
    assert metadata["reliability.round"] == coding_round.pk
    assert metadata["reliability.units"] == 5
    assert metadata["reliability.variables"] == "3: see the reliability sheet"
    assert not any(key.startswith("reliability.variables.") for key in metadata)


def test_json_export_metadata_has_the_reliability(completed, processed_project, user):
    export = _export(processed_project, user, "json")
    metadata = json.loads(export.file.open("rb").read())["metadata"]
    reliability = metadata["reliability"]
    assert reliability["round"] == completed["round"].pk
    assert reliability["coders"] == ["carol", "dave"]
    assert reliability["units"] == 5
    assert [row["variable"] for row in reliability["variables"]] == VARIABLES
    assert all(list(row) == list(RELIABILITY_FIELDS) for row in reliability["variables"])


def test_without_a_completed_round_one_query_and_no_sheet(
    processed_project, user, team, django_assert_num_queries
):
    version = current_version(processed_project)
    rounds.round_create(project=processed_project, user=user, coders=["carol", "dave"], seed=1)
    with django_assert_num_queries(1):
        assert version_reliability(version) is None
    export = _export(processed_project, user, "xlsx")
    workbook = openpyxl.load_workbook(export.file.open("rb"), read_only=True)
    assert workbook.sheetnames == ["data", "codebook", "metadata"]
    metadata = dict(workbook["metadata"].iter_rows(min_row=2, values_only=True))
    assert metadata["reliability"] == NO_RELIABILITY
