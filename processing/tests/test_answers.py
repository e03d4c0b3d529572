"""Answer validation: coercion per type, statuses, evidence offsets, messages."""

from __future__ import annotations

import pytest

from processing.answers import (
    EVIDENCE_CUT_NOTE,
    EVIDENCE_NOT_FOUND_NOTE,
    FLAGGED_STATUSES,
    NO_EVIDENCE_NOTE,
    Status,
    ValidatedValue,
    validate_answer,
)
from processing.evidence import EvidenceIndex
from processing.models import Extraction
from schemas.tests.codebooks import var
from schemas.tests.evidence_corpus import DOCUMENTS, planted_cases
from schemas.types.evidence import OUTCOMES

TEXT = (
    "The Treaty of Lisbon was signed on 13 December 2007 by 27 member states.\n"
    "Turnout was 12,5 % in the pilot region; the budget was 1,234.5 million euros.\n"
    "Sectors covered: agriculture, fisheries and energy."
)


def one(variable: dict, entry, text: str = TEXT) -> ValidatedValue:
    return validate_answer(variables=[variable], answer={variable["key"]: entry}, text=text)[
        variable["key"]
    ]


def test_statuses_are_the_extraction_statuses():
    assert {s.value for s in Status} == set(Extraction.Status.values)


def test_evidence_check_outcomes_are_the_extraction_choices():
    assert set(OUTCOMES) == set(Extraction.EvidenceCheck.values)


# --- validate_answer: statuses and evidence -------------------------------------------


def test_ok_value_with_located_evidence():
    result = one(
        var("date", "signed_on"),
        {"value": "13 December 2007", "evidence": "signed on 13 December 2007", "confidence": 0.9},
    )
    assert result.status == Status.OK
    assert result.value == "2007-12-13"
    assert result.message == ""
    assert TEXT[result.evidence_start : result.evidence_end] == "signed on 13 December 2007"
    assert result.confidence == 0.9


def test_evidence_is_found_tolerantly_and_offsets_index_the_text():
    result = one(
        var("number", "turnout"),
        {"value": "12,5%", "evidence": "TURNOUT WAS 12,5 %  in the pilot region", "confidence": 1},
    )
    assert result.status == Status.OK
    assert result.value == 12.5
    assert "percent sign dropped" in result.message
    assert (
        TEXT[result.evidence_start : result.evidence_end]
        == "Turnout was 12,5 % in the pilot region"
    )


def test_unfound_evidence_keeps_the_value():
    result = one(
        var("integer", "members"),
        {"value": 27, "evidence": "signed by twenty-seven states", "confidence": 0.8},
    )
    assert result.status == Status.UNSUPPORTED_EVIDENCE
    assert result.value == 27
    assert result.message == EVIDENCE_NOT_FOUND_NOTE
    assert result.evidence == "signed by twenty-seven states"
    assert result.evidence_start is None and result.evidence_end is None


@pytest.mark.parametrize("evidence", [None, "", "   ", 12])
def test_value_without_evidence_is_ok_with_a_note(evidence):
    result = one(var("integer", "members"), {"value": 27, "evidence": evidence, "confidence": 0.8})
    assert result.status == Status.OK
    assert result.message == NO_EVIDENCE_NOTE
    assert result.evidence == ""


def test_notes_are_joined():
    result = one(var("number"), {"value": "12%", "evidence": None, "confidence": None})
    assert result.message == f"read 12% as 12 (percent sign dropped); {NO_EVIDENCE_NOTE}"


def test_evidence_given_as_a_list_of_quotes_is_read_as_fragments():
    result = one(
        var("list", "sectors"),
        {
            "value": ["agriculture", "energy"],
            "evidence": ["Sectors covered: agriculture", "energy."],
            "confidence": 0.7,
        },
    )
    assert result.status == Status.OK
    assert TEXT[result.evidence_start : result.evidence_end] == (
        "Sectors covered: agriculture, fisheries and energy"
    )


def test_missing_value_and_the_required_message():
    optional = one(var("text", "place"), {"value": None, "evidence": None, "confidence": None})
    assert (optional.status, optional.value, optional.message) == (
        Status.MISSING,
        None,
        "no value given",
    )
    required = one(var("text", "place", required=True), {"value": "  ", "evidence": None})
    assert required.status == Status.MISSING
    assert required.message == "no value given (required)"


def test_absent_variable_is_missing():
    variables = [var("text", "place", required=True), var("integer", "members")]
    results = validate_answer(variables=variables, answer={"members": {"value": 27}}, text=TEXT)
    assert results["place"].status == Status.MISSING
    assert results["place"].message == "no answer for this variable (required)"
    assert results["members"].status == Status.OK


def test_invalid_value_keeps_raw_and_locates_evidence_for_the_reviewer():
    entry = {"value": "Pro", "evidence": "signed on 13 December 2007", "confidence": 0.4}
    result = one(var("category", "stance", allowed_values=["for", "against"]), entry)
    assert result.status == Status.INVALID
    assert result.value is None
    assert result.message == "'Pro' is not one of the allowed values"
    assert result.raw == entry
    assert result.evidence_start is not None


@pytest.mark.parametrize("entry", ["For", 12, ["For"], None])
def test_non_object_entry_is_invalid(entry):
    result = one(var("category", "stance", allowed_values=["For"]), entry)
    assert result.status == Status.INVALID
    assert result.raw == entry
    assert "expected an object" in result.message


@pytest.mark.parametrize("answer", [None, [], "oops", 12])
def test_answer_that_is_not_an_object_is_an_error_for_every_variable(answer):
    variables = [var("text", "a"), var("integer", "b")]
    results = validate_answer(variables=variables, answer=answer, text=TEXT)
    assert {r.status for r in results.values()} == {Status.ERROR}
    assert list(results) == ["a", "b"]


