"""How far people who code the same documents agree, per variable (coding rounds).

Several coders code the same units (a document x a variable). Per variable this module
reports Krippendorff's alpha among the human coders with a bootstrap confidence
interval, the plain percent agreement, Cohen's kappa for every pair of coders, Fleiss'
kappa, alpha again with the model as one more coder, and how often the model agrees
with the adjudicated values. Plain dicts in, plain dicts out; no ORM.

Values are first put in the form their type compares them in (``ValueType.comparable``
in ``schemas.types``: ``" Germany."`` is ``"germany"``, a multi-category is a set), and
the level of measurement follows the type (``LEVELS``):

- nominal (``category``, ``boolean``, ``multi_category`` as whole sets, ``text``,
  ``date``, ``list``): every distinct normalised value is a category of its own.
- interval (``integer``, ``number``): the squared difference of the numbers.

Absent and missing are different things. A coder who answers that the document gives
no value (None, an empty text or list) has given an answer, "absent", which is a
category of its own at the nominal level. A unit missing from a coder's dict was not
coded by them and takes no part in that unit's comparisons. At the interval level
"absent" has no place on the number line, so there it is left out like a missing value
(so is a value that cannot be read as a number); percent agreement and kappa still
count it as an answer.

Alpha comes from the ``krippendorff`` package (``krippendorff.alpha``) on values coded
as numbers (a code per nominal category, the numbers themselves at the interval
level). Version 0.9.0 builds a units x values x values array, which takes a few tenths
of a second for free text with a few hundred distinct values; past ``PACKAGE_MAX_CELLS``
the same alpha is computed in closed form from per-unit sums, the formula the
bootstrap uses, which the tests check against ``krippendorff.alpha`` to 1e-9.

The 95 % interval is a percentile bootstrap over units: ``draws`` resamples (seeded
``numpy.random.default_rng(seed)``) of the units that have at least two pairable
values, drawn with replacement, alpha recomputed for each, the 2.5th and 97.5th
percentiles of the draws reported. Calling the package a thousand times per variable is
too slow for a web request, so each draw is a weighted sum of per-unit quantities,
computed for all draws at once with matrix products:

- per unit ``u``: ``m_u`` pairable values and its observed disagreement
  ``d_u = sum over ordered pairs i != j of delta(v_i, v_j) / (m_u - 1)``; with
  ``n = sum m_u`` over the drawn units, ``alpha = 1 - (n - 1) * sum d_u / E``;
- nominal: ``delta`` is 0 or 1, ``d_u = (m_u^2 - sum_c n_uc^2) / (m_u - 1)`` from the
  value counts ``n_uc``, and ``E = n^2 - sum_c n_c^2`` with ``n_c = sum n_uc``;
- interval: ``delta`` is the squared difference; with the values centred and scaled
  (alpha does not change) and ``s_u``, ``q_u`` the sums of a unit's values and of their
  squares, ``E = 2 (n sum q_u - (sum s_u)^2)``.

A draw whose expected disagreement is zero (one value only) has no alpha and is left
out of the percentiles. The draws depend only on the seed and the number of units (the
units in sorted order), so the same data give the same interval whatever order the
dicts came in.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any, NamedTuple

import krippendorff
import numpy as np

from exports.agreement import cohen_kappa, variable_agreement
from schemas.types import ValueType, value_type

__all__ = [
    "LEVELS",
    "PACKAGE_MAX_CELLS",
    "fleiss_kappa",
    "level_for",
    "variable_reliability",
]

NOMINAL = "nominal"
INTERVAL = "interval"
LEVELS: dict[str, str] = {
    "category": NOMINAL,
    "boolean": NOMINAL,
    "multi_category": NOMINAL,
    "text": NOMINAL,
    "date": NOMINAL,
    "list": NOMINAL,
    "integer": INTERVAL,
    "number": INTERVAL,
}
# Past this many cells of krippendorff 0.9.0's units x values x values array (1.6 MB,
# a few milliseconds; 200 units and 31 values) alpha is computed in closed form instead.
PACKAGE_MAX_CELLS = 200_000
CI_PERCENTILES = (2.5, 97.5)
MODEL = object()  # the model's row among the coders; no coder name can equal it
_ABSENT = object()  # the nominal category "absent"


def level_for(var_type: str) -> str:
    """``"nominal"`` or ``"interval"``: the level of measurement of a variable type."""
    try:
        return LEVELS[var_type]
    except KeyError:
        raise ValueError(f"Unknown variable type {var_type!r}.") from None


def variable_reliability(
    *,
    var_type: str,
    coders: Mapping[str, Mapping[Hashable, Any]],
    model: Mapping[Hashable, Any] | None = None,
    adjudicated: Mapping[Hashable, Any] | None = None,
    draws: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Reliability of one variable among ``coders`` (name -> {unit id -> raw value}).

    Returns ``{level, units, coders, alpha, alpha_ci95, percent_agreement,
    kappa_pairs, fleiss_kappa, alpha_with_model, model_vs_adjudicated}``:

    - ``units``: how many units at least two coders coded; ``coders``: their names.
    - ``alpha``: Krippendorff's alpha, None when undefined (no unit with two pairable
      values, or a single value used throughout); ``alpha_ci95``: ``[lo, hi]`` of the
      bootstrap (module docstring), None with alpha or when ``draws`` is 0.
    - ``percent_agreement``: the share of units coded by at least two coders on which
      every pair of them gives the same value (``ValueType.same`` on the normalised
      values, "absent" agreeing with "absent"); None without such units.
    - ``kappa_pairs``: ``[{coders: [a, b], kappa, n}]`` per pair of coders, over the
      ``n`` units both coded: Cohen's kappa (``exports.agreement.cohen_kappa``) with
      every normalised value a class, "absent" included. None for interval variables,
      where unweighted kappa would count 1999 against 2000 as much a disagreement as
      1999 against 1850 (alpha is the chance-corrected figure there).
    - ``fleiss_kappa``: ``fleiss_kappa`` of the coders' normalised values on the units
      at least two coders coded; None for interval variables and when those units have
      different numbers of coders.
    - ``alpha_with_model``: alpha with ``model`` (unit id -> value) as one more coder;
      None without a model.
    - ``model_vs_adjudicated``: ``{agreement, kappa, n}`` of
      ``exports.agreement.variable_agreement`` over the units having both a model
      value and an adjudicated one (the agreement page's rules, so kappa follows the
      type there); None unless both are given.
    """
    level = level_for(var_type)
    kind = value_type(var_type)
    names = list(coders)
    values = {name: _comparables(kind, coders[name]) for name in names}
    units = _ordered(unit for name in names for unit in values[name])

    data = _reliability_data(level, [values[name] for name in names], units)
    alpha = _alpha(data, level)
    ci = None
    if alpha is not None and draws > 0:
        ci = _alpha_ci(data, level, draws=draws, seed=seed)

    shared = [[values[name][unit] for name in names if unit in values[name]] for unit in units]
    shared = [unit_values for unit_values in shared if len(unit_values) >= 2]
    agreeing = sum(_all_same(kind, unit_values) for unit_values in shared)

    alpha_with_model = None
    if model is not None:
        with_model = {**values, MODEL: _comparables(kind, model)}
        model_units = _ordered([*units, *with_model[MODEL]])
        alpha_with_model = _alpha(
            _reliability_data(level, list(with_model.values()), model_units), level
        )

    return {
        "level": level,
        "units": len(shared),
        "coders": names,
        "alpha": alpha,
        "alpha_ci95": ci,
        "percent_agreement": agreeing / len(shared) if shared else None,
        "kappa_pairs": [
            _kappa_pair(level, a, b, values[a], values[b]) for a, b in combinations(names, 2)
        ],
        "fleiss_kappa": fleiss_kappa(shared) if level == NOMINAL else None,
        "alpha_with_model": alpha_with_model,
        "model_vs_adjudicated": _model_vs_adjudicated(var_type, model, adjudicated),
    }


