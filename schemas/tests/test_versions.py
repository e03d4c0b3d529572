"""Step 3: the schema endpoint, confirmation, immutable versions, diff and restore,
prompt preview and the cost estimate."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from projects.models import Document
from projects.services import document_create_from_text
from schemas.calls import group_plans
from schemas.estimate import estimate_run, expected_output_tokens
from schemas.models import ImmutableVersionError, SchemaVersion, Variable
from schemas.planning import chunk_count, group_variables

pytestmark = pytest.mark.django_db


def _variable(project, key, type="text", **extra):
    fields = {"instructions": f"Record the {key}.", "label": key.title()} | extra
    return Variable.objects.create(
        project=project,
        key=key,
        type=type,
        position=Variable.objects.filter(project=project).count(),
        **fields,
    )


@pytest.fixture
def schema(project):
    _variable(project, "country")
    _variable(project, "stance", "category", allowed_values=["for", "against", "neutral"])
    _variable(project, "signed", "date")
    return project


def _confirm(api, project, note=""):
    return api.post(
        f"/api/v1/projects/{project.pk}/schema/versions/", {"note": note}, format="json"
    )


def test_schema_endpoint_shows_the_draft(api, schema):
    body = api.get(f"/api/v1/projects/{schema.pk}/schema/").json()
    assert [v["key"] for v in body["variables"]] == ["country", "stance", "signed"]
    assert set(body["prompt"]) == {"system", "user_template"}
    assert set(body["json_schema"]["properties"]) == {"country", "stance", "signed"}
    assert body["current_version"] is None
    assert body["dirty"] is True


def test_confirm_creates_version_one_and_makes_it_current(api, schema, user):
    response = _confirm(api, schema, "first cut")
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == 1
    assert body["note"] == "first cut"
    assert body["created_by"] == "alice"
    assert len(body["prompt_hash"]) == 64
    assert [v["key"] for v in body["variables"]] == ["country", "stance", "signed"]
    schema_body = api.get(f"/api/v1/projects/{schema.pk}/schema/").json()
    assert schema_body["current_version"] == 1 and schema_body["dirty"] is False
    assert api.get(f"/api/v1/projects/{schema.pk}/").json()["step"] == 1
    document_create_from_text(project=schema, name="d", text="A document.")
    assert api.get(f"/api/v1/projects/{schema.pk}/").json()["step"] == 4


def test_confirming_an_unchanged_draft_returns_the_same_version(api, schema):
    _confirm(api, schema)
    response = _confirm(api, schema)
    assert response.status_code == 200
    assert response.json()["number"] == 1
    assert SchemaVersion.objects.count() == 1


def test_confirming_an_empty_draft_is_409(api, project):
    response = _confirm(api, project)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "empty_schema"


def test_editing_after_confirmation_marks_the_schema_changed(api, schema):
    _confirm(api, schema)
    variable = Variable.objects.get(project=schema, key="country")
    api.patch(
        f"/api/v1/projects/{schema.pk}/variables/{variable.pk}/",
        {"instructions": "The country of the first author."},
        format="json",
    )
    assert api.get(f"/api/v1/projects/{schema.pk}/schema/").json()["dirty"] is True
    api.patch(f"/api/v1/projects/{schema.pk}/", {"instructions": "Context."}, format="json")
    response = _confirm(api, schema, "sharper")
    assert response.json()["number"] == 2


def test_versions_cannot_be_changed(api, schema):
    _confirm(api, schema)
    version = SchemaVersion.objects.get()
    version.note = "rewritten history"
    with pytest.raises(ImmutableVersionError):
        version.save()
    with pytest.raises(ImmutableVersionError):
        SchemaVersion.objects.filter(pk=version.pk).update(note="x")
    url = f"/api/v1/projects/{schema.pk}/schema/versions/1/"
    assert api.patch(url, {"note": "x"}, format="json").status_code == 405
    assert api.delete(url).status_code == 405
    model_admin = admin.site._registry[SchemaVersion]
    request = RequestFactory().get("/")
    request.user = type(
        "Staff", (), {"is_active": True, "is_staff": True, "has_perm": lambda *a: True}
    )()
    assert not model_admin.has_change_permission(request, version)
    assert not model_admin.has_delete_permission(request, version)
    version.refresh_from_db()
    assert version.note == ""


def test_history_and_restore(api, schema):
    _confirm(api, schema)
    Variable.objects.get(project=schema, key="signed").delete()
    _variable(schema, "parties", "list")
    assert _confirm(api, schema).json()["number"] == 2
    listed = api.get(f"/api/v1/projects/{schema.pk}/schema/versions/").json()
    assert [v["number"] for v in listed["results"]] == [2, 1]

    response = api.post(f"/api/v1/projects/{schema.pk}/schema/versions/1/restore/")
    assert response.status_code == 200
    assert response.json()["number"] == 1
    keys = list(Variable.objects.filter(project=schema).values_list("key", flat=True))
    assert keys == ["country", "stance", "signed"]
    body = api.get(f"/api/v1/projects/{schema.pk}/schema/").json()
    assert body["current_version"] == 1 and body["dirty"] is False


def test_restore_of_a_missing_version_is_404(api, schema):
    assert api.post(f"/api/v1/projects/{schema.pk}/schema/versions/9/restore/").status_code == 404


def test_another_users_versions_are_404(api, other_api, schema):
    _confirm(api, schema)
    base = f"/api/v1/projects/{schema.pk}/schema/"
    assert other_api.get(base).status_code == 404
    assert other_api.get(f"{base}versions/").status_code == 404
    assert other_api.get(f"{base}versions/1/").status_code == 404
    assert other_api.post(f"{base}versions/1/restore/").status_code == 404
    assert _confirm(other_api, schema).status_code == 404


def test_prompt_preview_holds_the_document(api, schema):
    document = document_create_from_text(
        project=schema, name="Treaty", text="Signed in Lisbon on 13 December 2007."
    ).created[0]
    response = api.get(f"/api/v1/projects/{schema.pk}/prompt-preview/?document={document.pk}")
    assert response.status_code == 200
    body = response.json()
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "Signed in Lisbon" in body["messages"][1]["content"]
    assert body["response_format"]["type"] == "json_schema"
    assert body["input_tokens"] > document.token_count
    assert body["llm_calls"] == 1


@pytest.mark.parametrize("query", ["", "?document=abc", "?document=999999"])
def test_prompt_preview_bad_document(api, schema, query):
    response = api.get(f"/api/v1/projects/{schema.pk}/prompt-preview/{query}")
    assert response.status_code in (400, 404)
    assert "error" in response.json()


def _documents_with_tokens(project, counts):
    for index, tokens in enumerate(counts):
        document = document_create_from_text(
            project=project, name=f"d{index}", text=f"document number {index}"
        ).created[0]
        Document.objects.filter(pk=document.pk).update(token_count=tokens)


def test_estimate_arithmetic_on_known_token_counts(api, schema):
    _documents_with_tokens(schema, [1000, 2000, 3000])
    variables = [
        {
            "key": v.key,
            "label": v.label,
            "type": v.type,
            "instructions": v.instructions,
            "allowed_values": v.allowed_values,
            "required": v.required,
        }
        for v in Variable.objects.filter(project=schema)
    ]
    (plan,) = group_plans(instructions="", variables=variables, model=schema.model_name)
    body = api.get(f"/api/v1/projects/{schema.pk}/estimate/?kind=full").json()
    assert body["documents"] == 3
    assert body["llm_calls"] == 3
    assert body["input_tokens"] == 6000 + 3 * plan.prompt_tokens
    assert body["output_tokens"] == 3 * expected_output_tokens(3)
    expected_cost = (body["input_tokens"] * 0.15 + body["output_tokens"] * 0.60) / 1_000_000
    assert body["cost_usd"] == pytest.approx(expected_cost, abs=1e-6)
    assert body["model"] == "gpt-4o-mini"


def test_sample_estimate_scales_to_the_sample(api, schema):
    _documents_with_tokens(schema, [1000] * 10)
    full = api.get(f"/api/v1/projects/{schema.pk}/estimate/?kind=full").json()
    sample = api.get(f"/api/v1/projects/{schema.pk}/estimate/?kind=sample&sample_size=5").json()
    assert sample["documents"] == 5
    assert sample["llm_calls"] == 5
    assert sample["input_tokens"] == full["input_tokens"] // 2


def test_batch_estimate_costs_half_the_standard_price(api, schema):
    _documents_with_tokens(schema, [1000, 2000, 3000])
    url = f"/api/v1/projects/{schema.pk}/estimate/?kind=full"
    queries = ("", "&mode=standard", "&mode=batch")
    default, standard, batch = (api.get(url + query).json() for query in queries)

    assert (default["mode"], standard["mode"], batch["mode"]) == ("standard", "standard", "batch")
    assert default == standard
    # The same calls and tokens: only their price differs.
    tokens = ("documents", "llm_calls", "input_tokens", "output_tokens")
    assert [batch[key] for key in tokens] == [standard[key] for key in tokens]
    assert batch["model"] == "gpt-4o-mini"
    expected = (batch["input_tokens"] * 0.075 + batch["output_tokens"] * 0.30) / 1_000_000
    assert batch["cost_usd"] == pytest.approx(expected, abs=1e-6)
    assert batch["cost_usd"] == pytest.approx(standard["cost_usd"] / 2, abs=1e-6)
    assert batch["cost_usd"] > 0


def test_an_estimate_gives_both_prices_of_its_tokens(schema):
    _documents_with_tokens(schema, [1000, 2000])
    fields = ("key", "label", "type", "instructions", "allowed_values", "required")
    variables = [
        {field: getattr(variable, field) for field in fields}
        for variable in Variable.objects.filter(project=schema)
    ]
    run = {"project": schema, "variables": variables, "instructions": "", "kind": "full"}
    standard = estimate_run(**run)
    batch = estimate_run(**run, mode="batch")

    assert (standard.mode, batch.mode) == ("standard", "batch")
    assert batch.cost_usd == standard.batch_cost_usd == batch.cost_for("batch")
    assert standard.cost_usd == batch.standard_cost_usd == batch.cost_for("standard")
    assert batch.as_dict()["cost_usd"] == batch.cost_usd
    assert batch.as_dict()["mode"] == "batch"
    with pytest.raises(ValueError, match="standard, batch"):
        estimate_run(**run, mode="overnight")


@pytest.mark.parametrize(
    "query",
    [
        "?kind=weekly",
        "?kind=sample&sample_size=0",
        "?kind=sample&sample_size=x",
        "?kind=full&mode=overnight",
        "?kind=full&mode=BATCH",
    ],
)
def test_estimate_rejects_bad_parameters(api, schema, query):
    response = api.get(f"/api/v1/projects/{schema.pk}/estimate/{query}")
    assert response.status_code == 400


def test_estimate_names_a_bad_mode(api, schema):
    response = api.get(f"/api/v1/projects/{schema.pk}/estimate/?kind=full&mode=overnight")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"] == {"mode": ["“overnight” is not a mode: choose standard or batch."]}
    assert "choose standard or batch" in error["message"]


def test_estimate_without_variables_is_409(api, project):
    assert api.get(f"/api/v1/projects/{project.pk}/estimate/").status_code == 409


def test_long_documents_count_their_chunks(project):
    _variable(project, "country")
    _documents_with_tokens(project, [250_000])
    variables = [
        {
            "key": "country",
            "label": "Country",
            "type": "text",
            "instructions": "Record the country.",
            "allowed_values": [],
            "required": False,
        }
    ]
    estimate = estimate_run(project=project, variables=variables, instructions="", kind="full")
    (plan,) = group_plans(instructions="", variables=variables, model=project.model_name)
    assert estimate.llm_calls == chunk_count(250_000, plan.chunk_budget) > 1


def test_fifty_variables_make_two_calls_per_document(project):
    variables = [
        {
            "key": f"v{i}",
            "label": "",
            "type": "text",
            "instructions": "x",
            "allowed_values": [],
            "required": False,
        }
        for i in range(50)
    ]
    assert [len(group) for group in group_variables(variables, 25)] == [25, 25]
    assert [len(group) for group in group_variables(variables[:30], 25)] == [15, 15]
    _documents_with_tokens(project, [500] * 4)
    estimate = estimate_run(project=project, variables=variables, instructions="", kind="full")
    assert estimate.llm_calls == 8


def test_renaming_the_project_does_not_change_the_confirmed_prompt(api, schema):
    _confirm(api, schema)
    api.patch(f"/api/v1/projects/{schema.pk}/", {"name": "A new name"}, format="json")
    assert api.get(f"/api/v1/projects/{schema.pk}/schema/").json()["dirty"] is False
