"""The results table is cached per page until a value of the version changes: a page
seen before must still show every review, re-run and deletion at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from processing.models import Extraction, ProcessingJob
from projects.services import document_delete

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _review(client, project, extraction, value):
    url = f"/projects/{project.pk}/results/values/{extraction.pk}/review/"
    response = client.post(url, {"action": "correct", "human_value": value}, **HTMX)
    assert response.status_code == 200


def test_a_correction_shows_in_a_page_seen_before(client_logged_in, processed_project):
    url = f"/projects/{processed_project.pk}/results/"
    table = {"HTTP_HX_TARGET": "results-table", **HTMX}
    assert "Ruritania" not in client_logged_in.get(url).content.decode()
    assert "Ruritania" not in client_logged_in.get(url, **table).content.decode()

    extraction = Extraction.objects.filter(variable_key="country").first()
    _review(client_logged_in, processed_project, extraction, "Ruritania")

    assert "Ruritania" in client_logged_in.get(url).content.decode()
    swapped = client_logged_in.get(url, **table).content.decode()
    assert "Ruritania" in swapped and "<html" not in swapped


def test_an_unchanged_page_is_not_read_again(client_logged_in, processed_project):
    url = f"/projects/{processed_project.pk}/results/?page_size=2&page=2"
    with CaptureQueriesContext(connection) as first:
        client_logged_in.get(url)
    with CaptureQueriesContext(connection) as again:
        response = client_logged_in.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('<th scope="row">') == 2
    assert len(again) < len(first)


def test_the_api_shows_a_correction_at_once(api, processed_project):
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
    url = f"/api/v1/projects/{processed_project.pk}/agreement/"

    def checked(key="stance"):
        return {row["key"]: row for row in api.get(url).json()}[key]["n_verified"]

    stance = list(Extraction.objects.filter(variable_key="stance").order_by("id"))
    assert checked() == 0
    api.patch(f"/api/v1/extractions/{stance[0].pk}/", {"verified": True}, format="json")
    api.patch(f"/api/v1/extractions/{stance[1].pk}/", {"verified": True}, format="json")
    assert checked() == 2
    api.patch(f"/api/v1/extractions/{stance[1].pk}/", {"verified": False}, format="json")
    assert checked() == 1

    document_delete(document=stance[0].document)
    assert checked() == 0


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("page=2&sort=-year&status=flagged&variable=year", True),
        ("page=1&search=&schema_version=1", True),  # the filter form's empty search box
        ("search=geneva", False),  # free text: rarely asked twice
        ("page=2&utm_source=mail", False),  # parameters the page does not know
        ("page_size=200", False),  # entries stay at most 50 rows
        ("page=1&page=2", False),
    ],
)
def test_which_pages_are_kept(processed_project, query, kept):
    from django.http import QueryDict

    from exports.results import _results_cache_key, results_stamp
    from schemas.versions import current_version

    version = current_version(processed_project)
    stamp = results_stamp(processed_project, version)
    key = _results_cache_key(version, stamp, "table", QueryDict(query))
    assert (key is not None) is kept


def _reads_cells(captured) -> bool:
    return any('"processing_extraction"."document_id" IN' in q["sql"] for q in captured)


def test_a_search_is_read_afresh_each_time(client_logged_in, processed_project):
    base = f"/projects/{processed_project.pk}/results/"
    client_logged_in.get(base)
    with CaptureQueriesContext(connection) as browsing:
        client_logged_in.get(base)
    assert not _reads_cells(browsing)  # the plain page came from the cache

    client_logged_in.get(f"{base}?search=doc-001")
    with CaptureQueriesContext(connection) as searching:
        response = client_logged_in.get(f"{base}?search=doc-001")
    assert response.content.decode().count('<th scope="row">') == 1
    assert _reads_cells(searching)
