"""Answer validation: coercion per type, statuses, evidence offsets, messages."""

from __future__ import annotations

import pytest

from processing.answers import (
    EVIDENCE_NOT_FOUND_NOTE,
    NO_EVIDENCE_NOTE,
    CoercionError,
    Status,
    ValidatedValue,
    coerce_value,
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


def coerce(kind: str, value, **fields):
    return coerce_value(var(kind, **fields), value)[0]


def one(variable: dict, entry, text: str = TEXT) -> ValidatedValue:
    return validate_answer(variables=[variable], answer={variable["key"]: entry}, text=text)[
        variable["key"]
    ]


def test_statuses_are_the_extraction_statuses():
    assert {s.value for s in Status} == set(Extraction.Status.values)


# --- integers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (12, 12),
        (12.0, 12),
        (-3, -3),
        ("12", 12),
        (" 12 ", 12),
        ("+12", 12),
        ("-12", -12),
        ("\u221212", -12),
        ("1,234", 1234),
        ("1,234,567", 1234567),
        ("1.234.567", 1234567),
        ("1 234", 1234),
        ("1\u00a0234", 1234),
        ("1'234", 1234),
        ("12.0", 12),
        ("1e3", 1000),
        ("１２", 12),
        ("12345678901234567890", 12345678901234567890),
    ],
)
def test_integer_coercion(raw, expected):
    value = coerce("integer", raw)
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize(
    "raw",
    ["about 12", "12 people", "12.5", 12.5, "1.234", "twelve", True, [12], {"n": 12}, "12-14"],
)
def test_integer_rejects(raw):
    with pytest.raises(CoercionError):
        coerce("integer", raw)


def test_integer_percent_is_read_with_a_note():
    assert coerce_value(var("integer"), "12%") == (12, ["read 12% as 12 (percent sign dropped)"])


# --- numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (12.5, 12.5),
        (3, 3),
        ("12.5", 12.5),
        ("12,5", 12.5),
        ("12,50", 12.5),
        ("0,125", 0.125),
        ("1,2345", 1.2345),
        ("1,234", 1234),
        ("1,234.5", 1234.5),
        ("1.234,5", 1234.5),
        ("1 234,5", 1234.5),
        ("1,234,567.89", 1234567.89),
        ("1.234.567,89", 1234567.89),
        ("1.234", 1.234),
        (".5", 0.5),
        ("-0.75", -0.75),
        ("2.5e-3", 0.0025),
        ("12%", 12),
        ("12.5 %", 12.5),
        ("１２,５", 12.5),
    ],
)
def test_number_coercion(raw, expected):
    assert coerce("number", raw) == pytest.approx(expected)


def test_whole_numbers_come_back_as_int():
    assert type(coerce("number", "12.0")) is int
    assert type(coerce("number", 7.0)) is int


@pytest.mark.parametrize(
    "raw",
    [
        "about 12",
        "$12",
        "12 kg",
        "1,23,456",
        "1.234,567.8",
        "1,2,3",
        "nan",
        "inf",
        float("nan"),
        float("inf"),
        True,
        "",
        "12..5",
        "1e999",
    ],
)
def test_number_rejects(raw):
    if raw == "":
        assert coerce("number", raw) is None  # blank is missing, not invalid
        return
    with pytest.raises(CoercionError):
        coerce("number", raw)


# --- booleans -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (1.0, True),
        ("yes", True),
        ("Yes.", True),
        ("no", False),
        ("TRUE", True),
        ("false", False),
        ("y", True),
        ("n", False),
        ("1", True),
        ("0", False),
    ],
)
def test_boolean_coercion(raw, expected):
    assert coerce("boolean", raw) is expected


@pytest.mark.parametrize("raw", ["maybe", "probably yes", 2, "oui", [True]])
def test_boolean_rejects(raw):
    with pytest.raises(CoercionError):
        coerce("boolean", raw)


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2007-12-13", "2007-12-13"),
        ("2007-1-3", "2007-01-03"),
        ("2007/12/13", "2007-12-13"),
        ("2007.12.13", "2007-12-13"),
        ("20071213", "2007-12-13"),
        ("2007-12-13T10:30:00Z", "2007-12-13"),
        ("2007-12-13 10:30", "2007-12-13"),
        ("2007-12", "2007-12"),
        ("2007", "2007"),
        (2007, "2007"),
        ("13/12/2007", "2007-12-13"),
        ("12/13/2007", "2007-12-13"),
        ("13-12-2007", "2007-12-13"),
        ("03.05.2007", "2007-05-03"),
        ("05/05/2007", "2007-05-05"),
        ("12/2007", "2007-12"),
        ("13 December 2007", "2007-12-13"),
        ("December 13, 2007", "2007-12-13"),
        ("Dec. 13th, 2007", "2007-12-13"),
        ("Thursday, 13 December 2007", "2007-12-13"),
        ("the 13th of December 2007", "2007-12-13"),
        ("December 2007", "2007-12"),
        ("13 décembre 2007", "2007-12-13"),
        ("le 1er mars 2007", "2007-03-01"),
        ("13. Dezember 2007", "2007-12-13"),
        ("März 2007", "2007-03"),
        ("13 de diciembre de 2007", "2007-12-13"),
        ("13 dicembre 2007", "2007-12-13"),
        ("13 de dezembro de 2007", "2007-12-13"),
        ("13 februari 2007", "2007-02-13"),
        ("29 February 2008", "2008-02-29"),
    ],
)
def test_date_coercion(raw, expected):
    assert coerce("date", raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("03/05/2007", "ambiguous"),
        ("03-05-2007", "ambiguous"),
        ("13/12/07", "two-digit year"),
        ("2007-13-01", "not a valid date"),
        ("29 February 2007", "not a valid date"),
        ("31/04/2007", "not a valid date"),
        ("Q3 2007", "not a date"),
        ("sometime in 2007", "not a date"),
        ("13 December", "not a date"),
        ("December 2007 or 2008", "not a date"),
        ("yesterday", "not a date"),
        (20071213.5, "expected a date"),
    ],
)
def test_date_rejects(raw, reason):
    with pytest.raises(CoercionError, match=reason):
        coerce("date", raw)


