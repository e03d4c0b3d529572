"""Batch mode in process: the real gateway and ``openai`` SDK against the simulator's
Files and Batch APIs, the batch step (``processing.batches.job_batch_step``) called
here the way beat calls it, and the live engine for what a batch sends back."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.db.models import Sum

from extractor.llm.models import LLMCall
from extractor.llm.pricing import cost_usd
from processing import batches
from processing.batches import job_batch_step
from processing.engine import job_run
from processing.models import Extraction, JobDocument, ProcessingJob, ProviderBatch
from processing.tests.conftest import TEXTS, make_project

pytestmark = pytest.mark.django_db

FINISHED = set(ProcessingJob.FINISHED)


@pytest.fixture
def batch_settings(engine_settings, settings):
    settings.BATCH_POLL_SECONDS = 1
    settings.BATCH_ENABLED = True
    return engine_settings


def _start(api, project, **body) -> dict:
    response = api.post(
        f"/api/v1/projects/{project.pk}/jobs/", {"kind": "full", "mode": "batch", **body},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()


def _drive(job_id: int, *, timeout: float = 30) -> ProcessingJob:
    """Steps (and the live runners a step would queue) until the job ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job_batch_step(job_id=job_id)
        job = ProcessingJob.objects.get(pk=job_id)
        if (
            job.status == "running"
            and JobDocument.objects.filter(job=job, status="pending", batch__isnull=False).exists()
        ):
            job_run(job_id=job_id, hostname="test")
            job.refresh_from_db()
        if job.status in FINISHED:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} stuck at {job.status} {job.processed}/{job.total}")


def test_a_batch_run_codes_every_document_at_half_the_price(
    api, user, batch_settings, start_llm_simulator, admin_client
):
    simulator = start_llm_simulator(batch_delay_seconds=0.3)
    project = make_project(user)
    body = _start(api, project)
    assert body["mode"] == "batch" and body["provider_batch"] is None

    job = _drive(body["id"])

    assert job.status == "completed", job.error
    assert job.succeeded == len(TEXTS) and job.mode == "batch"
    assert Extraction.objects.filter(job=job).count() == len(TEXTS) * 5
    assert not Extraction.objects.filter(job=job, status="error").exists()
    created = simulator.batches()
    assert len(created) == 1 and created[0]["requests"] == len(TEXTS)
    assert simulator.requests() == []  # nothing went through the live endpoint
    calls = LLMCall.objects.filter(job_id=job.pk)
    assert calls.count() == len(TEXTS)
    assert set(calls.values_list("batch_id", flat=True)) == {created[0]["id"]}
    totals = calls.aggregate(
        p=Sum("prompt_tokens"), c=Sum("completion_tokens"), cost=Sum("cost_usd")
    )
    standard = cost_usd(
        job.model, prompt_tokens=totals["p"], cached_tokens=0, completion_tokens=totals["c"]
    )
    assert job.cost_usd == totals["cost"]
    assert abs(job.cost_usd * 2 - standard) <= Decimal("0.000002") * len(TEXTS)
    assert job.input_tokens == totals["p"] and job.llm_calls == len(TEXTS)
    assert job.reserved_usd == 0

    detail = api.get(f"/api/v1/jobs/{job.pk}/").json()
    assert detail["provider_batch"]["id"] == created[0]["id"]
    assert detail["provider_batch"]["status"] == "completed"
    assert detail["provider_batch"]["request_counts"]["completed"] == len(TEXTS)
    assert detail["provider_batches"][0]["requests"] == len(TEXTS)
    assert detail["provider_batches"][0]["bytes"] > 0
    page = admin_client.get(f"/admin/processing/processingjob/{job.pk}/change/")
    assert page.status_code == 200 and created[0]["id"] in page.content.decode()


def test_error_lines_go_through_the_live_path_and_only_they(
    api, user, batch_settings, start_llm_simulator
):
    simulator = start_llm_simulator(batch_delay_seconds=0.2, batch_error_every=2)
    project = make_project(user)
    job = _drive(_start(api, project)["id"])

    assert job.status == "completed", job.error
    assert Extraction.objects.filter(job=job).count() == len(TEXTS) * 5
    live = simulator.requests()
    assert len(live) == len(TEXTS) // 2  # every second request was an error line
    items = JobDocument.objects.filter(job=job)
    assert {item.status for item in items} == {"done"}
    assert sorted(item.attempts for item in items) == [1, 1, 1, 2, 2]


