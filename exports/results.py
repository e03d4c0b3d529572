"""Reading the results table: one row per document, one cell per variable.

A page is two queries whatever its size: the page of documents (filtered, sorted,
counted in SQL) and all their extractions for the version. Filters that look at
values ("flagged", per-variable status, sorting by a variable) are EXISTS/subqueries
on the extraction index, so a 1,000 x 50 project pages as fast as a small one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    JSONField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Left
from django.http import QueryDict
from django.utils import timezone

from exports.agreement import agreement_summary
from extractor.api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from extractor.text import MAX_BIGINT, whole_number
from processing.models import Extraction, JobDocument
from projects.models import Document, Project
from schemas.models import SchemaVersion
from schemas.versions import current_version

FLAGGED = "flagged"
# The status filter's choices: what result_documents filters on.
RESULT_STATUS_CHOICES = [
    (FLAGGED, "Flagged, not reviewed"),
    ("reviewed", "Reviewed"),
    ("unverified", "Not reviewed"),
    *Extraction.Status.choices,
]
RESULT_STATUSES = frozenset({"", *(value for value, _ in RESULT_STATUS_CHOICES)})
# A cached page is keyed on the values' state, so it is never stale; the timeout only
# lets pages nobody asks for again leave the cache.
RESULTS_CACHE_SECONDS = 15 * 60
RESULTS_SETTLE_SECONDS = 30
CACHEABLE_PARAMETERS = frozenset(
    {"schema_version", "status", "variable", "job", "sort", "page", "page_size", "embed"}
    | {"search", "q"}  # the filter form always sends the search box, often empty
)
CACHED_PAGE_SIZE = 50
T = TypeVar("T")


class PagesExceeded(Exception):
    """A page number past the last page (``pages`` of them)."""

    def __init__(self, number: int, pages: int):
        super().__init__(f"page {number} of {pages}")
        self.number = number
        self.pages = pages


@dataclass(frozen=True)
class ResultFilters:
    search: str = ""
    status: str = ""  # "flagged", or an Extraction.Status value (with variable)
    variable: str = ""  # limit the status filter to one variable
    job_id: int | None = None
    sort: str = ""  # "name", "-name", "<key>", "-<key>"

    @classmethod
    def from_query(cls, query) -> ResultFilters:
        job = query.get("job", "").strip()
        job_id = int(job) if job.isascii() and job.isdecimal() else None
        return cls(
            # PostgreSQL refuses a NUL in a query parameter; no stored text holds one.
            search=query.get("search", query.get("q", "")).replace("\x00", "").strip()[:200],
            status=query.get("status", ""),
            variable=query.get("variable", ""),
            # Ids are 64-bit: a larger one names no row (0), and SQLite cannot compare it.
            job_id=0 if job_id is not None and job_id > MAX_BIGINT else job_id,
            sort=query.get("sort", ""),
        )


def version_for(project: Project, number: str | int | None) -> SchemaVersion | None:
    """The version asked for (by number), else the current one, else the latest."""
    versions = SchemaVersion.objects.filter(project=project)
    if number not in (None, ""):
        try:
            return versions.filter(number=int(number)).first()
        except (TypeError, ValueError):
            return None
    return current_version(project) or versions.first()


def versions_with_results(project: Project) -> list[int]:
    """The numbers of the project's versions that have values, newest first."""
    has_values = Extraction.objects.filter(schema_version=OuterRef("pk"))
    return list(
        SchemaVersion.objects.filter(project=project)
        .filter(Exists(has_values))
        .values_list("number", flat=True)
    )


def _extractions(version: SchemaVersion) -> QuerySet[Extraction]:
    return Extraction.objects.filter(schema_version=version, document=OuterRef("pk"))


