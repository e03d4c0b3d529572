"""Reads of projects and documents, owner-scoped, with the figures pages and the API show.

The workflow step needs facts owned by later apps (variables, schema versions, jobs).
They are read through the Project model's reverse relations by name, so this app
still imports nothing from the apps that build on it.
"""

from __future__ import annotations

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from projects.models import Document, Project

FINISHED_JOB_STATUSES = ("completed", "completed_with_errors")


def _count(relation: str, condition: Q | None = None) -> Subquery:
    """COUNT of a reverse relation as a correlated subquery: one cheap indexed count per
    project instead of joins that multiply rows."""
    inner = (
        Project.objects.filter(pk=OuterRef("pk"))
        .annotate(n=Count(relation, filter=condition))
        .values("n")
    )
    return Subquery(inner)


def project_queryset_for_user(user) -> QuerySet[Project]:
    """The user's projects, each annotated with what the list, the stepper and the API
    show, in a single query."""
    return Project.objects.for_user(user).annotate(
        document_count=_count("documents"),
        ready_document_count=_count("documents", Q(documents__status=Document.Status.READY)),
        failed_document_count=_count("documents", Q(documents__status=Document.Status.FAILED)),
        variable_count=_count("variables"),
        version_count=_count("schema_versions"),
        current_version_number=F("schema_head__current_version__number"),
        finished_full_jobs=_count(
            "jobs",
            Q(
                jobs__kind="full",
                jobs__status__in=FINISHED_JOB_STATUSES,
                jobs__schema_version=F("schema_head__current_version"),
            ),
        ),
        job_count=_count("jobs"),
    )


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