def test_an_expired_batch_falls_back_and_completes(api, user, batch_settings, start_llm_simulator):
    simulator = start_llm_simulator(batch_delay_seconds=0.3, batch_outcome="expired")
    project = make_project(user)
    job = _drive(_start(api, project)["id"])

    assert job.status == "completed", job.error
    batch = ProviderBatch.objects.get(job=job)
    assert batch.status == "expired" and batch.collected_at is not None
    # Half the requests were answered before the batch expired; only the rest went live.
    assert len(simulator.requests()) == len(TEXTS) - batch.request_counts["completed"]
    assert Extraction.objects.filter(job=job).count() == len(TEXTS) * 5


def test_answers_already_cached_are_never_sent_again(
    api, user, batch_settings, start_llm_simulator
):
    simulator = start_llm_simulator(batch_delay_seconds=0.2)
    first = make_project(user, name="First")
    _drive(_start(api, first)["id"])
    assert len(simulator.batches()) == 1

    # The same documents and schema elsewhere: every request has its answer already.
    second = make_project(user, name="Second")
    job = _drive(_start(api, second)["id"])
    assert job.status == "completed"
    assert len(simulator.batches()) == 1 and simulator.requests() == []
    assert job.cost_usd == 0
    assert Extraction.objects.filter(job=job).count() == len(TEXTS) * 5


def test_cancelling_the_job_cancels_its_provider_batch(
    api, user, batch_settings, start_llm_simulator
):
    simulator = start_llm_simulator(batch_delay_seconds=30)
    project = make_project(user)
    job_id = _start(api, project)["id"]
    job_batch_step(job_id=job_id)
    assert ProviderBatch.objects.get(job_id=job_id).status in ("validating", "in_progress")

    response = api.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelling"
    job = _drive(job_id)

    assert job.status == "cancelled"
    assert simulator.batches()[0]["id"] == ProviderBatch.objects.get(job=job).provider_id
    batch = ProviderBatch.objects.get(job=job)
    assert batch.cancel_requested and batch.status in ("cancelling", "cancelled")
    assert set(JobDocument.objects.filter(job=job).values_list("status", flat=True)) == {
        "cancelled"
    }


def test_a_worker_killed_after_submitting_finds_its_batch_instead_of_sending_it_again(
    api, user, batch_settings, start_llm_simulator, monkeypatch
):
    simulator = start_llm_simulator(batch_delay_seconds=0.3)
    project = make_project(user)
    job_id = _start(api, project)["id"]

    real = batches._record_state

    def killed(batch, state, *, submitted=False):
        raise SystemExit("worker killed before it wrote the batch id")

    monkeypatch.setattr(batches, "_record_state", killed)
    with pytest.raises(SystemExit):
        job_batch_step(job_id=job_id)
    batch = ProviderBatch.objects.get(job_id=job_id)
    assert batch.status == "submitting" and batch.provider_id == ""
    assert len(simulator.batches()) == 1

    monkeypatch.setattr(batches, "_record_state", real)
    # The dead worker's lease runs out; the next step takes the submission over.
    ProviderBatch.objects.filter(pk=batch.pk).update(lease_expires_at=None, worker="")
    job = _drive(job_id)

    assert job.status == "completed"
    assert len(simulator.batches()) == 1
    assert ProviderBatch.objects.get(job=job).provider_id == simulator.batches()[0]["id"]


def test_files_are_split_at_the_request_limit(api, user, batch_settings, start_llm_simulator):
    batch_settings.BATCH_MAX_REQUESTS_PER_FILE = 2
    simulator = start_llm_simulator(batch_delay_seconds=0.2)
    project = make_project(user)
    job = _drive(_start(api, project)["id"])

    assert job.status == "completed"
    assert [b["requests"] for b in simulator.batches()] == [2, 2, 1]
    assert ProviderBatch.objects.filter(job=job).count() == 3