def result_documents(
    project: Project, version: SchemaVersion, filters: ResultFilters, keys: list[str]
) -> QuerySet[Document]:
    """Documents with results for ``version``, filtered and sorted as asked."""
    documents = (
        Document.objects.filter(project=project)
        .filter(Exists(_extractions(version)))
        .only("id", "name", "metadata")
    )
    if filters.job_id is not None:
        documents = documents.filter(
            Exists(JobDocument.objects.filter(job_id=filters.job_id, document=OuterRef("pk")))
        )
    if filters.status:
        wanted = _extractions(version)
        if filters.variable in keys:
            wanted = wanted.filter(variable_key=filters.variable)
        if filters.status == FLAGGED:
            # Flagged = needs a look: the model's value has a problem nobody reviewed yet.
            wanted = wanted.exclude(status=Extraction.Status.OK).filter(
                verified=False, corrected=False
            )
        elif filters.status in Extraction.Status.values:
            wanted = wanted.filter(status=filters.status)
        elif filters.status == "unverified":
            wanted = wanted.filter(verified=False, corrected=False)
        elif filters.status == "reviewed":
            wanted = wanted.filter(Q(verified=True) | Q(corrected=True))
        documents = documents.filter(Exists(wanted))
    if filters.search:
        matching_values = _extractions(version).filter(
            Q(evidence__icontains=filters.search) | Q(message__icontains=filters.search)
        )
        documents = documents.filter(Q(name__icontains=filters.search) | Exists(matching_values))
    return _sorted(documents, version, filters.sort, keys)


def _sorted(documents, version, sort: str, keys: list[str]):
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    if field in keys:
        cell = _extractions(version).filter(variable_key=field)
        documents = documents.annotate(
            sort_number=Subquery(cell.values("sort_number")[:1]),
            sort_text=Subquery(cell.values("sort_text")[:1]),
        )
        fields = ["sort_number", "sort_text"]
        order = [
            F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)
            for name in fields
        ]
        return documents.order_by(*order, "id")
    if field == "name":
        return documents.order_by("-name" if descending else "name", "id")
    return documents.order_by("id")


@dataclass(frozen=True)
class ResultRow:
    document: Document
    cells: list[Cell | None]  # aligned with the version's variables

    @property
    def flagged(self) -> bool:
        return any(cell and cell.status != Extraction.Status.OK for cell in self.cells)


_STATUS_LABELS = dict(Extraction.Status.choices)


@dataclass(frozen=True, slots=True)
class Cell:
    """One value of the results table with what the table and the API show of it (the
    template, ``cell_payload``), read as a tuple: a page holds 2,500 values (up to 25,000),
    and building an ``Extraction`` instance for each was most of the page's query time."""

    pk: int
    document_id: int
    variable_key: str
    value: Any
    human_value: Any
    corrected: bool
    verified: bool
    status: str
    evidence: str
    evidence_start: int | None
    evidence_end: int | None
    confidence: float | None
    message: str
    evidence_check: str
    carried_from: int | None

    @property
    def final_value(self) -> Any:
        """``Extraction.final_value``: the person's correction where there is one."""
        return self.human_value if self.corrected else self.value

    def get_status_display(self) -> str:
        return _STATUS_LABELS.get(self.status, self.status)


CELL_FIELDS = ("id", *(name for name in Cell.__dataclass_fields__ if name != "pk"))


@dataclass(frozen=True, slots=True)
class TableCell:
    """What the HTML table shows of a value: the final value computed in SQL (one JSON
    field decoded instead of two) and the evidence cut to its tooltip's length."""

    pk: int
    document_id: int
    variable_key: str
    final_value: Any
    corrected: bool
    verified: bool
    status: str
    evidence: str

    def get_status_display(self) -> str:
        return _STATUS_LABELS.get(self.status, self.status)


TOOLTIP_EVIDENCE_CHARS = 101


def _table_cells(version: SchemaVersion, ids: list[int]):
    rows = (
        Extraction.objects.filter(schema_version=version, document_id__in=ids)
        .order_by()
        .annotate(
            final=Case(
                When(corrected=True, then=F("human_value")),
                default=F("value"),
                output_field=JSONField(),
            ),
            evidence_tip=Left("evidence", TOOLTIP_EVIDENCE_CHARS),
        )
        .values_list(
            "id", "document_id", "variable_key", "final", "corrected", "verified", "status",
            "evidence_tip",
        )
    )  # fmt: skip
    return (TableCell(*row) for row in rows)


