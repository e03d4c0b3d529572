"""Every free-text field has a documented length limit, held by the API, the wizard's
forms and the services alike: a 2 MB description or a 1 MB correction is a 400 with the
field named, and nothing that was there before changes."""

from __future__ import annotations

import pytest

from exports.review import HUMAN_VALUE_MAX_CHARS
from processing.models import Extraction
from projects.models import Project
from schemas.models import MAX_ALLOWED_VALUE_LENGTH, MAX_ALLOWED_VALUES, SchemaVersion, Variable

pytestmark = pytest.mark.django_db

MEGABYTES = 2 * 1024 * 1024


def _field_error(response, field: str) -> str:
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"], error
    return " ".join(map(str, error["details"][field]))


def test_the_limits_are_on_the_models():
    limits = {
        (Project, "name"): 200,
        (Project, "description"): 10_000,
        (Project, "instructions"): 20_000,
        (Variable, "label"): 200,
        (Variable, "instructions"): 4000,
        (SchemaVersion, "note"): 2000,
    }
    for (model, name), limit in limits.items():
        assert model._meta.get_field(name).max_length == limit, (model, name)


@pytest.mark.parametrize(("field", "limit"), [("description", 10_000), ("instructions", 20_000)])
def test_project_text_over_its_limit_is_refused_by_the_api(api, project, field, limit):
    response = api.post("/api/v1/projects/", {"name": "Big", field: "x" * MEGABYTES}, format="json")
    assert f"no more than {limit} characters" in _field_error(response, field)
    assert not Project.objects.filter(name="Big").exists()

    response = api.patch(
        f"/api/v1/projects/{project.pk}/", {field: "y" * (limit + 1)}, format="json"
    )
    _field_error(response, field)
    response = api.patch(f"/api/v1/projects/{project.pk}/", {field: "y" * limit}, format="json")
    assert response.status_code == 200
    project.refresh_from_db()
    assert len(getattr(project, field)) == limit


def test_project_text_over_its_limit_is_refused_by_the_form(client_logged_in, project):
    response = client_logged_in.post(
        f"/projects/{project.pk}/settings/",
        {"name": project.name, "description": "x" * 10_001, "instructions": "", "model": ""},
    )
    assert response.status_code == 200  # the form again, with the error beside the field
    assert "at most 10000 characters" in response.content.decode()
    project.refresh_from_db()
    assert project.description == "Treaties"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"label": "l" * 201}, "label"),
        ({"instructions": "i" * 4001}, "instructions"),
        (
            {"type": "category", "allowed_values": ["v"] * (MAX_ALLOWED_VALUES + 1)},
            "allowed_values",
        ),
        (
            {"type": "category", "allowed_values": ["a", "v" * (MAX_ALLOWED_VALUE_LENGTH + 1)]},
            "allowed_values",
        ),
    ],
)
def test_variable_text_over_its_limit_is_refused(api, project, body, field):
    data = {"key": "country", "type": "text", "instructions": "The country."} | body
    response = api.post(f"/api/v1/projects/{project.pk}/variables/", data, format="json")
    _field_error(response, field)
    assert not Variable.objects.exists()


def test_variable_instructions_over_the_limit_are_refused_by_the_form(client_logged_in, project):
    response = client_logged_in.post(
        f"/projects/{project.pk}/variables/add/",
        {"key": "country", "type": "text", "instructions": "i" * 4001},
    )
    assert response.status_code in (200, 400)
    assert "at most 4000 characters" in response.content.decode()
    assert not Variable.objects.exists()


def test_a_version_note_over_its_limit_is_refused(api, project):
    Variable.objects.create(
        project=project, key="country", type="text", instructions="The country."
    )
    url = f"/api/v1/projects/{project.pk}/schema/versions/"
    _field_error(api.post(url, {"note": "n" * 2001}, format="json"), "note")
    assert not SchemaVersion.objects.exists()
    assert api.post(url, {"note": "n" * 2000}, format="json").status_code == 201


def test_a_megabyte_correction_is_refused_and_the_value_kept(api, processed_project):
    extraction = Extraction.objects.filter(
        document__project=processed_project, variable_key="country"
    ).first()
    before = (extraction.value, extraction.human_value, extraction.corrected)
    url = f"/api/v1/extractions/{extraction.pk}/"
    for value in ["x" * 1024 * 1024, ["item"] * 5000]:
        message = _field_error(api.patch(url, {"human_value": value}, format="json"), "human_value")
        assert f"at most {HUMAN_VALUE_MAX_CHARS:,} characters" in message
    extraction.refresh_from_db()
    assert (extraction.value, extraction.human_value, extraction.corrected) == before
    assert api.patch(url, {"human_value": "x" * 9000}, format="json").status_code == 200


def test_token_credentials_have_a_length_limit(db):
    from rest_framework.test import APIClient

    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "u" * 151, "password": "p" * 5000}, format="json"
    )
    assert _field_error(response, "username")
    assert "password" in response.json()["error"]["details"]
