"""Variable grouping and the merge of chunk answers, per variable type."""

from __future__ import annotations

import pytest

from processing.answers import Status, ValidatedValue, validate_answer
from processing.evidence import EvidenceIndex
from processing.merge import merge_chunk_answers
from schemas.planning import group_variables
from schemas.tests.codebooks import var


def ok(value, confidence=None, start=None, status=Status.OK, raw=None) -> ValidatedValue:
    end = None if start is None else start + 5
    return ValidatedValue(
        value=value,
        status=status,
        evidence=f"quote for {value}",
        evidence_start=start,
        evidence_end=end,
        confidence=confidence,
        raw=raw if raw is not None else {"value": value},
    )


def missing(message="no value given") -> ValidatedValue:
    return ValidatedValue(None, Status.MISSING, message, raw={"value": None})


def merge(variable: dict, *values: ValidatedValue | None) -> ValidatedValue:
    answers = [{} if value is None else {variable["key"]: value} for value in values]
    return merge_chunk_answers(variables=[variable], answers=answers)[variable["key"]]


# --- grouping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "limit", "sizes"),
    [
        (50, 25, [25, 25]),
        (30, 25, [15, 15]),
        (51, 25, [17, 17, 17]),
        (26, 25, [13, 13]),
        (25, 25, [25]),
        (7, 3, [3, 2, 2]),
        (1, 25, [1]),
        (0, 25, []),
        (10, 1, [1] * 10),
    ],
)
def test_group_sizes(count, limit, sizes):
    variables = [var("text", f"v{n}") for n in range(count)]
    groups = group_variables(variables, limit)
    assert [len(group) for group in groups] == sizes
    assert [v for group in groups for v in group] == variables  # schema order kept


def test_group_limit_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        group_variables([var("text")], 0)


# --- scalars --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["text", "integer", "number", "boolean", "date"])
def test_scalar_takes_the_most_confident_value(kind):
    values = {
        "text": ("a", "b"),
        "integer": (1, 2),
        "number": (1.5, 2.5),
        "boolean": (True, False),
        "date": ("2020-01-01", "2021-02-02"),
    }[kind]
    merged = merge(var(kind), ok(values[0], 0.4, 10), missing(), ok(values[1], 0.9, 500))
    assert merged.value == values[1]
    assert merged.confidence == 0.9
    assert (merged.evidence_start, merged.evidence_end) == (500, 505)  # not shifted
    assert merged.evidence == f"quote for {values[1]}"
    assert merged.message == f"other chunks gave: {values[0]!r}"


def test_scalar_ties_go_to_the_earlier_chunk():
    merged = merge(var("integer"), ok(1, 0.8, 0), ok(2, 0.8, 100))
    assert merged.value == 1


def test_scalar_unknown_confidence_ranks_last():
    assert merge(var("integer"), ok(1, None), ok(2, 0.1)).value == 2
    assert merge(var("integer"), ok(1, None), ok(2, None)).value == 1


@pytest.mark.parametrize("flag", [Status.UNSUPPORTED_EVIDENCE, Status.EVIDENCE_MISMATCH])
def test_scalar_with_found_evidence_beats_a_more_confident_unsupported_one(flag):
    merged = merge(var("integer"), ok(1, 0.99, None, status=flag), ok(2, 0.6, 40))
    assert merged.value == 2
    assert merged.status == Status.OK


def test_a_mismatched_quote_ranks_like_a_quote_not_found():
    merged = merge(
        var("integer"),
        ok(1, 0.9, None, status=Status.UNSUPPORTED_EVIDENCE),
        ok(2, 0.7, 40, status=Status.EVIDENCE_MISMATCH),
    )
    assert (merged.value, merged.status) == (1, Status.UNSUPPORTED_EVIDENCE)  # confidence


def test_agreeing_chunks_leave_no_note():
    merged = merge(var("integer"), ok(3, 0.5), ok(3, 0.7))
    assert merged.message == ""
    assert merged.confidence == 0.7


def test_false_and_zero_are_values_not_missing():
    assert merge(var("boolean"), missing(), ok(False, 0.5)).value is False
    assert merge(var("integer"), ok(0, 0.5), missing()).value == 0


# --- categories -----------------------------------------------------------------------


def test_category_majority_wins_over_confidence():
    variable = var("category", allowed_values=["for", "against"])
    merged = merge(variable, ok("for", 0.5, 1), ok("against", 0.99, 2), ok("for", 0.4, 3))
    assert merged.value == "for"
    assert merged.evidence_start == 1  # the most confident chunk among the winners
    assert merged.message == "2 of 3 chunks; others gave: 'against'"


