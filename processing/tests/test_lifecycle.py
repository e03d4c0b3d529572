"""The job and work-item state machine (``processing/lifecycle.py``), and the imports
that keep it the one home of every status change."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from processing import dispatch, jobs, lifecycle
from processing.models import JobDocument, ProcessingJob

Status = ProcessingJob.Status
ItemStatus = JobDocument.Status
PACKAGE = Path(lifecycle.__file__).resolve().parent


# --- Imports ---------------------------------------------------------------------------


def _processing_imports(path: Path) -> set[str]:
    """The ``processing.<module>`` names a module imports, at the top or inside a
    function (a lazy import closes a circle all the same)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "processing":  # from processing import jobs, lifecycle
                found.update(f"processing.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
    return found


def _import_graph() -> dict[str, set[str]]:
    modules = {f"processing.{path.stem}": path for path in PACKAGE.glob("*.py")}
    return {
        name: _processing_imports(path) & (modules.keys() - {name})
        for name, path in modules.items()
    }


def test_the_walker_sees_the_imports_it_checks():
    graph = _import_graph()
    assert {"processing.lifecycle", "processing.outcomes"} <= graph["processing.engine"]
    assert {"processing.engine", "processing.sweeper"} <= graph["processing.tasks"]
    assert "processing.lifecycle" in graph["processing.jobs"]  # "from processing import"


def test_processing_modules_import_each_other_without_a_circle():
    try:
        TopologicalSorter(_import_graph()).prepare()
    except CycleError as error:
        pytest.fail(f"processing modules import each other in a circle: {error.args[1]}")


def test_no_module_imports_the_tasks():
    """Tasks import services, services never import tasks: runners are queued by the
    task's name (``dispatch``)."""
    graph = _import_graph()
    assert [name for name, imports in graph.items() if "processing.tasks" in imports] == []


def test_the_state_machine_imports_only_the_models():
    assert _import_graph()["processing.lifecycle"] == {"processing.models"}


def test_only_the_state_machine_updates_a_status():
    """``.update(status=...)`` anywhere else in the package would be a transition
    ``lifecycle.py`` does not know about."""
    elsewhere = [
        f"{path.name}:{node.lineno}"
        for path in PACKAGE.glob("*.py")
        if path.name != "lifecycle.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "update"
        and any(keyword.arg == "status" for keyword in node.keywords)
    ]
    assert elsewhere == []


def test_runners_are_queued_by_the_task_name(
    engine_settings, treaty_project, user, monkeypatch, django_capture_on_commit_callbacks
):
    """A process that never loaded ``processing.tasks`` (a web process) sends the
    runner by name."""
    from extractor.celery import app
    from processing.tasks import run_job

    assert run_job.name == dispatch.RUN_JOB
    sent = []
    monkeypatch.delitem(app.tasks, dispatch.RUN_JOB)
    monkeypatch.setattr(
        app, "send_task", lambda name, args, **options: sent.append((name, args, options))
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_create(project=treaty_project, user=user, kind="full")
    assert sent == [(dispatch.RUN_JOB, (job.pk,), {})]


# --- Transitions -----------------------------------------------------------------------

JOB_TRANSITIONS = [
    (lifecycle.job_start, {}, {Status.QUEUED}, Status.RUNNING),
    (lifecycle.job_pause, {}, {Status.RUNNING}, Status.PAUSED),
    (lifecycle.job_resume, {"budget_usd": None}, {Status.PAUSED}, Status.RUNNING),
    (
        lifecycle.job_cancel_request,
        {},
        {Status.QUEUED, Status.RUNNING, Status.PAUSED},
        Status.CANCELLING,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize(
    ("transition", "options", "leaves", "enters"),
    JOB_TRANSITIONS,
    ids=[transition.__name__ for transition, *_ in JOB_TRANSITIONS],
)
def test_a_job_transition_moves_only_from_the_states_it_leaves(
    treaty_project, user, status, transition, options, leaves, enters
):
    job = jobs.job_create(project=treaty_project, user=user, kind="full")
    ProcessingJob.objects.filter(pk=job.pk).update(status=status)
    moved = transition(job_id=job.pk, **options)
    job.refresh_from_db()
    assert moved == (status in leaves)
    assert job.status == (enters if moved else status)


@pytest.mark.django_db
def test_only_a_finished_job_has_its_failed_items_queued_again(treaty_project, user):
    job = jobs.job_create(project=treaty_project, user=user, kind="full")
    JobDocument.objects.filter(job=job).update(status=ItemStatus.FAILED, attempts=3)
    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.PAUSED, processed=5, failed=5)
    assert lifecycle.job_requeue_failed(job_id=job.pk) == 0
    assert set(JobDocument.objects.filter(job=job).values_list("status", flat=True)) == {"failed"}

    ProcessingJob.objects.filter(pk=job.pk).update(status=Status.FAILED, error="No API key.")
    assert lifecycle.job_requeue_failed(job_id=job.pk) == 5
    job.refresh_from_db()
    assert (job.status, job.processed, job.failed, job.error) == (Status.QUEUED, 0, 0, "")
    assert set(JobDocument.objects.filter(job=job).values_list("attempts", flat=True)) == {0}


@pytest.mark.django_db
def test_a_runner_that_lost_its_item_cannot_move_it(engine_settings, treaty_project, user):
    job = jobs.job_create(project=treaty_project, user=user, kind="full")
    lifecycle.job_start(job_id=job.pk)
    item = lifecycle.item_claim(job_id=job.pk, worker="slow")
    # The sweeper took it back after the lease ran out, and another runner claimed it.
    assert lifecycle.item_take_back(item=item, status=ItemStatus.PENDING, error="")
    assert not lifecycle.item_take_back(item=item, status=ItemStatus.PENDING, error="")
    again = lifecycle.item_claim(job_id=job.pk, worker="slow")
    assert again.pk == item.pk and again.attempts == item.attempts + 1

    for transition in (
        lifecycle.item_done,
        lifecycle.item_fail,
        lifecycle.item_give_back,
        lifecycle.item_cancel,
    ):
        assert not transition(item=item, worker="slow")  # the old attempt's claim
        assert not transition(item=again, worker="other")
    assert lifecycle.item_leases_renew(item_ids=[item.pk], worker="other") == 0
    assert lifecycle.item_done(item=again, worker="slow", error="")
    again.refresh_from_db()
    assert (again.status, again.lease_expires_at, again.finished_at is not None) == (
        ItemStatus.DONE,
        None,
        True,
    )


@pytest.mark.django_db
def test_the_sweeper_cannot_take_an_item_back_to_done(treaty_project, user):
    job = jobs.job_create(project=treaty_project, user=user, kind="full")
    item = JobDocument.objects.filter(job=job).first()
    with pytest.raises(ValueError, match="cannot be taken back"):
        lifecycle.item_take_back(item=item, status=ItemStatus.DONE, error="")


@pytest.mark.django_db
def test_an_item_the_sweeper_fails_records_when_it_ended(engine_settings, treaty_project, user):
    job = jobs.job_create(project=treaty_project, user=user, kind="full")
    lifecycle.job_start(job_id=job.pk)
    item = lifecycle.item_claim(job_id=job.pk, worker="dead")
    assert lifecycle.item_take_back(item=item, status=ItemStatus.FAILED, error="worker died")
    item.refresh_from_db()
    assert (item.status, item.error) == (ItemStatus.FAILED, "worker died")
    assert item.finished_at is not None
