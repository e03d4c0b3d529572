"""Two schema versions compared against the values people checked (step 5)."""

from __future__ import annotations

import pytest

from exports.agreement import human_answer
from exports.compare import changed_values_list, versions_compared
from processing.models import Extraction
from processing.tests.conftest import make_project
from schemas.models import Variable
from schemas.versions import schema_confirm

pytestmark = pytest.mark.django_db

STANCES = ["support", "oppose", "neutral"]
# Version 1; version 2 rewords stance, drops year and adds signed (a boolean).
VARIABLES = [
    ("stance", "category", "The stance of the main country.", STANCES, False),
    ("country", "text", "The main country discussed.", [], False),
    ("year", "integer", "The year the agreement was signed.", [], False),
]
UNSET = object()


@pytest.fixture
def versions(user):
    """A project of five documents and two confirmed versions, no values yet."""
    project = make_project(user, variables=VARIABLES)
    variables = Variable.objects.filter(project=project)
    variables.filter(key="stance").update(instructions="Does the main country support it?")
    variables.filter(key="year").delete()
    Variable.objects.create(
        project=project, key="signed", type="boolean", instructions="Was it signed?", position=9
    )
    schema_confirm(project=project, user=user, note="Reworded stance")
    v2, v1 = project.schema_versions.all()
    assert (v1.number, v2.number) == (1, 2)
    return project, v1, v2, list(project.documents.order_by("name"))


def put(version, document, key, value, *, verified=False, human=UNSET, blind=UNSET):
    """One model value, and the person's check of it where given."""
    return Extraction.objects.create(
        document=document,
        schema_version=version,
        variable_key=key,
        value=value,
        status="ok",
        verified=verified or human is not UNSET or blind is not UNSET,
        corrected=human is not UNSET,
        human_value=None if human is UNSET else human,
        blind_entered=blind is not UNSET,
        blind_value=None if blind is UNSET else blind,
    )


@pytest.fixture
def stances(versions):
    """Version 2 fixes the stances version 1 got wrong, on values checked in either."""
    project, v1, v2, docs = versions
    a_values = ["support", "support", "support", "oppose", "neutral"]
    b_values = ["support", "oppose", "neutral", "oppose", "neutral"]
    for document, a_value, b_value in zip(docs, a_values, b_values, strict=True):
        put(v1, document, "stance", a_value)
        put(v2, document, "stance", b_value)
    Extraction.objects.filter(schema_version=v1, document=docs[0]).update(verified=True)
    Extraction.objects.filter(schema_version=v1, document=docs[1]).update(
        corrected=True, human_value="oppose"
    )
    Extraction.objects.filter(schema_version=v2, document__in=docs[2:4]).update(verified=True)
    return versions


def by_key(rows):
    return {row["key"]: row for row in rows}


# --- the figures -------------------------------------------------------------------------


def test_the_new_wording_agrees_better_on_the_checked_values(stances):
    project, v1, v2, _ = stances
    stance = by_key(versions_compared(project=project, a=v1, b=v2))["stance"]
    # v1 against the checks (support, oppose, neutral, oppose): 2 of 4; model classes
    # support 3, oppose 1; people's support 1, oppose 2, neutral 1: S = 3 + 2 = 5,
    # kappa = (2*4 - 5) / (16 - 5).
    assert stance["a"] == {"agreement": 0.5, "kappa": pytest.approx(3 / 11), "n": 4}
    assert stance["b"] == {"agreement": 1.0, "kappa": 1.0, "n": 4}
    assert stance["changed_values"] == 2 and stance["compared"] == 5
    assert (stance["type"], stance["in_a"], stance["in_b"]) == ("category", True, True)


def test_text_has_no_kappa_and_a_change_of_case_is_no_change(versions):
    project, v1, v2, docs = versions
    put(v1, docs[0], "country", "France")
    put(v2, docs[0], "country", "france.", verified=True)
    put(v1, docs[1], "country", "Germany")
    put(v2, docs[1], "country", "Austria")
    country = by_key(versions_compared(project=project, a=v1, b=v2))["country"]
    assert country["a"] == {"agreement": 1.0, "kappa": None, "n": 1}
    assert country["b"] == {"agreement": 1.0, "kappa": None, "n": 1}
    assert (country["changed_values"], country["compared"]) == (1, 2)