def fleiss_kappa(ratings: Sequence[Sequence[Hashable]]) -> float | None:
    """Fleiss' kappa of the labels each unit received (one list of labels per unit).

    With ``N`` units, ``n`` ratings per unit and ``n_ij`` the raters giving unit ``i``
    label ``j``: ``P_i = (sum_j n_ij^2 - n) / (n (n - 1))`` is the agreement on unit
    ``i``, ``P = mean_i P_i``, ``p_j = sum_i n_ij / (N n)`` the share of label ``j``,
    ``P_e = sum_j p_j^2`` and ``kappa = (P - P_e) / (1 - P_e)``.

    None when there are no units, when units have different numbers of ratings or
    fewer than two, and when ``P_e`` is 1 (one label only).
    """
    sizes = {len(labels) for labels in ratings}
    if len(sizes) != 1 or (n := sizes.pop()) < 2:
        return None
    codes: dict[Hashable, int] = {}
    labels = np.array([[codes.setdefault(label, len(codes)) for label in row] for row in ratings])
    cells = labels + len(codes) * np.arange(len(ratings))[:, None]
    counts = np.bincount(cells.ravel(), minlength=len(ratings) * len(codes)).astype(float)
    counts = counts.reshape(len(ratings), len(codes))
    agreement = ((counts**2).sum(axis=1) - n) / (n * (n - 1))
    shares = counts.sum(axis=0) / counts.sum()
    chance = float((shares**2).sum())
    if chance >= 1.0:
        return None
    return (float(agreement.mean()) - chance) / (1.0 - chance)


