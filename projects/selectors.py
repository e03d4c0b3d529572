"""Reads of projects and documents, scoped to their owner and members (``access.py``), with
the figures pages and the API show.

The workflow step needs facts owned by later apps (variables, schema versions, jobs).
They are read through the Project model's reverse relations by name, so this app
still imports nothing from the apps that build on it: even the job kinds and statuses
the stepper counts are the constants of the model the relation names.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.db import connection
from django.db.models import Case, CharField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404

from extractor.text import MAX_BIGINT
from projects import access
from projects.models import Document, Project, ProjectMember

SUMMARY_FIELDS = (
    "document_count",
    "ready_document_count",
    "failed_document_count",
    "variable_count",
    "version_count",
    "current_version_number",
    "finished_full_jobs",
    "complete_without_full_run",
    "finished_samples",
    "ready_after_full_run",
    "job_count",
    "parsing_document_count",
)
_NO_FIGURES = (0, 0, 0, 0, 0, None, 0, 0, 0, 0, 0, 0)
SUMMARY_BATCH = 1000


@functools.cache
def _summary_sql() -> tuple[str, str, tuple]:
    """The summary's columns (in ``SUMMARY_FIELDS`` order), the joins they need over
    ``projects_project p`` and their parameters, written once per process.

    Hand-written because every project page and API request reads it: on a 1,000-document
    project its first eight figures built by the ORM took 1.7 ms of CPU to make and
    compile and 2.6 ms in all; this query, with two figures more, 0.3 ms and 1 ms. The
    later apps' tables and columns are named by their models, still reached by relation
    name; values are parameters.

    The job kinds and statuses are processing's own ``ProcessingJob.Kind`` and
    ``Status`` members, read from the model class the ``jobs`` relation already hands
    us, so a renamed value follows here by itself and a removed one fails the first
    query. Chosen over the alternatives: a lazy ``import processing.models`` inside
    this function is an upward dependency hidden where nothing checks it, and a SQL
    fragment registered from ``ProcessingConfig.ready()`` would split one query
    between two apps behind a registry that must be filled before the first request.
    """
    name = connection.ops.quote_name

    def table(model) -> str:
        return name(model._meta.db_table)

    def column(model, field: str) -> str:
        return name(model._meta.get_field(field).column)

    def count(relation: str, condition: str = "", *params) -> tuple[str, tuple]:
        rel = Project._meta.get_field(relation)
        where = f"r.{name(rel.field.column)} = p.id{condition}"
        return f"(SELECT COUNT(*) FROM {table(rel.related_model)} r WHERE {where})", params  # noqa: S608

    documents = Project._meta.get_field("documents").related_model
    jobs_rel = Project._meta.get_field("jobs")
    jobs = jobs_rel.related_model  # processing.models.ProcessingJob
    full, sample = jobs.Kind.FULL, jobs.Kind.SAMPLE
    # A run that ended with results to use; cancelled and failed runs leave step 4 open.
    run_done = (jobs.Status.COMPLETED, jobs.Status.COMPLETED_WITH_ERRORS)
    head_rel = Project._meta.get_field("schema_head")
    head = head_rel.related_model
    version = head._meta.get_field("current_version").related_model
    current = f"h.{column(head, 'current_version')}"
    status = column(documents, "status")
    finished = ", ".join(["%s"] * len(run_done))

    def finished_runs(alias: str) -> str:
        """Jobs of one kind (the first parameter) of the current version, finished."""
        return (
            f" AND {alias}.{column(jobs, 'kind')} = %s"
            f" AND {alias}.{column(jobs, 'status')} IN ({finished})"
            f" AND {alias}.{column(jobs, 'schema_version')} = {current}"
        )

    extractions_rel = documents._meta.get_field("extractions")
    extractions = extractions_rel.related_model
    has_results = (  # for the current version (a sample may have run on a new document)
        f"EXISTS (SELECT 1 FROM {table(extractions)} e"  # noqa: S608
        f" WHERE e.{name(extractions_rel.field.column)} = r.id"
        f" AND e.{column(extractions, 'schema_version')} = {current})"
    )
    # How many variables the current version has (its ``variables`` JSON array).
    length = "jsonb_array_length" if connection.vendor == "postgresql" else "json_array_length"
    lacking = (  # a ready document without a value of every variable of the version
        f"EXISTS (SELECT 1 FROM {table(documents)} r WHERE r.{name(documents._meta.get_field('project').column)} = p.id"  # noqa: S608, E501
        f" AND r.{status} = %s AND (SELECT COUNT(*) FROM {table(extractions)} e"
        f" WHERE e.{name(extractions_rel.field.column)} = r.id"
        f" AND e.{column(extractions, 'schema_version')} = {current})"
        f" < {length}(v.{column(version, 'variables')}))"
    )
    full_runs = count("jobs", finished_runs("r"), full, *run_done)
    last_full_run = (  # NULL without one, and nothing is greater than NULL
        f"(SELECT MAX(j.{column(jobs, 'created_at')}) FROM {table(jobs)} j"  # noqa: S608
        f" WHERE j.{name(jobs_rel.field.column)} = p.id{finished_runs('j')})"
    )
    columns = {
        "document_count": count("documents"),
        "ready_document_count": count("documents", f" AND r.{status} = %s", Document.Status.READY),
        "failed_document_count": count(
            "documents", f" AND r.{status} = %s", Document.Status.FAILED
        ),
        "variable_count": count("variables"),
        "version_count": count("schema_versions"),
        "current_version_number": (f"v.{column(version, 'number')}", ()),
        "finished_full_jobs": full_runs,
        # Every ready document holds every value of the current version without a full
        # run of it (values carried from the version before, or samples that covered the
        # corpus): processing is done. Only looked for while there is no full run.
        "complete_without_full_run": (
            f"CASE WHEN v.{column(version, 'id')} IS NULL OR {full_runs[0]} > 0 THEN 0"
            f" WHEN {lacking} THEN 0 ELSE 1 END",
            (*full_runs[1], Document.Status.READY),
        ),
        "finished_samples": count("jobs", finished_runs("r"), sample, *run_done),
        # Ready documents added since the current version's last finished full run began
        # and still without its values: the run did not take them, processing waits again.
        "ready_after_full_run": count(
            "documents",
            f" AND r.{status} = %s AND r.{column(documents, 'created_at')} > {last_full_run}"
            f" AND NOT {has_results}",
            Document.Status.READY,
            full,
            *run_done,
        ),
        "job_count": count("jobs"),
        "parsing_document_count": count(
            "documents",
            f" AND r.{status} IN ({', '.join(['%s'] * len(Document.BEING_READ))})",
            *Document.BEING_READ,
        ),
    }
    select = ", ".join(f"{columns[field][0]} AS {name(field)}" for field in SUMMARY_FIELDS)
    params = tuple(value for field in SUMMARY_FIELDS for value in columns[field][1])
    joins = (
        f"{table(Project)} p"
        f" LEFT JOIN {table(head)} h ON h.{name(head_rel.field.column)} = p.id"
        f" LEFT JOIN {table(version)} v ON v.{column(version, 'id')} = {current}"
    )
    return select, joins, params


def project_queryset_for_user(user) -> QuerySet[Project]:
    """The projects the user owns or is a member of, newest change first, each with the
    user's ``access_role`` and its owner, without their figures: lists page this
    queryset and pass the page to ``with_summary``."""
    if not getattr(user, "is_authenticated", False):
        return Project.objects.none()
    member_role = ProjectMember.objects.filter(project=OuterRef("pk"), user=user).values("role")
    return (
        Project.objects.for_user(user)
        .select_related("owner")
        .annotate(
            access_role=Case(
                When(owner=user, then=Value(access.OWNER)),
                default=Subquery(member_role[:1]),
                output_field=CharField(),
            )
        )
    )


def with_summary(projects: Iterable[Project]) -> list[Project]:
    """The projects, each given the figures the list, the stepper and the API show
    (``SUMMARY_FIELDS``), read for a page of them in one query. Access is the caller's:
    the projects come from ``project_queryset_for_user``."""
    projects = list(projects)
    select, joins, params = _summary_sql()
    ids = [project.pk for project in projects]
    figures = {}
    with connection.cursor() as cursor:
        # An unpaged list can be long: SQLite takes at most 32,766 parameters.
        for start in range(0, len(ids), SUMMARY_BATCH):
            batch = ids[start : start + SUMMARY_BATCH]
            placeholders = ", ".join(["%s"] * len(batch))
            cursor.execute(
                f"SELECT p.id, {select} FROM {joins} WHERE p.id IN ({placeholders})",  # noqa: S608
                [*params, *batch],
            )
            figures.update((row[0], row[1:]) for row in cursor.fetchall())
    for project in projects:
        # A project deleted since the page was read shows empty figures.
        for field, value in zip(SUMMARY_FIELDS, figures.get(project.pk, _NO_FIGURES), strict=True):
            setattr(project, field, value)
    return projects


def project_role(user, project: Project) -> str | None:
    """``user``'s role in ``project`` (``owner``, ``coder``, ``viewer``), None when none:
    for objects reached by their own id (a job, a value, an export) whose queryset
    already scoped them to the user's projects."""
    if not getattr(user, "is_authenticated", False):
        return None
    if project.owner_id == user.pk:
        return access.OWNER
    return (
        ProjectMember.objects.filter(project=project, user=user)
        .values_list("role", flat=True)
        .first()
    )