def _api_cells(version: SchemaVersion, ids: list[int]):
    rows = (
        Extraction.objects.filter(schema_version=version, document_id__in=ids)
        .order_by()
        .values_list(*CELL_FIELDS)
    )
    return (Cell(*row) for row in rows)


def results_page(
    project: Project,
    version: SchemaVersion,
    filters: ResultFilters,
    *,
    page_number=1,
    page_size: int = DEFAULT_PAGE_SIZE,
    for_table: bool = False,
    strict: bool = False,
) -> tuple[Page, list[ResultRow]]:
    """One page of rows; ``for_table`` reads only what the HTML table shows.

    The page shows the nearest page for a number out of range; ``strict`` (the API)
    raises ``PagesExceeded`` instead, which carries the number of pages.
    """
    keys = version.variable_keys
    documents = result_documents(project, version, filters, keys)
    paginator = Paginator(documents, min(max(page_size, 1), MAX_PAGE_SIZE))
    if strict and page_number > paginator.num_pages:
        raise PagesExceeded(page_number, paginator.num_pages)
    page = paginator.get_page(page_number)
    ids = [document.pk for document in page.object_list]
    by_document: dict[int, dict[str, Cell | TableCell]] = {pk: {} for pk in ids}
    for cell in (_table_cells if for_table else _api_cells)(version, ids):
        by_document[cell.document_id][cell.variable_key] = cell
    rows = [
        ResultRow(document=document, cells=[by_document[document.pk].get(key) for key in keys])
        for document in page.object_list
    ]
    return page, rows


def cell_payload(extraction: Extraction | Cell | None) -> dict | None:
    """A cell as the API shows it (API.md's Row.values entry)."""
    if extraction is None:
        return None
    return {
        "extraction_id": extraction.pk,
        "value": extraction.final_value,  # API.md: the final value; the model's beside it
        "status": extraction.status,
        "evidence": extraction.evidence,
        "evidence_start": extraction.evidence_start,
        "evidence_end": extraction.evidence_end,
        "confidence": extraction.confidence,
        "human_value": extraction.human_value,
        "corrected": extraction.corrected,
        "verified": extraction.verified,
        "final_value": extraction.final_value,
        "message": extraction.message,
        "evidence_check": extraction.evidence_check,
        "model_value": extraction.value,
        "review_status": Extraction.review_of(
            corrected=extraction.corrected, verified=extraction.verified
        ),
        "carried_from": extraction.carried_from,
    }


@dataclass(frozen=True)
class ResultsState:
    """A version's values as of now, in a few characters to key caches on (empty when
    there are none), and whether pages built now may be kept."""

    key: str
    settled: bool

    @property
    def has_values(self) -> bool:
        return bool(self.key)


def _settled(latest: datetime) -> bool:
    """A value's ``updated_at`` is set before its transaction commits, so a write can
    become visible after a newer one: keys made from the latest change only hold once
    writes have paused. Until then pages are built and not kept."""
    return latest <= timezone.now() - timedelta(seconds=RESULTS_SETTLE_SECONDS)


def results_state(project: Project, version: SchemaVersion) -> ResultsState:
    """The state of a version's values, to key caches on. Every write of a value sets
    its ``updated_at`` (the engine's upserts, a review),
    so the latest one moves; values leave only with their document, and deleting a
    document touches the project. The latest change is read from the (schema_version,
    updated_at) index in well under a millisecond, where counting 50,000 values takes
    20 ms. Hosts are expected to keep time (NTP): a worker's clock more than
    ``RESULTS_SETTLE_SECONDS`` behind the web server's could hide its writes for up to
    ``RESULTS_CACHE_SECONDS``."""
    latest = Extraction.objects.filter(schema_version=version).aggregate(latest=Max("updated_at"))[
        "latest"
    ]
    if latest is None:
        return ResultsState(key="", settled=False)
    key = f"{latest.timestamp()}:{project.updated_at.timestamp()}"
    return ResultsState(key=key, settled=_settled(latest))