def test_category_tie_goes_to_highest_summed_confidence_then_first_seen():
    variable = var("category", allowed_values=["for", "against"])
    merged = merge(variable, ok("for", 0.3), ok("against", 0.5), ok("for", 0.3), ok("against", 0.5))
    assert merged.value == "against"
    assert merge(variable, ok("for", 0.5), ok("against", 0.5)).value == "for"
    assert merge(variable, ok("against", None), ok("for", None)).value == "against"


# --- lists and multi-categories -------------------------------------------------------


def test_list_is_the_union_in_first_seen_order():
    merged = merge(
        var("list"),
        ok(["France", "Spain"], 0.5, 10),
        missing(),
        ok(["Spain", "Italy", "Greece"], 0.4, 900),
    )
    assert merged.value == ["France", "Spain", "Italy", "Greece"]
    # evidence from the chunk that contributed the most items
    assert merged.evidence_start == 900
    assert merged.message == "merged from 2 chunks"


def test_multi_category_union_follows_allowed_value_order():
    variable = var("multi_category", allowed_values=["agriculture", "fisheries", "energy"])
    merged = merge(variable, ok(["energy"], 0.9, 5), ok(["fisheries", "agriculture"], 0.5, 50))
    assert merged.value == ["agriculture", "fisheries", "energy"]


def test_union_evidence_prefers_found_evidence():
    merged = merge(
        var("list"),
        ok(["a", "b", "c"], 0.9, None, status=Status.UNSUPPORTED_EVIDENCE),
        ok(["d"], 0.2, 70),
    )
    assert merged.value == ["a", "b", "c", "d"]
    assert merged.status == Status.OK
    assert merged.evidence_start == 70


# --- no value anywhere ----------------------------------------------------------------


def test_all_missing_is_missing_with_the_chunk_message():
    merged = merge(var("text", required=True), missing("no value given (required)"), missing())
    assert merged.status == Status.MISSING
    assert merged.message == "no value given (required)"
    assert merged.value is None


def test_invalid_beats_error_beats_missing_when_no_chunk_has_a_value():
    invalid = ValidatedValue(None, Status.INVALID, "'Pro' is not one of the allowed values")
    error = ValidatedValue(None, Status.ERROR, "the answer is not a JSON object")
    assert merge(var("text"), missing(), error, invalid).status == Status.INVALID
    assert merge(var("text"), missing(), error).status == Status.ERROR


def test_a_value_beats_invalid_answers_in_other_chunks():
    invalid = ValidatedValue(None, Status.INVALID, "'Pro' is not one of the allowed values")
    merged = merge(var("category", allowed_values=["for"]), invalid, ok("for", 0.2))
    assert merged.value == "for"
    assert merged.status == Status.OK


def test_variable_absent_from_every_chunk():
    merged = merge(var("text", required=True), None, None)
    assert merged.status == Status.MISSING
    assert merged.message == "no answer in any chunk (required)"


# --- raw and single chunks ------------------------------------------------------------


def test_raw_keeps_every_chunk_answer():
    merged = merge(var("integer"), ok(1, 0.2, raw={"value": "1"}), missing(), ok(2, 0.9))
    assert merged.raw == [{"value": "1"}, {"value": None}, {"value": 2}]


def test_single_chunk_is_returned_unchanged():
    value = ok(5, 0.5, 3)
    assert merge(var("integer"), value) is value


def test_merge_keeps_schema_order_and_every_variable():
    variables = [var("text", "b"), var("integer", "a")]
    merged = merge_chunk_answers(
        variables=variables, answers=[{"a": ok(1)}, {"b": ok("x"), "a": ok(2, 0.9)}]
    )
    assert list(merged) == ["b", "a"]
    assert merged["a"].value == 2


def test_end_to_end_with_chunks_validated_against_the_whole_document():
    text = (
        "Chunk one says the treaty was signed in 1994.\n"
        + "filler " * 50
        + ("Chunk two says 27 states signed it, in Geneva.")
    )
    variables = [var("integer", "year"), var("integer", "states"), var("list", "places")]
    index = EvidenceIndex(text)
    chunk_answers = [
        {
            "year": {"value": 1994, "evidence": "signed in 1994", "confidence": 0.9},
            "states": {"value": None, "evidence": None, "confidence": None},
            "places": {"value": None, "evidence": None, "confidence": None},
        },
        {
            "year": {"value": None, "evidence": None, "confidence": None},
            "states": {"value": "27", "evidence": "27 states signed it", "confidence": 0.8},
            "places": {"value": ["Geneva"], "evidence": "in Geneva", "confidence": 0.7},
        },
    ]
    validated = [
        validate_answer(variables=variables, answer=answer, text=text, index=index)
        for answer in chunk_answers
    ]
    merged = merge_chunk_answers(variables=variables, answers=validated)
    assert merged["year"].value == 1994
    assert merged["states"].value == 27
    assert merged["places"].value == ["Geneva"]
    for value in merged.values():
        assert value.status == Status.OK
        assert text[value.evidence_start : value.evidence_end] == value.evidence
