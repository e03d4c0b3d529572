"""Carry-over: the values of a version's unchanged variables come from its predecessor.

When version N is confirmed, every value of a variable the model would read exactly as
in version N-1 (``schemas.changes``: ``unchanged``) is copied into version N for the
same document: the model's side (value, raw answer, evidence, offsets, confidence,
status, evidence check, model) and the person's side (correction, verification, blind
entry, reviewer, time), marked ``carried_from = N-1``. Nothing is asked of the model
for them, and the review made on N-1 counts on N.

The copy is one ``INSERT ... SELECT`` in the database: 50,000 values never pass
through Python. It only fills gaps (a value version N already holds stays), so it is
run again, harmlessly, when a run of version N is created: values N-1 received after N
was confirmed (a run still going then) are carried too.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.dispatch import receiver
from django.utils import timezone

from processing.models import Extraction
from schemas.changes import previous_version, version_changes
from schemas.models import SchemaVersion
from schemas.signals import version_confirmed

logger = logging.getLogger(__name__)

# Columns the copy sets itself; every other column is copied from the source row.
_SET = ("id", "schema_version", "carried_from", "created_at", "updated_at")


def carry_unchanged(version: SchemaVersion, previous: SchemaVersion | None = None) -> int:
    """Copy the values of ``version``'s unchanged variables from the version before it
    into ``version`` where it has none yet; returns how many were copied."""
    previous = previous if previous is not None else previous_version(version)
    if previous is None:
        return 0
    unchanged = version_changes(version, previous)["unchanged"]
    if not unchanged:
        return 0
    return _copy_values(source=previous, target=version, keys=unchanged)


def _copy_values(*, source: SchemaVersion, target: SchemaVersion, keys: list[str]) -> int:
    meta = Extraction._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    copied = [f.column for f in meta.concrete_fields if f.name not in _SET]
    column = {name: quote(meta.get_field(name).column) for name in _SET}
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    document, key = quote(meta.get_field("document").column), quote("variable_key")
    version_column = column["schema_version"]
    placeholders = ", ".join(["%s"] * len(keys))
    # Identifiers come from the model's own metadata, quoted; every value is a parameter.
    into = ", ".join([*(quote(c) for c in copied), version_column, column["carried_from"]])
    into += f", {column['created_at']}, {column['updated_at']}"
    select = ", ".join([*("src." + quote(c) for c in copied), "%s", "%s", "%s", "%s"])
    absent = (
        f"NOT EXISTS (SELECT 1 FROM {table} dst WHERE dst.{version_column} = %s "  # noqa: S608
        f"AND dst.{document} = src.{document} AND dst.{key} = src.{key})"
    )
    where = f"src.{version_column} = %s AND src.{key} IN ({placeholders}) AND {absent}"
    # A runner writing the same value at this moment wins; the copy skips it.
    conflict = f"ON CONFLICT ({document}, {version_column}, {key}) DO NOTHING"
    sql = f"INSERT INTO {table} ({into}) SELECT {select} FROM {table} src WHERE {where} {conflict}"  # noqa: S608, E501
    params = [target.pk, source.number, now, now, source.pk, *keys, target.pk]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        count = max(cursor.rowcount, 0)
    if count:
        logger.info("carried %s value(s) from v%s to v%s", count, source.number, target.number)
    return count


@receiver(version_confirmed, dispatch_uid="processing.carry_unchanged")
def _on_version_confirmed(sender, *, version: SchemaVersion, previous=None, **kwargs) -> None:
    carry_unchanged(version)
