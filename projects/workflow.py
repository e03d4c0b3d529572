"""The five-step stepper shown on every project page."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from projects.models import Project
from projects.selectors import project_step

STEP_TITLES = {1: "Documents", 2: "Variables", 3: "Review", 4: "Processing", 5: "Results"}
STEP_URL_NAMES = {
    1: "projects:documents",
    2: "schemas:variables",
    3: "schemas:review",
    4: "processing:index",
    5: "exports:results",
}


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    url: str
    state: str
    done: bool
    current: bool


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def workflow_steps(project: Project, *, active: int) -> list[Step]:
    """Each step with a short line saying what it holds or what it waits for."""
    step = project_step(project)
    version = project.current_version_number
    states = {
        1: _documents_state(project),
        2: _plural(project.variable_count, "variable")
        if project.variable_count
        else "Define variables",
        3: f"Version {version} confirmed" if version else "Review and confirm",
        4: _processing_state(project),
        5: "Review and export"
        if project.finished_full_jobs or project.complete_without_full_run
        else ("Sample results" if project.finished_samples else "After processing"),
    }
    return [
        Step(
            number=number,
            title=title,
            url=reverse(STEP_URL_NAMES[number], args=[project.pk]),
            state=states[number],
            done=number < step or (number == 5 and step == 5),
            current=number == active,
        )
        for number, title in STEP_TITLES.items()
    ]


def _documents_state(project: Project) -> str:
    parsing = project.parsing_document_count
    if parsing:
        ready = f"{project.ready_document_count:,} ready, " if project.ready_document_count else ""
        return f"{ready}{parsing:,} being read"
    if project.ready_document_count:
        return _plural(project.ready_document_count, "document") + " ready"
    return "Upload documents"


def _processing_state(project: Project) -> str:
    if project.current_version_number is None:
        return "Needs a confirmed schema"
    if project.finished_full_jobs and project.ready_after_full_run:
        return _plural(project.ready_after_full_run, "new document") + " to run"
    if project.finished_full_jobs:
        return "Full run done"
    if project.complete_without_full_run:
        return "Every value held"
    return "Sample done" if project.finished_samples else "Run a sample"


def step_url(project: Project) -> str:
    return reverse(STEP_URL_NAMES[project_step(project)], args=[project.pk])
