"""Reading an export's data: the database as a stream of wide rows, and its metadata.

Rows are produced document by document from a cursor (documents in chunks, their
values in one query per chunk), so memory stays flat whatever the corpus size. Every
document of the project is a row, whether or not it has values, with a
``document_status`` that says why it has none (see :func:`document_export_status`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from exports.layout import (
    DOCUMENT_ERROR,
    DOCUMENT_METADATA,
    DOCUMENT_STATUS,
    LONG_COLUMNS,
    Column,
    long_rows,
    wide_columns,
    wide_row,
)
from exports.round_files import version_reliability
from exports.writers import ExportTable
from extractor.llm.models import LLMCall
from processing.models import Extraction, JobDocument, ProcessingJob
from projects.models import Document
from schemas.models import SchemaVersion

CHUNK = 500
# Documents made of a table's rows: their metadata are the table's other columns, the
# researcher's covariates, and get a column each. Every other document's metadata (PDF
# titles, OCR confidences...) goes in the one document_metadata column.
TABLE_SOURCES = frozenset({Document.SourceType.CSV, Document.SourceType.XLSX})
NOT_PROCESSED = "not_processed"
EXTRACTION_FAILED = "extraction_failed"
DOCUMENT_STATUSES = (
    Document.Status.READY,
    NOT_PROCESSED,
    EXTRACTION_FAILED,
    Document.Status.FAILED,
    Document.Status.QUEUED,
    Document.Status.PROCESSING,
)
# The review state of (corrected, verified), as plain text: read once per value.
REVIEW_TEXT = {
    (corrected, verified): str(Extraction.review_of(corrected=corrected, verified=verified))
    for corrected in (False, True)
    for verified in (False, True)
}
CARRIED_NOTE = (
    "values_carried values were copied unchanged, with their review, from the schema "
    "versions in carried_from_versions (which may have carried them from the versions "
    "before): their variables read exactly the same to the model there. job_ids, models, "
    "tokens and cost include the jobs that produced them, whose calls also asked for "
    "variables this version changed."
)
VALUE_SOURCE_NOTE = (
    "Each variable column holds the final value: the one a person entered where they "
    "corrected it, else the model's. Audit columns: <key>__model and <key>__human hold "
    "both; <key>__review says unchecked, verified or corrected; <key>__status how the "
    "checks judged the model's value (ok, missing, invalid, unsupported_evidence, "
    "evidence_mismatch, error); <key>__confidence is the model's; <key>__evidence is the "
    "quote a person gave with their correction, else the model's. With evidence columns "
    "but no audit columns, a corrected value's status reads 'corrected'."
)
REVIEW_NOTE = (
    "values_unchecked + values_verified + values_corrected = values: a corrected value "
    "counts once, as corrected, though correcting it also checked it."
)
DOCUMENT_STATUS_NOTE = (
    "Every document of the project is a row. document_status: ready (coded with this "
    "version), not_processed (readable, but no run of this version has coded it: values "
    "carried from an earlier version may be there), "
    "extraction_failed (a run of this version failed on it), failed (the file could not "
    "be read), queued or processing (still being read). document_error says why a "
    "document failed; documents that are not ready have no values."
)
DOCUMENT_METADATA_NOTE = (
    "Metadata from table rows (CSV or XLSX uploads) are columns under their own names; "
    "other documents' metadata (PDF titles, OCR confidences...) is the JSON object of "
    "the document_metadata column."
)


MISSING_NOTE = (
    "A missing value (no answer, a document not coded, a variable not asked) is an empty "
    "cell in CSV and XLSX, null in JSON and Parquet, system-missing (.) for numbers "
    "(coded categories, yes/no and dates included) and an empty string for text in Stata "
    "and SPSS files. A value is never written as 0, 'NA' or 'missing' in its place. A "
    "partial date (YYYY or YYYY-MM) is not a day: in Stata, SPSS and Parquet files it is "
    "missing in the date column and kept as written in <key>__text."
)


def document_export_status(*, status: str, has_values: bool, item_failed: bool) -> str:
    """A document's state in an export of one version: its own status until it is read,
    then whether this version coded it, failed on it, or has not reached it."""
    if status != Document.Status.READY:
        return status
    if has_values:
        return Document.Status.READY
    return EXTRACTION_FAILED if item_failed else NOT_PROCESSED


def _documents(version: SchemaVersion) -> QuerySet[Document]:
    """Every document of the project, in id order, with what the status rule needs:
    ``has_values`` when it holds a value of every variable of the version (values
    carried from an earlier version alone leave a document not processed)."""
    held = (
        Extraction.objects.filter(schema_version=version, document=OuterRef("pk"))
        .order_by()
        .values("document")
        .annotate(n=Count("pk"))
        .values("n")
    )
    failures = JobDocument.objects.filter(
        job__schema_version=version, document=OuterRef("pk"), status=JobDocument.Status.FAILED
    )
    return (
        Document.objects.filter(project_id=version.project_id)
        .alias(values_held=Coalesce(Subquery(held), 0))
        .annotate(
            has_values=ExpressionWrapper(
                Q(values_held__gte=len(version.variables)), output_field=BooleanField()
            ),
            item_failed=Exists(failures),
        )
        .order_by("id")
    )


def table_metadata_keys(version: SchemaVersion) -> list[str]:
    """The metadata keys of the project's table-row documents, in first-seen order."""
    keys: dict[str, None] = {}
    documents = Document.objects.filter(
        project_id=version.project_id, source_type__in=TABLE_SOURCES
    ).order_by("id")
    for metadata in documents.values_list("metadata", flat=True).iterator(CHUNK):
        for key in metadata or {}:
            keys.setdefault(str(key), None)
    return list(keys)


