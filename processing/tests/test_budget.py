"""A job's budget is admitted call by call, before the money is spent (budget.py).

Against the simulator over HTTP; the threaded tests commit for real (other threads'
connections must see the rows), and the admission's own test runs on PostgreSQL too
when the suite does.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from extractor.llm.admission import attempt_worst_case
from extractor.llm.models import LLMCall
from extractor.llm.structured import prepare_request
from extractor.llm.tokens import count_messages
from processing import jobs
from processing.budget import JobBudget
from processing.engine import job_run
from processing.models import JobDocument, ProcessingJob, ProcessingLog
from processing.sweeper import sweep
from processing.tests.conftest import make_project
from schemas.calls import document_calls

Status = ProcessingJob.Status

TEXTS = [
    f"Memo {n}: in {1960 + n} a pact on fisheries was signed by {n % 7 + 2} parties; "
    f"country {n} supported it and the secretariat moved to Geneva."
    for n in range(40)
]


def _ledger_cost(job: ProcessingJob) -> Decimal:
    total = LLMCall.objects.filter(job_id=job.pk).aggregate(cost=Sum("cost_usd"))["cost"]
    return total or Decimal(0)


def _first_attempt_worst_case(job: ProcessingJob) -> Decimal:
    """What the engine reserves for the first attempt of the job's first document."""
    version = job.schema_version
    document = JobDocument.objects.filter(job=job).first().document
    call = document_calls(
        project=job.project,
        variables=version.variables,
        instructions=version.instructions,
        document=document,
        count_tokens=False,
    )[0]
    sent, response_format = prepare_request(
        messages=call["messages"],
        schema_name="extraction",
        json_schema=call["response_format"]["json_schema"]["schema"],
        mode="json_schema",
    )
    return attempt_worst_case(
        sent,
        model=job.model,
        response_format=response_format,
        max_output_tokens=call["max_output_tokens"],
        prompt_tokens=count_messages(sent, job.model),
    )


@pytest.mark.django_db(transaction=True)
def test_eight_threads_never_spend_past_the_budget(engine_settings, start_llm_simulator, user):
    # Before admissions, the budget was checked after each document while 8 calls
    # were in flight: this job spent 0.004718 of its 0.003.
    engine_settings.PROCESSING_THREADS_PER_TASK = 8
    start_llm_simulator(latency=0.2)
    project = make_project(user, documents=TEXTS)
    budget = Decimal("0.003")
    job = jobs.job_create(project=project, user=user, kind="full", budget_usd=budget)
    job_run(job_id=job.pk, hostname="test")
    job.refresh_from_db()
    assert job.status == Status.PAUSED
    assert 0 < job.processed < len(TEXTS)
    assert job.cost_usd <= budget
    assert job.cost_usd == _ledger_cost(job)
    assert job.reserved_usd == 0
    assert not JobDocument.objects.filter(job=job).exclude(reserved_usd=0).exists()
    assert set(JobDocument.objects.filter(job=job).values_list("status", flat=True)) == {
        "done",
        "pending",
    }
    paused = ProcessingLog.objects.get(job=job, event="job_paused")
    assert "would exceed the budget" in paused.message


def test_a_call_that_cannot_fit_alone_is_never_sent(engine_settings, llm_simulator, user):
    project = make_project(user, documents=TEXTS[:3])
    job = jobs.job_create(project=project, user=user, kind="full", budget_usd=Decimal("0.0001"))
    job_run(job_id=job.pk, hostname="test")
    job.refresh_from_db()
    assert job.status == Status.PAUSED
    assert llm_simulator.requests() == []
    assert not LLMCall.objects.filter(job_id=job.pk).exists()
    assert job.processed == 0 and job.cost_usd == 0 and job.reserved_usd == 0
    assert set(JobDocument.objects.filter(job=job).values_list("status", flat=True)) == {"pending"}
    # Nothing was sent: the refused claim does not count among the document's attempts.
    assert set(JobDocument.objects.filter(job=job).values_list("attempts", flat=True)) == {0}
    assert ProcessingLog.objects.filter(job=job, event="job_paused").count() == 1


