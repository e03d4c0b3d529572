"""Reads of projects and documents, owner-scoped, with the figures pages and the API show.

The workflow step needs facts owned by later apps (variables, schema versions, jobs).
They are read through the Project model's reverse relations by name, so this app
still imports nothing from the apps that build on it.
"""

from __future__ import annotations

import functools

from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from projects.models import Document, Project

FINISHED_JOB_STATUSES = ("completed", "completed_with_errors")


def _count(relation: str, **conditions) -> Subquery:
    """COUNT of a reverse relation as a correlated subquery: one cheap indexed count per
    project instead of joins that multiply rows. The subquery reads the related table
    alone (no join back to the project, no GROUP BY): half the time Django takes to build
    and compile the query, which every project page and API request pays."""
    relation_field = Project._meta.get_field(relation)
    rows = relation_field.related_model._base_manager.filter(
        **{relation_field.field.name: OuterRef("pk")}, **conditions
    )
    counted = rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


@functools.cache
def _summary_annotations() -> dict[str, Subquery | F]:
    """Built once per process: making these seven subqueries is most of the cost of
    ``project_queryset_for_user`` (about 3 of 5 ms), and annotate() copies them before
    resolving, so one set serves every request and thread."""
    return {
        "document_count": _count("documents"),
        "ready_document_count": _count("documents", status=Document.Status.READY),
        "failed_document_count": _count("documents", status=Document.Status.FAILED),
        "variable_count": _count("variables"),
        "version_count": _count("schema_versions"),
        "current_version_number": F("schema_head__current_version__number"),
        "finished_full_jobs": _count(
            "jobs",
            kind="full",
            status__in=FINISHED_JOB_STATUSES,
            schema_version=OuterRef("schema_head__current_version"),
        ),
        "job_count": _count("jobs"),
    }


def project_queryset_for_user(user) -> QuerySet[Project]:
    """The user's projects, each annotated with what the list, the stepper and the API
    show, in a single query."""
    return Project.objects.for_user(user).annotate(**_summary_annotations())


def project_get_for_user(user, project_id: int) -> Project:
    """The user's project with its summary, or 404 (never 403: nothing leaks)."""
    return get_object_or_404(project_queryset_for_user(user), pk=project_id)


def project_step(project: Project) -> int:
    """Where the workflow stands (1-5): the first step still waiting for the user."""
    if not project.ready_document_count:
        return 1
    if not project.variable_count:
        return 2
    if project.current_version_number is None:
        return 3
    if not project.finished_full_jobs:
        return 4
    return 5


def document_queryset_for_user(user) -> QuerySet[Document]:
    """Documents without their text: lists never load megabytes they do not show."""
    return Document.objects.for_user(user).defer("text", "page_offsets")


def document_get_for_user(user, project: Project, document_id: int) -> Document:
    return get_object_or_404(Document.objects.for_user(user), project=project, pk=document_id)


def document_search(
    queryset: QuerySet[Document], *, search: str = "", status: str = ""
) -> QuerySet[Document]:
    if status in Document.Status.values:
        queryset = queryset.filter(status=status)
    # No stored text holds a NUL, and PostgreSQL refuses one in a query parameter.
    search = search.replace("\x00", "")
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(text__icontains=search))
    return queryset


def document_pages(document: Document) -> list[dict]:
    """The text cut at its page starts, for display; one page when there are none."""
    text = document.text
    offsets = [offset for offset in document.page_offsets if 0 <= offset <= len(text)] or [0]
    bounds = [*offsets[1:], len(text)]
    return [
        {"number": index + 1, "text": text[start:end]}
        for index, (start, end) in enumerate(zip(offsets, bounds, strict=True))
    ]