def _failure_reasons(version: SchemaVersion, ids: list[int]) -> dict[int, str]:
    """Why a run of ``version`` failed on each of ``ids``: its latest failure's error."""
    reasons: dict[int, str] = {}
    failures = (
        JobDocument.objects.filter(
            job__schema_version=version, document_id__in=ids, status=JobDocument.Status.FAILED
        )
        .order_by("document_id", "-finished_at", "-id")
        .values_list("document_id", "error")
    )
    for document_id, error in failures:
        reasons.setdefault(document_id, error)
    return reasons


def _values(
    version: SchemaVersion, ids: list[int], *, audit: bool, evidence: bool
) -> dict[int, dict[str, dict]]:
    """The value entries of ``ids`` by document and key. Tuples, not model instances:
    building 50,000 Extraction objects was most of the time of an export; the quotes
    are read only when a column shows them."""
    fields = ["document_id", "variable_key", "value", "human_value", "corrected", "status"]
    if audit:
        fields += ["verified", "confidence"]
    if evidence:
        fields += ["evidence", "human_evidence"]
    values: dict[int, dict[str, dict]] = {pk: {} for pk in ids}
    rows = (
        Extraction.objects.filter(schema_version=version, document_id__in=ids)
        .order_by()
        .values_list(*fields)
        .iterator(CHUNK * 10)
    )
    for row in rows:
        document_id, key, model, human, corrected, status = row[:6]
        entry: dict[str, Any] = {"value": human if corrected else model}
        if evidence:
            # The person's quote goes with the person's value, when they gave one.
            entry["evidence"] = row[-1] if corrected and row[-1] else row[-2]
        if audit:
            entry |= {
                "model": model,
                "human": human if corrected else None,
                "review": REVIEW_TEXT[corrected, row[6]],
                "status": status,
                "confidence": row[7],
            }
        else:
            # Describes the value exported: without a review column, filtering out
            # "invalid" must not drop the values a person fixed.
            entry["status"] = "corrected" if corrected else status
        values[document_id][key] = entry
    return values


def _document_fields(
    *, status: str, error: str, metadata: dict, source_type: str, reason: str | None
) -> tuple[dict, dict]:
    """(table metadata for their columns, the document columns' fields)."""
    table = source_type in TABLE_SOURCES
    fields = {
        DOCUMENT_STATUS: status,
        DOCUMENT_ERROR: reason if status == EXTRACTION_FAILED else (error or None),
        DOCUMENT_METADATA: None if table or not metadata else metadata,
    }
    return (metadata if table else {}), fields