def test_a_retry_needs_its_own_admission(engine_settings, start_llm_simulator, user):
    """The first attempt fits the budget exactly; its answer is malformed (and billed),
    so the corrective retry, with a longer prompt, cannot fit: it is not sent."""
    simulator = start_llm_simulator(fault_script=("malformed",))
    project = make_project(user, documents=TEXTS[:1])
    job = jobs.job_create(project=project, user=user, kind="full")
    budget = _first_attempt_worst_case(job)
    ProcessingJob.objects.filter(pk=job.pk).update(budget_usd=budget)
    job_run(job_id=job.pk, hostname="test")
    job.refresh_from_db()

    assert len(simulator.requests()) == 1
    assert job.status == Status.PAUSED
    call = LLMCall.objects.get(job_id=job.pk)
    assert (call.error_type, call.attempts) == ("BudgetExceededError", 1)
    assert 0 < call.cost_usd == job.cost_usd <= budget
    assert job.reserved_usd == 0 and job.llm_calls == 1
    assert JobDocument.objects.get(job=job).status == "pending"

    jobs.job_resume(job=job, budget_usd=None, user=user)
    job_run(job_id=job.pk, hostname="test")
    job.refresh_from_db()
    assert job.status == Status.COMPLETED
    assert job.cost_usd == _ledger_cost(job)


@pytest.mark.django_db(transaction=True)
def test_concurrent_reservations_never_pass_the_budget(user, settings):
    """Eight threads, each holding its own item, reserve and settle as fast as they can;
    a ninth keeps reading the job row. The row never shows more spent and reserved
    than the budget, and the job pauses once no attempt can fit."""
    settings.PROCESSING_TASK_SECONDS = 20  # the longest a refused thread may wait
    budget, amount, actual = Decimal("0.001000"), Decimal("0.000150"), Decimal("0.000040")
    project = make_project(user, documents=TEXTS[:8])
    job = jobs.job_create(project=project, user=user, kind="full", budget_usd=budget)
    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    items = list(JobDocument.objects.filter(job=job))
    for number, item in enumerate(items):
        item.worker = f"w{number}"
        JobDocument.objects.filter(pk=item.pk).update(status="running", worker=item.worker)
    admitted, busy, most_busy, seen = [], [0], [0], []
    lock, done = threading.Lock(), threading.Event()

    def spend(item: JobDocument) -> None:
        holder = JobBudget(
            job_id=job.pk,
            held=lambda: JobDocument.objects.filter(pk=item.pk, worker=item.worker),
        )
        try:
            while holder.reserve(amount):
                with lock:
                    busy[0] += 1
                    most_busy[0] = max(most_busy[0], busy[0])
                    admitted.append(item.pk)
                time.sleep(0.01)
                with lock:
                    busy[0] -= 1
                holder.settle(amount, actual)
        finally:
            connection.close()

    def watch() -> None:
        try:
            while not done.is_set():
                row = ProcessingJob.objects.values("cost_usd", "reserved_usd").get(pk=job.pk)
                seen.append(row["cost_usd"] + row["reserved_usd"])
        finally:
            connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=spend, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    done.set()
    watcher.join(timeout=10)

    job.refresh_from_db()
    assert job.status == Status.PAUSED
    assert job.reserved_usd == 0
    assert job.cost_usd == actual * len(admitted) <= budget
    assert job.cost_usd + amount > budget  # it went on while an attempt could fit
    assert most_busy[0] <= budget // amount
    assert seen and max(seen) <= budget
    charged = JobDocument.objects.filter(job=job).aggregate(total=Sum("charged_usd"))["total"]
    assert charged == job.cost_usd


