"""The review queue (step 5): a version's unchecked values, one at a time.

A scope picks the values to work through: a variable, a status (``flagged`` is a
quote not found or not supporting its value), a job (the sample). Values are walked
flagged first, then by document and by the variable's place in the schema, so a
reviewer reads one document's values together. ``next`` skips what was checked since
(another tab, a colleague), and ``after``/``before`` move without checking (the
``n``/``p`` keys). Progress counts the checked values of the scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from extractor.text import whole_number
from processing.models import Extraction
from schemas.models import SchemaVersion

FLAGGED = (Extraction.Status.UNSUPPORTED_EVIDENCE, Extraction.Status.EVIDENCE_MISMATCH)
STATUS_CHOICES = ("flagged", *Extraction.Status.values)


@dataclass(frozen=True)
class QueueScope:
    """Which values of ``version`` the queue walks; empty fields mean all."""

    version: SchemaVersion
    variable: str = ""
    status: str = ""
    job_id: int | None = None

    @classmethod
    def from_query(cls, version: SchemaVersion, query) -> QueueScope:
        """From a query string; values outside the version's keys or statuses are ignored
        (a stale link shows the whole queue rather than an error)."""
        variable = query.get("variable", "")
        status = query.get("status", "")
        return cls(
            version=version,
            variable=variable if variable in version.variable_keys else "",
            status=status if status in STATUS_CHOICES else "",
            job_id=whole_number(query.get("job")),
        )

    def query(self) -> dict[str, str]:
        """The scope as query parameters, for links that keep it."""
        shown = {"variable": self.variable, "status": self.status, "job": self.job_id or ""}
        return {key: str(value) for key, value in shown.items() if value}


def _in_scope(scope: QueueScope) -> QuerySet[Extraction]:
    values = Extraction.objects.filter(schema_version=scope.version)
    if scope.variable:
        values = values.filter(variable_key=scope.variable)
    if scope.status == "flagged":
        values = values.filter(status__in=FLAGGED)
    elif scope.status:
        values = values.filter(status=scope.status)
    if scope.job_id:
        values = values.filter(job_id=scope.job_id)
    return values


_UNCHECKED = Q(verified=False, corrected=False, blind_entered=False)


def _unchecked(scope: QueueScope) -> QuerySet[Extraction]:
    return _in_scope(scope).filter(_UNCHECKED)


def _ordered_ids(values: QuerySet[Extraction], version: SchemaVersion) -> list[int]:
    positions = [
        When(variable_key=key, then=Value(index)) for index, key in enumerate(version.variable_keys)
    ]
    flagged_first = Case(When(status__in=FLAGGED, then=Value(0)), default=Value(1))
    return list(
        values.order_by()
        .annotate(
            flag_order=flagged_first,
            position=Case(*positions, default=Value(len(positions)), output_field=IntegerField()),
        )
        .order_by("flag_order", "document_id", "position", "id")
        .values_list("id", flat=True)
    )


def queue_next(scope: QueueScope, *, after: int | None = None, before: int | None = None):
    """The unchecked value to show: the first, or the one after (before) a given value
    in the queue's order, that value being checked or not; None when none is left."""
    anchor = after if after is not None else before
    values = _unchecked(scope)
    if anchor is not None:
        values = _in_scope(scope).filter(_UNCHECKED | Q(pk=anchor))
    ids = _ordered_ids(values, scope.version)
    if anchor is None or anchor not in ids:
        wanted = next((pk for pk in ids if pk != anchor), None)
    else:
        index = ids.index(anchor) + (1 if after is not None else -1)
        wanted = ids[index] if 0 <= index < len(ids) else None
    return _load(wanted) if wanted is not None else None


def _load(pk: int) -> Extraction:
    return Extraction.objects.select_related("document", "schema_version").get(pk=pk)


def queue_progress(scope: QueueScope) -> dict[str, int]:
    """``{checked, total}`` over the scope: checked is verified, corrected or entered blind."""
    values = _in_scope(scope)
    total = values.count()
    checked = values.exclude(_UNCHECKED).count()
    return {"checked": checked, "total": total}


def queue_item(extraction: Extraction, scope: QueueScope, *, blind: bool) -> dict:
    """What the API shows of a queued value: in blind mode nothing of the model's answer
    (a blind entry is made before seeing it), else the value with its evidence."""
    variable = next(
        (v for v in scope.version.variables if v["key"] == extraction.variable_key),
        {"key": extraction.variable_key, "label": "", "type": ""},
    )
    item = {
        "extraction_id": extraction.pk,
        "document": {"id": extraction.document_id, "name": extraction.document.name},
        "variable": {
            "key": variable["key"],
            "label": variable.get("label") or variable["key"],
            "type": variable["type"],
        },
        "progress": queue_progress(scope),
        "blind": blind,
    }
    if not blind:
        item |= {
            "model_value": extraction.value,
            "evidence": extraction.evidence,
            "evidence_start": extraction.evidence_start,
            "evidence_end": extraction.evidence_end,
            "confidence": extraction.confidence,
        }
    return item
