"""The project summary (counts, current version, finished runs) that every project page,
the stepper and the API read: the same figures whether one project is fetched or a list."""

from __future__ import annotations

import pytest
from django.http import Http404

from processing.models import Extraction, ProcessingJob
from projects.models import Document, Project
from projects.selectors import (
    SUMMARY_FIELDS,
    project_get_for_user,
    project_queryset_for_user,
    project_step,
    with_summary,
)
from projects.services import document_create_from_text
from schemas.models import Variable
from schemas.versions import schema_confirm


def _figures(user, project: Project) -> dict:
    """The project's figures read both ways, which must agree."""
    alone = project_get_for_user(user, project.pk)
    (listed,) = [p for p in with_summary(project_queryset_for_user(user)) if p.pk == project.pk]
    figures = {field: getattr(alone, field) for field in SUMMARY_FIELDS}
    assert {field: getattr(listed, field) for field in SUMMARY_FIELDS} == figures
    return figures | {"step": project_step(alone)}


def _variable(project: Project, key: str) -> None:
    position = Variable.objects.filter(project=project).count()
    Variable.objects.create(
        project=project, key=key, type="text", instructions=f"The {key}.", position=position
    )


def _job(project: Project, *, kind: str, status: str) -> ProcessingJob:
    return ProcessingJob.objects.create(
        project=project,
        schema_version=project.schema_head.current_version,
        kind=kind,
        status=status,
        model="gpt-4o-mini",
    )


def test_figures_follow_the_project_through_the_workflow(user):
    project = Project.objects.create(owner=user, name="Treaties")
    assert _figures(user, project) == {
        "document_count": 0,
        "ready_document_count": 0,
        "failed_document_count": 0,
        "variable_count": 0,
        "version_count": 0,
        "current_version_number": None,
        "finished_full_jobs": 0,
        "complete_without_full_run": 0,
        "finished_samples": 0,
        "ready_after_full_run": 0,
        "job_count": 0,
        "parsing_document_count": 0,
        "step": 1,
    }

    for name in ("a", "b", "c"):
        document_create_from_text(project=project, name=name, text=f"Text of {name}.")
    Document.objects.filter(project=project, name="c").update(status=Document.Status.FAILED)
    figures = _figures(user, project)
    assert (figures["document_count"], figures["ready_document_count"]) == (3, 2)
    assert (figures["failed_document_count"], figures["step"]) == (1, 2)

    _variable(project, "country")
    assert _figures(user, project)["variable_count"] == 1
    assert _figures(user, project)["step"] == 3

    schema_confirm(project=project, user=user)
    figures = _figures(user, project)
    assert (figures["version_count"], figures["current_version_number"]) == (1, 1)
    assert figures["step"] == 4

    # A sample, a running full run and a failed one are not a finished full run.
    _job(project, kind="sample", status="completed")
    _job(project, kind="full", status="running")
    _job(project, kind="full", status="failed")
    figures = _figures(user, project)
    assert (figures["job_count"], figures["finished_full_jobs"], figures["step"]) == (3, 0, 4)
    assert figures["finished_samples"] == 1

    _job(project, kind="full", status="completed_with_errors")
    figures = _figures(user, project)
    assert (figures["finished_full_jobs"], figures["ready_after_full_run"]) == (1, 0)
    assert figures["step"] == 5

    # A document added after the full run waits for processing: the project is back at 4,
    # until the document has values of the current version (here from a sample).
    document_create_from_text(project=project, name="d", text="Text of d.")
    figures = _figures(user, project)
    assert (figures["ready_after_full_run"], figures["step"]) == (1, 4)
    Extraction.objects.create(
        document=Document.objects.get(project=project, name="d"),
        schema_version=project.schema_head.current_version,
        variable_key="country",
        value="Kenya",
        status="ok",
    )
    figures = _figures(user, project)
    assert (figures["ready_after_full_run"], figures["step"]) == (0, 5)

    # A new version waits for a run of its own; the old run still counts as a job.
    _variable(project, "year")
    schema_confirm(project=project, user=user)
    figures = _figures(user, project)
    assert figures["current_version_number"] == 2
    assert (figures["version_count"], figures["job_count"]) == (2, 4)
    assert (figures["finished_full_jobs"], figures["step"]) == (0, 4)
    assert (figures["finished_samples"], figures["ready_after_full_run"]) == (0, 0)


