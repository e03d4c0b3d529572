"""One active job per run (project, schema version, kind): a double click, two tabs or
two API clients at the same moment start exactly one job; the other request learns
which job is running. Enforced by the database, so threads racing through the whole
request prove it, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from processing import jobs
from processing.models import JobDocument, ProcessingJob
from processing.tests.conftest import make_project

Status = ProcessingJob.Status


def _start(api, project, **body):
    return api.post(f"/api/v1/projects/{project.pk}/jobs/", {"kind": "full"} | body, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.QUEUED, Status.RUNNING, Status.PAUSED, "cancelling"])
def test_a_second_start_of_an_active_run_is_409_naming_the_job(api, treaty_project, status):
    first = _start(api, treaty_project).json()
    ProcessingJob.objects.filter(pk=first["id"]).update(status=status)
    items = JobDocument.objects.count()

    response = _start(api, treaty_project)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "job_running"
    assert error["details"] == {"job_id": first["id"], "status": status}
    assert f"(job {first['id']})" in error["message"]
    assert ProcessingJob.objects.count() == 1
    assert JobDocument.objects.count() == items  # nothing redone, nothing rewritten


@pytest.mark.django_db
def test_other_runs_are_not_held_up(api, treaty_project):
    assert _start(api, treaty_project, kind="sample", sample_size=2).status_code == 201
    # A full run beside a running sample: a different run (it skips the sample's items).
    full = _start(api, treaty_project)
    assert full.status_code == 201
    assert full.json()["total"] == 3
    assert _start(api, treaty_project, kind="sample", sample_size=1).status_code == 409
    # Once the full run has ended, the next one may start (on what it left undone).
    ProcessingJob.objects.filter(pk=full.json()["id"]).update(status=Status.CANCELLED)
    JobDocument.objects.filter(job_id=full.json()["id"]).update(status="cancelled")
    assert _start(api, treaty_project).status_code == 201


@pytest.mark.django_db
def test_a_sample_leaves_out_documents_another_run_holds(api, treaty_project):
    documents = sorted(treaty_project.documents.values_list("pk", flat=True))
    assert _start(api, treaty_project, document_ids=documents[:3]).status_code == 201
    sample = _start(api, treaty_project, kind="sample", sample_size=5).json()
    assert sample["total"] == 2
    items = JobDocument.objects.filter(job_id=sample["id"]).values_list("document_id", flat=True)
    assert sorted(items) == documents[3:]  # nothing paid twice


@pytest.mark.django_db
def test_retrying_failures_while_the_run_is_active_again_is_409(api, treaty_project):
    failed = jobs.job_create(project=treaty_project, user=None, kind="sample", sample_size=2)
    ProcessingJob.objects.filter(pk=failed.pk).update(
        status=Status.COMPLETED_WITH_ERRORS, processed=2, failed=1, succeeded=1
    )
    JobDocument.objects.filter(job=failed).update(status="failed")
    again = _start(api, treaty_project, kind="sample", sample_size=1).json()

    response = api.post(f"/api/v1/jobs/{failed.pk}/retry-failed/")
    assert response.status_code == 409
    assert response.json()["error"]["details"]["job_id"] == again["id"]
    failed.refresh_from_db()
    assert failed.status == Status.COMPLETED_WITH_ERRORS
    assert JobDocument.objects.filter(job=failed, status="failed").count() == 2


@pytest.mark.django_db
def test_a_paused_jobs_failures_are_not_retried_behind_its_budget(api, treaty_project):
    job = jobs.job_create(project=treaty_project, user=None, kind="full", budget_usd=Decimal(1))
    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.PAUSED)
    JobDocument.objects.filter(job=job).update(status="failed")
    response = api.post(f"/api/v1/jobs/{job.pk}/retry-failed/")
    assert response.status_code == 409
    assert "resume it" in response.json()["error"]["message"]
    job.refresh_from_db()
    assert job.status == Status.PAUSED


@pytest.mark.django_db
def test_a_second_click_in_the_wizard_shows_the_running_job(client_logged_in, treaty_project):
    url = f"/projects/{treaty_project.pk}/processing/start/"
    first = client_logged_in.post(url, {"kind": "sample", "sample_size": "2"})
    job = ProcessingJob.objects.get()
    assert first["Location"].endswith(f"/processing/jobs/{job.pk}/")

    second = client_logged_in.post(url, {"kind": "sample", "sample_size": "2"}, follow=True)
    assert second.redirect_chain[-1][0].endswith(f"/processing/jobs/{job.pk}/")
    assert f"already queued (job {job.pk})" in second.content.decode()
    assert ProcessingJob.objects.count() == 1


def test_the_constraint_covers_exactly_the_statuses_that_hold_documents():
    constraint = next(
        c for c in ProcessingJob._meta.constraints if c.name == "one_active_job_per_run"
    )
    (lookup, statuses) = constraint.condition.children[0]
    assert lookup == "status__in"
    assert set(statuses) == set(ProcessingJob.HOLDING)


def _race(requests: int, call) -> list:
    """``call`` in ``requests`` threads released together; their answers."""
    barrier = threading.Barrier(requests)
    answers: list = [None] * requests

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            answers[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["full", "sample"])
def test_simultaneous_starts_create_exactly_one_job(user, kind):
    project = make_project(user)
    token = Token.objects.create(user=user).key

    def start():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client.post(
            f"/api/v1/projects/{project.pk}/jobs/",
            {"kind": kind, "sample_size": 3},
            format="json",
        )

    answers = _race(4, start)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201, 409, 409, 409], [a.content for a in answers]
    job = ProcessingJob.objects.get()
    for answer in answers:
        if answer.status_code == 409:
            error = answer.json()["error"]
            assert error["code"] == "job_running"
            assert error["details"]["job_id"] == job.pk
    assert JobDocument.objects.filter(job=job).count() == job.total
    assert JobDocument.objects.count() == job.total


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_doubled_run_furthest_along(user):
    """Runs the race already doubled before the index existed: the migration keeps the
    running job and cancels the others (and their pending items), then adds the index."""
    from django.db.migrations.executor import MigrationExecutor

    project = make_project(user)
    version_id = project.schema_head.current_version_id
    before = [("processing", "0002_extraction_reviewed_index")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Job, Item = (
        old.get_model("processing", "ProcessingJob"),
        old.get_model("processing", "JobDocument"),
    )
    document = project.documents.first().pk
    jobs_by_status = {}
    for status in ("running", "paused", "queued"):  # the paused one is the newest but one
        job = Job.objects.create(
            project_id=project.pk, schema_version_id=version_id, kind="full", status=status,
            model="gpt-4o-mini",
        )  # fmt: skip
        Item.objects.create(job=job, document_id=document, status="pending")
        jobs_by_status[status] = job.pk

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    statuses = dict(ProcessingJob.objects.values_list("pk", "status"))
    assert statuses[jobs_by_status["running"]] == "running"
    assert statuses[jobs_by_status["paused"]] == statuses[jobs_by_status["queued"]] == "cancelled"
    kept = JobDocument.objects.get(job_id=jobs_by_status["running"])
    assert kept.status == "pending"
    assert JobDocument.objects.filter(status="cancelled").count() == 2
