"""A coding round as files: its codes in long form, its reliability, both as JSON.

- Codes: one row per document x variable x coder who coded it, documents in id order,
  variables in schema order, coders in the order they were named, with the model's
  value and the unit's adjudicated value (``rounds.adjudicated_values``: the
  adjudication, else the value every coder agrees on; None otherwise). An item not
  coded yet (an open round) has no row, as it takes no part in the reliability.
- Reliability: one row per variable (``reliability_rows``), the figures of
  ``rounds.round_reliability`` with the interval and the model-vs-adjudicated figures
  in columns of their own and the pairwise kappas as one text cell.

CSV cells are written by the dataset writer (``exports.writers.write_csv``): lists
joined with ``"; "``, booleans ``TRUE``/``FALSE``, text sanitised against formulas. JSON
keeps values as they are, like the dataset JSON export.

A dataset export carries the reliability of its version's latest completed round in its
metadata (``version_reliability``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from exports import rounds
from exports.layout import Column
from exports.models import CodingItem, CodingRound
from exports.writers import ExportTable, write_csv
from schemas.models import SchemaVersion

CODE_FIELDS = (
    "document_id",
    "document_name",
    "variable",
    "coder",
    "value",
    "model_value",
    "adjudicated_value",
)
RELIABILITY_FIELDS = (
    "variable",
    "level",
    "units",
    "coders",
    "alpha",
    "alpha_ci95_low",
    "alpha_ci95_high",
    "percent_agreement",
    "fleiss_kappa",
    "alpha_with_model",
    "model_vs_adjudicated_agreement",
    "model_vs_adjudicated_kappa",
    "model_vs_adjudicated_n",
    "kappa_pairs",
)
WHAT = ("codes", "reliability")
# Draws of the bootstrap interval in every file, as the reliability page computes it.
DRAWS = rounds.DEFAULT_DRAWS


def round_long_rows(coding_round: CodingRound) -> Iterator[dict[str, Any]]:
    """The round's coded items as long rows (``CODE_FIELDS``), values as stored."""
    order = {key: index for index, key in enumerate(coding_round.variables)}
    model = rounds.round_model_values(coding_round)
    adjudicated = rounds.round_adjudicated(coding_round)
    items = (
        CodingItem.objects.filter(round=coding_round, coded=True)
        .order_by("document_id", "id")
        .values_list(
            "id", "document_id", "document__name", "variable_key", "coder__username", "value"
        )
    )
    # Items are made document by document, variable by variable, coder by coder, so
    # their ids give the coders' order; a document's items are sorted by schema order.
    batch: list[tuple] = []
    for item in items.iterator(chunk_size=5000):
        if batch and item[1] != batch[0][1]:
            yield from _document_rows(batch, order, model, adjudicated)
            batch = []
        batch.append(item)
    if batch:
        yield from _document_rows(batch, order, model, adjudicated)


def _document_rows(
    batch: list[tuple],
    order: dict[str, int],
    model: dict[str, dict[int, Any]],
    adjudicated: dict[str, dict[int, Any]],
) -> Iterator[dict[str, Any]]:
    batch.sort(key=lambda item: (order.get(item[3], len(order)), item[0]))
    for _, document_id, name, key, coder, value in batch:
        yield {
            "document_id": document_id,
            "document_name": name,
            "variable": key,
            "coder": coder,
            "value": value,
            "model_value": model.get(key, {}).get(document_id),
            "adjudicated_value": adjudicated.get(key, {}).get(document_id),
        }


def _pairs_text(pairs: list[dict] | None) -> str | None:
    """``"a–b: 0.812 (n=20); a–c: ..."``, ``n/a`` for a pair without a kappa (interval
    variables); None without pairs."""
    if pairs is None:
        return None
    return "; ".join(
        f"{pair['coders'][0]}–{pair['coders'][1]}: "
        f"{'n/a' if pair['kappa'] is None else format(pair['kappa'], '.3f')} (n={pair['n']})"
        for pair in pairs
    )


def reliability_rows(report: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``round_reliability``'s report as flat rows (``RELIABILITY_FIELDS``)."""
    rows = []
    for figures in report:
        low, high = figures.get("alpha_ci95") or (None, None)
        versus = figures.get("model_vs_adjudicated") or {}
        rows.append(
            {
                "variable": figures["key"],
                "level": figures["level"],
                "units": figures["units"],
                "coders": list(figures["coders"]),
                "alpha": figures["alpha"],
                "alpha_ci95_low": low,
                "alpha_ci95_high": high,
                "percent_agreement": figures["percent_agreement"],
                "fleiss_kappa": figures["fleiss_kappa"],
                "alpha_with_model": figures["alpha_with_model"],
                "model_vs_adjudicated_agreement": versus.get("agreement"),
                "model_vs_adjudicated_kappa": versus.get("kappa"),
                "model_vs_adjudicated_n": versus.get("n"),
                "kappa_pairs": _pairs_text(figures.get("kappa_pairs")),
            }
        )
    return rows


def _round_reliability_rows(coding_round: CodingRound) -> list[dict[str, Any]]:
    return reliability_rows(rounds.round_reliability(coding_round, draws=DRAWS))


def round_csv(coding_round: CodingRound, what: str) -> bytes:
    """The round's codes (``what="codes"``) or reliability (``"reliability"``) as a UTF-8
    CSV with a byte order mark, cells written as the dataset CSV writes them."""
    if what == "codes":
        fields, rows = CODE_FIELDS, round_long_rows(coding_round)
    elif what == "reliability":
        fields, rows = RELIABILITY_FIELDS, iter(_round_reliability_rows(coding_round))
    else:
        raise ValueError(f"Unknown round file: {what!r}; choose one of {WHAT}.")
    table = ExportTable(
        metadata={},
        codebook=[],
        columns=[Column(name, "text") for name in fields],
        rows=([row[name] for name in fields] for row in rows),
    )
    buffer = io.BytesIO()
    write_csv(table, buffer, bom=True)
    return buffer.getvalue()


def _round_summary(coding_round: CodingRound) -> dict[str, Any]:
    return {
        "id": coding_round.pk,
        "name": coding_round.name,
        "schema_version": coding_round.schema_version.number,
        "blind": coding_round.blind,
        "seed": coding_round.seed,
        "coders": [coder["username"] for coder in rounds.round_coders(coding_round)],
        "units": len(coding_round.documents),
        "variables": list(coding_round.variables),
        "created_at": coding_round.created_at.isoformat(),
        "completed_at": coding_round.completed_at.isoformat()
        if coding_round.completed_at
        else None,
    }


def round_json(coding_round: CodingRound) -> dict[str, Any]:
    """``{round, reliability, codes}``: the round, its reliability rows, its long rows."""
    return {
        "round": _round_summary(coding_round),
        "reliability": _round_reliability_rows(coding_round),
        "codes": list(round_long_rows(coding_round)),
    }


def version_reliability(version: SchemaVersion) -> dict[str, Any] | None:
    """The reliability of the version's latest completed round, for an export's
    metadata: ``{round, completed_at, coders, units, variables}`` (``variables`` as
    ``reliability_rows`` gives them), or None without a completed round (one query)."""
    coding_round = rounds.round_latest_completed(version.pk)
    if coding_round is None:
        return None
    coding_round.schema_version = version  # already read: no query for the variables
    return {
        "round": coding_round.pk,
        "completed_at": coding_round.completed_at.isoformat(),
        "coders": [coder["username"] for coder in rounds.round_coders(coding_round)],
        "units": len(coding_round.documents),
        "variables": _round_reliability_rows(coding_round),
    }
