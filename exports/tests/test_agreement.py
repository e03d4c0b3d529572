"""Agreement and Cohen's kappa against tables worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from exports.agreement import (
    AgreementResult,
    agreement_summary,
    cohen_kappa,
    normalise_text,
    variable_agreement,
)


def table(cells: dict[tuple, int]) -> list[tuple]:
    """Expand a confusion table {(model, human): count} into pairs."""
    return [pair for pair, count in cells.items() for _ in range(count)]


# --- kappa on known tables ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("yes_yes", "yes_no", "no_yes", "no_no", "agreement", "kappa"),
    [
        # p_o = 35/50 = .70; p_e = .5 * .6 + .5 * .4 = .50; kappa = .20 / .50
        (20, 5, 10, 15, 0.70, 0.4),
        # p_o = .60; p_e = .6 * .7 + .4 * .3 = .54; kappa = .06 / .46 = 3/23
        (45, 15, 25, 15, 0.60, 3 / 23),
        # p_o = .60; p_e = .6 * .3 + .4 * .7 = .46; kappa = .14 / .54 = 7/27
        (25, 35, 5, 35, 0.60, 7 / 27),
    ],
)
def test_boolean_kappa_on_two_by_two_tables(yes_yes, yes_no, no_yes, no_no, agreement, kappa):
    pairs = table(
        {(True, True): yes_yes, (True, False): yes_no, (False, True): no_yes, (False, False): no_no}
    )
    result = variable_agreement(var_type="boolean", pairs=pairs)
    assert result.n_verified == yes_yes + yes_no + no_yes + no_no
    assert result.n_agree == yes_yes + no_no
    assert result.agreement == pytest.approx(agreement)
    assert result.kappa == pytest.approx(kappa)


def test_category_kappa_on_a_three_by_three_table():
    # p_o = 7/10; marginals a 4/4, b 4/4, c 2/2; p_e = (16 + 16 + 4) / 100 = .36;
    # kappa = (.70 - .36) / .64 = 17/32
    pairs = table(
        {
            ("a", "a"): 3,
            ("b", "b"): 3,
            ("c", "c"): 1,
            ("a", "b"): 1,
            ("b", "c"): 1,
            ("c", "a"): 1,
        }
    )
    result = variable_agreement(var_type="category", pairs=pairs)
    assert result == AgreementResult(n_verified=10, n_agree=7, agreement=0.7, kappa=17 / 32)


def test_null_is_a_class_of_its_own():
    # p_o = 4/5; model None 2, True 2, False 1; human None 3, True 2, False 0;
    # S = 2*3 + 2*2 + 1*0 = 10; kappa = (4*5 - 10) / (25 - 10) = 2/3
    pairs = table({(None, None): 2, (True, True): 2, (False, None): 1})
    result = variable_agreement(var_type="boolean", pairs=pairs)
    assert result.n_agree == 4
    assert result.agreement == pytest.approx(0.8)
    assert result.kappa == pytest.approx(2 / 3)


def test_both_absent_counts_as_agreement():
    result = variable_agreement(var_type="text", pairs=[(None, None), ("", None), ("  ", "")])
    assert result.n_agree == 3


def test_nothing_verified():
    result = variable_agreement(var_type="category", pairs=[])
    assert result == AgreementResult(n_verified=0, n_agree=0, agreement=None, kappa=None)


def test_one_class_only_has_no_kappa():
    result = variable_agreement(var_type="boolean", pairs=[(True, True)] * 5)
    assert result == AgreementResult(n_verified=5, n_agree=5, agreement=1.0, kappa=None)


def test_perfect_agreement_on_several_classes_is_exactly_one():
    pairs = [("a", "a"), ("b", "b"), ("c", "c")] * 7
    result = variable_agreement(var_type="category", pairs=pairs)
    assert result.agreement == 1.0
    assert result.kappa == 1.0


def test_complete_disagreement_on_one_class_each():
    result = variable_agreement(var_type="boolean", pairs=[(True, False)] * 4)
    assert result.agreement == 0.0
    assert result.kappa == 0.0


def test_cohen_kappa_of_nothing_is_none():
    assert cohen_kappa([]) is None


@pytest.mark.parametrize("var_type", ["text", "integer", "number", "date", "list"])
def test_no_kappa_for_other_types(var_type):
    assert variable_agreement(var_type=var_type, pairs=[("1", "1"), ("2", "3")]).kappa is None


def test_unknown_type_is_an_error():
    with pytest.raises(ValueError, match="Unknown variable type"):
        variable_agreement(var_type="blob", pairs=[])


# --- multi_category ----------------------------------------------------------------------


def test_multi_category_kappa_is_the_mean_of_per_category_kappas():
    # x: present (T, T, F, F) on both sides -> kappa 1.
    # y: model (F, T, F, T), human (F, F, T, T): p_o = .5, p_e = .5 -> kappa 0.
    # z: present everywhere on both sides -> undefined, left out. Mean: 0.5.
    pairs = [
        (["x", "z"], ["x", "z"]),
        (["x", "y", "z"], ["x", "z"]),
        (["z"], ["y", "z"]),
        (["y", "z"], ["Y", "z"]),
    ]
    result = variable_agreement(var_type="multi_category", pairs=pairs)
    assert result.n_agree == 2
    assert result.agreement == 0.5
    assert result.kappa == pytest.approx(0.5)


def test_multi_category_kappa_none_when_no_category_varies():
    result = variable_agreement(var_type="multi_category", pairs=[(["a"], ["a"])] * 3)
    assert result.agreement == 1.0
    assert result.kappa is None


def test_multi_category_absent_and_empty_are_the_same():
    result = variable_agreement(var_type="multi_category", pairs=[(None, []), ([], None)])
    assert result.n_agree == 2
    assert result.kappa is None


# --- normalisation by type ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("var_type", "model", "human"),
    [
        ("text", "  Germany.", "germany"),
        ("text", "Ｇｅｒｍａｎｙ", "Germany"),  # fullwidth, NFKC
        ("text", "Straße", "STRASSE"),  # case folding, not lowercasing
        ("text", "New \n  York", "new york"),
        ("text", "«Paris»", "paris"),
        ("category", "For", "for"),
        ("number", 12.5, "12.50"),
        ("number", 0.1 + 0.2, 0.3),
        ("number", 1_000_000, 1_000_000.0001),
        ("integer", 12, 12.0),
        ("integer", "12", 12),
        ("date", "2024-1-5", "2024-01-05"),
        ("date", dt.date(2024, 1, 5), "2024-01-05"),
        ("date", "2024", " 2024 "),
        ("boolean", "yes", True),
        ("boolean", "No", False),
        ("boolean", 1, True),
        ("list", ["a", "b"], ["B", "a", "a"]),
        ("list", [], None),
        ("multi_category", ["For"], "for"),
    ],
)
def test_values_that_agree(var_type, model, human):
    assert variable_agreement(var_type=var_type, pairs=[(model, human)]).n_agree == 1


@pytest.mark.parametrize(
    ("var_type", "model", "human"),
    [
        ("text", "U.S.A", "USA"),  # punctuation inside is kept
        ("text", "Germany", None),
        ("number", 100, 100.001),
        ("number", 0.0, 1e-9),
        ("integer", 12, 13),
        ("integer", 2**60, 2**60 + 1),
        ("integer", 12, 12.5),
        ("date", "2024", "2024-01-01"),
        ("boolean", True, None),
        ("boolean", True, False),
        ("list", ["a"], ["a", "b"]),
        ("category", "for", "against"),
    ],
)
def test_values_that_disagree(var_type, model, human):
    assert variable_agreement(var_type=var_type, pairs=[(model, human)]).n_agree == 0


def test_normalise_text_empty_is_absent():
    assert normalise_text(" .,; ") is None


# --- summary -----------------------------------------------------------------------------


def test_agreement_summary_uses_reviewed_values_in_schema_order():
    variables = [{"key": "stance", "type": "category"}, {"key": "year", "type": "integer"}]
    extractions = [
        # verified: the person confirmed the model's value
        {"variable_key": "stance", "value": "for", "human_value": None, "verified": True},
        # corrected: the person's value replaces the model's
        {
            "variable_key": "stance",
            "value": "for",
            "human_value": "against",
            "verified": True,
            "corrected": True,
        },
        # corrected without ticking verified still counts as reviewed
        {"variable_key": "stance", "value": "against", "human_value": "Against", "corrected": True},
        # not reviewed: left out, whatever human_value holds
        {"variable_key": "stance", "value": "for", "human_value": "against", "verified": False},
        # another schema's key: ignored
        {"variable_key": "gone", "value": 1, "verified": True},
    ]
    summary = agreement_summary(variables=variables, extractions=extractions)
    assert summary == [
        {
            "key": "stance",
            "n_verified": 3,
            "n_agree": 2,
            "agreement": pytest.approx(2 / 3),
            "kappa": pytest.approx(0.4),
        },
        {"key": "year", "n_verified": 0, "n_agree": 0, "agreement": None, "kappa": None},
    ]