def require_role(user, project: Project, can: str) -> None:
    """403 ``role_forbidden`` unless ``user``'s role in ``project`` allows ``can`` (404
    for a user with no role at all, as for the project itself)."""
    role = project_role(user, project)
    if role is None:
        raise Http404("No project matches the given query.")
    access.require(role, can)


@functools.cache
def _member_role_sql() -> str:
    """The role of the user (a parameter) in project ``p``, NULL when not a member."""
    name = connection.ops.quote_name
    meta = ProjectMember._meta
    return (
        f"(SELECT m.{name(meta.get_field('role').column)} FROM {name(meta.db_table)} m"  # noqa: S608
        f" WHERE m.{name(meta.get_field('project').column)} = p.id"
        f" AND m.{name(meta.get_field('user').column)} = %s)"
    )


def project_get_for_user(user, project_id: int, *, can: str = access.READ) -> Project:
    """The project with its summary if ``user`` owns it or is a member, or 404 (never
    403 to a stranger: nothing leaks); 403 ``role_forbidden`` when the member's role
    does not allow ``can`` (``projects.access``). ``project.access_role`` says who the
    user is in it (``owner``, ``coder``, ``viewer``), for pages to offer what it allows.

    One query: the project's row, the user's role and its figures together."""
    try:
        project_id = int(project_id)
    except (TypeError, ValueError):
        raise Http404("No project matches the given query.") from None
    if not getattr(user, "is_authenticated", False) or not 0 < project_id <= MAX_BIGINT:
        raise Http404("No project matches the given query.")
    select, joins, params = _summary_sql()
    role = _member_role_sql()
    found = list(
        Project.objects.raw(
            f"SELECT * FROM (SELECT p.*, {select}, CASE WHEN p.owner_id = %s THEN %s"  # noqa: S608
            f" ELSE {role} END AS access_role FROM {joins} WHERE p.id = %s) q"
            " WHERE q.access_role IS NOT NULL",
            [*params, user.pk, access.OWNER, user.pk, project_id],
        )
    )
    if not found:
        raise Http404("No project matches the given query.")
    project = found[0]
    access.require(project.access_role, can)
    return project


def project_step(project: Project) -> int:
    """Where the workflow stands (1-5): the first step still waiting for the user. While
    uploads are being read, runs wait: step 4 is not offered until they are documents."""
    if not project.ready_document_count:
        return 1
    if project.parsing_document_count and project.current_version_number is not None:
        return 1
    if not project.variable_count:
        return 2
    if project.current_version_number is None:
        return 3
    done = project.finished_full_jobs or project.complete_without_full_run
    if not done or project.ready_after_full_run:
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