# --- coding values as numbers -------------------------------------------------------------


def _ordered(units: Iterable[Hashable]) -> list[Hashable]:
    """The distinct unit ids, sorted: the bootstrap draws the same units for the same
    data whatever order the dicts came in."""
    distinct = list(dict.fromkeys(units))
    try:
        return sorted(distinct)
    except TypeError:  # ids of mixed types
        return sorted(distinct, key=repr)


def _comparables(kind: ValueType, raw: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
    return {unit: kind.comparable(value) for unit, value in raw.items()}


def _reliability_data(
    level: str, rows: Sequence[Mapping[Hashable, Any]], units: Sequence[Hashable]
) -> np.ndarray:
    """Coders x units, as ``krippendorff.alpha`` takes it: NaN where not coded."""
    data = np.full((len(rows), len(units)), np.nan)
    codes: dict[Any, int] = {}
    for row, values in enumerate(rows):
        for column, unit in enumerate(units):
            if unit not in values:
                continue
            value = values[unit]
            if level == NOMINAL:
                key = _ABSENT if value is None else value
                data[row, column] = codes.setdefault(key, len(codes))
            elif isinstance(value, int | float) and not isinstance(value, bool):
                try:  # absent and unreadable values (a number past a double) stay NaN
                    data[row, column] = float(value)
                except OverflowError:
                    continue
    return data


def _pairable(data: np.ndarray) -> np.ndarray:
    """The columns (units) with at least two values: the only ones alpha counts."""
    return data[:, (~np.isnan(data)).sum(axis=0) >= 2]


# --- alpha ------------------------------------------------------------------------------


def _alpha(data: np.ndarray, level: str) -> float | None:
    data = _pairable(data)
    domain = np.unique(data[~np.isnan(data)])
    if len(domain) < 2:
        return None  # no pairable values, or one value only: D_e is 0
    if data.shape[1] * len(domain) ** 2 <= PACKAGE_MAX_CELLS:
        return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))
    terms = _unit_terms(data, level)
    return float(_alphas(terms, np.ones((1, data.shape[1])))[0])


class _Terms(NamedTuple):
    """Per pairable unit, what alpha over any multiset of units is made of."""

    level: str
    pairable: np.ndarray  # m_u
    disagreement: np.ndarray  # d_u, over ordered pairs
    sums: np.ndarray  # nominal: n_uc per value; interval: [q_u, s_u]


