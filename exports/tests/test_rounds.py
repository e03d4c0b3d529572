"""Coding rounds through the API: blind double coding, reliability, adjudication, and the
reliability gate before the full run."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest

from conftest import token_client
from exports.dataset import export_table
from exports.models import CodingItem, CodingRound
from processing.models import Extraction
from projects.models import ProjectMember
from schemas.versions import current_version

pytestmark = pytest.mark.django_db


def _create(api, project, **body):
    body = {"coders": ["carol", "dave"], "variables": ["stance", "year"], "seed": 7} | body
    body = {key: value for key, value in body.items() if value is not None}
    return api.post(f"/api/v1/projects/{project.pk}/rounds/", body, format="json")


def _code_all(client, round_id, answer):
    items = client.get(f"/api/v1/rounds/{round_id}/items/?page_size=500").json()["results"]
    for item in items:
        value = answer(item)
        response = client.put(
            f"/api/v1/rounds/{round_id}/items/{item['id']}/", {"value": value}, format="json"
        )
        assert response.status_code == 200, response.content
    return items


def test_a_blind_round_is_coded_by_two_people_and_measured(api, processed_project, team):
    created = _create(api, processed_project)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["blind"], body["units"]) == ("open", True, 5)
    assert body["coders"] == [
        {"username": "carol", "coded": 0, "total": 10},
        {"username": "dave", "coded": 0, "total": 10},
    ]
    round_id = body["id"]
    carol, dave = token_client(team["carol"]), token_client(team["dave"])

    # Blind: a coder's items carry neither the model's value nor the other coder's.
    listed = carol.get(f"/api/v1/rounds/{round_id}/items/?status=open").json()["results"]
    assert len(listed) == 10
    assert all("model_value" not in item and "other_values" not in item for item in listed)
    first = carol.get(f"/api/v1/rounds/{round_id}/items/{listed[0]['id']}/").json()
    assert "model_value" not in first
    # Another coder's item is not there for carol.
    daves = dave.get(f"/api/v1/rounds/{round_id}/items/").json()["results"]
    assert carol.get(f"/api/v1/rounds/{round_id}/items/{daves[0]['id']}/").status_code == 404
    bad = carol.put(
        f"/api/v1/rounds/{round_id}/items/{listed[1]['id']}/", {"value": "x" * 3}, format="json"
    )
    year_item = next(item for item in listed if item["variable"] == "year")
    bad = carol.put(
        f"/api/v1/rounds/{round_id}/items/{year_item['id']}/", {"value": "soon"}, format="json"
    )
    assert bad.status_code == 400 and "value" in bad.json()["error"]["details"]

    years = {2007: 2007, 2001: 2001}
    model = {
        (e.document_id, e.variable_key): e.value
        for e in Extraction.objects.filter(schema_version=current_version(processed_project))
    }

    def carols(item):
        return model[(item["document"]["id"], item["variable"])]

    def daves_answer(item):
        value = model[(item["document"]["id"], item["variable"])]
        if item["variable"] == "stance" and item["document"]["name"] == "doc-000":
            return "oppose" if value != "oppose" else "support"
        return years.get(value, value)

    _code_all(carol, round_id, carols)
    coded = carol.get(f"/api/v1/rounds/{round_id}/items/{listed[0]['id']}/").json()
    assert "model_value" in coded  # revealed once coded
    _code_all(dave, round_id, daves_answer)
    assert CodingRound.objects.get(pk=round_id).status == "completed"
    late = carol.put(
        f"/api/v1/rounds/{round_id}/items/{listed[0]['id']}/", {"value": None}, format="json"
    )
    assert (late.status_code, late.json()["error"]["code"]) == (409, "round_completed")

    report = api.get(f"/api/v1/rounds/{round_id}/reliability/").json()["variables"]
    stance = next(row for row in report if row["key"] == "stance")
    assert stance["level"] == "nominal" and stance["units"] == 5
    assert stance["percent_agreement"] == pytest.approx(0.8)
    # The same alpha as the krippendorff package on the same data.
    items = CodingItem.objects.filter(round_id=round_id, variable_key="stance").order_by(
        "document_id"
    )
    codes: dict = {}
    matrix = [
        [codes.setdefault(item.value, len(codes)) for item in items.filter(coder__username=name)]
        for name in ("carol", "dave")
    ]
    expected = krippendorff.alpha(
        reliability_data=np.array(matrix, dtype=float), level_of_measurement="nominal"
    )
    assert stance["alpha"] == pytest.approx(expected, abs=1e-9)
    assert stance["alpha_ci95"] is not None and len(stance["kappa_pairs"]) == 1

    # Disagreements, then the owner adjudicates: the value becomes the cell's human value.
    disagreements = api.get(f"/api/v1/rounds/{round_id}/disagreements/").json()["results"]
    assert len(disagreements) == 1
    unit = disagreements[0]
    assert set(unit["values"]) == {"carol", "dave"} and "model_value" in unit
    coder_try = token_client(team["carol"]).post(
        f"/api/v1/rounds/{round_id}/adjudications/",
        {"document": unit["document"]["id"], "variable": "stance", "value": "neutral"},
        format="json",
    )
    assert (coder_try.status_code, coder_try.json()["error"]["code"]) == (403, "role_forbidden")
    final = unit["values"]["dave"]  # carol gave the model's value, dave another one
    assert final != unit["model_value"]
    decided = api.post(
        f"/api/v1/rounds/{round_id}/adjudications/",
        {
            "document": unit["document"]["id"],
            "variable": "stance",
            "value": final,
            "note": "The text says so.",
        },
        format="json",
    )
    assert decided.status_code == 201, decided.content
    cell = Extraction.objects.get(document_id=unit["document"]["id"], variable_key="stance")
    assert (cell.corrected, cell.human_value, cell.value) == (True, final, unit["model_value"])
    assert processed_project.logs.filter(event="value_adjudicated").exists()
    version = current_version(processed_project)
    table = export_table(version, include_evidence=False, include_audit=False)
    names = [column.name for column in table.columns]
    rows = {row[names.index("document_id")]: row for row in table.rows}
    assert rows[unit["document"]["id"]][names.index("stance")] == final


def test_who_may_do_what_with_rounds(api, processed_project, team, other_user):
    round_id = _create(api, processed_project).json()["id"]
    viewer = token_client(team["victor"])
    assert viewer.get(f"/api/v1/rounds/{round_id}/").status_code == 200
    assert viewer.get(f"/api/v1/rounds/{round_id}/items/").json()["results"] == []
    refused = _create(token_client(team["carol"]), processed_project)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "role_forbidden")
    stranger = token_client(other_user)
    for path in ("", "items/", "reliability/", "disagreements/"):
        assert stranger.get(f"/api/v1/rounds/{round_id}/{path}").status_code == 404
    with_viewer = _create(api, processed_project, coders=["carol", "victor"])
    assert with_viewer.status_code == 400
    assert "victor" in with_viewer.json()["error"]["details"]["coders"][0]
    alone = _create(api, processed_project, coders=["carol", "carol"])
    assert alone.status_code == 400


def test_the_gate_refuses_the_full_run_until_reliability_is_met(api, processed_project, team):
    processed_project.require_reliability = True
    processed_project.save(update_fields=["require_reliability"])
    Extraction.objects.filter(document__project=processed_project).delete()
    url = f"/api/v1/projects/{processed_project.pk}/jobs/"
    refused = api.post(url, {"kind": "full"}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "reliability_not_met")
    assert refused.json()["error"]["details"]["round"] is None
    overridden = api.post(
        url, {"kind": "full", "reliability_override": "Pilot study."}, format="json"
    )
    assert overridden.status_code == 201
    from processing.engine import job_run

    job_run(job_id=overridden.json()["id"], hostname="test")
    logged = processed_project.logs.get(event="reliability_overridden")
    assert logged.job_id == overridden.json()["id"] and logged.data["reason"] == "Pilot study."

    version = current_version(processed_project)
    # Values that vary between documents, for every variable: alpha is defined.
    for index, extraction in enumerate(Extraction.objects.filter(schema_version=version)):
        varied = {
            "country": f"Country {index % 3}",
            "year": 1990 + index % 4,
            "signed_on": f"200{index % 5}-01-0{1 + index % 3}",
            "parties": 10 + index % 6,
            "stance": ["support", "oppose", "neutral"][index % 3],
        }
        Extraction.objects.filter(pk=extraction.pk).update(value=varied[extraction.variable_key])
    round_id = _create(api, processed_project, variables=None).json()["id"]
    model = {
        (e.document_id, e.variable_key): e.value
        for e in Extraction.objects.filter(schema_version=version)
    }
    for name in ("carol", "dave"):
        _code_all(
            token_client(team[name]),
            round_id,
            lambda item: model[(item["document"]["id"], item["variable"])],
        )
    Extraction.objects.filter(document__project=processed_project, variable_key="year").delete()
    allowed = api.post(url, {"kind": "full"}, format="json")
    assert allowed.status_code == 201, allowed.content


def test_a_blind_round_hides_the_coders_values_from_its_coders_until_completed(
    api, processed_project, team
):
    round_id = _create(api, processed_project, coders=["alice", "carol"]).json()["id"]
    carol = token_client(team["carol"])
    _code_all(carol, round_id, lambda item: None)
    for client in (carol, api):  # the owner codes in this round too
        refused = client.get(f"/api/v1/rounds/{round_id}/disagreements/")
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "round_blind")
        download = client.get(f"/api/v1/rounds/{round_id}/download/?what=codes")
        assert download.status_code == 409
    # A member who does not code it (and the reliability figures) may see it.
    assert (
        token_client(team["victor"]).get(f"/api/v1/rounds/{round_id}/disagreements/").status_code
        == 200
    )
    assert carol.get(f"/api/v1/rounds/{round_id}/reliability/").status_code == 200
    _code_all(api, round_id, lambda item: "support" if item["variable"] == "stance" else None)
    assert carol.get(f"/api/v1/rounds/{round_id}/disagreements/").status_code == 200


def test_the_owner_closes_a_round_a_coder_left(api, processed_project, team):
    round_id = _create(api, processed_project).json()["id"]
    _code_all(token_client(team["carol"]), round_id, lambda item: None)
    ProjectMember.objects.filter(user=team["dave"]).delete()  # dave leaves the project
    refused = token_client(team["carol"]).post(f"/api/v1/rounds/{round_id}/close/")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "role_forbidden")
    closed = api.post(f"/api/v1/rounds/{round_id}/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "completed"
    again = api.post(f"/api/v1/rounds/{round_id}/close/")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "round_completed")
    assert processed_project.logs.get(event="round_closed").data["items_not_coded"] == 10


def test_a_coder_in_a_blind_round_cannot_read_the_models_answers_of_its_version(
    api, client, processed_project, team
):
    round_id = _create(api, processed_project).json()["id"]
    project = processed_project.pk
    version = current_version(processed_project)
    carol = token_client(team["carol"])
    extraction = Extraction.objects.filter(schema_version=version).first()
    for path in (
        f"/api/v1/projects/{project}/results/",
        f"/api/v1/extractions/{extraction.pk}/",
        f"/api/v1/projects/{project}/review-queue/next/",
    ):
        refused = carol.get(path)
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "round_blind"), path
    export = carol.post(f"/api/v1/projects/{project}/exports/", {"format": "csv"}, format="json")
    assert (export.status_code, export.json()["error"]["code"]) == (409, "round_blind")
    client.force_login(team["carol"])
    page = client.get(f"/projects/{project}/results/")
    assert page.status_code == 409 and "Values closed while you code" in page.content.decode()
    assert client.get(f"/projects/{project}/results/values/{extraction.pk}/").status_code == 409
    # Others are not concerned: the viewer, the owner (not coding this round).
    assert (
        token_client(team["victor"]).get(f"/api/v1/projects/{project}/results/").status_code == 200
    )
    assert api.get(f"/api/v1/projects/{project}/results/").status_code == 200
    # Once carol has coded her items, her results open again.
    _code_all(carol, round_id, lambda item: None)
    assert carol.get(f"/api/v1/projects/{project}/results/").status_code == 200


def test_a_round_completing_puts_earlier_exports_out_of_date(api, processed_project, team):
    version = current_version(processed_project)
    before = api.post(
        f"/api/v1/projects/{processed_project.pk}/exports/", {"format": "json"}, format="json"
    ).json()
    assert before["out_of_date"] is False
    round_id = _create(api, processed_project, blind=False).json()["id"]
    for name in ("carol", "dave"):
        _code_all(token_client(team[name]), round_id, lambda item: None)
    assert CodingRound.objects.get(pk=round_id).schema_version == version
    listed = api.get(f"/api/v1/exports/{before['id']}/").json()
    assert listed["out_of_date"] is True  # its metadata lacks the round's reliability