def cached_results(
    project: Project,
    version: SchemaVersion,
    state: ResultsState,
    view: str,
    query: QueryDict,
    build: Callable[[], T],
) -> T:
    """What ``build`` made for this view and query the last time, while the version's
    values are as they were. Reading and drawing 50 x 50 cells is most of a results
    request; people page back and forth and poll far more often than values change.
    Access is checked before: the key names the project's own version."""
    key = _results_cache_key(project, version, state, view, query)
    if key is None:
        return build()
    cached = cache.get(key)
    if cached is None:
        cached = build()
        cache.set(key, cached, timeout=RESULTS_CACHE_SECONDS)
    return cached


def _results_cache_key(
    project: Project, version: SchemaVersion, state: ResultsState, view: str, query: QueryDict
) -> str | None:
    """The key of a page worth keeping, from the parameters as the page reads them,
    else None. Kept: plain browsing with known filters, sorts and pages of at most 50
    rows, so an entry is under 1 MB and the entries a project can have are bounded by
    its data, not by what a client sends. Built every time: free-text searches (rarely
    asked twice), unknown parameters or values, pages past the project's size."""
    if not state.settled or set(query) - CACHEABLE_PARAMETERS:
        return None
    filters = ResultFilters.from_query(query)
    keys = version.variable_keys
    sorts = {"", "name", "-name", *keys, *(f"-{key}" for key in keys)}
    if (
        filters.search
        or filters.status not in RESULT_STATUSES
        or filters.variable not in ("", *keys)
        or filters.sort not in sorts
        or any(len(values) > 1 for _, values in query.lists())
    ):
        return None
    if filters.job_id is not None and not project.jobs.filter(pk=filters.job_id).exists():
        return None
    size = whole_number(query.get("page_size")) or DEFAULT_PAGE_SIZE
    raw_page = query.get("page", "")
    page = whole_number(raw_page) if raw_page else 1
    documents = getattr(project, "document_count", None)  # the summary has it
    if documents is None:
        documents = project.documents.count()
    pages = max(-(-documents // size), 1)
    if size > CACHED_PAGE_SIZE or page is None or not 1 <= page <= pages:
        return None
    shape = [
        view, version.pk, state.key, filters.status, filters.variable, filters.sort,
        filters.job_id, page, size, query.get("embed") == "1",
    ]  # fmt: skip
    digest = hashlib.sha256(json.dumps(shape).encode()).hexdigest()
    return f"results:v3:{digest}"


def project_agreement(project: Project, version: SchemaVersion) -> list[dict]:
    """Per variable, agreement between the model and the values people reviewed.

    Cached until a reviewed value changes (a review, its reversal, a re-run rewriting
    the model's side) or a document leaves: the results page shows it on every view,
    while a running job writes values nobody has reviewed yet.
    """
    reviewed = _reviewed(version).aggregate(count=Count("*"), latest=Max("updated_at"))
    if not reviewed["count"]:
        return _agreement(version, [])  # nothing reviewed yet: nothing to read
    if not _settled(reviewed["latest"]):
        return _agreement(version, _reviewed_values(version))
    key = (
        f"agreement:v4:{version.pk}:{reviewed['count']}:{reviewed['latest'].timestamp()}:"
        f"{project.updated_at.timestamp()}"
    )
    cached = cache.get(key)
    if cached is None:
        cached = _agreement(version, _reviewed_values(version))
        cache.set(key, cached, timeout=24 * 3600)
    return cached


def _reviewed(version: SchemaVersion) -> QuerySet[Extraction]:
    # Matches the partial index "extraction_reviewed".
    return Extraction.objects.filter(schema_version=version).filter(
        Q(verified=True) | Q(corrected=True)
    )


def _reviewed_values(version: SchemaVersion) -> QuerySet:
    fields = (
        "variable_key", "value", "human_value", "verified", "corrected", "blind_entered",
        "blind_value",
    )  # fmt: skip
    return _reviewed(version).values(*fields)


def _agreement(version: SchemaVersion, rows: Iterable[Mapping[str, Any]]) -> list[dict]:
    by_key = {variable["key"]: variable for variable in version.variables}
    return [
        {
            **row,
            "label": by_key[row["key"]].get("label", row["key"]),
            "type": by_key[row["key"]]["type"],
        }
        for row in agreement_summary(variables=version.variables, extractions=rows)
    ]
