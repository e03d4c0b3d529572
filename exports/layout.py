"""The layouts of an export: which columns, in which order, and the rows of them.

Wide (the default): one row per document. The columns, in order:

- ``document_id``, ``document_name``;
- with ``document_columns``: ``document_status`` and ``document_error`` (every document
  of the project is a row, so a reader can tell 98 coded documents out of 100 from 98
  out of 98), then one column per metadata key that came from table rows (a CSV or XLSX
  upload's other columns: the researcher's own covariates, kept under their own names
  so the file joins back to their table), then ``document_metadata``: the rest of a
  document's metadata (PDF titles, OCR page confidences...) as one JSON object, rather
  than many columns empty for every document of another kind;
- one column per variable in schema order, holding the final value (the person's
  correction where there is one, else the model's), each followed by:

  - with ``include_audit``: ``__model``, ``__human``, ``__review`` (unchecked, verified,
    corrected), ``__status`` (how the checks judged the model's value), ``__confidence``
    and ``__evidence`` (the person's quote when they corrected and gave one, else the
    model's);
  - else with ``include_evidence`` (the first API's option, kept as it was):
    ``__evidence`` and ``__status``, where a corrected value's status reads
    ``corrected`` since no review column says so.

Long: one row per document x variable (``LONG_COLUMNS``: the final, model's and
person's values, the review state, the checks' status, the confidence, the quote and
where it is), for documents holding values of the version.

Nothing here reads the database: the export service hands :func:`wide_row` and
:func:`long_rows` plain dicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from schemas.types import TYPES, VariableType

# "document": a field of the document row itself (status, error, the metadata JSON).
# The long layout's: "variable" (a key), "value" (a value of any variable's type),
# "offset" (a character position).
COLUMN_KINDS = frozenset(TYPES) | {
    "id",
    "metadata",
    "document",
    "evidence",
    "status",
    "review",
    "confidence",
    "variable",
    "value",
    "offset",
}
FIXED_COLUMNS = ("document_id", "document_name")
DOCUMENT_STATUS = "document_status"
DOCUMENT_ERROR = "document_error"
DOCUMENT_METADATA = "document_metadata"
DOCUMENT_COLUMNS = (DOCUMENT_STATUS, DOCUMENT_ERROR, DOCUMENT_METADATA)
EVIDENCE_SUFFIX = "__evidence"
STATUS_SUFFIX = "__status"
METADATA_PREFIX = "meta_"
# (suffix, kind, field of the value entry); the kind None takes the variable's type, so
# a model's or a person's date is a date cell in XLSX like the final value.
AUDIT_COLUMNS = (
    ("__model", None, "model"),
    ("__human", None, "human"),
    ("__review", "review", "review"),
    (STATUS_SUFFIX, "status", "status"),
    ("__confidence", "confidence", "confidence"),
    (EVIDENCE_SUFFIX, "evidence", "evidence"),
)
EVIDENCE_COLUMNS = ((EVIDENCE_SUFFIX, "evidence", "evidence"), (STATUS_SUFFIX, "status", "status"))
SUFFIXES = frozenset(suffix for suffix, _, _ in AUDIT_COLUMNS)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the export.

    ``kind`` is ``id``, ``metadata``, ``document``, a variable type, ``evidence``,
    ``status``, ``review`` or ``confidence``; only a date type changes how a value is
    written (ISO strings become real dates in XLSX). ``source`` says where
    :func:`wide_row` finds the value: the metadata key for ``metadata`` columns, the
    document field for ``document`` ones, the variable key for the others; it defaults
    to the column name. ``field`` is the entry of a variable's value that the column
    shows (``value``, ``model``, ``human``, ``review``, ``status``, ``confidence``,
    ``evidence``); by default ``evidence`` and ``status`` columns show theirs and any
    other the final value.
    """

    name: str
    kind: str
    source: str | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in COLUMN_KINDS:
            raise ValueError(f"Unknown column kind {self.kind!r} for column {self.name!r}.")
        if self.source is None:
            object.__setattr__(self, "source", self.name)
        if self.field is None:
            object.__setattr__(
                self, "field", self.kind if self.kind in {"evidence", "status"} else "value"
            )