@pytest.mark.django_db(transaction=True)
def test_a_call_that_fits_alone_waits_for_calls_in_flight(treaty_project, user):
    budget = Decimal("0.001000")
    job = jobs.job_create(project=treaty_project, user=user, kind="full", budget_usd=budget)
    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    first, second = JobDocument.objects.filter(job=job)[:2]
    JobDocument.objects.filter(pk__in=[first.pk, second.pk]).update(status="running", worker="w")

    def holder(item: JobDocument) -> JobBudget:
        return JobBudget(job_id=job.pk, held=lambda: JobDocument.objects.filter(pk=item.pk))

    early, late = holder(first), holder(second)
    assert early.reserve(Decimal("0.000900"))
    answers = []

    def ask() -> None:
        try:
            answers.append(late.reserve(Decimal("0.000500")))
        finally:
            connection.close()

    waiting = threading.Thread(target=ask)
    waiting.start()
    time.sleep(0.3)
    assert answers == []  # held back, not refused
    early.settle(Decimal("0.000900"), Decimal("0.000200"))
    waiting.join(timeout=10)
    assert answers == [True]
    job.refresh_from_db()
    assert (job.status, job.cost_usd, job.reserved_usd) == (
        Status.RUNNING,
        Decimal("0.000200"),
        Decimal("0.000500"),
    )


def test_a_wait_for_room_gives_up_after_a_task_length_without_pausing(
    treaty_project, user, settings
):
    settings.PROCESSING_TASK_SECONDS = 0.5
    job = jobs.job_create(
        project=treaty_project, user=user, kind="full", budget_usd=Decimal("0.001")
    )
    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    first, second = JobDocument.objects.filter(job=job)[:2]
    JobDocument.objects.filter(pk__in=[first.pk, second.pk]).update(status="running", worker="w")
    stuck = JobBudget(job_id=job.pk, held=lambda: JobDocument.objects.filter(pk=first.pk))
    assert stuck.reserve(Decimal("0.0008"))  # and never settles
    waiting = JobBudget(job_id=job.pk, held=lambda: JobDocument.objects.filter(pk=second.pk))
    started = time.monotonic()
    assert not waiting.reserve(Decimal("0.0005"))
    assert 0.5 <= time.monotonic() - started < 5
    job.refresh_from_db()
    assert (job.status, job.reserved_usd) == (Status.RUNNING, Decimal("0.000800"))


def _running_item(job: ProcessingJob, index: int = 0) -> tuple[JobDocument, JobBudget]:
    item = JobDocument.objects.filter(job=job).order_by("pk")[index]
    JobDocument.objects.filter(pk=item.pk).update(status="running", worker=f"w{index}")
    return item, JobBudget(job_id=job.pk, held=lambda: JobDocument.objects.filter(pk=item.pk))


def test_figures_floats_get_wrong_are_compared_exactly(treaty_project, user, settings):
    # 0.1 + 0.2 is more than 0.3 in floating point, which is how SQLite keeps decimals:
    # compared in SQL there, the reservation was refused, and the thread spun until its
    # task's time was up.
    settings.PROCESSING_TASK_SECONDS = 5
    job = jobs.job_create(project=treaty_project, user=user, kind="full", budget_usd=Decimal("0.3"))
    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.RUNNING, cost_usd=Decimal("0.1"))
    _item, holder = _running_item(job)
    started = time.monotonic()
    assert holder.reserve(Decimal("0.2")) is True
    assert time.monotonic() - started < 1
    job.refresh_from_db()
    assert job.reserved_usd == Decimal("0.2")


