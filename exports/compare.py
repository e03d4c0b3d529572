"""Two schema versions side by side: did the new wording agree better with people?

A researcher rewords a variable, runs the new version and wants evidence that it helped.
Both versions are measured against the same human reference, so the figures differ only
by what the model answered:

- The reference of a (document, key) cell is a reviewed value of that cell in either
  version (``exports.agreement.is_reviewed``), read as the person's answer
  (``exports.agreement.human_answer``). A check made in one version counts for the other
  too: people rarely check the same document twice. Where both versions have a check, a
  blind entry wins (given before the person saw any model's answer); else the check in
  the higher-numbered version, the later of the two.
- Each side's agreement and kappa (``exports.agreement.variable_agreement``, with that
  version's type of the variable) are over the documents that have a reference and a
  value of that version.
- ``changed_values`` counts the documents whose model value differs between the two
  versions (compared in b's type), out of ``compared``, the documents valued in both.

Rows are read one variable after another, ordered by key, so memory holds one variable's
cells at a time, however many documents the project has.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any

from exports.agreement import human_answer, is_reviewed, variable_agreement
from processing.models import Extraction
from projects.models import Document, Project
from schemas.models import SchemaVersion
from schemas.types import ValueType, value_type

__all__ = ["changed_values_list", "versions_compared"]

CHANGED_VALUES_LIMIT = 200

_FIELDS = (
    "schema_version_id", "document_id", "variable_key", "value", "human_value", "verified",
    "corrected", "blind_entered", "blind_value",
)  # fmt: skip

Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Cell:
    """One document's values of one key in the two versions (None where it has none)."""

    document_id: int
    a: Row | None
    b: Row | None
    reference: Row | None  # the reviewed row whose answer counts for both versions


def versions_compared(
    *, project: Project, a: SchemaVersion, b: SchemaVersion
) -> list[dict[str, Any]]:
    """Per variable, in b's order then the keys only a has: each version's agreement
    with the human reference, and how many model values changed between them."""
    variables_a, variables_b = _variables(project, a, b)
    stats = {
        key: {"pairs_a": [], "pairs_b": [], "changed": 0, "compared": 0}
        for key in variables_b | variables_a
    }
    for key, cells in _cells(a, b, keys=stats):
        kind = _compared_type(key, variables_a, variables_b)
        tally = stats[key]
        for cell in cells:
            if cell.reference is not None:
                answer = human_answer(cell.reference)
                if cell.a is not None:
                    tally["pairs_a"].append((cell.a["value"], answer))
                if cell.b is not None:
                    tally["pairs_b"].append((cell.b["value"], answer))
            if cell.a is not None and cell.b is not None:
                tally["compared"] += 1
                tally["changed"] += _changed(kind, cell.a, cell.b)
    rows = []
    for key, tally in stats.items():
        variable = variables_b.get(key) or variables_a[key]
        rows.append(
            {
                "key": key,
                "label": variable.get("label") or key,
                "type": variable["type"],
                "in_a": key in variables_a,
                "in_b": key in variables_b,
                "a": _side(variables_a.get(key), tally["pairs_a"]),
                "b": _side(variables_b.get(key), tally["pairs_b"]),
                "changed_values": tally["changed"],
                "compared": tally["compared"],
            }
        )
    return rows