def test_date_time_part_is_noted():
    assert coerce_value(var("date"), "2007-12-13T10:30:00Z") == (
        "2007-12-13",
        ["time of day dropped"],
    )


# --- categories -----------------------------------------------------------------------

STANCES = ["For", "Against", "Neutral", "Côte d'Ivoire", "None"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("For", "For"),
        ("for", "For"),
        ("  AGAINST ", "Against"),
        ("neutral.", "Neutral"),
        ('"Neutral"', "Neutral"),
        ("cote d'ivoire", "Côte d'Ivoire"),
        ("CÔTE D'IVOIRE", "Côte d'Ivoire"),
        ("Ｆｏｒ", "For"),
        (["against"], "Against"),
        ("None", "None"),  # an allowed value literally named None is an answer
    ],
)
def test_category_matching(raw, expected):
    assert coerce("category", raw, allowed_values=STANCES) == expected


def test_exact_match_wins_over_accent_insensitive_match():
    allowed = ["Resume", "Résumé"]
    assert coerce("category", "Résumé", allowed_values=allowed) == "Résumé"
    assert coerce("category", "resume", allowed_values=allowed) == "Resume"


def test_accent_insensitive_match_must_be_unique():
    allowed = ["Résumé", "Resumé"]
    with pytest.raises(CoercionError):
        coerce("category", "resume", allowed_values=allowed)


@pytest.mark.parametrize("raw", ["Pro", "For and against", ["For", "Against"], True, {"a": 1}])
def test_category_rejects_with_the_bad_value_in_the_message(raw):
    with pytest.raises(CoercionError) as error:
        coerce("category", raw, allowed_values=STANCES)
    if isinstance(raw, str):
        assert repr(raw) in str(error.value)


def test_category_without_allowed_values_accepts_text_with_a_note():
    assert coerce_value(var("category"), " anything ") == (
        "anything",
        ["no allowed values defined"],
    )


# --- multi-categories -----------------------------------------------------------------

SECTORS = ["agriculture", "fisheries", "energy", "services"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["energy", "agriculture"], ["agriculture", "energy"]),
        (["Energy", "energy", "ENERGY"], ["energy"]),
        (["fisheries", " ", ""], ["fisheries"]),
        ("services", ["services"]),
        ("energy; fisheries", ["fisheries", "energy"]),
        ("Agriculture, Services", ["agriculture", "services"]),
        ([], None),
        ([" "], None),
    ],
)
def test_multi_category(raw, expected):
    assert coerce("multi_category", raw, allowed_values=SECTORS) == expected


def test_multi_category_rejects_unknown_items_naming_them():
    with pytest.raises(CoercionError, match="'mining'"):
        coerce("multi_category", ["energy", "mining"], allowed_values=SECTORS)
    with pytest.raises(CoercionError):
        coerce("multi_category", 12, allowed_values=SECTORS)
    with pytest.raises(CoercionError):
        coerce("multi_category", [["energy"]], allowed_values=SECTORS)


# --- lists and text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["France", " Spain "], ["France", "Spain"]),
        ("France", ["France"]),
        (["France", "", "  "], ["France"]),
        (["France", "France", "Spain"], ["France", "Spain"]),
        ([1994, "x"], ["1994", "x"]),
        ([], None),
        ([""], None),
    ],
)
def test_list(raw, expected):
    assert coerce("list", raw) == expected


def test_list_rejects_nested_values():
    with pytest.raises(CoercionError):
        coerce("list", [{"name": "France"}])
    with pytest.raises(CoercionError):
        coerce("list", {"name": "France"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  Lisbon  ", "Lisbon"), (12, "12"), ("Multi\nline", "Multi\nline"), ("", None)],
)
def test_text(raw, expected):
    assert coerce("text", raw) == expected


@pytest.mark.parametrize("raw", [True, ["a"], {"a": 1}])
def test_text_rejects(raw):
    with pytest.raises(CoercionError):
        coerce("text", raw)


@pytest.mark.parametrize(
    "raw", [None, "", "   ", "null", "N/A", "n/a", "Unknown", "not stated", []]
)
@pytest.mark.parametrize("kind", ["text", "integer", "number", "boolean", "date", "list"])
def test_null_like_values_are_missing(kind, raw):
    assert coerce(kind, raw) is None


def test_unknown_type_is_an_error():
    with pytest.raises(CoercionError, match="unknown variable type"):
        coerce("colour", "red")


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
