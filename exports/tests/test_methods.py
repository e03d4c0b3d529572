"""The methods paragraph (exports.methods) from fixed facts: every figure as given,
careful wording, the simulated warning, no agreement yet, a reliability round."""

from __future__ import annotations

import copy

import pytest

from exports.methods import (
    NO_AGREEMENT,
    SIMULATED_WARNING,
    day,
    methods_text,
    money,
    percent,
    period,
)

FACTS = {
    "schema_version": 2,
    "prompt_versions": [1, 2],
    "prompt_hash": "ab12cd34ef56" + "0" * 52,
    "variables": [
        {"key": "country", "label": "Country", "type": "text"},
        {"key": "stance", "label": "Stance", "type": "category"},
    ],
    "models": ["gpt-4o-mini"],
    "structured_output": "json_schema",
    "jobs": [
        {"id": 3, "kind": "sample", "mode": "standard", "sample_size": 20, "seed": 42},
        {"id": 4, "kind": "full", "mode": "batch", "sample_size": None, "seed": None},
    ],
    "first_started_at": "2025-03-12T09:00:00+00:00",
    "last_finished_at": "2025-03-13T23:30:00-02:00",  # 14 March in UTC
    "documents": 120,
    "documents_coded": 115,
    "documents_failed": 3,
    "documents_not_processed": 2,
    "documents_pending": 0,
    "documents_checked": 20,
    "values": 230,
    "values_verified": 32,
    "values_corrected": 8,
    "values_unchecked": 190,
    "values_carried": 115,
    "carried_from_versions": [1],
    "agreement": [
        {"key": "country", "n_verified": 20, "n_agree": 19, "agreement": 0.95, "kappa": None},
        {"key": "stance", "n_verified": 20, "n_agree": 13, "agreement": 0.65, "kappa": 0.4567},
    ],
    "reliability": None,
    "llm_calls": 135,
    "input_tokens": 1234567,
    "cached_input_tokens": 1000,
    "output_tokens": 45678,
    "cost_usd": 0.01234,
    "simulated": False,
    "exported_at": "2025-03-15T10:00:00+00:00",
}

ROUND = {
    "round": 7,
    "completed_at": "2025-03-14T12:00:00+00:00",
    "coders": ["alice", "carol"],
    "units": 10,
    "variables": [
        {"variable": "stance", "level": "nominal", "alpha": 0.8123, "alpha_ci95_low": 0.7012,
         "alpha_ci95_high": 0.9034},
        {"variable": "country", "level": "nominal", "alpha": None, "alpha_ci95_low": None,
         "alpha_ci95_high": None},
    ],
}  # fmt: skip


def facts(**changes) -> dict:
    return {**copy.deepcopy(FACTS), **changes}


def test_the_run_and_corpus_are_described_with_their_figures():
    text = methods_text(facts())
    assert "the large language model `gpt-4o-mini`" in text
    assert "structured output constrained to a JSON Schema" in text
    assert "between 12 March 2025 and 14 March 2025 (UTC)" in text
    assert "run twice: on a random sample of n = 20 documents (seed 42) and the full" in text
    assert "the full corpus through the provider's Batch API" in text
    assert "Of the project's 120 documents, 115 (95.8%) were coded with schema version 2" in text
    assert "3 could not be read or coded and 2 had not been coded with this version" in text
    assert "(schema version 2, prompt hash `ab12cd34ef56`) has 2 variables" in text
    assert "`country` (text) and `stance` (category)" in text
    assert "115 values were carried unchanged from schema version 1," in text


def test_review_and_agreement_figures_with_one_decimal():
    text = methods_text(facts())
    assert "In n = 20 documents checked by a person, 40 of the dataset's 230 values (17.4%)" in text
    assert "32 were confirmed as the model gave them and 8 were corrected (20.0% of" in text
    assert "Overall, 32 of 40 checked values agreed (80.0%)" in text
    assert "`country` 95.0% (n = 20)" in text
    assert "`stance` 65.0% (n = 20, Cohen's κ = 0.46)" in text
    assert "need not hold for values nobody checked" in text
    assert "Simulated" not in text and "simulated" not in text


def test_cost_and_tokens():
    text = methods_text(facts())
    assert "135 model calls, using 1,234,567 input tokens (1,000 of them served" in text
    assert "45,678 output tokens, at a cost of USD 0.0123." in text
    assert "none was written by a language model" in text


def test_simulated_values_are_said_first_and_last():
    text = methods_text(facts(simulated=True))
    blocks = text.split("\n\n")
    assert blocks[1] == SIMULATED_WARNING
    assert SIMULATED_WARNING in blocks[-2]
    assert "must not be reported as findings" in text


def test_no_agreement_yet():
    rows = [
        {"key": "country", "n_verified": 0, "n_agree": 0, "agreement": None, "kappa": None},
        {"key": "stance", "n_verified": 0, "n_agree": 0, "agreement": None, "kappa": None},
    ]
    text = methods_text(
        facts(agreement=rows, values_verified=0, values_corrected=0, documents_checked=0)
    )
    assert NO_AGREEMENT in text
    assert "None of the 230 values was checked by a person" in text
    assert "Cohen" not in text and "Overall" not in text


def test_a_round_with_alpha_and_its_interval():
    text = methods_text(facts(reliability=ROUND))
    assert "coding round completed on 14 March 2025 in which 2 coders (alice and carol)" in text
    assert "coded the same 10 documents independently" in text
    assert "`stance` α = 0.81 (95% CI 0.70 to 0.90, nominal level)" in text
    assert "`country` α = n/a (no interval, nominal level)" in text
    assert "Krippendorff" not in methods_text(facts())


def test_one_run():
    text = methods_text(facts(jobs=[{"id": 1, "kind": "full", "mode": "standard"}]))
    assert "The prompt was run once, on the full corpus." in text


def test_missing_facts_leave_their_sentence_out():
    text = methods_text(
        facts(models=[], jobs=[], first_started_at=None, last_finished_at=None, cost_usd=0)
    )
    assert "Documents were coded with a large language model through" in text
    assert "The prompt was run" not in text
    assert "(UTC)" not in text
    assert "USD 0.00" in text


@pytest.mark.parametrize(
    ("part", "whole", "expected"), [(1, 3, "33.3%"), (2, 3, "66.7%"), (0, 5, "0.0%"), (1, 0, "n/a")]
)
def test_percent(part, whole, expected):
    assert percent(part, whole) == expected


def test_dates_and_money():
    assert day("2025-01-05T23:59:00-05:00") == "6 January 2025"
    assert day(None) is None
    assert period("2025-01-05T10:00:00+00:00", "2025-01-05T11:00:00+00:00") == "on 5 January 2025"
    assert money(1234.5) == "USD 1,234.50"
    assert money(0.5) == "USD 0.5000"