def test_a_batch_over_the_budget_is_refused_with_the_figures(
    api, user, batch_settings, start_llm_simulator
):
    start_llm_simulator()
    project = make_project(user)
    response = api.post(
        f"/api/v1/projects/{project.pk}/jobs/",
        {"kind": "full", "mode": "batch", "budget_usd": "0.000001"},
        format="json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["error"]["code"] == "over_budget"
    assert body["error"]["details"]["budget_usd"] == 0.000001
    assert body["error"]["details"]["estimated_cost_usd"] > 0.000001
    assert not ProcessingJob.objects.filter(project=project).exists()


def test_a_provider_without_batches_is_refused_with_the_reason(
    api, user, batch_settings, start_llm_simulator
):
    start_llm_simulator(no_batch=True)
    project = make_project(user)
    response = api.post(
        f"/api/v1/projects/{project.pk}/jobs/", {"kind": "full", "mode": "batch"}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["error"]["code"] == "batch_unavailable"
    assert "Batch API" in body["error"]["message"]
    assert not ProcessingJob.objects.filter(project=project).exists()


def test_a_bad_mode_is_a_400(api, user, batch_settings, start_llm_simulator):
    start_llm_simulator()
    project = make_project(user)
    response = api.post(
        f"/api/v1/projects/{project.pk}/jobs/", {"kind": "full", "mode": "cheap"}, format="json"
    )
    assert response.status_code == 400
    assert "choose standard or batch" in str(response.json())


def test_the_budget_is_held_at_submission_and_a_batch_that_does_not_fit_waits(
    api, user, batch_settings, start_llm_simulator
):
    simulator = start_llm_simulator(batch_delay_seconds=0.2)
    project = make_project(user)
    job_id = _start(api, project, budget_usd="5")["id"]
    # The budget shrank below the batch's estimate before it was submitted.
    ProcessingJob.objects.filter(pk=job_id).update(budget_usd=Decimal("0.000002"))

    job_batch_step(job_id=job_id)

    job = ProcessingJob.objects.get(pk=job_id)
    assert job.status == "paused" and job.reserved_usd == 0
    assert simulator.batches() == [] and not ProviderBatch.objects.filter(job=job).exists()
    assert set(JobDocument.objects.filter(job=job).values_list("status", "attempts")) == {
        ("pending", 0)
    }
    paused = job.logs.get(event="job_paused")
    assert "batch price" in paused.message and paused.data["budget_usd"] == "0.000002"

    response = api.post(f"/api/v1/jobs/{job_id}/resume/", {"budget_usd": "5"}, format="json")
    assert response.status_code == 200, response.content
    job_batch_step(job_id=job_id)
    batch = ProviderBatch.objects.get(job_id=job_id)
    held = ProcessingJob.objects.get(pk=job_id).reserved_usd
    assert held == batch.reserved_usd > 0  # the estimate, held while the batch runs

    job = _drive(job_id)
    assert job.status == "completed" and job.reserved_usd == 0
    assert len(simulator.batches()) == 1


def test_with_the_batch_fallback_unanswered_documents_go_into_the_next_batch(
    api, user, batch_settings, start_llm_simulator
):
    batch_settings.BATCH_FALLBACK = "batch"
    simulator = start_llm_simulator(batch_delay_seconds=0.2, batch_error_every=2)
    project = make_project(user)
    job = _drive(_start(api, project)["id"])

    assert job.status == "completed", job.error
    # Each batch's every second request fails and goes into the next, alone.
    assert [b["requests"] for b in simulator.batches()] == [5, 2, 1]
    assert simulator.requests() == []
    assert Extraction.objects.filter(job=job).count() == len(TEXTS) * 5
    assert sorted(JobDocument.objects.filter(job=job).values_list("attempts", flat=True)) == [
        1, 1, 1, 2, 3
    ]  # fmt: skip


def test_cancelling_after_the_batch_ended_unseen_still_ends_the_job(
    api, user, batch_settings, start_llm_simulator
):
    start_llm_simulator(batch_delay_seconds=0.3)
    project = make_project(user)
    job_id = _start(api, project)["id"]
    job_batch_step(job_id=job_id)
    time.sleep(0.6)  # the batch completed; our last poll still says it runs

    assert api.post(f"/api/v1/jobs/{job_id}/cancel/").status_code == 200
    job = _drive(job_id)

    assert job.status == "cancelled" and job.reserved_usd == 0
    batch = ProviderBatch.objects.get(job=job)
    assert batch.status == "completed" and batch.collected_at is not None
    # Its answers were billed: they are in the ledger, not written as values.
    assert LLMCall.objects.filter(job_id=job_id, outcome="success").count() == len(TEXTS)
    assert not Extraction.objects.filter(job=job).exists()


def test_a_submission_the_provider_refuses_sends_the_documents_live(
    api, user, batch_settings, start_llm_simulator
):
    simulator = start_llm_simulator(batch_delay_seconds=0.2, batch_max_requests=2)
    project = make_project(user)
    job = _drive(_start(api, project)["id"])

    assert job.status == "completed", job.error
    batch = ProviderBatch.objects.get(job=job)
    assert batch.status == "failed" and batch.provider_id == "" and batch.error
    assert batch.reserved_usd == 0 and job.reserved_usd == 0
    assert simulator.batches() == [] and len(simulator.requests()) == len(TEXTS)


def test_a_document_too_large_for_any_batch_file_goes_live(
    api, user, batch_settings, start_llm_simulator
):
    batch_settings.BATCH_MAX_BYTES_PER_FILE = 100
    simulator = start_llm_simulator(batch_delay_seconds=0.2)
    project = make_project(user)
    job = _drive(_start(api, project)["id"])

    assert job.status == "completed", job.error
    assert simulator.batches() == [] and len(simulator.requests()) == len(TEXTS)
    assert {b.status for b in ProviderBatch.objects.filter(job=job)} == {"failed"}
    assert "more than a batch file holds" in ProviderBatch.objects.filter(job=job)[0].error


def test_a_job_cancelled_while_its_batch_is_being_written_cancels_its_documents(
    api, user, batch_settings, start_llm_simulator, monkeypatch
):
    simulator = start_llm_simulator(batch_delay_seconds=0.2)
    project = make_project(user)
    job_id = _start(api, project)["id"]
    real = batches._estimated_cost

    def cancelled_meanwhile(job, requests):
        api.post(f"/api/v1/jobs/{job_id}/cancel/")
        return real(job, requests)

    monkeypatch.setattr(batches, "_estimated_cost", cancelled_meanwhile)
    job = _drive(job_id)

    assert job.status == "cancelled" and simulator.batches() == []
    assert set(JobDocument.objects.filter(job=job).values_list("status", flat=True)) == {
        "cancelled"
    }


def test_a_crash_before_the_batch_is_marked_collected_is_repaired_by_the_next_step(
    api, user, batch_settings, start_llm_simulator, monkeypatch
):
    start_llm_simulator(batch_delay_seconds=0.2)
    project = make_project(user)
    job_id = _start(api, project)["id"]
    job_batch_step(job_id=job_id)
    time.sleep(0.4)
    real = batches._release_reservation

    def killed(job_id, batch):
        raise SystemExit("worker killed after writing every document")

    monkeypatch.setattr(batches, "_release_reservation", killed)
    with pytest.raises(SystemExit):
        job_batch_step(job_id=job_id)
    monkeypatch.setattr(batches, "_release_reservation", real)
    assert JobDocument.objects.filter(job_id=job_id, status="done").count() == len(TEXTS)
    # The job is not finished while its batch holds the budget, whatever closes jobs.
    from processing.sweeper import sweep

    sweep()
    assert ProcessingJob.objects.get(pk=job_id).status == "running"

    job = _drive(job_id)
    assert job.status == "completed" and job.reserved_usd == 0
    assert LLMCall.objects.filter(job_id=job_id).count() == len(TEXTS)  # nothing twice


def test_a_worker_that_lost_its_lease_writes_nothing_more(
    api, user, batch_settings, start_llm_simulator
):
    start_llm_simulator()
    project = make_project(user)
    job = ProcessingJob.objects.get(pk=_start(api, project)["id"])
    row = ProviderBatch.objects.create(job=job, token="t1")
    mine = batches._take(row.pk, "worker-a")
    assert batches._take(row.pk, "worker-b") is None  # held
    ProviderBatch.objects.filter(pk=row.pk).update(lease_expires_at=None)
    theirs = batches._take(row.pk, "worker-b")
    assert theirs is not None and theirs.worker == "worker-b"
    with pytest.raises(batches.LeaseLost):
        batches._save(mine, status="submitting")
    assert ProviderBatch.objects.get(pk=row.pk).status == "preparing"


def test_a_long_collection_goes_on_in_the_next_step(
    api, user, batch_settings, start_llm_simulator, monkeypatch
):
    start_llm_simulator(batch_delay_seconds=0.2)
    monkeypatch.setattr(batches, "_PAGE", 2)
    project = make_project(user)
    job_id = _start(api, project)["id"]
    job_batch_step(job_id=job_id)
    time.sleep(0.4)
    batch_settings.PROCESSING_TASK_SECONDS = 0  # every step's time is up at once

    job_batch_step(job_id=job_id)
    assert JobDocument.objects.filter(job_id=job_id, status="done").count() == 2
    assert ProviderBatch.objects.get(job_id=job_id).collected_at is None
    job = _drive(job_id)

    assert job.status == "completed" and job.reserved_usd == 0
    assert job.logs.filter(event="batch_collecting").count() == 2
    assert LLMCall.objects.filter(job_id=job_id).count() == len(TEXTS)


def test_a_row_left_empty_by_a_killed_worker_goes_away(
    api, user, batch_settings, start_llm_simulator
):
    simulator = start_llm_simulator(batch_delay_seconds=0.2)
    project = make_project(user)
    job_id = _start(api, project)["id"]
    job_batch_step(job_id=job_id)  # the documents are in a submitted batch
    # Another step's row, created a moment before its worker was killed.
    ProviderBatch.objects.create(job_id=job_id, token="killed-before-claiming")

    job = _drive(job_id)

    assert job.status == "completed"
    assert list(ProviderBatch.objects.filter(job=job).values_list("token", flat=True)) == [
        ProviderBatch.objects.get(job=job).token
    ]
    assert not ProviderBatch.objects.filter(token="killed-before-claiming").exists()
    assert len(simulator.batches()) == 1
