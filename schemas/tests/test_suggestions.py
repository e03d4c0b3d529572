"""Suggested variables, asked of the simulated model over HTTP, never saved unasked."""

from __future__ import annotations

import pytest

from projects.services import document_create_from_text
from schemas.models import Variable
from schemas.suggestions import SUGGESTION_SCHEMA

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(project):
    project.description = "How treaties are received by member states."
    project.save()
    document_create_from_text(
        project=project,
        name="Lisbon",
        text="The Treaty of Lisbon was signed on 13 December 2007 by 27 member states. "
        "France and Germany supported the institutional reform of the European Union.",
    )
    return project


def test_suggestions_come_back_valid_and_unsaved(api, corpus, llm_simulator):
    Variable.objects.create(project=corpus, key="year", type="integer", instructions="Year.")
    response = api.post(
        f"/api/v1/projects/{corpus.pk}/variables/suggest/", {"max": 5}, format="json"
    )
    assert response.status_code == 200
    suggestions = response.json()["suggestions"]
    assert 1 <= len(suggestions) <= 5
    keys = [s["key"] for s in suggestions]
    assert "year" not in keys  # the existing variable is not proposed again
    for suggestion in suggestions:
        assert set(suggestion) == {
            "key",
            "label",
            "type",
            "instructions",
            "allowed_values",
            "required",
        }
        if suggestion["type"] in ("category", "multi_category"):
            assert suggestion["allowed_values"]
    assert list(Variable.objects.values_list("key", flat=True)) == ["year"]
    (request,) = llm_simulator.requests()
    assert request["status"] == 200


def test_suggestions_read_a_capped_excerpt(api, corpus, llm_simulator, settings):
    settings.SUGGEST_MAX_INPUT_TOKENS = 500
    document_create_from_text(project=corpus, name="Long", text="word " * 20_000)
    api.post(f"/api/v1/projects/{corpus.pk}/variables/suggest/", {}, format="json")
    assert llm_simulator.requests()[0]["prompt_tokens"] < 2_000


@pytest.mark.parametrize(
    ("body", "field"),
    [({"max": 0}, "max"), ({"max": 99}, "max"), ({"document_ids": [424242]}, "document_ids")],
)
def test_bad_suggestion_requests_are_400(api, corpus, llm_simulator, body, field):
    response = api.post(f"/api/v1/projects/{corpus.pk}/variables/suggest/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert llm_simulator.requests() == []


def test_provider_down_is_a_503_with_a_message(api, corpus, llm_settings):
    llm_settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    llm_settings.LLM_MAX_ATTEMPTS = 1
    response = api.post(f"/api/v1/projects/{corpus.pk}/variables/suggest/", {}, format="json")
    assert response.status_code == 503
    assert response.json()["error"]["message"]


def test_the_suggestion_schema_is_strict():
    from schemas.tests.strict_mode import strict_schema_problems

    assert strict_schema_problems(SUGGESTION_SCHEMA) == []


def test_suggest_button_on_the_page(client_logged_in, corpus, llm_simulator):
    response = client_logged_in.post(
        f"/projects/{corpus.pk}/variables/suggest/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="pick"' in content and "<html" not in content
    assert not Variable.objects.exists()