def test_raw_entry_is_kept_and_extra_keys_are_ignored():
    entry = {"value": "Lisbon", "evidence": "Treaty of Lisbon", "confidence": 0.5}
    results = validate_answer(
        variables=[var("text", "place")],
        answer={"place": entry, "not_in_schema": {"value": 1}},
        text=TEXT,
    )
    assert list(results) == ["place"]
    assert results["place"].raw == entry


@pytest.mark.parametrize(
    ("confidence", "expected"),
    [
        (0.5, 0.5),
        (1, 1.0),
        (0, 0.0),
        (1.7, 1.0),
        (85, 1.0),
        (-0.2, 0.0),
        ("0.8", 0.8),
        ("85%", 0.85),
        ("high", None),
        (None, None),
        (True, None),
        (float("nan"), None),
        ([0.5], None),
    ],
)
def test_confidence_is_clamped_or_none(confidence, expected):
    result = one(
        var("text", "place"), {"value": "Lisbon", "evidence": None, "confidence": confidence}
    )
    assert result.confidence == expected


def test_a_shared_index_gives_the_same_result():
    variables = [var("text", "place"), var("integer", "members")]
    answer = {
        "place": {"value": "Lisbon", "evidence": "the treaty of LISBON", "confidence": 0.9},
        "members": {"value": "27", "evidence": "by 27 member states", "confidence": 0.9},
    }
    index = EvidenceIndex(TEXT)
    assert validate_answer(variables=variables, answer=answer, text=TEXT, index=index) == (
        validate_answer(variables=variables, answer=answer, text=TEXT)
    )


def test_results_follow_schema_order():
    variables = [var("text", key) for key in ("c", "a", "b")]
    results = validate_answer(variables=variables, answer={}, text=TEXT)
    assert list(results) == ["c", "a", "b"]


# --- the evidence check ---------------------------------------------------------------

VOTE = "The party won 22.9 percent of the vote in 2023; turnout was 61 percent."


def test_a_quote_cut_out_of_a_number_is_unsupported():
    result = one(
        var("integer", "deaths"), {"value": 2023, "evidence": "9 percent of the vote"}, VOTE
    )
    assert result.status == Status.UNSUPPORTED_EVIDENCE
    assert result.message == EVIDENCE_CUT_NOTE
    assert (result.evidence_start, result.evidence_check) == (None, "")
    assert result.value == 2023


def test_a_located_quote_without_the_value_is_a_mismatch_with_a_reason():
    entry = {"value": 2023, "evidence": "22.9 percent of the vote", "confidence": 0.9}
    result = one(var("integer", "deaths"), entry, VOTE)
    assert result.status == Status.EVIDENCE_MISMATCH
    assert result.message == "the quote does not contain 2023"
    assert result.evidence_check == "failed"
    assert VOTE[result.evidence_start : result.evidence_end] == "22.9 percent of the vote"
    assert result.value == 2023 and result.flagged


def test_notes_come_before_the_mismatch_reason():
    entry = {"value": "12%", "evidence": "turnout was 61 percent"}
    result = one(var("number", "turnout"), entry, VOTE)
    assert result.status == Status.EVIDENCE_MISMATCH
    assert result.message == (
        "read 12% as 12 (percent sign dropped); the quote does not contain 12"
    )


@pytest.mark.parametrize(
    ("variable", "entry", "check"),
    [
        (
            var("number", "share"),
            {"value": 22.9, "evidence": "22.9 percent of the vote"},
            "passed",
        ),
        (var("boolean", "won"), {"value": True, "evidence": "The party won"}, "not_applicable"),
        (var("integer", "year"), {"value": 2023, "evidence": None}, ""),
        (var("integer", "year"), {"value": 2023, "evidence": "in 2024"}, ""),
    ],
)
def test_evidence_check_is_recorded_and_blank_when_nothing_was_checked(variable, entry, check):
    result = one(variable, entry, VOTE)
    assert result.evidence_check == check
    assert result.status in (Status.OK, Status.UNSUPPORTED_EVIDENCE)


def test_an_invalid_value_is_not_checked():
    entry = {"value": "lots", "evidence": "22.9 percent of the vote"}
    result = one(var("integer", "share"), entry, VOTE)
    assert (result.status, result.evidence_check) == (Status.INVALID, "")
    assert result.evidence_start is not None


def test_flagged_statuses():
    flagged = {status for status in Status if ValidatedValue(1, status).flagged}
    assert flagged == FLAGGED_STATUSES == {Status.UNSUPPORTED_EVIDENCE, Status.EVIDENCE_MISMATCH}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda document: document.language)
def test_the_corpus_correct_values_validate_without_a_flag(document):
    variables = [case.variable() for case in document.cases]
    answer = {
        case.key: {"value": case.value, "evidence": case.quote, "confidence": 0.9}
        for case in document.cases
    }
    results = validate_answer(variables=variables, answer=answer, text=document.text)
    flagged = {key: r.message for key, r in results.items() if r.status != Status.OK}
    assert flagged == {}
    assert all(r.evidence_start is not None for r in results.values())


@pytest.mark.parametrize(
    "pair", planted_cases(), ids=lambda pair: f"{pair[0].language}-{pair[1].key}"
)
def test_the_corpus_planted_mismatches_are_flagged(pair):
    document, case = pair
    value, quote = case.planted
    result = one(case.variable(), {"value": value, "evidence": quote}, document.text)
    assert result.status == Status.EVIDENCE_MISMATCH, result.message
    assert result.message.startswith("the quote")