DOCUMENT_FIELDS = ("id", "name", "metadata", "source_type", "status", "error")


def _chunk_documents(version: SchemaVersion, ids: list[int]) -> list[tuple]:
    """``DOCUMENT_FIELDS`` of ``ids``, each followed by its export status."""
    rows = (
        _documents(version)
        .filter(pk__in=ids)
        .values_list(*DOCUMENT_FIELDS, "has_values", "item_failed")
    )
    return [
        (*fields, document_export_status(status=fields[4], has_values=has, item_failed=failed))
        for *fields, has, failed in rows
    ]


def _rows(version: SchemaVersion, columns: Sequence[Column]) -> Iterator[list]:
    audit = any(column.field == "model" for column in columns)
    evidence = any(column.field == "evidence" for column in columns)
    ids = list(
        Document.objects.filter(project_id=version.project_id)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        documents = _chunk_documents(version, chunk)
        values = _values(version, chunk, audit=audit, evidence=evidence)
        failed = [row[0] for row in documents if row[-1] == EXTRACTION_FAILED]
        reasons = _failure_reasons(version, failed) if failed else {}
        for pk, name, metadata, source_type, _status, error, state in documents:
            table_metadata, fields = _document_fields(
                status=state,
                error=error,
                metadata=metadata or {},
                source_type=source_type,
                reason=reasons.get(pk),
            )
            yield wide_row(
                columns,
                document_id=pk,
                document_name=name,
                metadata=table_metadata,
                values=values[pk],
                document=fields,
            )


LONG_FIELDS = (
    "document_id",
    "variable_key",
    "value",
    "human_value",
    "corrected",
    "verified",
    "status",
    "confidence",
    "evidence",
    "human_evidence",
    "evidence_start",
    "evidence_end",
)


def _long_rows(version: SchemaVersion) -> Iterator[list]:
    """The long layout's rows: every document holding values of the version, each
    variable in schema order, documents in chunks as the wide rows are read."""
    variables = version.variables
    ids = list(
        Document.objects.filter(
            project_id=version.project_id,
            pk__in=Extraction.objects.filter(schema_version=version).values("document_id"),
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        names = dict(Document.objects.filter(pk__in=chunk).values_list("id", "name"))
        values: dict[int, dict[str, dict]] = {pk: {} for pk in chunk}
        rows = (
            Extraction.objects.filter(schema_version=version, document_id__in=chunk)
            .order_by()
            .values_list(*LONG_FIELDS)
            .iterator(CHUNK * 10)
        )
        for pk, key, model, human, corrected, verified, status, confidence, *quote in rows:
            evidence, human_evidence, start_at, end_at = quote
            person_quote = bool(corrected and human_evidence)
            values[pk][key] = {
                "value": human if corrected else model,
                "model": model,
                "human": human if corrected else None,
                "review": REVIEW_TEXT[corrected, verified],
                "status": status,
                "confidence": confidence,
                # The person's quote goes with the person's value; it has no position.
                "evidence": human_evidence if person_quote else evidence,
                "evidence_start": None if person_quote else start_at,
                "evidence_end": None if person_quote else end_at,
            }
        for pk in chunk:
            yield from long_rows(
                variables, document_id=pk, document_name=names[pk], values=values[pk]
            )


def document_counts(version: SchemaVersion) -> dict[str, int]:
    """How many of the project's documents are in each export status (all listed)."""
    counts = Counter(
        document_export_status(status=status, has_values=has_values, item_failed=item_failed)
        for status, has_values, item_failed in _documents(version).values_list(
            "status", "has_values", "item_failed"
        )
    )
    return {status: counts.get(status, 0) for status in DOCUMENT_STATUSES}


def _review_counts(version: SchemaVersion) -> dict[str, int]:
    """Values per review state, each counted once (corrected wins over verified)."""
    counts = Extraction.objects.filter(schema_version=version).aggregate(
        values=Count("id"),
        values_corrected=Count("id", filter=Q(corrected=True)),
        values_verified=Count("id", filter=Q(corrected=False, verified=True)),
        values_carried=Count("id", filter=Q(carried_from__isnull=False)),
    )
    counts["values_unchecked"] = (
        counts["values"] - counts["values_corrected"] - counts["values_verified"]
    )
    return counts


def _document_summary(version: SchemaVersion) -> dict[str, Any]:
    counts = document_counts(version)
    return {
        "documents": sum(counts.values()),
        **{f"documents_{status}": count for status, count in counts.items()},
        # Failed in either way, and not read yet: what a methods section reports.
        "documents_failed_total": counts[Document.Status.FAILED] + counts[EXTRACTION_FAILED],
        "documents_not_ready": counts[Document.Status.QUEUED] + counts[Document.Status.PROCESSING],
        "document_status_note": DOCUMENT_STATUS_NOTE,
        "document_metadata_note": DOCUMENT_METADATA_NOTE,
    }


def export_metadata(version: SchemaVersion) -> dict:
    """What a methods section needs: which prompt, which model, what it cost, how many
    values a person checked, how many documents could not be coded, how far people
    coding the same documents agreed (``reliability``)."""
    project = version.project
    # The jobs that produced the version's values: its own runs, and those of the
    # versions its unchanged values were carried from (their models and their
    # simulated answers are this dataset's too).
    carried = Extraction.objects.filter(schema_version=version, carried_from__isnull=False)
    jobs = ProcessingJob.objects.filter(
        Q(schema_version=version) | Q(pk__in=carried.values("job_id"))
    ).order_by("id")
    totals = jobs.aggregate(
        input=Sum("input_tokens"),
        cached=Sum("cached_tokens"),
        output=Sum("output_tokens"),
        cost=Sum("cost_usd"),
        calls=Sum("llm_calls"),
    )
    reviews = _review_counts(version)
    simulated = (
        jobs.filter(simulated=True).exists()
        or LLMCall.objects.filter(job_id__in=jobs.values("id"), simulated=True).exists()
    )
    return {
        "project": project.name,
        "project_id": project.pk,
        "schema_version": version.number,
        "schema_confirmed_at": version.created_at.isoformat(),
        "prompt_hash": version.prompt_hash,
        "models": sorted(set(jobs.values_list("model", flat=True))),
        "job_ids": list(jobs.values_list("id", flat=True)),
        "llm_calls": totals["calls"] or 0,
        "input_tokens": totals["input"] or 0,
        "cached_input_tokens": totals["cached"] or 0,
        "output_tokens": totals["output"] or 0,
        "cost_usd": float(totals["cost"] or 0),
        "values": reviews["values"],
        "values_unchecked": reviews["values_unchecked"],
        "values_verified": reviews["values_verified"],
        "values_corrected": reviews["values_corrected"],
        "values_carried": reviews["values_carried"],
        "carried_from_versions": sorted(
            set(carried.order_by().values_list("carried_from", flat=True).distinct())
        ),
        "carried_note": CARRIED_NOTE if reviews["values_carried"] else "",
        "review_note": REVIEW_NOTE,
        "value_source": VALUE_SOURCE_NOTE,
        **_document_summary(version),
        "simulated": simulated,
        "simulated_note": "Values were produced by the built-in simulated model, not a real LLM."
        if simulated
        else "",
        # The latest completed coding round's figures (None without one: one query).
        "reliability": version_reliability(version),
        "missing_values": MISSING_NOTE,
        "exported_at": timezone.now().isoformat(),
    }


def export_table(
    version: SchemaVersion,
    *,
    include_evidence: bool,
    include_audit: bool,
    layout: str = "wide",
) -> ExportTable:
    """The whole export of ``version``, its rows still to be read (once): wide (a row
    per document, the options choosing its columns) or long (``LONG_COLUMNS``)."""
    if layout == "long":
        return ExportTable(
            metadata={**export_metadata(version), "layout": "long"},
            codebook=version.variables,
            columns=list(LONG_COLUMNS),
            rows=_long_rows(version),
        )
    columns = wide_columns(
        version.variables,
        table_metadata_keys(version),
        include_evidence=include_evidence,
        include_audit=include_audit,
        document_columns=True,
    )
    return ExportTable(
        metadata={**export_metadata(version), "layout": "wide"},
        codebook=version.variables,
        columns=columns,
        rows=_rows(version, columns),
    )