def wide_columns(
    variables: Sequence[Mapping[str, Any]],
    metadata_keys: Sequence[str],
    *,
    include_evidence: bool = False,
    include_audit: bool = False,
    document_columns: bool = False,
) -> list[Column]:
    """The columns of a wide export (see the module docstring for the order).

    Collision rule: variable keys are never renamed (a variable keyed like a fixed
    column is an error). A document column or a metadata key keeps its name unless a
    variable, a variable's derived column (every suffix is reserved whatever the
    options, so a name does not depend on them) or an earlier column has it; then it is
    prefixed with ``meta_`` as many times as needed to be unique.
    """
    taken = set(FIXED_COLUMNS)
    for variable in variables:
        key = variable["key"]
        if key in taken:
            raise ValueError(f"Variable key {key!r} clashes with another column of the export.")
        taken.update({key, *(key + suffix for suffix in SUFFIXES)})
    # Named before the metadata keys, which yield to them; shown around them.
    document = (
        [Column(_unique(name, taken), "document", source=name) for name in DOCUMENT_COLUMNS]
        if document_columns
        else []
    )
    metadata = [Column(_unique(key, taken), "metadata", source=key) for key in metadata_keys]
    per_variable = AUDIT_COLUMNS if include_audit else EVIDENCE_COLUMNS if include_evidence else ()
    return [
        Column("document_id", "id"),
        Column("document_name", VariableType.TEXT),
        *document[:2],
        *metadata,
        *document[2:],
        *_variable_columns(variables, per_variable),
    ]


def _unique(name: str, taken: set[str]) -> str:
    """``name``, prefixed until no column has it; claimed."""
    while name in taken:
        name = METADATA_PREFIX + name
    taken.add(name)
    return name


def _variable_columns(
    variables: Sequence[Mapping[str, Any]], per_variable: Sequence[tuple[str, str | None, str]]
) -> list[Column]:
    columns = []
    for variable in variables:
        key = variable["key"]
        columns.append(Column(key, variable["type"], source=key))
        for suffix, kind, field in per_variable:
            columns.append(Column(key + suffix, kind or variable["type"], source=key, field=field))
    return columns


# The long layout: one row per document x variable, what a reviewer of the coding reads.
LONG_COLUMNS = (
    Column("document_id", "id"),
    Column("document_name", VariableType.TEXT),
    Column("variable", "variable"),
    Column("value", "value"),
    Column("model_value", "value", field="model"),
    Column("human_value", "value", field="human"),
    Column("review_status", "review"),
    Column("status", "status"),
    Column("confidence", "confidence"),
    Column("evidence", "evidence"),
    Column("evidence_start", "offset"),
    Column("evidence_end", "offset"),
)


def long_rows(
    variables: Sequence[Mapping[str, Any]],
    *,
    document_id: int,
    document_name: str,
    values: Mapping[str, Mapping[str, Any]],
) -> list[list[Any]]:
    """A document's rows of a long export, one per variable in schema order, aligned
    with ``LONG_COLUMNS``. ``values`` maps a key to its entry (``value``, ``model``,
    ``human``, ``review``, ``status``, ``confidence``, ``evidence``,
    ``evidence_start``, ``evidence_end``); a variable without one has empty cells."""
    rows = []
    for variable in variables:
        entry = values.get(variable["key"]) or {}
        rows.append(
            [
                document_id,
                document_name,
                variable["key"],
                entry.get("value"),
                entry.get("model"),
                entry.get("human"),
                entry.get("review"),
                entry.get("status"),
                entry.get("confidence"),
                entry.get("evidence"),
                entry.get("evidence_start"),
                entry.get("evidence_end"),
            ]
        )
    return rows


def wide_row(
    columns: Sequence[Column],
    *,
    document_id: int,
    document_name: str,
    metadata: Mapping[str, Any],
    values: Mapping[str, Mapping[str, Any]],
    document: Mapping[str, Any] | None = None,
) -> list[Any]:
    """One row of a wide export, aligned with ``columns``.

    ``values`` maps a variable key to its entry: ``value`` (the one the dataset carries),
    and as the columns need them ``model``, ``human``, ``review``, ``status``,
    ``confidence`` and ``evidence``. ``metadata`` holds the table-row keys, ``document``
    the fields of ``document`` columns. Anything absent is None.
    """
    document = document or {}
    row: list[Any] = []
    for column in columns:
        kind = column.kind
        if kind == "id":
            row.append(document_id)
        elif kind == "metadata":
            row.append(metadata.get(column.source))
        elif kind == "document":
            row.append(document.get(column.source))
        elif column.name == "document_name" and kind == VariableType.TEXT:
            row.append(document_name)
        else:
            entry = values.get(column.source)
            row.append(None if entry is None else entry.get(column.field))
    return row
