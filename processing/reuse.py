"""What a run asks the model, and what it reuses instead: partial runs.

A value a version already holds for a document, with the model the project uses now,
is never asked again: it was carried from the previous version (``carry.py``) or
extracted by an earlier run of this version. A run asks each document only for the
version's variables it lacks (the engine), a full run leaves out the documents that
lack none, and the estimate counts exactly those calls. A value held with another model
does not count: changing the model asks everything again.
"""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from processing.models import Extraction
from projects.models import Document
from schemas.models import SchemaVersion


def _held_rows(*, version_id: int, model: str, keys: Collection[str]) -> QuerySet[Extraction]:
    return Extraction.objects.filter(
        schema_version_id=version_id, model=model, variable_key__in=list(keys)
    )


def held_keys(
    *,
    version_id: int,
    model: str,
    keys: Collection[str],
    document_ids: Collection[int] | QuerySet | None = None,
) -> dict[int, frozenset[str]]:
    """Per document, which of ``keys`` the version holds a value of with ``model``
    (documents holding none are left out)."""
    rows = _held_rows(version_id=version_id, model=model, keys=keys)
    if document_ids is not None:
        rows = rows.filter(document_id__in=document_ids)
    held: dict[int, set[str]] = {}
    for document_id, key in rows.values_list("document_id", "variable_key").order_by():
        held.setdefault(document_id, set()).add(key)
    return {document_id: frozenset(found) for document_id, found in held.items()}


def lacking(
    documents: QuerySet[Document], version: SchemaVersion, model: str
) -> QuerySet[Document]:
    """``documents`` narrowed to those that lack a value of at least one of the
    version's variables (counted in the database, one small subquery per document)."""
    keys = version.variable_keys
    held = (
        _held_rows(version_id=version.pk, model=model, keys=keys)
        .filter(document=OuterRef("pk"))
        .order_by()
        .values("document")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return documents.annotate(values_held=Coalesce(Subquery(held), 0)).filter(
        values_held__lt=len(keys)
    )


def variables_to_ask(*, version: SchemaVersion, model: str, document_id: int) -> list[dict]:
    """The version's variables, in schema order, that ``document_id`` lacks."""
    held = held_keys(
        version_id=version.pk, model=model, keys=version.variable_keys, document_ids=[document_id]
    ).get(document_id, frozenset())
    return [variable for variable in version.variables if variable["key"] not in held]
