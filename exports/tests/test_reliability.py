"""Reliability statistics against the krippendorff package and textbook tables."""

from __future__ import annotations

from fractions import Fraction

import krippendorff
import numpy as np
import pytest

from exports import reliability
from exports.agreement import cohen_kappa
from exports.reliability import (
    LEVELS,
    PACKAGE_MAX_CELLS,
    fleiss_kappa,
    level_for,
    variable_reliability,
)
from schemas.types import TYPES

NAN = np.nan
# Krippendorff's reliability data example (4 coders x 12 units, NaN: not coded), as in
# the krippendorff package's tests and the docstring of krippendorff.alpha.
KRIPPENDORFF_DATA = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)
# What krippendorff 0.9.0 answers on it.
NOMINAL_ALPHA = 0.743421052631579
INTERVAL_ALPHA = 0.8491071428571428


def as_coders(data: np.ndarray) -> dict[str, dict[int, int]]:
    """Rows of reliability data as the coders' dicts: a NaN cell is a unit not coded."""
    return {
        f"coder-{row}": {unit: int(value) for unit, value in enumerate(values) if value == value}
        for row, values in enumerate(data)
    }


def random_data(seed: int, *, coders: int, units: int, values: int) -> np.ndarray:
    """Coders x units mostly agreeing with a true value, some cells not coded."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, values, size=units)
    data = np.where(rng.random((coders, units)) < 0.8, truth, rng.integers(0, values, units))
    return np.where(rng.random((coders, units)) < 0.1, NAN, data.astype(float))


# --- levels -----------------------------------------------------------------------------


def test_every_type_has_a_level():
    assert set(LEVELS) == set(TYPES)
    assert level_for("category") == level_for("text") == level_for("list") == "nominal"
    assert level_for("integer") == level_for("number") == "interval"
    with pytest.raises(ValueError, match="Unknown variable type"):
        level_for("colour")
    with pytest.raises(ValueError, match="Unknown variable type"):
        variable_reliability(var_type="colour", coders={})


# --- alpha against the krippendorff package ---------------------------------------------


@pytest.mark.parametrize(
    ("var_type", "level", "expected"),
    [("category", "nominal", NOMINAL_ALPHA), ("integer", "interval", INTERVAL_ALPHA)],
)
def test_alpha_on_krippendorffs_example(var_type, level, expected):
    reference = krippendorff.alpha(reliability_data=KRIPPENDORFF_DATA, level_of_measurement=level)
    assert reference == pytest.approx(expected, abs=1e-12)
    assert round(expected, 3) == {"nominal": 0.743, "interval": 0.849}[level]

    result = variable_reliability(var_type=var_type, coders=as_coders(KRIPPENDORFF_DATA))

    assert result["level"] == level
    assert abs(result["alpha"] - reference) < 1e-9
    assert result["units"] == 11  # the last unit has one coder only
    assert result["coders"] == ["coder-0", "coder-1", "coder-2", "coder-3"]


@pytest.mark.parametrize("level", ["nominal", "interval"])
@pytest.mark.parametrize(
    "data",
    [
        KRIPPENDORFF_DATA,
        random_data(1, coders=3, units=60, values=5),
        random_data(2, coders=5, units=200, values=150),
    ],
    ids=["krippendorff", "small", "many-values"],
)
def test_closed_form_equals_the_package(level, data):
    pairable = reliability._pairable(data)
    terms = reliability._unit_terms(pairable, level)
    ours = reliability._alphas(terms, np.ones((1, pairable.shape[1])))[0]
    reference = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert abs(ours - reference) < 1e-9


@pytest.mark.parametrize("level", ["nominal", "interval"])
@pytest.mark.parametrize(
    "data",
    [KRIPPENDORFF_DATA, random_data(3, coders=4, units=80, values=7)],
    ids=["krippendorff", "random"],
)
def test_each_bootstrap_draw_equals_the_package_on_the_resampled_units(level, data):
    pairable = reliability._pairable(data)
    units = pairable.shape[1]
    indices = reliability._draw_indices(units, draws=6, seed=11)
    alphas = reliability._alphas(
        reliability._unit_terms(pairable, level), reliability._weights(indices, units)
    )
    for draw, alpha in zip(indices, alphas, strict=True):
        reference = krippendorff.alpha(
            reliability_data=pairable[:, draw], level_of_measurement=level
        )
        assert abs(alpha - reference) < 1e-9


def test_many_values_take_the_closed_form_with_the_same_answer():
    # 200 units of free text with ~150 distinct values: past the package's budget.
    data = random_data(4, coders=3, units=200, values=150)
    assert 200 * len(np.unique(data[~np.isnan(data)])) ** 2 > PACKAGE_MAX_CELLS
    coders = {
        name: {unit: f"Answer {code:.0f}" for unit, code in values.items()}
        for name, values in as_coders(data).items()
    }
    result = variable_reliability(var_type="text", coders=coders, draws=0)
    reference = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert abs(result["alpha"] - reference) < 1e-9


# --- what counts as the same value, absent and missing ----------------------------------


@pytest.mark.parametrize(
    ("var_type", "first", "second"),
    [
        ("text", [" Germany.", "France", None], ["germany", "FRANCE!", None]),
        ("multi_category", [["a", "b"], ["c"], []], [["B", "a", "a"], ["c"], None]),
        ("list", [["x", "y"], ["z"], None], [["Y", " x"], ["z."], []]),
        ("category", ["Support", "oppose", "neutral"], ["support", "Oppose", "neutral"]),
        ("boolean", [True, "no", None], ["yes", False, None]),
        ("date", ["2024-1-5", "2020", "2021-03"], ["2024-01-05", "2020", "2021-03"]),
        ("integer", [12, "1200", 7], [12.0, 1200, "7"]),
        ("number", ["12.50", 0.1, 3], [12.5, 0.1, 3.0]),
    ],
)
def test_perfect_agreement_after_normalisation_is_one(var_type, first, second):
    coders = {"a": dict(enumerate(first)), "b": dict(enumerate(second))}
    result = variable_reliability(var_type=var_type, coders=coders, draws=200)
    assert result["alpha"] == 1.0
    assert result["alpha_ci95"] == [1.0, 1.0]
    assert result["percent_agreement"] == 1.0


def test_absent_is_an_answer_and_missing_is_not():
    # Coder a says unit 2 gives no value, coder b gives one: a disagreement...
    answered = variable_reliability(
        var_type="category",
        coders={"a": {0: "x", 1: "y", 2: None, 3: "x"}, "b": {0: "x", 1: "y", 2: "x", 3: "x"}},
    )
    # ...the same as the package on codes x=0, y=1, absent=2.
    reference = krippendorff.alpha(
        reliability_data=[[0, 1, 2, 0], [0, 1, 0, 0]], level_of_measurement="nominal"
    )
    assert abs(answered["alpha"] - reference) < 1e-9
    assert answered["alpha"] < 1.0
    assert answered["percent_agreement"] == 0.75
    assert answered["kappa_pairs"][0]["n"] == 4

    # Coder a did not code unit 2: nothing to disagree about.
    missing = variable_reliability(
        var_type="category",
        coders={"a": {0: "x", 1: "y", 3: "x"}, "b": {0: "x", 1: "y", 2: "x", 3: "x"}},
    )
    assert missing["alpha"] == 1.0
    assert missing["units"] == 3
    assert missing["percent_agreement"] == 1.0
    assert missing["kappa_pairs"] == [{"coders": ["a", "b"], "kappa": 1.0, "n": 3}]

    # Both say absent: they agree, absent being a category like any other.
    both_absent = variable_reliability(
        var_type="category",
        coders={"a": {0: "x", 1: "y", 2: None}, "b": {0: "x", 1: "y", 2: " "}},
    )
    assert both_absent["alpha"] == 1.0


def test_absent_is_left_out_at_the_interval_level():
    result = variable_reliability(
        var_type="integer",
        coders={"a": {0: 1, 1: 2, 2: None, 3: 4}, "b": {0: 1, 1: 2, 2: 5, 3: 4}},
    )
    assert result["alpha"] == 1.0  # unit 2 has one number only
    assert result["percent_agreement"] == 0.75  # but the answers differ there
    assert result["kappa_pairs"] == [{"coders": ["a", "b"], "kappa": None, "n": 4}]
    assert result["fleiss_kappa"] is None


def test_multi_category_sets_are_nominal_values():
    coders = {
        "a": {0: ["trade", "water"], 1: ["health"], 2: ["trade"], 3: None},
        "b": {0: ["Water", "trade"], 1: ["health", "trade"], 2: ["trade"], 3: []},
    }
    result = variable_reliability(var_type="multi_category", coders=coders)
    # Sets {trade, water}=0, {health}=1, {trade}=2, absent=3, {health, trade}=4.
    reference = krippendorff.alpha(
        reliability_data=[[0, 1, 2, 3], [0, 4, 2, 3]], level_of_measurement="nominal"
    )
    assert abs(result["alpha"] - reference) < 1e-9
    assert result["percent_agreement"] == 0.75


def test_numbers_agree_within_the_types_tolerance():
    result = variable_reliability(
        var_type="number",
        coders={"a": {0: 12.5, 1: 1.0, 2: 3.0}, "b": {0: "12.50", 1: 1.0000000001, 2: 4.0}},
    )
    assert result["percent_agreement"] == pytest.approx(2 / 3)


# --- kappas -----------------------------------------------------------------------------


def test_kappa_pairs_are_cohens_kappa_on_the_shared_units():
    coders = {
        "a": {0: "x", 1: "y", 2: "y", 3: "x", 4: None},
        "b": {0: "x", 1: "y", 2: "x", 3: "x", 4: None, 5: "y"},
        "c": {0: "X", 1: "y", 2: "y", 5: "y"},
    }
    result = variable_reliability(var_type="category", coders=coders)
    assert result["kappa_pairs"] == [
        {
            "coders": ["a", "b"],
            "kappa": cohen_kappa([("x", "x"), ("y", "y"), ("y", "x"), ("x", "x"), (None, None)]),
            "n": 5,
        },
        {"coders": ["a", "c"], "kappa": 1.0, "n": 3},
        {
            "coders": ["b", "c"],
            "kappa": cohen_kappa([("x", "x"), ("y", "y"), ("x", "y"), ("y", "y")]),
            "n": 4,
        },
    ]
    assert result["fleiss_kappa"] is None  # units have 2 or 3 coders


# Fleiss (1971), as on Wikipedia's "Fleiss' kappa" page: 10 subjects, 14 raters, 5
# categories; each row is how many raters put the subject in each category.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_fleiss_kappa_on_the_textbook_table():
    ratings = [
        [category for category, count in enumerate(row) for _ in range(count)]
        for row in FLEISS_TABLE
    ]
    # By hand, in exact fractions: P_i, their mean, the category shares p_j, P_e.
    raters, subjects = 14, len(FLEISS_TABLE)
    mean_agreement = (
        sum(
            Fraction(sum(count * count for count in row) - raters, raters * (raters - 1))
            for row in FLEISS_TABLE
        )
        / subjects
    )
    shares = [
        Fraction(sum(column), raters * subjects) for column in zip(*FLEISS_TABLE, strict=True)
    ]
    chance = sum(share * share for share in shares)
    expected = (mean_agreement - chance) / (1 - chance)
    assert round(float(mean_agreement), 3) == 0.378
    assert round(float(chance), 3) == 0.213

    kappa = fleiss_kappa(ratings)

    assert abs(kappa - float(expected)) < 1e-12
    assert round(kappa, 3) == 0.210


def test_fleiss_kappa_none_cases():
    assert fleiss_kappa([]) is None
    assert fleiss_kappa([["a", "b"], ["a", "a", "b"]]) is None  # 2 and 3 raters
    assert fleiss_kappa([["a"], ["b"]]) is None  # one rater
    assert fleiss_kappa([["a", "a"], ["a", "a"]]) is None  # one category: P_e = 1
    assert fleiss_kappa([["a", "a"], ["b", "b"]]) == 1.0


def test_fleiss_kappa_through_variable_reliability():
    coders = {
        name: {
            unit: category for unit, category in enumerate(["p", "q", "p", "r", "q", "p"]) if keep
        }
        for name, keep in [("a", True), ("b", True), ("c", True)]
    }
    coders["c"][2] = "q"
    result = variable_reliability(var_type="category", coders=coders)
    ratings = [[coders[name][unit] for name in "abc"] for unit in range(6)]
    assert result["fleiss_kappa"] == fleiss_kappa(ratings)
    assert 0 < result["fleiss_kappa"] < 1


# --- the bootstrap interval -------------------------------------------------------------


def test_the_interval_is_seeded():
    coders = as_coders(random_data(5, coders=3, units=100, values=4))
    first = variable_reliability(var_type="category", coders=coders, seed=7)
    again = variable_reliability(var_type="category", coders=coders, seed=7)
    other = variable_reliability(var_type="category", coders=coders, seed=8)

    assert first["alpha_ci95"] == again["alpha_ci95"]
    assert first["alpha_ci95"] != other["alpha_ci95"]
    low, high = first["alpha_ci95"]
    assert low < first["alpha"] < high
    assert high - low < 0.4


def test_the_interval_is_the_percentiles_of_the_draws():
    data = random_data(6, coders=3, units=50, values=6)
    result = variable_reliability(var_type="integer", coders=as_coders(data), draws=300, seed=3)
    pairable = reliability._pairable(data)
    indices = reliability._draw_indices(pairable.shape[1], draws=300, seed=3)
    alphas = [
        krippendorff.alpha(reliability_data=pairable[:, draw], level_of_measurement="interval")
        for draw in indices
    ]
    assert result["alpha_ci95"] == pytest.approx(np.percentile(alphas, [2.5, 97.5]), abs=1e-9)


# --- the model --------------------------------------------------------------------------


def test_alpha_with_the_model_as_one_more_coder():
    coders = as_coders(KRIPPENDORFF_DATA)
    model = {0: 1, 1: 2, 2: 3, 3: 3, 4: 2, 5: 1, 6: 4, 7: 1, 8: 2, 9: 5, 11: 3, 12: 2}
    adjudicated = {0: 1, 1: 2, 2: 3, 3: 3, 4: 2, 5: 2, 6: 4, 7: 1, 8: 2, 9: 5, 10: 1}

    result = variable_reliability(
        var_type="integer", coders=coders, model=model, adjudicated=adjudicated
    )

    # Unit 12 only the model coded: a column of its own.
    model_row = [model.get(unit, NAN) for unit in range(13)]
    data = np.vstack([np.pad(KRIPPENDORFF_DATA, ((0, 0), (0, 1)), constant_values=NAN), model_row])
    reference = krippendorff.alpha(reliability_data=data, level_of_measurement="interval")
    assert abs(result["alpha_with_model"] - reference) < 1e-9
    assert abs(result["alpha"] - INTERVAL_ALPHA) < 1e-9  # the humans' alpha is unchanged
    # Units 0-9 have both values; unit 5 differs (1 against 2); integers have no kappa.
    assert result["model_vs_adjudicated"] == {"agreement": 0.9, "kappa": None, "n": 10}


def test_model_vs_adjudicated_kappa_follows_the_agreement_page():
    result = variable_reliability(
        var_type="boolean",
        coders={"a": {0: True, 1: False}, "b": {0: True, 1: False}},
        model={0: "yes", 1: True, 2: False},
        adjudicated={0: True, 1: False, 2: False, 3: True},
    )
    assert result["model_vs_adjudicated"] == {
        "agreement": pytest.approx(2 / 3),
        "kappa": cohen_kappa([(True, True), (True, False), (False, False)]),
        "n": 3,
    }


# --- when there is nothing to say -------------------------------------------------------


def test_none_cases():
    one_coder = variable_reliability(var_type="text", coders={"a": {0: "x", 1: "y"}})
    assert one_coder["alpha"] is None
    assert one_coder["alpha_ci95"] is None
    assert one_coder["percent_agreement"] is None
    assert one_coder["units"] == 0
    assert one_coder["kappa_pairs"] == []
    assert one_coder["fleiss_kappa"] is None
    assert one_coder["alpha_with_model"] is None
    assert one_coder["model_vs_adjudicated"] is None

    no_overlap = variable_reliability(var_type="text", coders={"a": {0: "x"}, "b": {1: "x"}})
    assert no_overlap["alpha"] is None
    assert no_overlap["kappa_pairs"] == [{"coders": ["a", "b"], "kappa": None, "n": 0}]

    # Everyone gives the same single value: no expected disagreement, so no alpha,
    # although the agreement is perfect.
    one_value = variable_reliability(
        var_type="boolean", coders={"a": {0: True, 1: True}, "b": {0: "yes", 1: True}}
    )
    assert one_value["alpha"] is None
    assert one_value["alpha_ci95"] is None
    assert one_value["percent_agreement"] == 1.0
    assert one_value["kappa_pairs"][0]["kappa"] is None
    assert one_value["fleiss_kappa"] is None

    # At the interval level absent is left out: no unit has two numbers.
    interval_absent = variable_reliability(
        var_type="number", coders={"a": {0: None, 1: 2.0}, "b": {0: 5.0, 1: None}}
    )
    assert interval_absent["alpha"] is None
    assert interval_absent["percent_agreement"] == 0.0


def test_no_draws_no_interval():
    result = variable_reliability(var_type="integer", coders=as_coders(KRIPPENDORFF_DATA), draws=0)
    assert result["alpha"] is not None
    assert result["alpha_ci95"] is None
