"""The results table is cached per page until a value of the version changes: a page
seen before must still show every review, re-run and deletion at once.

Pages are kept only once writes have settled (the latest value is older than
``RESULTS_SETTLE_SECONDS``), so most tests first age the values written by the fixture's
job, as if it had finished a while ago.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exports.results import _results_cache_key, results_state
from processing.models import Extraction, ProcessingJob
from projects.selectors import project_get_for_user
from projects.services import document_delete
from schemas.versions import current_version

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
TABLE = {"HTTP_HX_TARGET": "results-table", **HTMX}


def _settle():
    """Every value written five minutes earlier than it was, order kept."""
    Extraction.objects.update(updated_at=F("updated_at") - timedelta(minutes=5))


def _reads_cells(captured) -> bool:
    return any('"processing_extraction"."document_id" IN' in q["sql"] for q in captured)


def _review(client, project, extraction, value):
    url = f"/projects/{project.pk}/results/values/{extraction.pk}/review/"
    response = client.post(url, {"action": "correct", "human_value": value}, **HTMX)
    assert response.status_code == 200


def test_an_unchanged_page_is_not_read_again(client_logged_in, processed_project):
    _settle()
    url = f"/projects/{processed_project.pk}/results/?page_size=2&page=2"
    client_logged_in.get(url)
    with CaptureQueriesContext(connection) as again:
        response = client_logged_in.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('<th scope="row">') == 2
    assert not _reads_cells(again)


def test_pages_are_not_kept_while_values_are_being_written(client_logged_in, processed_project):
    url = f"/projects/{processed_project.pk}/results/"
    client_logged_in.get(url)  # the fixture's job has just written its values
    with CaptureQueriesContext(connection) as again:
        client_logged_in.get(url)
    assert _reads_cells(again)


def test_a_late_commit_with_an_older_time_is_not_hidden(client_logged_in, processed_project):
    """A worker stamps its values before committing; another worker's newer values may
    commit first. The older-stamped write must still show."""
    url = f"/projects/{processed_project.pk}/results/"
    newest = Extraction.objects.order_by("-updated_at").first()
    late = Extraction.objects.filter(variable_key="country").exclude(pk=newest.pk).first()
    Extraction.objects.filter(pk=newest.pk).update(updated_at=timezone.now())
    client_logged_in.get(url)  # seen between the two commits
    Extraction.objects.filter(pk=late.pk).update(
        value="Late commit land", updated_at=timezone.now() - timedelta(seconds=2)
    )
    assert "Late commit land" in client_logged_in.get(url).content.decode()


def test_a_correction_shows_in_a_page_seen_before(client_logged_in, processed_project):
    _settle()
    url = f"/projects/{processed_project.pk}/results/"
    assert "Ruritania" not in client_logged_in.get(url).content.decode()
    assert "Ruritania" not in client_logged_in.get(url, **TABLE).content.decode()

    extraction = Extraction.objects.filter(variable_key="country").first()
    _review(client_logged_in, processed_project, extraction, "Ruritania")

    assert "Ruritania" in client_logged_in.get(url).content.decode()
    swapped = client_logged_in.get(url, **TABLE).content.decode()
    assert "Ruritania" in swapped and "<html" not in swapped
    _settle()  # kept again, with the correction
    client_logged_in.get(url, **TABLE)
    with CaptureQueriesContext(connection) as cached:
        swapped = client_logged_in.get(url, **TABLE).content.decode()
    assert "Ruritania" in swapped and not _reads_cells(cached)


def test_the_api_shows_a_correction_at_once(api, processed_project):
    _settle()
    url = f"/api/v1/projects/{processed_project.pk}/results/?page_size=5"
    extraction = Extraction.objects.filter(variable_key="year").first()

    def final_value():
        rows = api.get(url).json()["results"]
        cells = [row["values"]["year"] for row in rows]
        return next(c["final_value"] for c in cells if c["extraction_id"] == extraction.pk)

    assert final_value() != 1999
    response = api.patch(
        f"/api/v1/extractions/{extraction.pk}/", {"human_value": "1999"}, format="json"
    )
    assert response.status_code == 200
    assert final_value() == 1999


def test_a_deleted_document_leaves_the_cached_pages(api, client_logged_in, processed_project):
    _settle()
    html_url = f"/projects/{processed_project.pk}/results/"
    api_url = f"/api/v1/projects/{processed_project.pk}/results/"
    assert client_logged_in.get(html_url).content.decode().count('<th scope="row">') == 5
    assert api.get(api_url).json()["count"] == 5

    document = processed_project.documents.order_by("pk").first()
    document_delete(document=document)

    content = client_logged_in.get(html_url).content.decode()
    assert content.count('<th scope="row">') == 4 and document.name not in content
    body = api.get(api_url).json()
    assert body["count"] == 4
    assert document.pk not in [row["document"]["id"] for row in body["results"]]


def test_the_sample_view_embeds_the_table_alone(client_logged_in, processed_project):
    job = ProcessingJob.objects.get(project=processed_project)
    response = client_logged_in.get(
        f"/projects/{processed_project.pk}/results/?job={job.pk}&embed=1", **HTMX
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content and 'id="results-table"' in content
    assert content.count('<th scope="row">') == 5
    assert 'role="search"' not in content  # no filters inside the step-4 view


def test_agreement_follows_reviews_their_reversal_and_deletions(api, processed_project):
    _settle()
    url = f"/api/v1/projects/{processed_project.pk}/agreement/"

    def checked(key="stance"):
        return {row["key"]: row for row in api.get(url).json()}[key]["n_verified"]

    stance = list(Extraction.objects.filter(variable_key="stance").order_by("id"))
    assert checked() == 0
    api.patch(f"/api/v1/extractions/{stance[0].pk}/", {"verified": True}, format="json")
    api.patch(f"/api/v1/extractions/{stance[1].pk}/", {"verified": True}, format="json")
    assert checked() == 2
    _settle()
    assert checked() == 2  # now kept
    api.patch(f"/api/v1/extractions/{stance[1].pk}/", {"verified": False}, format="json")
    assert checked() == 1
    _settle()
    document_delete(document=stance[0].document)
    assert checked() == 0


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("page=1&sort=-year&status=flagged&variable=year", True),
        ("page=1&search=&schema_version=1", True),  # the filter form's empty search box
        ("page_size=2&page=3", True),  # 5 documents: 3 pages of 2
        ("embed=1&job=JOB", True),
        ("search=geneva", False),  # free text: rarely asked twice
        ("page=2&utm_source=mail", False),  # parameters the page does not know
        ("status=bogus", False),
        ("variable=nope&status=missing", False),
        ("sort=-nope", False),
        ("job=999999", False),  # not a job of this project
        ("page_size=200", False),  # entries stay at most 50 rows
        ("page_size=2&page=4", False),  # past the project's size: the last page again
        ("page=0", False),
        ("page=-1", False),
        ("page=²", False),
        ("page=1&page=2", False),
    ],
)
def test_which_pages_are_kept(processed_project, query, kept):
    _settle()
    job = ProcessingJob.objects.get(project=processed_project)
    project = project_get_for_user(processed_project.owner, processed_project.pk)
    version = current_version(project)
    state = results_state(project, version)
    asked = QueryDict(query.replace("JOB", str(job.pk)))
    assert (_results_cache_key(project, version, state, "table", asked) is not None) is kept


def test_a_search_is_read_afresh_each_time(client_logged_in, processed_project):
    _settle()
    base = f"/projects/{processed_project.pk}/results/"
    client_logged_in.get(base)
    with CaptureQueriesContext(connection) as browsing:
        client_logged_in.get(base)
    assert not _reads_cells(browsing)

    client_logged_in.get(f"{base}?search=doc-001")
    with CaptureQueriesContext(connection) as searching:
        response = client_logged_in.get(f"{base}?search=doc-001")
    assert response.content.decode().count('<th scope="row">') == 1
    assert _reads_cells(searching)


@pytest.mark.parametrize("raw", ["²", "٣", "1.5", "-2", "9" * 30])
def test_odd_numbers_in_parameters_are_not_a_500(client_logged_in, api, processed_project, raw):
    pk = processed_project.pk
    assert client_logged_in.get(f"/projects/{pk}/results/?page_size={raw}").status_code == 200
    assert client_logged_in.get(f"/projects/{pk}/results/?page={raw}").status_code == 200
    assert client_logged_in.get(f"/projects/{pk}/results/?job={raw}").status_code == 200
    for parameter in ("page", "page_size"):
        # The API reads page numbers as every list does: a malformed one is a 400.
        refused = api.get(f"/api/v1/projects/{pk}/results/?{parameter}={raw}")
        assert refused.status_code == 400
        assert list(refused.json()["error"]["details"]) == [parameter]
    estimate = client_logged_in.get(f"/projects/{pk}/processing/sample-estimate/?sample_size={raw}")
    assert estimate.status_code == 200
    preview = api.get(f"/api/v1/projects/{pk}/prompt-preview/?document={raw}")
    assert preview.status_code == 400
