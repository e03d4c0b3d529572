"""Step 4 API and pages: jobs as API.md describes them, errors, and access."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from extractor.llm.batch import Support, batch_support
from extractor.templatetags.workbench import usd
from processing import jobs
from processing.engine import job_run
from processing.estimates import draft_estimate
from processing.models import Extraction, ProcessingJob, ProviderBatch

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
        ("mode", "overnight"),
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


def _radio(content: str, mode: str) -> str:
    """The full run's radio button of ``mode`` on the step-4 page."""
    return re.search(rf'<input type="radio" name="mode" value="{mode}"[^>]*>', content).group(0)


def _stat(content: str, stat_id: str) -> str:
    return re.search(rf'id="{stat_id}"><strong>([^<]*)</strong>', content).group(1)


def test_step_4_shows_the_full_runs_standard_and_batch_prices_and_offers_batch_mode(
    llm_simulator, client_logged_in, treaty_project
):
    assert batch_support(refresh=True).available  # the simulator has a Batch API
    url = f"/projects/{treaty_project.pk}/processing/"
    estimate = draft_estimate(project=treaty_project, kind="full")

    content = client_logged_in.get(url).content.decode()

    assert estimate.batch_cost_usd == pytest.approx(estimate.standard_cost_usd / 2, abs=1e-6)
    assert _stat(content, "standard-cost") == usd(estimate.standard_cost_usd)
    assert _stat(content, "batch-cost") == usd(estimate.batch_cost_usd)
    assert "within up to 24 hours, at the batch price" in content
    assert "start at once" in content
    standard, batch = _radio(content, "standard"), _radio(content, "batch")
    assert "checked" in standard
    assert "checked" not in batch and "disabled" not in batch
    # A refused run shows the page again with the mode that was chosen.
    refused = client_logged_in.post(
        url + "start/", {"kind": "full", "mode": "batch", "budget_usd": "ten"}
    )
    assert refused.status_code == 400
    content = refused.content.decode()
    assert "checked" in _radio(content, "batch") and "checked" not in _radio(content, "standard")


def test_batch_mode_is_shown_disabled_with_the_reason_when_unavailable(
    settings, llm_simulator, client_logged_in, treaty_project, monkeypatch
):
    settings.BATCH_ENABLED = False
    url = f"/projects/{treaty_project.pk}/processing/"
    reason = batch_support().reason
    assert reason

    content = client_logged_in.get(url).content.decode()

    assert "disabled" in _radio(content, "batch") and "checked" not in _radio(content, "batch")
    assert "checked" in _radio(content, "standard")
    assert f'<small class="muted" id="batch-unavailable">{escape(reason)}</small>' in content
    # The reason is the provider's words: shown as text, never as markup.
    monkeypatch.setattr(
        "processing.views.batch_support", lambda: Support(False, "<b>No</b> batches & co")
    )
    content = client_logged_in.get(url).content.decode()
    assert "&lt;b&gt;No&lt;/b&gt; batches &amp; co" in content and "<b>No</b>" not in content


def test_the_full_run_form_starts_a_batch_job_and_its_page_shows_the_batches(
    llm_simulator, client_logged_in, treaty_project
):
    assert batch_support(refresh=True).available
    response = client_logged_in.post(
        f"/projects/{treaty_project.pk}/processing/start/", {"kind": "full", "mode": "batch"}
    )
    job = ProcessingJob.objects.get()
    assert response["Location"] == f"/projects/{treaty_project.pk}/processing/jobs/{job.pk}/"
    assert job.mode == ProcessingJob.Mode.BATCH
    ProviderBatch.objects.filter(job=job).delete()  # whatever a worker may have begun
    ProviderBatch.objects.create(
        job=job,
        token="t-1",
        provider_id="batch_<abc>",
        status=ProviderBatch.Status.IN_PROGRESS,
        requests=5,
        request_counts={"total": 5, "completed": 3, "failed": 1},
    )
    ProviderBatch.objects.create(job=job, token="t-2", requests=2)  # not submitted yet
    job_url = f"/projects/{treaty_project.pk}/processing/jobs/{job.pk}/"

    for content in (
        client_logged_in.get(job_url).content.decode(),
        client_logged_in.get(job_url + "progress/", HTTP_HX_REQUEST="true").content.decode(),
    ):
        table = re.search(r'<table class="data" id="job-batches".*?</table>', content, re.S)
        rows = re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)[1:]
        cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
        assert [re.sub(r"<[^>]+>", "", cell) for cell in cells[0]] == [
            "batch_&lt;abc&gt;",
            "In progress",
            "3",
            "1",
            "5",
        ]
        assert [re.sub(r"<[^>]+>", "", cell) for cell in cells[1]] == [
            "not submitted yet",
            "Preparing the file",
            "0",
            "0",
            "2",
        ]
    detail = client_logged_in.get(job_url).content.decode()
    assert f"mode: {escape(job.get_mode_display())}" in detail


def test_a_standard_jobs_page_shows_its_mode_and_no_batches(client_logged_in, treaty_project, user):
    job = jobs.job_create(project=treaty_project, user=user, kind="sample", sample_size=2)
    job_url = f"/projects/{treaty_project.pk}/processing/jobs/{job.pk}/"

    detail = client_logged_in.get(job_url).content.decode()
    progress = client_logged_in.get(job_url + "progress/").content.decode()

    assert "mode: Standard" in detail
    assert "Batches at the provider" not in detail and "Batches at the provider" not in progress
