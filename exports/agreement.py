"""How often the model agrees with the people who checked it, per variable (step 5).

Only reviewed values count: an extraction a person verified or corrected. The person's
answer is their correction where they made one, else the model's value they confirmed.

Values are compared in the form their type gives them (``ValueType.comparable`` and
``ValueType.same`` in ``schemas.types``), so that formatting differences a researcher
would not call a disagreement do not count as one:

- ``text``, ``category``: Unicode NFKC, case folded, runs of whitespace collapsed,
  punctuation stripped at both ends (``"  Germany."`` equals ``"germany"``).
- ``number``: numeric equality within a relative tolerance of 1e-6 (``"12.50"`` and
  ``12.5`` agree); ``integer``: exact integer equality (``12`` and ``12.0`` agree).
- ``date``: the same ISO 8601 string, zero-padded (``"2024-1-5"`` is ``"2024-01-05"``);
  a partial date only equals the same partial date.
- ``boolean``: ``True``/``False``, also from the yes/no words validation reads.
- ``multi_category``, ``list``: sets of normalised texts (order and repeats ignored).

A value that cannot be read as its type falls back to the text rule. Empty text and an
empty list are "absent", like None, and absent equals absent: the model and the person
both say the document does not give a value.

Cohen's kappa, the agreement corrected for chance, is computed for the types whose
``kappa`` is ``classes`` (``boolean`` and ``category``) from the confusion table of
normalised values, "absent" being a class of its own. It is None when nothing was
reviewed and when chance agreement is already 1 (both sides used one and the same class
only): kappa is undefined there, while the plain agreement is still 1.0. For
``per_category`` (``multi_category``) it is the mean of one present/absent kappa per
category that either side used (categories where that kappa is undefined are left out;
None if all are). Other types have no kappa: chance agreement means little for free
text and numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from statistics import fmean
from typing import Any

from schemas.types import ValueType, normalise_text, value_type

__all__ = [
    "AgreementResult",
    "agreement_summary",
    "cohen_kappa",
    "human_answer",
    "is_reviewed",
    "normalise_text",
    "normalise_value",
    "variable_agreement",
]


@dataclass(frozen=True, slots=True)
class AgreementResult:
    """Agreement on one variable. ``agreement`` and ``kappa`` are None when undefined."""

    n_verified: int
    n_agree: int
    agreement: float | None
    kappa: float | None


def variable_agreement(*, var_type: str, pairs: Sequence[tuple[Any, Any]]) -> AgreementResult:
    """Agreement and (where it means something) kappa over (model, human) value pairs."""
    kind = _type(var_type)
    normalised = [(kind.comparable(model), kind.comparable(human)) for model, human in pairs]
    if not normalised:
        return AgreementResult(n_verified=0, n_agree=0, agreement=None, kappa=None)
    n_agree = sum(kind.same(model, human) for model, human in normalised)
    return AgreementResult(
        n_verified=len(normalised),
        n_agree=n_agree,
        agreement=n_agree / len(normalised),
        kappa=_kappa(kind, normalised),
    )


def _type(var_type: str) -> ValueType:
    try:
        return value_type(var_type)
    except ValueError:
        raise ValueError(f"Unknown variable type {var_type!r}.") from None


def agreement_summary(
    *, variables: Sequence[Mapping[str, Any]], extractions: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Per variable, in schema order: ``{key, n_verified, n_agree, agreement, kappa}``.

    ``variables`` are the schema version's variable dicts (``key``, ``type``);
    ``extractions`` are mappings with ``variable_key``, ``value``, ``human_value``,
    ``verified`` and ``corrected`` (what ``.values(...)`` on a queryset yields), and
    optionally ``blind_entered`` and ``blind_value``: a person's answer given before
    they saw the model's is what counts for that value, whatever they decided after.
    Extractions of keys outside ``variables`` are ignored.
    """
    pairs: dict[str, list[tuple[Any, Any]]] = {variable["key"]: [] for variable in variables}
    for extraction in extractions:
        reviewed = pairs.get(extraction["variable_key"])
        if reviewed is None or not is_reviewed(extraction):
            continue
        reviewed.append((extraction.get("value"), human_answer(extraction)))
    return [
        {
            "key": variable["key"],
            **asdict(variable_agreement(var_type=variable["type"], pairs=pairs[variable["key"]])),
        }
        for variable in variables
    ]


def is_reviewed(extraction: Mapping[str, Any]) -> bool:
    """A person verified or corrected the value: only those count as their answer."""
    return bool(extraction.get("verified") or extraction.get("corrected"))


def human_answer(extraction: Mapping[str, Any]) -> Any:
    """The person's answer on a reviewed value (a mapping of an extraction's fields).

    Their blind entry where they made one, since it was given before they saw the
    model's and so is not swayed by it; else their correction; else the model's value
    they verified.
    """
    if extraction.get("blind_entered"):
        return extraction.get("blind_value")
    if extraction.get("corrected"):
        return extraction.get("human_value")
    return extraction.get("value")


def cohen_kappa(pairs: Iterable[tuple[Hashable, Hashable]]) -> float | None:
    """Cohen's kappa of two raters' labels: (p_o - p_e) / (1 - p_e).

    Computed on counts, (n * agree - S) / (n^2 - S) with S the sum over classes of the
    two raters' marginal counts multiplied, so perfect agreement gives exactly 1.0.
    None when there are no pairs or p_e is 1 (one class only, on both sides).
    """
    n = agree = 0
    first: Counter[Hashable] = Counter()
    second: Counter[Hashable] = Counter()
    for a, b in pairs:
        n += 1
        agree += a == b
        first[a] += 1
        second[b] += 1
    chance = sum(count * second[label] for label, count in first.items())
    if n == 0 or chance == n * n:
        return None
    return (agree * n - chance) / (n * n - chance)


# --- normalisation and kappa -------------------------------------------------------------


def normalise_value(var_type: str, value: Any) -> Any:
    """The comparable form of a value for its type; None means "absent"."""
    return _type(var_type).comparable(value)


def _kappa(kind: ValueType, normalised: list[tuple[Any, Any]]) -> float | None:
    if kind.kappa == "per_category":
        return _multi_category_kappa(normalised)
    if kind.kappa == "classes":
        return cohen_kappa(normalised)
    return None


def _multi_category_kappa(normalised: list[tuple[Any, Any]]) -> float | None:
    """Mean of the per-category present/absent kappas that are defined."""
    sets = [(model or frozenset(), human or frozenset()) for model, human in normalised]
    categories = sorted(set().union(*(model | human for model, human in sets)))
    kappas = [
        cohen_kappa((category in model, category in human) for model, human in sets)
        for category in categories
    ]
    defined = [kappa for kappa in kappas if kappa is not None]
    return fmean(defined) if defined else None