def test_a_blind_entry_is_the_reference_over_a_later_check(versions):
    project, v1, v2, docs = versions
    put(v1, docs[0], "stance", "support", blind="oppose")
    put(v2, docs[0], "stance", "support", verified=True)
    stance = by_key(versions_compared(project=project, a=v1, b=v2))["stance"]
    assert stance["a"]["agreement"] == 0.0 and stance["b"]["agreement"] == 0.0


def test_without_a_blind_entry_the_higher_version_check_is_the_reference(versions):
    project, v1, v2, docs = versions
    put(v1, docs[0], "stance", "support", human="neutral")
    put(v2, docs[0], "stance", "oppose", human="oppose")
    for a, b in [(v1, v2), (v2, v1)]:  # whichever side the later version is on
        stance = by_key(versions_compared(project=project, a=a, b=b))["stance"]
        figures = {a.number: stance["a"]["agreement"], b.number: stance["b"]["agreement"]}
        assert figures == {1: 0.0, 2: 1.0}


def test_keys_added_and_dropped_in_b(versions):
    project, v1, v2, docs = versions
    put(v1, docs[0], "year", 2007, verified=True)
    put(v2, docs[0], "signed", True, verified=True)
    put(v2, docs[1], "signed", False, human=True)
    rows = versions_compared(project=project, a=v1, b=v2)
    assert [row["key"] for row in rows] == ["stance", "country", "signed", "year"]
    signed, year = rows[2], rows[3]
    assert (signed["in_a"], signed["in_b"], signed["type"]) == (False, True, "boolean")
    assert signed["a"] == {"agreement": None, "kappa": None, "n": 0}
    assert signed["b"] == {"agreement": 0.5, "kappa": 0.0, "n": 2}
    assert (signed["changed_values"], signed["compared"]) == (0, 0)
    assert (year["in_a"], year["in_b"], year["label"]) == (True, False, "year")
    assert year["a"]["n"] == 1 and year["b"] == {"agreement": None, "kappa": None, "n": 0}


def test_nothing_checked_leaves_the_figures_undefined(versions):
    project, v1, v2, docs = versions
    put(v1, docs[0], "stance", "support")
    put(v2, docs[0], "stance", "oppose")
    stance = by_key(versions_compared(project=project, a=v1, b=v2))["stance"]
    assert stance["a"] == stance["b"] == {"agreement": None, "kappa": None, "n": 0}
    assert (stance["changed_values"], stance["compared"]) == (1, 1)


def test_one_query_for_the_figures_two_for_the_changes(stances, django_assert_num_queries):
    project, v1, v2, _ = stances
    with django_assert_num_queries(1):
        versions_compared(project=project, a=v1, b=v2)
    with django_assert_num_queries(2):
        changed_values_list(project=project, a=v1, b=v2)


def test_a_version_of_another_project_is_refused(versions, user):
    project, v1, _, _ = versions
    other = make_project(user, variables=VARIABLES[:1], name="Other")
    with pytest.raises(ValueError, match="belong"):
        versions_compared(project=project, a=v1, b=other.schema_versions.get())


def test_changed_values_list(stances):
    project, v1, v2, docs = stances
    put(v1, docs[0], "country", "France")
    put(v2, docs[0], "country", "Spain")
    changes = changed_values_list(project=project, a=v1, b=v2)
    # Schema order (stance before country), then document order.
    assert [(c["key"], c["document_name"]) for c in changes] == [
        ("stance", "doc-001"),
        ("stance", "doc-002"),
        ("country", "doc-000"),
    ]
    assert changes[0] == {
        "document_id": docs[1].pk,
        "document_name": "doc-001",
        "key": "stance",
        "a_value": "support",
        "b_value": "oppose",
        "checked": True,
        "human_value": "oppose",
    }
    assert changes[2]["checked"] is False and changes[2]["human_value"] is None
    assert len(changed_values_list(project=project, a=v1, b=v2, limit=2)) == 2
    assert [c["key"] for c in changed_values_list(project=project, a=v1, b=v2, key="country")] == [
        "country"
    ]
    assert changed_values_list(project=project, a=v1, b=v2, key="nope") == []