def test_the_sweeper_gives_back_a_reservation_whose_item_is_gone(treaty_project, user):
    """A document deleted while its call is on the wire takes its item, and the item's
    record of the reservation, with it; the job's figure is set back to what its items
    hold, and a live item keeps what it holds."""
    from projects.services import document_delete

    job = jobs.job_create(
        project=treaty_project, user=user, kind="full", budget_usd=Decimal("0.01")
    )
    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    gone, gone_budget = _running_item(job, 0)
    _live, live_budget = _running_item(job, 1)
    assert gone_budget.reserve(Decimal("0.009"))
    assert live_budget.reserve(Decimal("0.0005"))
    document_delete(document=gone.document)
    gone_budget.settle(Decimal("0.009"), Decimal("0.0002"))  # the call ends afterwards
    job.refresh_from_db()
    assert job.reserved_usd == Decimal("0.0095")  # held for ever before
    sweep()
    job.refresh_from_db()
    assert (job.reserved_usd, job.cost_usd) == (Decimal("0.0005"), Decimal("0.0002"))


def test_a_provider_billing_more_than_reserved_is_recorded_and_pauses(treaty_project, user):
    job = jobs.job_create(
        project=treaty_project, user=user, kind="full", budget_usd=Decimal("0.01")
    )
    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    item = JobDocument.objects.filter(job=job).first()
    JobDocument.objects.filter(pk=item.pk).update(status="running", worker="w")
    holder = JobBudget(job_id=job.pk, held=lambda: JobDocument.objects.filter(pk=item.pk))
    assert holder.reserve(Decimal("0.000100"))
    holder.settle(Decimal("0.000100"), Decimal("0.000300"))
    job.refresh_from_db()
    assert (job.status, job.cost_usd, job.reserved_usd) == (
        Status.PAUSED,
        Decimal("0.000300"),
        Decimal("0"),
    )
    assert "more than its worst case" in ProcessingLog.objects.get(event="job_paused").message


def test_a_dead_runners_reservation_is_released_and_the_job_resumes(
    engine_settings, llm_simulator, treaty_project, user
):
    """A worker SIGKILLed mid-call leaves its reservation on the job; once its item's
    lease runs out the sweeper takes the item back and the reservation with it."""
    budget = Decimal("0.05")
    job = jobs.job_create(project=treaty_project, user=user, kind="full", budget_usd=budget)
    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.RUNNING)
    item = JobDocument.objects.filter(job=job).first()
    JobDocument.objects.filter(pk=item.pk).update(
        status="running", attempts=1, worker="dead@host:1:abc"
    )
    dead = JobBudget(job_id=job.pk, held=lambda: JobDocument.objects.filter(pk=item.pk))
    assert dead.reserve(Decimal("0.001"))  # an attempt answered before the kill
    dead.settle(Decimal("0.001"), Decimal("0.000100"))
    assert dead.reserve(Decimal("0.048"))  # one in flight at the kill
    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.PAUSED)
    JobDocument.objects.filter(pk=item.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    job.refresh_from_db()
    jobs.job_resume(job=job, budget_usd=budget, user=user)
    assert sweep()["requeued"] == 1
    job.refresh_from_db()
    assert job.reserved_usd == 0
    assert job.cost_usd == Decimal("0.000100")  # billed before the kill: it stays
    job_run(job_id=job.pk, hostname="test")
    job.refresh_from_db()
    assert job.status == Status.COMPLETED
    assert job.reserved_usd == 0
    # The dead runner's answered attempt was settled by hand here, without a ledger row.
    assert job.cost_usd == _ledger_cost(job) + Decimal("0.000100") <= budget


def test_a_job_without_a_budget_never_touches_reservations(
    engine_settings, llm_simulator, treaty_project, user
):
    job = jobs.job_create(project=treaty_project, user=user, kind="full")
    with CaptureQueriesContext(connection) as queries:
        job_run(job_id=job.pk, hostname="test")
    job.refresh_from_db()
    assert job.status == Status.COMPLETED
    assert job.cost_usd == _ledger_cost(job) > 0
    job_updates = [q["sql"] for q in queries if 'UPDATE "processing_processingjob"' in q["sql"]]
    assert job_updates
    assert not [sql for sql in job_updates if "reserved_usd" in sql]