def test_the_stepper_counts_processings_own_kinds_and_statuses(user):
    """Every kind and status processing defines, one at a time, against what the stepper
    counts as a finished run: if the stepper spelt a value out itself and processing
    renamed it (or the other way round), a finished run would stop counting here."""
    project = Project.objects.create(owner=user, name="Treaties")
    document_create_from_text(project=project, name="a", text="Text of a.")
    _variable(project, "country")
    schema_confirm(project=project, user=user)
    job = _job(project, kind=ProcessingJob.Kind.SAMPLE, status=ProcessingJob.Status.QUEUED)
    document_create_from_text(project=project, name="late", text="Added after the run.")
    done = {ProcessingJob.Status.COMPLETED, ProcessingJob.Status.COMPLETED_WITH_ERRORS}

    for kind in ProcessingJob.Kind:
        for status in ProcessingJob.Status:
            ProcessingJob.objects.filter(pk=job.pk).update(kind=kind, status=status)
            figures = _figures(user, project)
            full_done = int(status in done and kind == ProcessingJob.Kind.FULL)
            sample_done = int(status in done and kind == ProcessingJob.Kind.SAMPLE)
            assert figures["finished_full_jobs"] == full_done, (kind, status)
            assert figures["finished_samples"] == sample_done, (kind, status)
            assert figures["ready_after_full_run"] == full_done, (kind, status)  # "late"
            assert figures["step"] == 4


def test_a_list_keeps_its_order_and_gives_each_project_its_own_figures(user, other_user):
    quiet = Project.objects.create(owner=user, name="Quiet")
    busy = Project.objects.create(owner=user, name="Busy")
    theirs = Project.objects.create(owner=other_user, name="Theirs")
    for index in range(4):
        document_create_from_text(project=busy, name=f"d{index}", text=f"Text {index}.")
    document_create_from_text(project=theirs, name="x", text="Not yours.")
    quiet.save()  # the most recently changed comes first

    listed = with_summary(project_queryset_for_user(user))

    assert [p.name for p in listed] == ["Quiet", "Busy"]
    assert [p.document_count for p in listed] == [0, 4]
    assert with_summary([]) == []


def test_a_long_list_is_read_in_batches(user, monkeypatch):
    monkeypatch.setattr("projects.selectors.SUMMARY_BATCH", 2)
    projects = [Project.objects.create(owner=user, name=f"P{index}") for index in range(5)]
    for index, project in enumerate(projects):
        for number in range(index):
            document_create_from_text(project=project, name=f"d{number}", text=f"Text {number}.")

    listed = with_summary(project_queryset_for_user(user))

    assert {p.name: p.document_count for p in listed} == {f"P{i}": i for i in range(5)}


def test_a_project_deleted_while_its_page_was_read_shows_empty_figures(user):
    project = Project.objects.create(owner=user, name="Gone")
    document_create_from_text(project=project, name="a", text="Some text.")
    page = list(project_queryset_for_user(user))
    Project.objects.filter(pk=project.pk).delete()

    (listed,) = with_summary(page)

    assert (listed.document_count, listed.current_version_number) == (0, None)


def test_api_list_and_detail_show_the_figures(api, user):
    project = Project.objects.create(owner=user, name="Treaties")
    document_create_from_text(project=project, name="a", text="Some text.")
    _variable(project, "country")
    schema_confirm(project=project, user=user)

    listed = api.get("/api/v1/projects/").json()["results"]
    detail = api.get(f"/api/v1/projects/{project.pk}/").json()

    for body in (listed[0], detail):
        assert body["document_count"] == 1
        assert body["variable_count"] == 1
        assert body["current_schema_version"] == 1
        assert body["step"] == 4


@pytest.mark.parametrize("project_id", [0, -1, 2**63, 2**63 - 1, "x", None])
def test_an_impossible_or_unknown_id_is_not_found(user, project_id):
    with pytest.raises(Http404):
        project_get_for_user(user, project_id)


def test_another_users_project_or_no_user_is_not_found(user, other_user):
    from django.contrib.auth.models import AnonymousUser

    project = Project.objects.create(owner=other_user, name="Theirs")
    for who in (user, AnonymousUser()):
        with pytest.raises(Http404):
            project_get_for_user(who, project.pk)
    assert project_get_for_user(other_user, project.pk).name == "Theirs"


def test_the_stepper_says_what_processing_waits_for(user):
    from projects.workflow import workflow_steps

    def states() -> tuple[str, str]:
        steps = workflow_steps(project_get_for_user(user, project.pk), active=4)
        return steps[3].state, steps[4].state

    project = Project.objects.create(owner=user, name="Treaties")
    document_create_from_text(project=project, name="a", text="Text of a.")
    _variable(project, "country")
    assert states() == ("Needs a confirmed schema", "After processing")
    schema_confirm(project=project, user=user)
    assert states() == ("Run a sample", "After processing")
    _job(project, kind="sample", status="completed")
    assert states() == ("Sample done", "Sample results")
    _job(project, kind="full", status="completed")
    assert states() == ("Full run done", "Review and export")
    document_create_from_text(project=project, name="b", text="Text of b.")
    assert states() == ("1 new document to run", "Review and export")
