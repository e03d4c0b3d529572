"""Real Celery worker processes, the configured broker (Redis, or the filesystem
transport in embedded mode) and database, the simulator over HTTP.

The worker is a separate process started like production starts it; tests talk to it
only through the database and the broker, and one of them kills it with SIGKILL.
"""

from __future__ import annotations

import uuid

import pytest
from django.db.models import Sum

from extractor.llm.models import LLMCall
from extractor.simulator import Simulator
from processing.models import Extraction, JobDocument, ProcessingJob
from processing.tests.conftest import make_project
from processing.tests.workers import wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FINISHED = {"completed", "completed_with_errors", "failed", "cancelled", "paused"}


@pytest.fixture
def simulator():
    sim = Simulator(latency=0.2)
    yield sim
    sim.stop()


def _start_job(api, project, **body) -> int:
    response = api.post(f"/api/v1/projects/{project.pk}/jobs/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_sample_then_full_run_through_a_real_worker(api, user, simulator, workers, tmp_path):
    texts = [
        f"Report {n}: the agreement of {1990 + n} was signed by {n + 2} parties; "
        f"country {n} supported it."
        for n in range(12)
    ]
    project = make_project(user, documents=texts)
    workers(simulator, f"itest-{uuid.uuid4().hex[:6]}@%h")

    sample = _start_job(api, project, kind="sample", sample_size=4)
    job = wait_for_job(sample, lambda j: j.status in FINISHED, log=tmp_path / "worker.log")
    assert job.status == "completed", job.error
    assert job.succeeded == 4

    full = _start_job(api, project, kind="full")
    job = wait_for_job(full, lambda j: j.status in FINISHED, log=tmp_path / "worker.log")
    assert job.status == "completed", job.error
    assert job.total == 8  # the sampled documents were not paid for twice
    per_document = Extraction.objects.filter(document__project=project).values_list(
        "document_id", flat=True
    )
    assert len(per_document) == 12 * 5
    assert len(set(per_document)) == 12
    body = api.get(f"/api/v1/jobs/{full}/").json()
    assert body["progress"] == 1.0 and body["llm_calls"] == 8


def test_a_killed_worker_loses_nothing_and_repeats_only_what_was_in_flight(
    api, user, simulator, workers, tmp_path
):
    documents = 40
    texts = [
        f"Document {n}. In {1950 + n} a treaty joined {n % 9 + 2} states; state {n} opposed it."
        for n in range(documents)
    ]
    project = make_project(user, documents=texts)
    name = f"itest-{uuid.uuid4().hex[:6]}@%h"
    worker = workers(simulator, name)
    job_id = _start_job(api, project, kind="full")
    log = tmp_path / "worker.log"
    wait_for_job(job_id, lambda j: j.processed >= 8, log=log)

    worker.kill()
    in_flight = JobDocument.objects.filter(job_id=job_id, status="running").count()
    done_at_kill = JobDocument.objects.filter(job_id=job_id, status="done").count()
    requests_at_kill = len(simulator.requests())
    assert done_at_kill < documents

    workers(simulator, name)  # the same worker restarts (systemd, compose...)
    job = wait_for_job(job_id, lambda j: j.status in FINISHED, timeout=120, log=log)
    assert job.status == "completed", job.error
    assert job.processed == job.succeeded == documents
    counts = {}
    for document_id in Extraction.objects.filter(job_id=job_id).values_list(
        "document_id", flat=True
    ):
        counts[document_id] = counts.get(document_id, 0) + 1
    assert len(counts) == documents and set(counts.values()) == {5}
    calls = len(simulator.requests())
    # Finished work was kept: only the documents in flight at the kill were asked again.
    assert calls <= documents + in_flight, (calls, in_flight, requests_at_kill)


def test_a_killed_worker_leaves_no_reservation_behind(api, user, simulator, workers, tmp_path):
    """A budgeted job's worker is SIGKILLed with calls in flight (their worst cases
    reserved on the job row); its restart puts the items back with their reservations,
    and the job ends with nothing reserved and its cost equal to its ledger."""
    texts = [
        f"Note {n}: in {1970 + n} {n % 5 + 2} states signed; state {n} agreed." for n in range(24)
    ]
    project = make_project(user, documents=texts)
    name = f"itest-{uuid.uuid4().hex[:6]}@%h"
    worker = workers(simulator, name)
    job_id = _start_job(api, project, kind="full", budget_usd=1)
    log = tmp_path / "worker.log"
    wait_for_job(job_id, lambda j: j.processed >= 4 and j.reserved_usd > 0, log=log)
    worker.kill()
    assert ProcessingJob.objects.get(pk=job_id).reserved_usd > 0  # left by the dead runners

    workers(simulator, name)
    job = wait_for_job(job_id, lambda j: j.status in FINISHED, timeout=120, log=log)
    assert job.status == "completed", job.error
    assert job.reserved_usd == 0
    assert not JobDocument.objects.filter(job_id=job_id).exclude(reserved_usd=0).exists()
    ledger = LLMCall.objects.filter(job_id=job_id).aggregate(cost=Sum("cost_usd"))["cost"]
    assert job.cost_usd == ledger
