"""Answer validation: coercion per type, statuses, evidence offsets, messages."""

from __future__ import annotations

import pytest

from processing.answers import (
    EVIDENCE_NOT_FOUND_NOTE,
    NO_EVIDENCE_NOTE,
    Status,
    ValidatedValue,
    validate_answer,
)
from processing.evidence import EvidenceIndex
from processing.models import Extraction

TEXT = (
    "The Treaty of Lisbon was signed on 13 December 2007 by 27 member states.\n"
    "Turnout was 12,5 % in the pilot region; the budget was 1,234.5 million euros.\n"
    "Sectors covered: agriculture, fisheries and energy."
)


def var(kind: str, key: str = "v", **fields) -> dict:
    return {
        "key": key,
        "label": key,
        "type": kind,
        "instructions": "",
        "allowed_values": fields.pop("allowed_values", []),
        "required": fields.pop("required", False),
    }


def one(variable: dict, entry, text: str = TEXT) -> ValidatedValue:
    return validate_answer(variables=[variable], answer={variable["key"]: entry}, text=text)[
        variable["key"]
    ]


def test_statuses_are_the_extraction_statuses():
    assert {s.value for s in Status} == set(Extraction.Status.values)


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
