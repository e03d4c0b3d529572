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
    (documents holding none are left out).

    Counted in the database: a version at 50 variables x 1,000 documents holds 50,000
    values, and after a carry-over every document holds the same 49 of them. Documents
    holding all or none of ``keys`` need no detail; among the others, a key held by all
    of them or by none needs none either; only the rest is read pair by pair."""
    keys = list(dict.fromkeys(keys))
    rows = _held_rows(version_id=version_id, model=model, keys=keys)
    if document_ids is not None:
        rows = rows.filter(document_id__in=document_ids)
    rows = rows.order_by()
    per_document = dict(
        rows.values("document_id").annotate(n=Count("pk")).values_list("document_id", "n")
    )
    everything = frozenset(keys)
    held = {pk: everything for pk, n in per_document.items() if n >= len(keys)}
    partial = [pk for pk, n in per_document.items() if 0 < n < len(keys)]
    if not partial:
        return held
    among = rows.filter(document_id__in=partial)
    per_key = dict(
        among.values("variable_key").annotate(n=Count("pk")).values_list("variable_key", "n")
    )
    by_all = frozenset(key for key, n in per_key.items() if n == len(partial))
    mixed = [key for key, n in per_key.items() if 0 < n < len(partial)]
    found: dict[int, set[str]] = {pk: set(by_all) for pk in partial}
    if mixed:
        pairs = among.filter(variable_key__in=mixed).values_list("document_id", "variable_key")
        for document_id, key in pairs:
            found[document_id].add(key)
    held.update((pk, frozenset(keys_held)) for pk, keys_held in found.items())
    return held


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
