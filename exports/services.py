"""Building dataset files: the database read as a stream, handed to a writer.

Rows are produced document by document from a cursor (documents in chunks, their
extractions in one query per chunk), so memory stays flat whatever the corpus size.
Small exports are written in the request; larger ones by a Celery task.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from exports.models import Export
from exports.writers import ExportTable, wide_columns, wide_row, write_csv, write_json, write_xlsx
from extractor.llm.models import LLMCall
from processing.models import Extraction, ProcessingJob
from projects.models import Document, Project
from schemas.models import SchemaVersion

logger = logging.getLogger(__name__)
CHUNK = 500
VALUE_SOURCE_NOTE = (
    "Each variable column holds the value a person entered where one corrected it, "
    "else the model's value; its status column says 'corrected' for the former, else "
    "how the model's value was judged (ok, missing, invalid...)."
)


class ExportError(Exception):
    """The export cannot be made as asked (HTTP 409/400)."""

    def __init__(self, message: str, *, code: str = "export_error"):
        super().__init__(message)
        self.code = code


def _documents(version: SchemaVersion):
    """The documents with values for ``version``, in id order. EXISTS, not a join with
    DISTINCT: the join made 50,000 rows (and compared their metadata JSON) to find 1,000."""
    has_values = Extraction.objects.filter(schema_version=version, document=OuterRef("pk"))
    return (
        Document.objects.filter(project_id=version.project_id)
        .filter(Exists(has_values))
        .order_by("id")
    )


def _metadata_keys(version: SchemaVersion) -> list[str]:
    keys: dict[str, None] = {}
    for metadata in _documents(version).values_list("metadata", flat=True).iterator(CHUNK):
        for key in metadata or {}:
            keys.setdefault(str(key), None)
    return list(keys)


def _rows(version: SchemaVersion, columns) -> Iterator[list]:
    # Tuples, not model instances: building 50,000 Extraction objects was most of the
    # time of an export. The evidence text is read only when a column shows it.
    with_evidence = any(column.kind == "evidence" for column in columns)
    fields = ["document_id", "variable_key", "value", "human_value", "corrected", "status"]
    if with_evidence:
        fields.append("evidence")
    ids = list(_documents(version).values_list("id", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        documents = (
            Document.objects.filter(pk__in=chunk)
            .order_by("id")
            .values_list("id", "name", "metadata")
        )
        values: dict[int, dict[str, dict]] = {pk: {} for pk in chunk}
        for row in (
            Extraction.objects.filter(schema_version=version, document_id__in=chunk)
            .order_by()
            .values_list(*fields)
            .iterator(CHUNK * 10)
        ):
            document_id, key, value, human_value, corrected, status = row[:6]
            values[document_id][key] = {
                # Extraction.final_value: the person's correction where there is one.
                "value": human_value if corrected else value,
                "evidence": row[6] if with_evidence else "",
                # Describes the value exported: filtering out "invalid" must not drop
                # the values a person fixed.
                "status": "corrected" if corrected else status,
            }
        for pk, name, metadata in documents:
            yield wide_row(
                columns,
                document_id=pk,
                document_name=name,
                metadata=metadata or {},
                values=values[pk],
            )


def export_metadata(version: SchemaVersion) -> dict:
    """What a methods section needs: which prompt, which model, what it cost."""
    project = version.project
    jobs = ProcessingJob.objects.filter(schema_version=version).order_by("id")
    totals = jobs.aggregate(
        input=Sum("input_tokens"),
        cached=Sum("cached_tokens"),
        output=Sum("output_tokens"),
        cost=Sum("cost_usd"),
        calls=Sum("llm_calls"),
    )
    reviewed = Extraction.objects.filter(schema_version=version).aggregate(
        values=Count("id"),
        corrected=Count("id", filter=Q(corrected=True)),
        verified=Count("id", filter=Q(verified=True)),
    )
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
        "values": reviewed["values"],
        "values_corrected_by_a_person": reviewed["corrected"],
        "values_verified_by_a_person": reviewed["verified"],
        "value_source": VALUE_SOURCE_NOTE,
        "simulated": simulated,
        "simulated_note": "Values were produced by the built-in simulated model, not a real LLM."
        if simulated
        else "",
        "exported_at": timezone.now().isoformat(),
    }


def export_table(version: SchemaVersion, *, include_evidence: bool) -> ExportTable:
    columns = wide_columns(
        version.variables, _metadata_keys(version), include_evidence=include_evidence
    )
    return ExportTable(
        metadata=export_metadata(version),
        codebook=version.variables,
        columns=columns,
        rows=_rows(version, columns),
    )


WRITERS = {
    Export.Format.CSV: lambda table, handle, options: write_csv(
        table, handle, bom=bool(options.get("bom"))
    ),
    Export.Format.XLSX: lambda table, handle, options: write_xlsx(table, handle),
    Export.Format.JSON: lambda table, handle, options: write_json(table, handle),
}


def export_filename(export: Export) -> str:
    """``<project>-v<version>-<time>[-SIMULATED].<format>``: a CSV has no other place to
    say its values came from the simulator, and a file travels without its metadata."""
    project = "".join(c if c.isalnum() else "-" for c in export.project.name.lower())[:40]
    stamp = export.created_at.strftime("%Y%m%d-%H%M%S")
    simulated = "-SIMULATED" if export.options.get("simulated") else ""
    name = project.strip("-") or "project"
    return f"{name}-v{export.schema_version.number}-{stamp}{simulated}.{export.format}"


def export_build(export: Export) -> Export:
    """Write the file and mark the export completed (or failed, with the reason)."""
    claimed = Export.objects.filter(
        pk=export.pk, status__in=[Export.Status.QUEUED, Export.Status.RUNNING]
    ).update(status=Export.Status.RUNNING)
    if not claimed:
        return export
    try:
        version = SchemaVersion.objects.select_related("project").get(pk=export.schema_version_id)
        table = export_table(version, include_evidence=bool(export.options.get("include_evidence")))
        export.options = {**export.options, "simulated": table.metadata["simulated"]}
        with tempfile.TemporaryFile(dir=settings.DATA_DIR) as handle:
            rows = WRITERS[export.format](table, handle, export.options)
            handle.seek(0)
            export.file.save(export_filename(export), File(handle), save=False)
        export.status = Export.Status.COMPLETED
        export.row_count = rows
        export.size_bytes = export.file.size
        export.error = ""
    except Exception as exc:  # reported on the export row: a failed export is a status
        logger.exception("export %s failed", export.pk)
        export.status = Export.Status.FAILED
        export.error = f"The export could not be written: {type(exc).__name__}: {exc}"
    export.finished_at = timezone.now()
    export.save(
        update_fields=[
            "status",
            "file",
            "options",
            "row_count",
            "size_bytes",
            "error",
            "finished_at",
        ]
    )
    return export


def export_create(
    *,
    project: Project,
    user,
    format: str,
    version: SchemaVersion | None,
    include_evidence: bool = False,
    bom: bool = False,
) -> Export:
    """Record an export and write it: now when it is small, in a task otherwise."""
    if version is None:
        raise ExportError("There is no confirmed schema version to export.", code="no_version")
    cells = Extraction.objects.filter(schema_version=version).count()
    if not cells:
        raise ExportError(
            f"Version {version.number} has no results yet; run it first.", code="no_results"
        )
    export = Export.objects.create(
        project=project,
        schema_version=version,
        format=format,
        options={"include_evidence": include_evidence, "bom": bom},
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if cells <= settings.EXPORT_INLINE_MAX_CELLS:
        return export_build(export)
    from exports.tasks import build_export

    export_id = export.pk
    transaction.on_commit(lambda: build_export.delay(export_id))
    return export