def test_human_answer_is_the_blind_entry_then_the_correction_then_the_model():
    row = {"value": "a", "human_value": "b", "blind_value": "c", "verified": True}
    assert human_answer(row) == "a"
    assert human_answer(row | {"corrected": True}) == "b"
    assert human_answer(row | {"corrected": True, "blind_entered": True}) == "c"


# --- the API -----------------------------------------------------------------------------


def _url(project, query=""):
    return f"/api/v1/projects/{project.pk}/schema/compare/{query}"


def test_api_answers_both_versions_and_the_variables(api, stances):
    project, v1, v2, _ = stances
    response = api.get(_url(project, "?a=1&b=2"))
    assert response.status_code == 200
    body = response.json()
    assert body["a"] == {"number": 1, "created_at": body["a"]["created_at"], "note": ""}
    assert body["b"]["number"] == 2 and body["b"]["note"] == "Reworded stance"
    assert [row["key"] for row in body["variables"]] == ["stance", "country", "signed", "year"]
    stance = body["variables"][0]
    assert set(stance) == {
        "key", "label", "type", "in_a", "in_b", "a", "b", "changed_values", "compared",
    }  # fmt: skip
    assert stance["b"] == {"agreement": 1.0, "kappa": 1.0, "n": 4}
    assert stance["a"]["agreement"] == 0.5 and stance["changed_values"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?a=1", "b"),
        ("", "a"),
        ("?a=one&b=2", "a"),
        ("?a=0&b=2", "a"),
        ("?a=1&b=-2", "b"),
        ("?a=1&b=99999999999999999999999", "b"),
    ],
)
def test_api_refuses_missing_and_bad_numbers(api, versions, query, field):
    response = api.get(_url(versions[0], query))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["details"]


def test_api_refuses_the_same_version_twice(api, versions):
    response = api.get(_url(versions[0], "?a=2&b=2"))
    assert response.status_code == 400
    assert "two different versions" in response.json()["error"]["message"]


def test_api_unknown_version_is_404(api, versions):
    response = api.get(_url(versions[0], "?a=1&b=9"))
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found" and "no schema version 9" in error["message"]


def test_api_another_users_project_is_404(other_api, versions):
    response = other_api.get(_url(versions[0], "?a=1&b=2"))
    assert response.status_code == 404
    assert set(response.json()["error"]) == {"code", "message", "details"}


# --- the page ----------------------------------------------------------------------------


def test_page_shows_both_tables_and_escapes_values(client_logged_in, stances):
    project, v1, v2, docs = stances
    put(v1, docs[0], "country", "France")
    put(v2, docs[0], "country", "<script>alert(1)</script>")
    response = client_logged_in.get(f"/projects/{project.pk}/results/compare/")
    assert response.status_code == 200
    assert (response.context["a"], response.context["b"]) == (v1, v2)  # the defaults
    html = response.content.decode()
    assert 'id="compare-variables"' in html and 'id="compare-changes"' in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "better" in html and "2 of 5" in html


def test_page_reads_the_versions_asked_and_refuses_one_twice(client_logged_in, stances):
    project, v1, v2, _ = stances
    url = f"/projects/{project.pk}/results/compare/"
    response = client_logged_in.get(url + "?a=2&b=1")
    assert (response.context["a"], response.context["b"]) == (v2, v1)
    response = client_logged_in.get(url + "?a=2&b=2")
    assert response.status_code == 200 and "two different versions" in response.content.decode()


def test_page_of_a_project_with_one_version(client_logged_in, user):
    project = make_project(user, variables=VARIABLES[:1])
    response = client_logged_in.get(f"/projects/{project.pk}/results/compare/")
    assert response.status_code == 200
    assert "second version to compare" in response.content.decode()


def test_page_of_another_users_project_is_404(client, other_user, versions):
    client.force_login(other_user)
    assert client.get(f"/projects/{versions[0].pk}/results/compare/").status_code == 404


def test_results_page_links_to_the_comparison(client_logged_in, stances):
    project = stances[0]
    html = client_logged_in.get(f"/projects/{project.pk}/results/").content.decode()
    assert f"/projects/{project.pk}/results/compare/?b=2" in html
