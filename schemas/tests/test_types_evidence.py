"""Evidence checks per type: a located quote must say its value (``evidence_check``).

The corpus table (English, French, German, Chinese) holds, per type, values a careful
coder accepts and a planted mismatch for each; the other tests pin one rule each.
"""

from __future__ import annotations

from typing import Any

import pytest

from schemas.tests.evidence_corpus import Case, Document, all_cases, planted_cases
from schemas.types import TYPES, read_value, value_type
from schemas.types.evidence import MISMATCH, NOT_APPLICABLE, SUPPORTED
from schemas.types.scanning import dates_in, numbers_in


def check(kind: str, value: Any, quote: str, **fields) -> tuple[str, str]:
    variable = {"key": "v", "type": kind, "allowed_values": list(fields.pop("allowed", []))}
    variable |= fields
    typed, _ = read_value(variable, value)
    support = value_type(kind).evidence_check(variable, typed, quote)
    return support.outcome, support.reason


def case_check(case: Case, value: Any, quote: str) -> str:
    variable = case.variable()
    typed, _ = read_value(variable, value)
    return value_type(case.type).evidence_check(variable, typed, quote).outcome


def _case_id(pair: tuple[Document, Case]) -> str:
    document, case = pair
    return f"{document.language}-{case.type}-{case.key}"


# --- the corpus: every type, four languages -------------------------------------------


def test_the_corpus_covers_every_type_in_every_language():
    for language in ("en", "fr", "de", "zh"):
        kinds = {case.type for document, case in all_cases() if document.language == language}
        assert kinds == set(TYPES), language


@pytest.mark.parametrize("pair", all_cases(), ids=_case_id)
def test_a_correct_value_is_not_flagged(pair):
    _, case = pair
    assert case_check(case, case.value, case.quote) != MISMATCH


@pytest.mark.parametrize("pair", planted_cases(), ids=_case_id)
def test_a_planted_mismatch_is_flagged(pair):
    _, case = pair
    value, quote = case.planted
    assert case_check(case, value, quote) == MISMATCH


# --- numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "quote"),
    [
        (1200, "1,200 people"),
        (1200, "1 200 personnes"),
        (1200, "1\u202f200 personnes"),
        (1200, "1.200 Personen"),
        (1.2, "1,2 Prozent"),
        (1234.5, "1.234,5 Euro"),
        (12, "12 % turnout"),
        (0.12, "12 % turnout"),
        (1_200_000, "1.2 million euros"),
        (30_000, "约3万人参加"),
        (27, "二十七个成员国"),
        (1994, "一九九四年"),
        (27, "２７ member states"),
        (27, "27个成员国"),
        (-5, "fell by 5 points"),
        (205, "two hundred and five delegates"),
        (27, "twenty-seven states"),
    ],
)
def test_a_number_is_read_in_its_written_forms(value, quote):
    assert check("number", value, quote)[0] == SUPPORTED


def test_a_number_cut_out_of_another_is_not_there():
    assert check("integer", 2023, "22.9 percent of the vote") == (
        MISMATCH,
        "the quote does not contain 2023",
    )
    assert check("integer", 9, "22.9 percent of the vote")[0] == MISMATCH
    assert check("integer", 200, "1 200 people")[0] == MISMATCH  # thousands groups


def test_a_vague_quantity_is_not_checked():
    assert check("integer", 3, "several states signed")[0] == NOT_APPLICABLE
    assert check("integer", 3, "1 200 millions d'euros")[0] == MISMATCH  # read: not vague


def test_numbers_in_reads_both_locales_when_ambiguous():
    assert {1.2, 1200.0} <= numbers_in("1.200")
    assert {1.2, 1200.0} <= numbers_in("1,200")
    assert numbers_in("22.9") == {22.9}
    assert {2019.0, 312.0} <= numbers_in("in 2019 312 delegations")


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "quote"),
    [
        ("2021-03-12", "on 12 March 2021"),
        ("2021-03-12", "on March 12th, 2021"),
        ("2021-03-12", "2021-03-12"),
        ("2021-03-12", "12/03/2021"),
        ("2021-03-12", "12.03.2021"),
        ("2021-03-12", "le 12 mars 2021"),
        ("2021-03-12", "am 12. März 2021"),
        ("2018-09-01", "2018年9月1日"),
        ("2018-09-01", "二〇一八年九月一日"),
        ("2018-09", "２０１８年９月"),
        ("2021", "signed on 12 March 2021"),
        ("2021-03", "signed on 12 March 2021"),
    ],
)
def test_a_date_is_read_in_its_written_forms(value, quote):
    assert check("date", value, quote)[0] == SUPPORTED


def test_a_date_given_in_part_is_not_checked_and_another_date_is_a_mismatch():
    assert check("date", "2021-03-12", "in March 2021")[0] == NOT_APPLICABLE
    assert check("date", "2021-03-12", "on 13 March 2021") == (
        MISMATCH,
        "the quote does not contain the date 2021-03-12",
    )
    assert check("date", "2021-04-01", "令和3年4月1日")[0] == NOT_APPLICABLE  # era year


def test_dates_in_keeps_both_readings_of_an_ambiguous_date():
    assert {(2020, 3, 5), (2020, 5, 3)} <= dates_in("03/05/2020")
    assert (2018, 9, 1) in dates_in("二〇一八年九月一日")


