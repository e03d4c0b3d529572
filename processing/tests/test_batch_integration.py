"""Batch mode with real Celery workers (their embedded beat polls the batches), the
configured broker and database, and the simulator's Batch API over HTTP."""

from __future__ import annotations

import uuid
from decimal import Decimal

import openai
import pytest
from django.db.models import Sum

from extractor.llm.models import LLMCall
from extractor.llm.pricing import cost_usd
from processing.models import Extraction, JobDocument, ProcessingJob, ProviderBatch
from processing.tests.conftest import make_project
from processing.tests.workers import wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FINISHED = set(ProcessingJob.FINISHED)
BEAT = {"env": {"BATCH_POLL_SECONDS": "1"}, "beat": True}


def _texts(count: int) -> list[str]:
    return [
        f"Record {n}. In {1960 + n} a convention joined {n % 7 + 2} states; state {n} supported it."
        for n in range(count)
    ]


def _start(api, project) -> int:
    response = api.post(
        f"/api/v1/projects/{project.pk}/jobs/", {"kind": "full", "mode": "batch"}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _submitted(job_id: int) -> bool:
    return ProviderBatch.objects.filter(job_id=job_id).exclude(provider_id="").exists()


def _name() -> str:
    return f"btest-{uuid.uuid4().hex[:6]}@%h"


def test_a_batch_full_run_of_50_documents_completes_at_half_the_cost(
    api, user, start_llm_simulator, workers, tmp_path
):
    simulator = start_llm_simulator(batch_delay_seconds=2)
    project = make_project(user, documents=_texts(50))
    workers(simulator, _name(), **BEAT)
    job_id = _start(api, project)
    job = wait_for_job(job_id, lambda j: j.status in FINISHED, log=tmp_path / "worker.log")

    assert job.status == "completed", job.error
    assert job.succeeded == 50 and job.mode == "batch"
    values = Extraction.objects.filter(job_id=job_id)
    assert values.count() == 50 * 5
    assert not values.filter(status="error").exists()
    assert len(simulator.batches()) == 1 and simulator.requests() == []
    ledger = LLMCall.objects.filter(job_id=job_id).aggregate(
        prompt=Sum("prompt_tokens"), output=Sum("completion_tokens"), cost=Sum("cost_usd")
    )
    standard = cost_usd(
        job.model,
        prompt_tokens=ledger["prompt"],
        cached_tokens=0,
        completion_tokens=ledger["output"],
    )
    assert job.cost_usd == ledger["cost"]
    # Half, to the rounding of 50 rows at six decimals.
    assert abs(job.cost_usd * 2 - standard) <= Decimal("0.000001") * 100


def test_a_worker_killed_while_its_batch_runs_submits_it_once(
    api, user, start_llm_simulator, workers, tmp_path
):
    simulator = start_llm_simulator(batch_delay_seconds=8)
    project = make_project(user, documents=_texts(20))
    name = _name()
    worker = workers(simulator, name, **BEAT)
    job_id = _start(api, project)
    log = tmp_path / "worker.log"
    wait_for_job(job_id, lambda j: _submitted(j.pk), log=log)
    worker.kill()
    assert ProcessingJob.objects.get(pk=job_id).status == "running"

    workers(simulator, name, **BEAT)  # the same worker restarts
    job = wait_for_job(job_id, lambda j: j.status in FINISHED, log=log)

    assert job.status == "completed", job.error
    assert len(simulator.batches()) == 1
    assert ProviderBatch.objects.filter(job_id=job_id).exclude(provider_id="").count() == 1
    assert Extraction.objects.filter(job_id=job_id).count() == 20 * 5
    assert simulator.requests() == []


def test_an_expired_batch_falls_back_to_the_live_path_and_completes(
    api, user, start_llm_simulator, workers, tmp_path
):
    simulator = start_llm_simulator(batch_delay_seconds=2, batch_outcome="expired")
    project = make_project(user, documents=_texts(12))
    workers(simulator, _name(), **BEAT)
    job_id = _start(api, project)
    job = wait_for_job(job_id, lambda j: j.status in FINISHED, log=tmp_path / "worker.log")

    assert job.status == "completed", job.error
    batch = ProviderBatch.objects.get(job_id=job_id)
    assert batch.status == "expired"
    answered = batch.request_counts["completed"]
    assert 0 < answered < 12
    assert len(simulator.requests()) == 12 - answered  # only the rest went live
    assert Extraction.objects.filter(job_id=job_id).count() == 12 * 5


def test_cancelling_a_batch_job_cancels_the_provider_batch(
    api, user, start_llm_simulator, workers, tmp_path
):
    simulator = start_llm_simulator(batch_delay_seconds=20)
    project = make_project(user, documents=_texts(10))
    workers(simulator, _name(), **BEAT)
    job_id = _start(api, project)
    log = tmp_path / "worker.log"
    wait_for_job(job_id, lambda j: _submitted(j.pk), log=log)

    response = api.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert response.status_code == 200, response.content
    job = wait_for_job(job_id, lambda j: j.status in FINISHED, log=log)

    assert job.status == "cancelled"
    batch = ProviderBatch.objects.get(job_id=job_id)
    provider = openai.OpenAI(base_url=simulator.base_url, api_key="sk-test")
    assert provider.batches.retrieve(batch.provider_id).status in ("cancelling", "cancelled")
    assert batch.cancel_requested
    assert set(JobDocument.objects.filter(job_id=job_id).values_list("status", flat=True)) == {
        "cancelled"
    }
