"""Reading values by type: a model's answer or a person's JSON, one rule per type.

Moved from processing's answer tests when the types got one home (``schemas.types``).
"""

from __future__ import annotations

import pytest

from schemas.tests.codebooks import var
from schemas.types import CoercionError, read_value


def coerce(kind: str, value, **fields):
    return read_value(var(kind, **fields), value)[0]


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
    assert read_value(var("integer"), "12%") == (12, ["read 12% as 12 (percent sign dropped)"])


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
    assert read_value(var("date"), "2007-12-13T10:30:00Z") == (
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
    assert read_value(var("category"), " anything ") == (
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
