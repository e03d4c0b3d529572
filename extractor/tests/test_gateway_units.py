"""The gateway's pure parts: prices, backoff, provider headers, hashing, answer checks."""

from __future__ import annotations

import email.utils
import random
from decimal import Decimal

import pytest

from extractor.llm.pricing import context_window, cost_usd, pricing_for
from extractor.llm.records import request_hash
from extractor.llm.retry import backoff_delay, parse_duration, parse_retry_after
from extractor.llm.structured import (
    SCHEMA_BEGIN,
    SCHEMA_END,
    AnswerProblem,
    parse_answer,
    prepare_request,
)

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["year"],
    "properties": {"year": {"type": "integer"}},
}


def test_dated_model_names_are_priced_as_their_family():
    assert pricing_for("gpt-4o-mini-2024-07-18") == pricing_for("gpt-4o-mini")
    assert pricing_for("gpt-4o-2024-08-06")["input"] == 2.50
    assert pricing_for("gpt-4.1-mini-2025-04-14")["output"] == 1.60
    assert context_window("gpt-4.1-nano") == 1_000_000


def test_unknown_models_use_the_default_price(settings):
    settings.LLM_DEFAULT_PRICING = {"input": 0, "cached_input": 0, "output": 0, "context": 8192}
    assert (
        cost_usd("llama3.1:8b", prompt_tokens=10_000, cached_tokens=0, completion_tokens=500) == 0
    )
    assert context_window("llama3.1:8b") == 8192


def test_cached_prompt_tokens_are_billed_at_the_cached_price():
    # gpt-4o-mini: 0.15 input, 0.075 cached input, 0.60 output (USD per million)
    cost = cost_usd("gpt-4o-mini", prompt_tokens=2000, cached_tokens=1024, completion_tokens=100)
    expected = Decimal(976) * Decimal("0.15") + 1024 * Decimal("0.075") + 100 * Decimal("0.6")
    assert cost == (expected / 1_000_000).quantize(Decimal("0.000001"))


def test_backoff_is_exponential_with_full_jitter_and_capped():
    rng = random.Random(3)
    delays = [backoff_delay(n, base=1.0, cap=10.0, rng=rng) for n in range(1, 9) for _ in range(50)]
    assert all(0 <= d <= 10 for d in delays)
    assert max(backoff_delay(1, base=1.0, cap=10.0, rng=rng) for _ in range(50)) <= 1.0
    assert max(delays) > 8, "late attempts reach the cap"


def test_retry_after_in_milliseconds_seconds_or_a_date():
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "1"}) == 0.25
    assert parse_retry_after({"Retry-After": "3"}) == 3
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=1_000_000) == pytest.approx(30)
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_openai_reset_durations():
    assert parse_duration("20ms") == pytest.approx(0.02)
    assert parse_duration("1.5s") == 1.5
    assert parse_duration("6m0s") == 360
    assert parse_duration("1h2m3s") == 3723
    assert parse_duration("2") == 2
    assert parse_duration("later") is None


def test_the_request_hash_ignores_key_order_but_not_content():
    messages = [{"role": "user", "content": "x"}]
    first = request_hash(
        model="m", messages=messages, response_format={"a": 1, "b": 2}, max_output_tokens=5
    )
    same = request_hash(
        model="m", messages=messages, response_format={"b": 2, "a": 1}, max_output_tokens=5
    )
    other = request_hash(
        model="m", messages=messages, response_format={"a": 1, "b": 2}, max_output_tokens=6
    )
    assert first == same != other


def test_answers_are_parsed_and_checked_against_the_schema():
    assert parse_answer('{"year": 2020}', SCHEMA) == {"year": 2020}
    assert parse_answer('```json\n{"year": 2020}\n```', SCHEMA) == {"year": 2020}
    with pytest.raises(AnswerProblem, match="not valid JSON"):
        parse_answer('{"year": 20', SCHEMA)
    with pytest.raises(AnswerProblem, match="not a JSON object"):
        parse_answer("[1]", SCHEMA)
    with pytest.raises(AnswerProblem, match="year"):
        parse_answer('{"year": "2020"}', SCHEMA)
    with pytest.raises(AnswerProblem, match="empty"):
        parse_answer(None, SCHEMA)


def test_json_object_mode_writes_the_schema_into_the_system_prompt():
    messages = [{"role": "system", "content": "Be careful."}, {"role": "user", "content": "Doc"}]

    sent, response_format = prepare_request(
        messages=messages, schema_name="x", json_schema=SCHEMA, mode="json_object"
    )

    assert response_format == {"type": "json_object"}
    assert sent[0]["content"].startswith("Be careful.")
    assert SCHEMA_BEGIN in sent[0]["content"] and SCHEMA_END in sent[0]["content"]
    assert messages[0]["content"] == "Be careful.", "the caller's messages are not changed"
    strict, response_format = prepare_request(
        messages=messages, schema_name="x", json_schema=SCHEMA, mode="json_schema"
    )
    assert strict == messages
    assert response_format["json_schema"] == {"name": "x", "strict": True, "schema": SCHEMA}
