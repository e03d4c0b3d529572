"""How often the model agrees with the people who checked it, per variable (step 5).

Only reviewed values count: an extraction a person verified or corrected. The person's
answer is their correction where they made one, else the model's value they confirmed.

Values are normalised by variable type before they are compared, so that formatting
differences a researcher would not call a disagreement do not count as one:

- ``text``, ``category``: Unicode NFKC, case folded, runs of whitespace collapsed,
  punctuation stripped at both ends (``"  Germany."`` equals ``"germany"``).
- ``number``: numeric equality within a relative tolerance of 1e-6 (``"12.50"`` and
  ``12.5`` agree); ``integer``: exact integer equality (``12`` and ``12.0`` agree).
- ``date``: the same ISO 8601 string, zero-padded (``"2024-1-5"`` is ``"2024-01-05"``);
  a partial date only equals the same partial date.
- ``boolean``: ``True``/``False``, also from ``"yes"``/``"no"``/``"true"``/``"1"``...
- ``multi_category``, ``list``: sets of normalised texts (order and repeats ignored).

A value that cannot be read as its type falls back to the text rule. Empty text and an
empty list are "absent", like None, and absent equals absent: the model and the person
both say the document does not give a value.

Cohen's kappa, the agreement corrected for chance, is computed for ``boolean`` and
``category`` variables from the confusion table of normalised values, "absent" being a
class of its own. It is None when nothing was reviewed and when chance agreement is
already 1 (both sides used one and the same class only): kappa is undefined there,
while the plain agreement is still 1.0. For ``multi_category`` it is the mean of one
present/absent kappa per category that either side used (categories where that kappa
is undefined are left out; None if all are). Other types have no kappa: chance
agreement means little for free text and numbers.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from statistics import fmean
from typing import Any

VARIABLE_TYPES = frozenset(
    {"text", "integer", "number", "boolean", "date", "category", "multi_category", "list"}
)
KAPPA_TYPES = frozenset({"boolean", "category", "multi_category"})
NUMBER_REL_TOL = 1e-6
NUMBER_ABS_TOL = 1e-12

_TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
_FALSE_WORDS = frozenset({"false", "no", "n", "0"})
_DATE_RE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True, slots=True)
class AgreementResult:
    """Agreement on one variable. ``agreement`` and ``kappa`` are None when undefined."""

    n_verified: int
    n_agree: int
    agreement: float | None
    kappa: float | None


def variable_agreement(*, var_type: str, pairs: Sequence[tuple[Any, Any]]) -> AgreementResult:
    """Agreement and (where it means something) kappa over (model, human) value pairs."""
    if var_type not in VARIABLE_TYPES:
        raise ValueError(f"Unknown variable type {var_type!r}.")
    normalised = [
        (normalise_value(var_type, model), normalise_value(var_type, human))
        for model, human in pairs
    ]
    if not normalised:
        return AgreementResult(n_verified=0, n_agree=0, agreement=None, kappa=None)
    n_agree = sum(_same(var_type, model, human) for model, human in normalised)
    return AgreementResult(
        n_verified=len(normalised),
        n_agree=n_agree,
        agreement=n_agree / len(normalised),
        kappa=_kappa(var_type, normalised),
    )


def agreement_summary(
    *, variables: Sequence[Mapping[str, Any]], extractions: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Per variable, in schema order: ``{key, n_verified, n_agree, agreement, kappa}``.

    ``variables`` are the schema version's variable dicts (``key``, ``type``);
    ``extractions`` are mappings with ``variable_key``, ``value``, ``human_value``,
    ``verified`` and ``corrected`` (what ``.values(...)`` on a queryset yields).
    Extractions of keys outside ``variables`` are ignored.
    """
    pairs: dict[str, list[tuple[Any, Any]]] = {variable["key"]: [] for variable in variables}
    for extraction in extractions:
        reviewed = pairs.get(extraction["variable_key"])
        if reviewed is None or not (extraction.get("verified") or extraction.get("corrected")):
            continue
        model = extraction.get("value")
        human = extraction.get("human_value") if extraction.get("corrected") else model
        reviewed.append((model, human))
    return [
        {
            "key": variable["key"],
            **asdict(variable_agreement(var_type=variable["type"], pairs=pairs[variable["key"]])),
        }
        for variable in variables
    ]


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


# --- normalisation --------------------------------------------------------------------


def normalise_value(var_type: str, value: Any) -> Any:
    """The comparable form of a value for its type; None means "absent"."""
    if value is None:
        return None
    if var_type in {"multi_category", "list"}:
        return _normalise_set(value)
    if var_type == "number":
        return _normalise_number(value)
    if var_type == "integer":
        return _normalise_integer(value)
    if var_type == "boolean":
        return _normalise_boolean(value)
    if var_type == "date":
        return _normalise_date(value)
    return normalise_text(value)


def normalise_text(value: Any) -> str | None:
    """NFKC, case folded, whitespace collapsed, punctuation stripped at the ends."""
    if value is None:
        return None
    return _normalised(value if isinstance(value, str) else str(value))


@functools.lru_cache(maxsize=4096)
def _normalised(text: str) -> str | None:
    # Cached: reviewed values repeat (categories, years, names) across documents.
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    text = " ".join(text.split())
    start, end = 0, len(text)
    while start < end and _is_edge_noise(text[start]):
        start += 1
    while end > start and _is_edge_noise(text[end - 1]):
        end -= 1
    return text[start:end] or None


def _is_edge_noise(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


def _normalise_number(value: Any) -> Any:
    if isinstance(value, bool):
        return normalise_text(value)
    if isinstance(value, int | float | Decimal):
        number = float(value)
        return number if not math.isnan(number) else None
    if isinstance(value, str):
        try:
            return _normalise_number(float(value.strip()))
        except ValueError:
            pass
    return normalise_text(value)


def _normalise_integer(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # not through float: big integers would lose digits
    number = _normalise_number(value)
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def _normalise_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = normalise_text(value)
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    return text


def _normalise_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    match = _DATE_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return normalise_text(value)
    year, month, day = match.groups()
    parts = [year] + [f"{int(part):02d}" for part in (month, day) if part is not None]
    return "-".join(parts)


def _normalise_set(value: Any) -> frozenset[str] | None:
    items = value if isinstance(value, list | tuple | set | frozenset) else [value]
    normalised = frozenset(text for item in items if (text := normalise_text(item)) is not None)
    return normalised or None


# --- comparison -------------------------------------------------------------------------


def _same(var_type: str, model: Any, human: Any) -> bool:
    if var_type == "number" and isinstance(model, float) and isinstance(human, float):
        return math.isclose(model, human, rel_tol=NUMBER_REL_TOL, abs_tol=NUMBER_ABS_TOL)
    return model == human


def _kappa(var_type: str, normalised: list[tuple[Any, Any]]) -> float | None:
    if var_type not in KAPPA_TYPES:
        return None
    if var_type == "multi_category":
        return _multi_category_kappa(normalised)
    return cohen_kappa(normalised)


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