# --- yes/no ---------------------------------------------------------------------------


def test_a_yes_no_answer_needs_words():
    assert check("boolean", True, "The obligations are binding")[0] == NOT_APPLICABLE
    assert check("boolean", False, " — ")[0] == MISMATCH


# --- categories -----------------------------------------------------------------------

STANCES = ["support", "oppose", "neutral", "other"]


@pytest.mark.parametrize(
    ("value", "quote", "outcome"),
    [
        ("support", "The ministry SUPPORTED the reform", SUPPORTED),
        ("support", "The ministry opposed the reform", MISMATCH),
        ("support", "The ministry welcomed the reform", NOT_APPLICABLE),  # not named
        ("other", "The ministry opposed the reform", NOT_APPLICABLE),  # catch-all value
        ("support", "other ministries were not consulted", NOT_APPLICABLE),  # catch-all
    ],
)
def test_a_category_is_named_or_contradicted(value, quote, outcome):
    assert check("category", value, quote, allowed=STANCES)[0] == outcome


def test_a_category_partly_named_is_not_a_mismatch():
    allowed = ["peer_review", "independent", "none_stated"]
    quote = "an independent review body"
    assert check("category", "peer_review", quote, allowed=allowed)[0] == NOT_APPLICABLE
    assert check("category", "peer_review", "an independent body", allowed=allowed)[0] == (MISMATCH)


def test_a_category_mismatch_says_what_the_quote_names():
    assert check("category", "support", "It opposed the reform", allowed=STANCES) == (
        MISMATCH,
        "the quote names 'oppose', not 'support'",
    )


def test_category_labels_key_words_spelling_and_accents():
    allowed = ["peer_review", "self_reporting", "labour", "Côte d'Ivoire", "Ghana"]
    assert check("category", "peer_review", "reviewed by peers", allowed=allowed)[0] == SUPPORTED
    assert check("category", "labour", "the labor ministry", allowed=allowed)[0] == SUPPORTED
    assert check("category", "Côte d'Ivoire", "la COTE D'IVOIRE", allowed=allowed)[0] == SUPPORTED


def test_synonyms_name_a_category():
    allowed = ["United States", "France"]
    synonyms = {"United States": ["America", "the US"]}
    assert check("category", "United States", "America signed", allowed=allowed)[0] == (
        NOT_APPLICABLE
    )
    assert check(
        "category", "United States", "America signed", allowed=allowed, synonyms=synonyms
    ) == (SUPPORTED, "")
    assert check("category", "France", "America signed", allowed=allowed, synonyms=synonyms) == (
        MISMATCH,
        "the quote names 'United States', not 'France'",
    )


def test_another_script_is_not_checked():
    allowed = ["China", "Japan"]
    assert check("category", "China", "中国签署了协议", allowed=allowed) == (
        NOT_APPLICABLE,
        "the quote is in another script",
    )
    assert check("text", "Beijing", "在北京签署了协议")[0] == NOT_APPLICABLE
    assert check("category", "China", "中国 (China) signed", allowed=allowed)[0] == SUPPORTED


def test_category_codes_without_letters_are_not_checked():
    assert check("category", "1", "code 2 applies", allowed=["1", "2"])[0] == NOT_APPLICABLE


# --- text and lists -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "quote", "outcome"),
    [
        ("Geneva", "signé à Genève", SUPPORTED),
        ("the colour of money", "The color of money", SUPPORTED),
        ("organisation", "the organization", SUPPORTED),
        ("European Union", "the EU decided", SUPPORTED),
        ("EU", "the European Union decided", SUPPORTED),
        ("EU", "the UN decided", MISMATCH),
        ("Lisbon", "signed in Paris", MISMATCH),
        ("27 member states", "signed by 27 member states", SUPPORTED),
        ("a treaty that reformed the European institutions", "signed in Paris", NOT_APPLICABLE),
        ("a treaty that reformed institutions", "signed in Paris", MISMATCH),
        ("北京", "在北京签署", SUPPORTED),
        ("美国", "中国和日本签署", MISMATCH),
    ],
)
def test_text_shares_words_with_its_quote(value, quote, outcome):
    assert check("text", value, quote)[0] == outcome


def test_a_list_is_a_mismatch_only_when_no_item_is_there():
    quote = "Chile and Peru signed"
    assert check("list", ["Chile", "Peru"], quote)[0] == SUPPORTED
    assert check("list", ["Chile", "Norway"], quote)[0] == NOT_APPLICABLE
    assert check("list", ["Norway", "Japan"], quote) == (
        MISMATCH,
        "the quote contains none of 'Norway', 'Japan'",
    )


def test_a_multi_category_is_a_mismatch_only_when_no_item_is_named():
    allowed = ["trade", "climate", "health"]
    assert check("multi_category", ["trade", "climate"], "trade and climate", allowed=allowed)[
        0
    ] == (SUPPORTED)
    assert check("multi_category", ["trade", "health"], "trade rules", allowed=allowed)[0] == (
        NOT_APPLICABLE
    )
    assert check("multi_category", ["health"], "trade and climate", allowed=allowed) == (
        MISMATCH,
        "the quote names 'trade', 'climate', not 'health'",
    )