def _unit_terms(data: np.ndarray, level: str) -> _Terms:
    present = ~np.isnan(data)
    m = present.sum(axis=0).astype(float)
    if level == INTERVAL:
        # Centred and scaled: alpha does not change, the sums lose no precision.
        scaled = np.where(present, (data - np.nanmean(data)) / np.nanstd(data), 0.0)
        sums = np.stack([(scaled**2).sum(axis=0), scaled.sum(axis=0)], axis=1)
        # From the differences themselves, so that equal values give exactly 0.
        squares = np.zeros(data.shape[1])
        for i, j in combinations(range(data.shape[0]), 2):
            squares += np.where(present[i] & present[j], (scaled[i] - scaled[j]) ** 2, 0.0)
        disagreement = 2 * squares / (m - 1)
    else:
        codes = np.where(present, data, 0).astype(int)
        units = np.broadcast_to(np.arange(data.shape[1]), data.shape)
        sums = np.zeros((data.shape[1], int(codes.max()) + 1))
        np.add.at(sums, (units[present], codes[present]), 1)
        disagreement = (m**2 - (sums**2).sum(axis=1)) / (m - 1)
    return _Terms(level, m, disagreement, sums)


def _alphas(terms: _Terms, weights: np.ndarray) -> np.ndarray:
    """Alpha for each row of ``weights`` (draws x units: how often each unit is drawn);
    NaN where the expected disagreement is zero."""
    n = weights @ terms.pairable
    observed = weights @ terms.disagreement
    sums = weights @ terms.sums
    if terms.level == INTERVAL:
        squares, totals = sums[:, 0], sums[:, 1]
        expected = 2 * (n * squares - totals**2)
        # One value only in the draw: what is left is rounding noise.
        defined = expected > 1e-12 * n * squares
    else:
        expected = n**2 - (sums**2).sum(axis=1)
        defined = expected > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        alphas = 1.0 - (n - 1) * observed / expected
    return np.where(defined, alphas, np.nan)


def _draw_indices(units: int, *, draws: int, seed: int) -> np.ndarray:
    """Draws x units: the units of each bootstrap sample, drawn with replacement."""
    return np.random.default_rng(seed).integers(0, units, size=(draws, units))


def _weights(indices: np.ndarray, units: int) -> np.ndarray:
    """Draws x units: how many times each unit is in each draw."""
    draws = indices.shape[0]
    flat = (indices + units * np.arange(draws)[:, None]).ravel()
    return np.bincount(flat, minlength=draws * units).reshape(draws, units).astype(float)


@functools.lru_cache(maxsize=4)
def _draw_weights(units: int, *, draws: int, seed: int) -> np.ndarray:
    # The variables of a round mostly have the same number of units, so the same draws:
    # made once (1.6 MB for 1,000 draws of 200 units), read-only since shared.
    weights = _weights(_draw_indices(units, draws=draws, seed=seed), units)
    weights.flags.writeable = False
    return weights


def _alpha_ci(data: np.ndarray, level: str, *, draws: int, seed: int) -> list[float] | None:
    data = _pairable(data)
    weights = _draw_weights(data.shape[1], draws=draws, seed=seed)
    alphas = _alphas(_unit_terms(data, level), weights)
    alphas = alphas[np.isfinite(alphas)]
    if not len(alphas):
        return None
    low, high = np.percentile(alphas, CI_PERCENTILES)
    return [float(low), float(high)]


# --- agreement and kappa ----------------------------------------------------------------


def _all_same(kind: ValueType, values: Sequence[Any]) -> bool:
    # Every pair, not each against the first: numbers agree within a tolerance, which
    # is not transitive.
    return all(kind.same(a, b) for a, b in combinations(values, 2))


def _kappa_pair(
    level: str,
    first: str,
    second: str,
    first_values: Mapping[Hashable, Any],
    second_values: Mapping[Hashable, Any],
) -> dict[str, Any]:
    pairs = [
        (value, second_values[unit])
        for unit, value in first_values.items()
        if unit in second_values
    ]
    kappa = cohen_kappa(pairs) if level == NOMINAL else None
    return {"coders": [first, second], "kappa": kappa, "n": len(pairs)}


def _model_vs_adjudicated(
    var_type: str,
    model: Mapping[Hashable, Any] | None,
    adjudicated: Mapping[Hashable, Any] | None,
) -> dict[str, Any] | None:
    if model is None or adjudicated is None:
        return None
    pairs = [(value, adjudicated[unit]) for unit, value in model.items() if unit in adjudicated]
    result = variable_agreement(var_type=var_type, pairs=pairs)
    return {"agreement": result.agreement, "kappa": result.kappa, "n": result.n_verified}