def changed_values_list(
    *,
    project: Project,
    a: SchemaVersion,
    b: SchemaVersion,
    key: str | None = None,
    limit: int = CHANGED_VALUES_LIMIT,
) -> list[dict[str, Any]]:
    """The documents whose model value changed between a and b, in the variables' order
    then by document, at most ``limit``: what a person reads to judge the new wording.

    Each: ``{document_id, document_name, key, a_value, b_value, checked, human_value}``;
    ``human_value`` is the reference answer, None when nobody checked (``checked``
    tells that apart from a person saying the document gives no value).
    """
    variables_a, variables_b = _variables(project, a, b)
    order = list(variables_b | variables_a)
    if key is not None:
        order = [key] if key in order else []
    # Keys arrive alphabetically: keep up to ``limit`` per key, cut in schema order after.
    found: dict[str, list[dict[str, Any]]] = {}
    for cell_key, cells in _cells(a, b, keys=order):
        kind = _compared_type(cell_key, variables_a, variables_b)
        changes = found.setdefault(cell_key, [])
        for cell in cells:
            if len(changes) >= limit:
                break
            if cell.a is None or cell.b is None or not _changed(kind, cell.a, cell.b):
                continue
            checked = cell.reference is not None
            changes.append(
                {
                    "document_id": cell.document_id,
                    "key": cell_key,
                    "a_value": cell.a["value"],
                    "b_value": cell.b["value"],
                    "checked": checked,
                    "human_value": human_answer(cell.reference) if checked else None,
                }
            )
    listed = [change for k in order for change in found.get(k, [])][:limit]
    names = dict(
        Document.objects.filter(pk__in={change["document_id"] for change in listed}).values_list(
            "id", "name"
        )
    )
    return [{**change, "document_name": names.get(change["document_id"], "")} for change in listed]


# --- reading ----------------------------------------------------------------------------


def _variables(
    project: Project, a: SchemaVersion, b: SchemaVersion
) -> tuple[dict[str, dict], dict[str, dict]]:
    """Each version's variables by key, in schema order."""
    if a.project_id != project.pk or b.project_id != project.pk:
        raise ValueError("Both versions must belong to the project.")
    return (
        {variable["key"]: variable for variable in a.variables},
        {variable["key"]: variable for variable in b.variables},
    )


def _cells(
    a: SchemaVersion, b: SchemaVersion, *, keys: Iterable[str]
) -> Iterator[tuple[str, Iterator[_Cell]]]:
    """Per key among ``keys`` (alphabetically), its cells in document order."""
    keys = list(keys)
    if not keys:
        return
    rows = (
        Extraction.objects.filter(schema_version_id__in=(a.pk, b.pk), variable_key__in=keys)
        .order_by("variable_key", "document_id")
        .values(*_FIELDS)
        .iterator(chunk_size=2000)
    )
    b_is_later = b.number > a.number
    for key, of_key in groupby(rows, key=itemgetter("variable_key")):
        yield key, _key_cells(of_key, a.pk, b_is_later)


def _key_cells(rows: Iterator[Row], a_id: int, b_is_later: bool) -> Iterator[_Cell]:
    for document_id, of_document in groupby(rows, key=itemgetter("document_id")):
        cell_a = cell_b = None
        for row in of_document:
            if row["schema_version_id"] == a_id:
                cell_a = row
            else:
                cell_b = row
        yield _Cell(document_id, cell_a, cell_b, _reference(cell_a, cell_b, b_is_later))


def _reference(a: Row | None, b: Row | None, b_is_later: bool) -> Row | None:
    """The reviewed row whose answer is the cell's reference (see the module docstring)."""
    reviewed = [row for row in (a, b) if row is not None and is_reviewed(row)]
    if len(reviewed) < 2:
        return reviewed[0] if reviewed else None
    if a["blind_entered"] != b["blind_entered"]:
        return a if a["blind_entered"] else b
    return b if b_is_later else a


# --- figures ----------------------------------------------------------------------------


def _compared_type(key: str, variables_a: dict, variables_b: dict) -> ValueType:
    """The type both model values are read in: b's, where b has the key."""
    return value_type((variables_b.get(key) or variables_a[key])["type"])


def _changed(kind: ValueType, a: Row, b: Row) -> bool:
    return not kind.same(kind.comparable(a["value"]), kind.comparable(b["value"]))


def _side(variable: dict | None, pairs: list[tuple[Any, Any]]) -> dict[str, Any]:
    """``{agreement, kappa, n}`` of one version; all undefined where it lacks the key."""
    if variable is None:
        return {"agreement": None, "kappa": None, "n": 0}
    result = variable_agreement(var_type=variable["type"], pairs=pairs)
    return {"agreement": result.agreement, "kappa": result.kappa, "n": result.n_verified}
