"""Building dataset files: the database read as a stream (exports.dataset), handed to
a writer. Small exports are written in the request; larger ones by a Celery task.
"""

from __future__ import annotations

import logging
import tempfile

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from exports.dataset import export_table
from exports.freshness import data_stamp
from exports.models import Export
from exports.writers import ExportTable, write_csv, write_json, write_xlsx
from processing.models import Extraction
from projects.models import Project
from schemas.models import SchemaVersion

logger = logging.getLogger(__name__)
# Audit columns by default where a file has room for them: a spreadsheet or JSON keeps
# the trail; a CSV is often read by scripts that expect one column per variable.
AUDIT_BY_DEFAULT = frozenset({Export.Format.XLSX, Export.Format.JSON})


class ExportError(Exception):
    """The export cannot be made as asked (HTTP 409/400)."""

    def __init__(self, message: str, *, code: str = "export_error"):
        super().__init__(message)
        self.code = code


def _csv(table: ExportTable, handle, options: dict) -> int:
    return write_csv(
        table,
        handle,
        bom=bool(options.get("bom")),
        booleans=options.get("booleans") or "true_false",
    )


# One writer per format over the same table (exports.dataset.export_table); the
# replication package (exports.package) assembles several of them.
WRITERS = {
    Export.Format.CSV: _csv,
    Export.Format.XLSX: lambda table, handle, options: write_xlsx(table, handle),
    Export.Format.JSON: lambda table, handle, options: write_json(table, handle),
    Export.Format.DTA: lambda table, handle, options: _statistics().write_dta(table, handle),
    Export.Format.SAV: lambda table, handle, options: _statistics().write_sav(table, handle),
    Export.Format.PARQUET: lambda table, handle, options: _parquet().write_parquet(table, handle),
}


# pandas, pyreadstat and pyarrow load only in a process that writes those formats: a
# web worker that never does saves their start-up time and some 100 MB.
def _statistics():
    from exports import statistics

    return statistics


def _parquet():
    from exports import parquet

    return parquet


def export_filename(export: Export) -> str:
    """``<project>-v<version>-<time>[-SIMULATED].<format>``: a CSV has no other place to
    say its values came from the simulator, and a file travels without its metadata."""
    project = "".join(c if c.isalnum() else "-" for c in export.project.name.lower())[:40]
    stamp = export.created_at.strftime("%Y%m%d-%H%M%S")
    simulated = "-SIMULATED" if export.options.get("simulated") else ""
    name = project.strip("-") or "project"
    layout = "-long" if export.options.get("layout") == Export.Layout.LONG else ""
    return f"{name}-v{export.schema_version.number}-{stamp}{layout}{simulated}.{export.extension}"


def export_build(export: Export) -> Export:
    """Write the file and mark the export completed (or failed, with the reason)."""
    claimed = Export.objects.filter(
        pk=export.pk, status__in=[Export.Status.QUEUED, Export.Status.RUNNING]
    ).update(status=Export.Status.RUNNING)
    if not claimed:
        return export
    try:
        version = SchemaVersion.objects.select_related("project").get(pk=export.schema_version_id)
        # Read before the rows: a change while they are read makes the export out of date.
        export.data_stamp = data_stamp(project_id=export.project_id, version_id=version.pk).key
        with tempfile.TemporaryFile(dir=settings.DATA_DIR) as handle:
            if export.format == Export.Format.PACKAGE:
                from exports.package import write_package

                rows, simulated = write_package(version, handle, export.options)
            else:
                table = export_table(
                    version,
                    include_evidence=bool(export.options.get("include_evidence")),
                    include_audit=bool(export.options.get("include_audit")),
                    layout=export.options.get("layout") or Export.Layout.WIDE,
                )
                rows = WRITERS[export.format](table, handle, export.options)
                simulated = table.metadata["simulated"]
            export.options = {**export.options, "simulated": simulated}
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
            "data_stamp",
            "finished_at",
        ]
    )
    return export


def audit_chosen(format: str, include_audit: bool | None) -> bool:
    """Whether an export of ``format`` has audit columns, as asked or by default."""
    return format in AUDIT_BY_DEFAULT if include_audit is None else include_audit


def export_create(
    *,
    project: Project,
    user,
    format: str,
    version: SchemaVersion | None,
    include_evidence: bool = False,
    include_audit: bool | None = None,
    bom: bool = False,
    layout: str = Export.Layout.WIDE,
    booleans: str = "true_false",
    package_formats: list[str] | None = None,
    include_texts: bool = False,
) -> Export:
    """Record an export and write it: now when it is small, in a task otherwise.

    ``include_audit`` None takes the format's default (on for XLSX and JSON); the
    export records what was chosen. ``layout``: wide or long; ``booleans`` (CSV):
    ``true_false`` or ``1_0``; ``package_formats`` (package): ``dta`` and/or ``sav``
    besides its CSV and Parquet; ``include_texts`` (package): the documents' texts."""
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
        options={
            "include_evidence": include_evidence,
            "include_audit": audit_chosen(format, include_audit),
            "bom": bom,
            "layout": layout,
            "booleans": booleans,
            "package_formats": sorted(set(package_formats or [])),
            "include_texts": include_texts,
        },
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if cells <= settings.EXPORT_INLINE_MAX_CELLS:
        return export_build(export)
    from exports.tasks import build_export

    export_id = export.pk
    transaction.on_commit(lambda: build_export.delay(export_id))
    return export
