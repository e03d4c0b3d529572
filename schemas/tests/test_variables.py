"""Step 2 rules: every variable problem gets a field-level message, through the API."""

from __future__ import annotations

import pytest

from schemas.models import Variable

pytestmark = pytest.mark.django_db


def _url(project, suffix=""):
    return f"/api/v1/projects/{project.pk}/variables/{suffix}"


def _create(api, project, **fields):
    body = {"key": "country", "type": "text", "instructions": "The country named."} | fields
    return api.post(_url(project), body, format="json")


def test_create_variable_with_defaults(api, project):
    response = _create(api, project)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {
        "id": body["id"],
        "key": "country",
        "label": "Country",
        "type": "text",
        "instructions": "The country named.",
        "allowed_values": [],
        "synonyms": {},
        "required": False,
        "position": 0,
    }


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"key": "Country"}, "key", "lowercase"),
        ({"key": "1st"}, "key", "starting with a letter"),
        ({"key": "a" * 64}, "key", "63"),
        ({"key": "has space"}, "key", "not a valid key"),
        ({"key": "document_id"}, "key", "reserved"),
        ({"key": "a__b"}, "key", "reserved"),
        ({"type": "colour"}, "type", ""),
        ({"instructions": "   "}, "instructions", ""),
        ({"type": "category"}, "allowed_values", "at least one"),
        ({"type": "category", "allowed_values": ["yes", "YES"]}, "allowed_values", "twice"),
        ({"type": "category", "allowed_values": ["yes", " "]}, "allowed_values", "empty"),
        ({"type": "text", "allowed_values": ["a"]}, "allowed_values", "Only category"),
        ({"required": "maybe"}, "required", ""),
    ],
)
def test_each_rule_has_a_field_message(api, project, fields, field, fragment):
    response = _create(api, project, **fields)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"], error
    assert fragment in " ".join(map(str, error["details"][field]))
    assert not Variable.objects.exists()


def test_duplicate_key_is_refused(api, project):
    _create(api, project)
    response = _create(api, project)
    assert response.status_code == 400
    assert "already has a variable" in response.json()["error"]["details"]["key"][0]


def test_category_values_are_trimmed_and_kept_in_order(api, project):
    response = _create(
        api, project, key="stance", type="category", allowed_values=[" for ", "against", "neutral"]
    )
    assert response.json()["allowed_values"] == ["for", "against", "neutral"]


def test_at_most_fifty_variables(api, project, settings):
    settings.SCHEMA_MAX_VARIABLES = 3
    for index in range(3):
        assert _create(api, project, key=f"v{index}").status_code == 201
    response = _create(api, project, key="v3")
    assert response.status_code == 400
    assert "at most 3" in response.json()["error"]["details"]["non_field_errors"][0]


def test_patch_changes_one_field_and_validates_the_whole(api, project):
    variable = _create(
        api, project, key="stance", type="category", allowed_values=["for", "against"]
    ).json()
    response = api.patch(_url(project, f"{variable['id']}/"), {"label": "Stance"}, format="json")
    assert response.status_code == 200
    assert response.json()["allowed_values"] == ["for", "against"]
    response = api.patch(_url(project, f"{variable['id']}/"), {"allowed_values": []}, format="json")
    assert response.status_code == 400
    assert Variable.objects.get(pk=variable["id"]).allowed_values == ["for", "against"]


def test_reorder(api, project):
    ids = [_create(api, project, key=f"v{i}").json()["id"] for i in range(3)]
    response = api.post(_url(project, "reorder/"), {"order": ids[::-1]}, format="json")
    assert response.status_code == 200
    assert [v["id"] for v in response.json()] == ids[::-1]
    listed = api.get(_url(project)).json()["results"]
    assert [v["id"] for v in listed] == ids[::-1]


@pytest.mark.parametrize("order", [[], "nope", [1, 1]])
def test_reorder_needs_every_id_once(api, project, order):
    ids = [_create(api, project, key=f"v{i}").json()["id"] for i in range(2)]
    if order == [1, 1]:
        order = [ids[0], ids[0]]
    response = api.post(_url(project, "reorder/"), {"order": order}, format="json")
    assert response.status_code == 400
    assert [v.pk for v in Variable.objects.all()] == ids


def test_delete_variable(api, project):
    variable = _create(api, project).json()
    assert api.delete(_url(project, f"{variable['id']}/")).status_code == 204
    assert not Variable.objects.exists()


def test_another_users_variables_are_404(api, other_api, project):
    variable = _create(api, project).json()
    assert other_api.get(_url(project)).status_code == 404
    assert other_api.get(_url(project, f"{variable['id']}/")).status_code == 404
    assert (
        other_api.patch(
            _url(project, f"{variable['id']}/"), {"label": "x"}, format="json"
        ).status_code
        == 404
    )
    assert other_api.delete(_url(project, f"{variable['id']}/")).status_code == 404
    assert _create(other_api, project, key="other").status_code == 404
    assert Variable.objects.count() == 1


def test_synonyms_are_kept_for_allowed_values_and_checked(api, project):
    url = f"/api/v1/projects/{project.pk}/variables/"
    body = {
        "key": "country",
        "type": "category",
        "instructions": "The country.",
        "allowed_values": ["Germany", "France"],
        "synonyms": {"germany": ["FRG", " Federal Republic ", "FRG"]},
    }
    created = api.post(url, body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["synonyms"] == {"Germany": ["FRG", "Federal Republic"]}
    bad = api.post(url, body | {"key": "c2", "synonyms": {"Spain": ["ES"]}}, format="json")
    assert bad.status_code == 400
    assert "not one of the allowed values" in str(bad.json()["error"]["details"]["synonyms"])


def test_the_form_reads_synonyms_one_value_per_line(client_logged_in, project):
    from schemas.forms import synonyms_parse, synonyms_text

    parsed = synonyms_parse("Germany: FRG; Federal Republic\n\nFrance: République française")
    assert parsed == {"Germany": [" FRG", " Federal Republic"], "France": [" République française"]}
    assert synonyms_text({"Germany": ["FRG", "BRD"]}) == "Germany: FRG; BRD"


@pytest.mark.parametrize("key", ["document_status", "document_error", "document_metadata"])
def test_the_exports_document_columns_are_reserved_keys(api, project, key):
    url = f"/api/v1/projects/{project.pk}/variables/"
    response = api.post(url, {"key": key, "type": "text", "instructions": "x"}, format="json")
    assert response.status_code == 400
    assert "reserved for export columns" in str(response.json()["error"]["details"]["key"])
