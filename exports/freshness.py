"""Whether an export still shows the data: its file against the values and documents now.

An export records, when its file is read, a stamp of what it read (:class:`DataStamp`);
a listing reads the stamp again and says "out of date" when they differ. The stamp has
three parts, each cheap to read and each moved by a change the file would show:

- the latest ``updated_at`` of the version's values (the engine's writes and re-runs,
  every review: verify, correct, revert; read from the (schema_version, updated_at)
  index, as the results cache does);
- a fingerprint of the project's documents: how many, the highest id, how many per
  status. Ids only grow, so any upload or deletion changes the count or the highest
  id, and parsing moves the status counts. Not ``Project.updated_at``: that also moves
  when a draft variable or the project's settings are edited, which changes no file;
- the latest failure of a work item of the version (a failure writes no value, yet
  its document's row becomes ``extraction_failed``);
- the latest completed coding round of the version, when there is one (its
  reliability report is in the file's metadata); a version without one keeps the
  three-part stamp, so exports written before rounds existed stay up to date.

The stamp is read just before the rows, from committed data, so a write that lands
while the file is written makes the export out of date rather than hiding. Like the
results cache, this trusts ``updated_at`` to follow commit order closely (a value
written in a transaction that commits after a later one's stays hidden only if nothing
else is written after it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q

from exports.models import Export
from exports.rounds import round_latest_completed
from processing.models import Extraction, JobDocument
from projects.models import Document


@dataclass(frozen=True)
class DataStamp:
    values: datetime | None
    documents: str
    failures: datetime | None
    round: int | None = None

    @property
    def key(self) -> str:
        """The stamp as stored on the export (``Export.data_stamp``)."""
        key = f"{_iso(self.values)}|{self.documents}|{_iso(self.failures)}"
        return key if self.round is None else f"{key}|round {self.round}"


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else "-"


def data_stamp(*, project_id: int, version_id: int) -> DataStamp:
    """The stamp of a version's values and its project's documents as they are now."""
    values = Extraction.objects.filter(schema_version_id=version_id).aggregate(
        latest=Max("updated_at")
    )["latest"]
    failures = JobDocument.objects.filter(
        job__schema_version_id=version_id, status=JobDocument.Status.FAILED
    ).aggregate(latest=Max("finished_at"))["latest"]
    latest_round = round_latest_completed(version_id)
    return DataStamp(
        values=values,
        documents=documents_fingerprint(project_id),
        failures=failures,
        round=latest_round.pk if latest_round else None,
    )


def documents_fingerprint(project_id: int) -> str:
    """``count:highest id:<count per status>``, one indexed aggregate."""
    statuses = Document.Status.values
    counts = Document.objects.filter(project_id=project_id).aggregate(
        count=Count("id"),
        last=Max("id"),
        **{status: Count("id", filter=Q(status=status)) for status in statuses},
    )
    return ":".join(str(counts[name] or 0) for name in ["count", "last", *statuses])


def export_out_of_date(export: Export, now: DataStamp) -> bool:
    """Whether the data changed since ``export``'s file was read. Only a written file can
    be out of date. An export made before stamps were kept is judged on its values
    alone: out of date when one changed after it was written."""
    if export.status != Export.Status.COMPLETED:
        return False
    if export.data_stamp:
        return export.data_stamp != now.key
    written = export.finished_at or export.created_at
    return now.values is not None and now.values > written


def exports_mark_out_of_date(exports: Iterable[Export]) -> None:
    """Set ``out_of_date`` on each export, reading the stamp once per version listed."""
    stamps: dict[int, DataStamp] = {}
    for export in exports:
        version_id = export.schema_version_id
        if export.status != Export.Status.COMPLETED:
            export.out_of_date = False
            continue
        if version_id not in stamps:
            stamps[version_id] = data_stamp(project_id=export.project_id, version_id=version_id)
        export.out_of_date = export_out_of_date(export, stamps[version_id])
