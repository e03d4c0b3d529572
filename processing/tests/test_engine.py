"""The engine, run in the test's thread against the simulator over HTTP."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from extractor.llm.models import LLMCall
from processing import jobs
from processing.engine import job_run
from processing.estimates import _sample_ratios
from processing.models import Extraction, JobDocument, ProcessingJob, ProcessingLog
from processing.sweeper import sweep
from processing.tests.conftest import TEXTS, make_project
from projects.models import Document
from schemas.estimate import estimate_run
from schemas.versions import current_version

pytestmark = pytest.mark.django_db

Status = ProcessingJob.Status


def _run(project, user, kind="sample", **options) -> ProcessingJob:
    job = jobs.job_create(project=project, user=user, kind=kind, **options)
    job_run(job_id=job.pk, hostname="test")
    job.refresh_from_db()
    return job


def test_sample_job_end_to_end(engine_settings, llm_simulator, treaty_project, user):
    job = _run(treaty_project, user, sample_size=3)
    assert job.status == Status.COMPLETED, job.error
    assert (job.total, job.processed, job.succeeded, job.failed) == (3, 3, 3, 0)
    assert job.progress == 1.0
    assert job.llm_calls == 3  # one call per document for five variables
    assert job.input_tokens > 0 and job.output_tokens > 0 and job.cost_usd > 0
    assert job.started_at and job.finished_at
    values = Extraction.objects.filter(job=job)
    assert values.count() == 3 * 5
    assert set(values.values_list("variable_key", flat=True)) == {
        "country",
        "year",
        "signed_on",
        "parties",
        "stance",
    }
    for extraction in values.select_related("document"):
        if extraction.variable_key in ("year", "parties") and extraction.value is not None:
            assert isinstance(extraction.value, int)
        if extraction.variable_key == "stance" and extraction.value is not None:
            assert extraction.value in ("support", "oppose", "neutral")
        if extraction.evidence_start is not None:
            quoted = extraction.document.text[extraction.evidence_start : extraction.evidence_end]
            assert quoted  # offsets point into the document
    events = set(ProcessingLog.objects.filter(job=job).values_list("event", flat=True))
    assert {"job_created", "job_started", "job_completed"} <= events


def test_the_sample_is_reproducible(treaty_project, user):
    first = jobs.job_create(project=treaty_project, user=user, kind="sample", sample_size=3)
    chosen = set(JobDocument.objects.filter(job=first).values_list("document_id", flat=True))
    ready = list(Document.objects.filter(project=treaty_project).values_list("pk", flat=True))
    assert chosen == set(jobs._sample_documents(ready, 3, first.seed))


def test_full_run_skips_the_sampled_documents(engine_settings, llm_simulator, treaty_project, user):
    sample = _run(treaty_project, user, sample_size=2)
    sampled = set(JobDocument.objects.filter(job=sample).values_list("document_id", flat=True))
    calls_before = LLMCall.objects.exclude(outcome="cached").count()
    full = _run(treaty_project, user, kind="full")
    assert full.status == Status.COMPLETED
    assert full.total == 3
    assert not sampled & set(
        JobDocument.objects.filter(job=full).values_list("document_id", flat=True)
    )
    assert LLMCall.objects.exclude(outcome="cached").count() - calls_before == 3
    with pytest.raises(jobs.JobConflict, match="already has every value"):
        jobs.job_create(project=treaty_project, user=user, kind="full")


def test_job_needs_a_confirmed_schema_and_documents(user, project):
    with pytest.raises(jobs.JobConflict) as error:
        jobs.job_create(project=project, user=user, kind="sample")
    assert error.value.code == "no_confirmed_schema"
    empty = make_project(user, documents=[], name="Empty")
    with pytest.raises(jobs.JobConflict) as error:
        jobs.job_create(project=empty, user=user, kind="sample")
    assert error.value.code == "no_documents"


def test_cancel_before_work_starts(engine_settings, treaty_project, user):
    job = jobs.job_create(project=treaty_project, user=user, kind="full")
    jobs.job_cancel(job=job, user=user)
    job.refresh_from_db()
    assert job.status == Status.CANCELLED
    assert not JobDocument.objects.filter(job=job, status="pending").exists()
    job_run(job_id=job.pk, hostname="test")  # a late runner does nothing
    assert not Extraction.objects.exists()
    with pytest.raises(jobs.JobConflict):
        jobs.job_retry_failed(job=job)


def test_a_document_that_keeps_failing_is_reported_and_retried(
    engine_settings, start_llm_simulator, treaty_project, user
):
    # Malformed twice: the gateway's corrective retry fails too, so that document fails.
    start_llm_simulator(fault_script=("malformed", "malformed"))
    job = _run(treaty_project, user, kind="full")
    assert job.status == Status.COMPLETED_WITH_ERRORS
    assert (job.succeeded, job.failed) == (4, 1)
    failed = JobDocument.objects.get(job=job, status="failed")
    assert failed.error
    assert ProcessingLog.objects.filter(
        job=job, event="item_failed", document=failed.document
    ).exists()

    jobs.job_retry_failed(job=job, user=user)
    job.refresh_from_db()
    assert job.status == Status.QUEUED and job.failed == 0 and job.processed == 4
    job_run(job_id=job.pk, hostname="test")
    job.refresh_from_db()
    assert job.status == Status.COMPLETED
    assert Extraction.objects.filter(document=failed.document).count() == 5


def test_transient_faults_are_absorbed(engine_settings, start_llm_simulator, treaty_project, user):
    start_llm_simulator(
        fault_script=("500", "503", "timeout", "429", "disconnect"), hang_seconds=1.0
    )
    engine_settings.LLM_REQUEST_TIMEOUT = 0.5
    job = _run(treaty_project, user, kind="full")
    assert job.status == Status.COMPLETED
    assert Extraction.objects.filter(job=job).count() == 25


def test_budget_pauses_the_job_and_resume_finishes_it(
    engine_settings, llm_simulator, treaty_project, user
):
    job = _run(treaty_project, user, kind="full", budget_usd=Decimal("0.000001"))
    assert job.status == Status.PAUSED
    assert job.processed == 0 and job.cost_usd == 0  # no call fits such a budget: none sent
    assert ProcessingLog.objects.filter(job=job, event="job_paused").exists()
    with pytest.raises(jobs.JobInputError):
        jobs.job_resume(job=job, budget_usd=Decimal("0"))
    jobs.job_resume(job=job, budget_usd=None, user=user)
    job_run(job_id=job.pk, hostname="test")
    job.refresh_from_db()
    assert job.status == Status.COMPLETED and job.processed == 5


def test_missing_provider_fails_the_job_fast(engine_settings, treaty_project, user):
    engine_settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    engine_settings.LLM_MAX_ATTEMPTS = 1
    job = _run(treaty_project, user, kind="full")
    assert job.status == Status.FAILED
    assert job.error
    assert job.failed == 5
    assert ProcessingLog.objects.filter(job=job, event="job_error").exists()


def test_a_truncated_answer_splits_the_variables(engine_settings, start_llm_simulator, user):
    project = make_project(user, documents=TEXTS_ONE)
    simulator = start_llm_simulator(fault_script=("truncate",))
    job = _run(project, user, kind="full")
    assert job.status == Status.COMPLETED
    assert Extraction.objects.filter(job=job).count() == 5
    assert len(simulator.requests()) == 3  # the cut answer, then two halves


TEXTS_ONE = ["The Treaty of Rome was signed in 1957 by 6 countries; Italy supported it."]


def test_large_schema_uses_two_calls_per_document(engine_settings, llm_simulator, user):
    variables = [(f"v{i:02d}", "text", f"Item {i}.", [], False) for i in range(30)]
    project = make_project(user, documents=TEXTS[:2], variables=variables)
    job = _run(project, user, kind="full")
    assert job.status == Status.COMPLETED
    assert job.llm_calls == 4
    assert Extraction.objects.filter(job=job).count() == 60


def test_long_document_is_chunked_and_merged(engine_settings, llm_simulator, user):
    engine_settings.PROCESSING_MAX_CHUNK_TOKENS = 1000
    long_text = " ".join(
        f"Paragraph {i}: the delegates of country {i} met in {1900 + i} and agreed."
        for i in range(300)
    )
    project = make_project(user, documents=[long_text])
    job = _run(project, user, kind="full")
    assert job.status == Status.COMPLETED
    assert job.llm_calls > 1
    extraction = Extraction.objects.get(job=job, variable_key="year")
    assert isinstance(extraction.raw, list)  # every chunk's answer kept


def test_sweeper_puts_back_the_work_of_a_dead_runner(engine_settings, treaty_project, user):
    job = jobs.job_create(project=treaty_project, user=user, kind="full")
    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    past = timezone.now() - timedelta(minutes=5)
    item = JobDocument.objects.filter(job=job).first()
    JobDocument.objects.filter(pk=item.pk).update(
        status="running", attempts=1, worker="dead@host:1:abc", lease_expires_at=past
    )
    other = JobDocument.objects.filter(job=job).exclude(pk=item.pk).first()
    JobDocument.objects.filter(pk=other.pk).update(
        status="running",
        attempts=1,
        worker="w1@host:2:def",
        lease_expires_at=timezone.now() + timedelta(minutes=5),
    )
    result = sweep(restarted_hostname="w1@host")
    assert result["requeued"] == 2
    assert set(JobDocument.objects.filter(job=job).values_list("status", flat=True)) == {"pending"}
    assert ProcessingLog.objects.filter(job=job, event="item_requeued").count() == 2


def test_sweeper_replaces_each_dead_runner_of_a_job_that_others_keep_alive(
    engine_settings, treaty_project, user, monkeypatch, django_capture_on_commit_callbacks
):
    from extractor.celery import app as celery_app

    engine_settings.PROCESSING_PARALLEL_TASKS = 4
    queued = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, args, **options: queued.append(args))
    job = jobs.job_create(project=treaty_project, user=user, kind="full")
    now = timezone.now()
    # A live runner renews the job's heartbeat (so the job never looks quiet) while two
    # dead runners' items wait for their leases to run out.
    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.RUNNING, heartbeat_at=now)
    items = list(JobDocument.objects.filter(job=job)[:3])
    for item, runner in zip(items, ["w1@h:1:aaa", "w1@h:1:bbb", "w2@h:2:ccc"], strict=True):
        lease = now + timedelta(minutes=5) if runner.startswith("w2") else now - timedelta(1)
        JobDocument.objects.filter(pk=item.pk).update(
            status="running", attempts=1, worker=runner, lease_expires_at=lease
        )
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep()
    assert result["requeued"] == 2
    assert queued == [(job.pk,), (job.pk,)]


def test_sweeper_fails_items_out_of_attempts(engine_settings, treaty_project, user):
    job = jobs.job_create(project=treaty_project, user=user, kind="sample", sample_size=1)
    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    JobDocument.objects.filter(job=job).update(
        status="running",
        attempts=engine_settings.PROCESSING_MAX_ATTEMPTS,
        worker="dead@host:1:x",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    sweep()
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert "Gave up after" in JobDocument.objects.get(job=job).error


def test_sweeper_closes_calls_abandoned_by_a_dead_process(engine_settings):
    from extractor.llm.models import LLMCall

    stale = LLMCall.objects.create(request_hash="a" * 64, model="m", outcome="pending")
    fresh = LLMCall.objects.create(request_hash="b" * 64, model="m", outcome="pending")
    LLMCall.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - timedelta(seconds=3 * engine_settings.LLM_TOTAL_TIMEOUT)
    )
    sweep()
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.outcome, stale.error_type) == ("error", "Abandoned")
    assert fresh.outcome == "pending"


def test_ten_percent_random_faults_still_complete(engine_settings, start_llm_simulator, user):
    texts = [f"Memo {n}: in {1980 + n} a pact of {n + 2} parties was signed." for n in range(20)]
    project = make_project(user, documents=texts)
    simulator = start_llm_simulator(fail_500=0.04, fail_503=0.03, disconnect_rate=0.03, seed=7)
    job = _run(project, user, kind="full")
    assert job.status == Status.COMPLETED, job.error
    assert Extraction.objects.filter(job=job).count() == 20 * 5
    faulty = [r for r in simulator.requests() if r["status"] != 200]
    assert len(simulator.requests()) == 20 + len(faulty)  # only the faults were repeated


def test_nul_characters_in_an_answer_do_not_break_the_save(engine_settings, user):
    from processing.answers import ValidatedValue
    from processing.lifecycle import item_claim
    from processing.outcomes import item_complete

    project = make_project(user, documents=TEXTS[:1])
    job = jobs.job_create(project=project, user=user, kind="full")
    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    item = item_claim(job_id=job.pk, worker="w")
    version = job.schema_version
    values = {
        "country": ValidatedValue(
            "Fran\x00ce", "ok", "note\x00", "quote\x00", None, None, 0.5, {"value": "Fran\x00ce"}
        ),
    }
    assert item_complete(job=job, version=version, item=item, worker="w", values=values)
    saved = Extraction.objects.get(job=job, variable_key="country")
    assert (saved.value, saved.evidence, saved.message) == ("France", "quote", "note")
    assert saved.raw == {"value": "France"}


def test_a_document_sampled_twice_counts_once_in_the_correction(treaty_project, user):
    """The full run's estimate is corrected by actual / estimated tokens of sampled
    documents; a document sampled twice must not count its tokens twice."""
    version = current_version(treaty_project)
    document = treaty_project.documents.order_by("pk").first()
    for tokens in (9_999, 1_000):  # an old sample item, then the latest one
        job = ProcessingJob.objects.create(
            project=treaty_project, schema_version=version, kind="sample", total=1,
            model=treaty_project.model_name, status=ProcessingJob.Status.COMPLETED,
        )  # fmt: skip
        JobDocument.objects.create(
            job=job, document=document, status=JobDocument.Status.DONE, llm_calls=1,
            input_tokens=tokens, output_tokens=100,
        )  # fmt: skip

    input_ratio, output_ratio, sampled = _sample_ratios(version, treaty_project.model_name)
    estimated = estimate_run(
        project=treaty_project, variables=version.variables, instructions=version.instructions,
        kind="full", document_ids=[document.pk],
    )  # fmt: skip
    assert sampled == 1
    assert input_ratio == pytest.approx(1_000 / estimated.input_tokens)
    assert output_ratio == pytest.approx(100 / estimated.output_tokens)
