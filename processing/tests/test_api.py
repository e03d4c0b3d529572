"""Step 4 API and pages: jobs as API.md describes them, errors, and access."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from processing.engine import job_run
from processing.models import Extraction, ProcessingJob

pytestmark = pytest.mark.django_db

JOB_FIELDS = {
    "id",
    "project",
    "kind",
    "status",
    "schema_version",
    "model",
    "total",
    "processed",
    "succeeded",
    "failed",
    "flagged",
    "progress",
    "llm_calls",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "estimated_cost_usd",
    "budget_usd",
    "eta_seconds",
    "error",
    "created_at",
    "started_at",
    "finished_at",
}


def _start(api, project, **body):
    return api.post(
        f"/api/v1/projects/{project.pk}/jobs/", {"kind": "sample"} | body, format="json"
    )


def test_create_job_answers_201_with_every_field(api, treaty_project):
    response = _start(api, treaty_project, sample_size=2, budget_usd=1.5)
    assert response.status_code == 201
    body = response.json()
    assert set(body) >= JOB_FIELDS
    assert body["status"] == "queued"
    assert body["total"] == 2
    assert body["schema_version"] == 1
    assert body["budget_usd"] == 1.5
    assert body["estimated_cost_usd"] > 0
    assert body["progress"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "weekly"}, "kind"),
        ({"sample_size": 0}, "sample_size"),
        ({"budget_usd": -1}, "budget_usd"),
        ({"document_ids": [999999]}, "document_ids"),
        ({"document_ids": "x"}, "document_ids"),
    ],
)
def test_bad_job_input_is_400(api, treaty_project, body, field):
    response = _start(api, treaty_project, **body)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not ProcessingJob.objects.exists()


def test_job_without_confirmed_schema_is_409(api, project):
    response = _start(api, project)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_confirmed_schema"


def test_job_detail_documents_logs_and_actions(engine_settings, llm_simulator, api, treaty_project):
    job_id = _start(api, treaty_project, sample_size=2).json()["id"]
    job_run(job_id=job_id, hostname="test")
    body = api.get(f"/api/v1/jobs/{job_id}/").json()
    assert body["status"] == "completed" and body["progress"] == 1.0
    items = api.get(f"/api/v1/jobs/{job_id}/documents/").json()
    assert items["count"] == 2
    assert set(items["results"][0]) >= {"document", "status", "attempts", "error"}
    assert api.get(f"/api/v1/jobs/{job_id}/documents/?status=failed").json()["count"] == 0
    logs = api.get(f"/api/v1/jobs/{job_id}/logs/").json()
    assert {"created_at", "level", "event", "message", "document", "data"} <= set(
        logs["results"][0]
    )
    assert api.get(f"/api/v1/jobs/{job_id}/logs/?level=error").json()["count"] == 0
    response = api.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert response.status_code == 409
    response = api.post(f"/api/v1/jobs/{job_id}/retry-failed/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "nothing_to_retry"


def test_cancel_a_queued_job(api, treaty_project):
    job_id = _start(api, treaty_project).json()["id"]
    response = api.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_project_job_list(api, treaty_project):
    _start(api, treaty_project, sample_size=2)
    full = _start(api, treaty_project, kind="full").json()
    assert full["total"] == 3  # the sample's documents, still queued, are not paid twice
    body = api.get(f"/api/v1/projects/{treaty_project.pk}/jobs/").json()
    assert body["count"] == 2
    assert [job["kind"] for job in body["results"]] == ["full", "sample"]
    again = _start(api, treaty_project, kind="full")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "job_running"  # the same run, still queued


def test_another_users_jobs_are_404(api, other_api, treaty_project):
    job_id = _start(api, treaty_project).json()["id"]
    for path in ("", "documents/", "logs/"):
        assert other_api.get(f"/api/v1/jobs/{job_id}/{path}").status_code == 404
    for action in ("cancel/", "retry-failed/", "resume/"):
        assert other_api.post(f"/api/v1/jobs/{job_id}/{action}").status_code == 404
    assert other_api.get(f"/api/v1/projects/{treaty_project.pk}/jobs/").status_code == 404
    assert _start(other_api, treaty_project).status_code == 404
    assert ProcessingJob.objects.get(pk=job_id).status == "queued"


def test_processing_page_and_job_page(
    engine_settings, llm_simulator, client_logged_in, treaty_project
):
    page = client_logged_in.get(f"/projects/{treaty_project.pk}/processing/")
    assert page.status_code == 200
    assert b"Run a sample" in page.content
    response = client_logged_in.post(
        f"/projects/{treaty_project.pk}/processing/start/",
        {"kind": "sample", "sample_size": "2", "budget_usd": ""},
    )
    job = ProcessingJob.objects.get()
    assert response["Location"] == f"/projects/{treaty_project.pk}/processing/jobs/{job.pk}/"
    progress_url = f"/projects/{treaty_project.pk}/processing/jobs/{job.pk}/progress/"
    polled = client_logged_in.get(progress_url, HTTP_HX_REQUEST="true")
    assert polled.status_code == 200 and b'hx-trigger="every 2s"' in polled.content
    job_run(job_id=job.pk, hostname="test")
    polled = client_logged_in.get(progress_url, HTTP_HX_REQUEST="true")
    assert polled.status_code == 286  # finished: polling stops
    detail = client_logged_in.get(f"/projects/{treaty_project.pk}/processing/jobs/{job.pk}/")
    assert b"Completed" in detail.content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "sample", "sample_size": "lots"}, b"not a whole number"),
        ({"kind": "sample", "budget_usd": "ten"}, b"not an amount"),
        # Amounts the budget column cannot hold: once stored, every read of the job failed.
        ({"kind": "sample", "budget_usd": "1e400"}, b"under $100,000,000"),
        ({"kind": "sample", "budget_usd": "100000000"}, b"under $100,000,000"),
        ({"kind": "sample", "budget_usd": "99999999.9999999"}, b"under $100,000,000"),
        ({"kind": "sample", "budget_usd": "NaN"}, b"an amount in USD"),
        ({"kind": "sample", "budget_usd": "-Infinity"}, b"an amount in USD"),
        ({"kind": "sample", "budget_usd": "-1"}, b"more than zero"),
    ],
)
def test_processing_page_reports_bad_input(client_logged_in, treaty_project, data, message):
    response = client_logged_in.post(f"/projects/{treaty_project.pk}/processing/start/", data)
    assert response.status_code == 400
    assert message in response.content
    assert not ProcessingJob.objects.exists()


def test_a_refused_run_keeps_what_was_typed(client_logged_in, treaty_project):
    url = f"/projects/{treaty_project.pk}/processing/start/"

    response = client_logged_in.post(
        url, {"kind": "sample", "sample_size": "3", "budget_usd": "100000000"}
    )

    content = response.content.decode()
    assert re.search(r'id="sample-size"[^>]*value="3"', content)
    assert re.search(r'id="sample-budget"[^>]*value="100000000"', content)
    assert re.search(r'id="full-budget"[^>]*value=""', content)  # the other form is untouched


def test_sample_estimate_follows_the_size_typed(client_logged_in, treaty_project, other_user):
    url = f"/projects/{treaty_project.pk}/processing/sample-estimate/"
    page = client_logged_in.get(f"/projects/{treaty_project.pk}/processing/")
    assert f'hx-get="{url}"'.encode() in page.content

    two = client_logged_in.get(url, {"sample_size": "2"}, HTTP_HX_REQUEST="true")
    three = client_logged_in.get(url, {"sample_size": "3"}, HTTP_HX_REQUEST="true")
    assert two.status_code == 200 and b"for 2 documents" in two.content
    assert b"for 3 documents" in three.content
    # More than the project has: the whole corpus; nothing typed: the default size.
    assert b"for 5 documents" in client_logged_in.get(url, {"sample_size": "999"}).content
    assert b"for 5 documents" in client_logged_in.get(url, {"sample_size": ""}).content
    for typed in ("x", "0", "-5"):  # no estimate pretends to answer these
        answer = client_logged_in.get(url, {"sample_size": typed}).content
        assert b"a whole number of documents, 1 or more" in answer
        assert b"for 5 documents" not in answer

    client_logged_in.force_login(other_user)
    assert client_logged_in.get(url, {"sample_size": "2"}).status_code == 404


def test_sample_estimate_without_a_confirmed_schema_is_empty(client_logged_in, project):
    url = f"/projects/{project.pk}/processing/sample-estimate/"
    assert client_logged_in.get(url, {"sample_size": "2"}).status_code == 204


def test_a_job_answered_by_the_simulated_model_says_so(
    engine_settings, llm_simulator, api, treaty_project
):
    job_id = _start(api, treaty_project, kind="full").json()["id"]
    assert api.get(f"/api/v1/jobs/{job_id}/").json()["simulated"] is False  # nothing answered
    job_run(job_id=job_id, hostname="test")
    body = api.get(f"/api/v1/jobs/{job_id}/").json()
    assert body["status"] == "completed"
    assert body["simulated"] is True
    # Every document holds every value: a sample has nothing to ask.
    refused = _start(api, treaty_project, sample_size=2)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "nothing_to_process"
    # The values gone, the same questions are answered from the gateway's cache: still
    # the simulator's values.
    Extraction.objects.filter(document__project=treaty_project).delete()
    again = _start(api, treaty_project, sample_size=2).json()["id"]
    job_run(job_id=again, hostname="test")
    body = api.get(f"/api/v1/jobs/{again}/").json()
    assert (body["status"], body["llm_calls"], body["simulated"]) == ("completed", 0, True)


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("kind", "weekly"),
        ("sample_size", "lots"),
        ("sample_size", "²"),  # int() reads it; a whole number is ASCII digits
        ("sample_size", "0"),
        ("sample_size", "10001"),
        ("budget_usd", "ten"),
        ("budget_usd", "NaN"),
        ("budget_usd", "-1"),
    ],
)
def test_the_page_and_the_api_refuse_a_job_in_the_same_words(
    api, client_logged_in, treaty_project, field, typed
):
    data = {"kind": "sample", field: typed}
    answer = _start(api, treaty_project, **data)
    page = client_logged_in.post(f"/projects/{treaty_project.pk}/processing/start/", data)

    assert (answer.status_code, page.status_code) == (400, 400)
    sentences = answer.json()["error"]["details"][field]
    assert sentences
    for sentence in sentences:
        assert escape(sentence) in page.content.decode()
    assert not ProcessingJob.objects.exists()


def test_a_budget_is_read_the_same_way_from_the_page_and_the_api(
    api, client_logged_in, treaty_project
):
    client_logged_in.post(
        f"/projects/{treaty_project.pk}/processing/start/",
        {"kind": "sample", "sample_size": "2", "budget_usd": " $2.50 "},
    )
    _start(api, treaty_project, kind="full", budget_usd="$2.50")
    assert [str(job.budget_usd) for job in ProcessingJob.objects.order_by("id")] == [
        "2.500000",
        "2.500000",
    ]
