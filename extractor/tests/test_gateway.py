"""The gateway against the simulator over real HTTP: answers, retries, failures, the
cache and costs. Faults come from the simulator's fault script, so nothing is random."""

from __future__ import annotations

import re
import socket
import time
from decimal import Decimal

import jsonschema
import pytest

from extractor.llm.errors import (
    InvalidResponseError,
    LLMConfigurationError,
    LLMRequestError,
    LLMTimeoutError,
    ModelNotFoundError,
    ProviderUnavailableError,
    RateLimitedError,
    RefusalError,
    TruncatedError,
)
from extractor.llm.gateway import CallContext, complete_json
from extractor.llm.models import LLMCall
from extractor.llm.pricing import cost_usd
from extractor.llm.tokens import count_messages
from extractor.simulator.answers import DOCUMENT_BEGIN, DOCUMENT_END

pytestmark = pytest.mark.django_db

DOCUMENT = (
    "The Treaty of Lisbon was signed on 13 December 2007 by 27 member states. "
    "It entered into force on 1 December 2009 after ratification by every state. "
    "Supporters argued that it made the union more democratic and efficient. "
    "Critics said that 3 referendums had been ignored and the text was 272 pages long."
)

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "title",
        "year",
        "pages",
        "share",
        "ratified",
        "signed_on",
        "stance",
        "topics",
        "note",
        "amount",
        "evidence",
        "confidence",
        "variables",
    ],
    "properties": {
        "title": {"type": "string"},
        "year": {"type": "integer"},
        "pages": {"type": ["integer", "null"]},
        "share": {"type": "number"},
        "ratified": {"type": "boolean"},
        "signed_on": {"type": ["string", "null"], "description": "ISO date"},
        "stance": {"type": "string", "enum": ["for", "against", "neutral"]},
        "topics": {
            "type": "array",
            "items": {"type": "string", "enum": ["trade", "law", "democracy", "defence"]},
        },
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "amount": {"anyOf": [{"type": "number"}, {"type": "null"}]},
        "evidence": {"type": "string", "description": "verbatim quote from the document"},
        "confidence": {"type": "number"},
        "variables": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["key", "label"],
                "properties": {"key": {"type": "string"}, "label": {"type": "string"}},
            },
        },
    },
}
SIMPLE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["country", "evidence"],
    "properties": {"country": {"type": ["string", "null"]}, "evidence": {"type": "string"}},
}


def messages_for(document: str = DOCUMENT, system: str = "Extract the variables.") -> list[dict]:
    user = f"Document:\n{DOCUMENT_BEGIN}\n{document}\n{DOCUMENT_END}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def ask(schema: dict = SIMPLE_SCHEMA, **kwargs):
    options = {
        "messages": messages_for(),
        "schema_name": "extraction",
        "json_schema": schema,
        "model": "gpt-4o-mini",
        "context": CallContext(purpose="extraction", project_id=1, job_id=2, document_id=3),
        "use_cache": False,
    }
    options.update(kwargs)
    return complete_json(**options)


def test_answer_is_valid_for_a_schema_with_every_type(llm_simulator):
    result = ask(SCHEMA)

    jsonschema.validate(result.data, SCHEMA)
    assert result.data["evidence"] in DOCUMENT
    assert 0 <= result.data["confidence"] <= 1
    for variable in result.data["variables"]:
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,62}", variable["key"])
    assert result.simulated and not result.cached
    assert result.attempts == 1 and result.finish_reason == "stop"
    assert result.prompt_tokens == count_messages([{**m} for m in messages_for()], "gpt-4o-mini"), (
        "the simulator bills what tiktoken counts"
    )
    call = LLMCall.objects.get(pk=result.call_id)
    assert call.outcome == LLMCall.Outcome.SUCCESS
    assert call.response == result.data
    assert (call.project_id, call.job_id, call.document_id) == (1, 2, 3)
    assert call.prompt_tokens == result.prompt_tokens > 0
    assert call.completion_tokens == result.completion_tokens > 0
    assert call.cost_usd == result.cost_usd > 0
    assert call.simulated and call.finished_at and call.http_status == 200
    assert len(call.request_hash) == 64


def test_the_same_request_gets_the_same_answer(llm_simulator):
    assert ask(SCHEMA).data == ask(SCHEMA).data
    other = ask(SCHEMA, messages=messages_for("Another text, about 12 ships in 1999."))
    assert other.data != ask(SCHEMA).data


def test_json_object_mode_puts_the_schema_in_the_prompt(llm_simulator, settings):
    settings.LLM_STRUCTURED_OUTPUT = "json_object"

    result = ask(SCHEMA)

    jsonschema.validate(result.data, SCHEMA)


@pytest.mark.parametrize("fault", ["500", "503", "429", "timeout", "disconnect"])
def test_transient_faults_are_retried_until_an_answer(start_llm_simulator, settings, fault):
    settings.LLM_REQUEST_TIMEOUT = 0.5
    simulator = start_llm_simulator(fault_script=[fault, fault], retry_after=0.05)

    result = ask()

    assert result.attempts == 3
    assert [r["fault"] for r in simulator.requests()] == [fault, fault, ""]
    call = LLMCall.objects.get(pk=result.call_id)
    assert call.outcome == LLMCall.Outcome.SUCCESS and call.attempts == 3
    assert call.rate_limited == (2 if fault == "429" else 0)


def test_retry_after_is_honoured(start_llm_simulator):
    start_llm_simulator(fault_script=["429"], retry_after=0.4)

    started = time.monotonic()
    result = ask()

    assert result.attempts == 2
    assert time.monotonic() - started >= 0.4


@pytest.mark.parametrize(
    ("fault", "error_type"),
    [
        ("500", ProviderUnavailableError),
        ("503", ProviderUnavailableError),
        ("429", RateLimitedError),
        ("timeout", LLMTimeoutError),
        ("disconnect", ProviderUnavailableError),
    ],
)
def test_gives_up_after_the_attempt_limit(start_llm_simulator, settings, fault, error_type):
    settings.LLM_MAX_ATTEMPTS = 3
    settings.LLM_REQUEST_TIMEOUT = 0.5
    simulator = start_llm_simulator(fault_script=[fault] * 5, retry_after=0.01)

    with pytest.raises(error_type) as caught:
        ask()

    error = caught.value
    assert not error.permanent
    assert len(simulator.requests()) == 3
    call = LLMCall.objects.get(pk=error.call_id)
    assert call.outcome == LLMCall.Outcome.ERROR
    assert call.attempts == 3
    assert call.error_type == error_type.__name__
    assert call.error_code == error.code
    assert call.error and call.finished_at


def test_the_total_time_budget_bounds_a_call(start_llm_simulator, settings):
    settings.LLM_TOTAL_TIMEOUT = 1.0
    start_llm_simulator(fault_script=["429"] * 5, retry_after=3)

    started = time.monotonic()
    with pytest.raises(RateLimitedError):
        ask()

    assert time.monotonic() - started < 1.0


def test_a_truncated_answer_is_not_retried(start_llm_simulator):
    simulator = start_llm_simulator(fault_script=["truncate"])

    with pytest.raises(TruncatedError) as caught:
        ask()

    assert caught.value.permanent and caught.value.finish_reason == "length"
    assert len(simulator.requests()) == 1
    call = LLMCall.objects.get(pk=caught.value.call_id)
    assert call.finish_reason == "length" and call.completion_tokens > 0 and call.cost_usd > 0


def test_an_answer_longer_than_the_output_limit_is_truncated(llm_simulator):
    with pytest.raises(TruncatedError):
        ask(SCHEMA, max_output_tokens=5)
    assert len(llm_simulator.requests()) == 1


@pytest.mark.parametrize("fault", ["malformed", "invalid"])
def test_an_unusable_answer_gets_one_corrective_retry(start_llm_simulator, fault):
    simulator = start_llm_simulator(fault_script=[fault])

    result = ask()

    assert result.attempts == 2
    seen = simulator.requests()
    assert [r["fault"] for r in seen] == [fault, ""]
    assert seen[1]["prompt_tokens"] > seen[0]["prompt_tokens"], "bad answer + correction sent"
    assert result.prompt_tokens == sum(r["prompt_tokens"] for r in seen)
    assert result.completion_tokens == sum(r["completion_tokens"] for r in seen)


def test_a_second_unusable_answer_is_an_invalid_response(start_llm_simulator):
    simulator = start_llm_simulator(fault_script=["malformed", "invalid", "ok"])

    with pytest.raises(InvalidResponseError) as caught:
        ask()

    assert len(simulator.requests()) == 2
    call = LLMCall.objects.get(pk=caught.value.call_id)
    assert call.outcome == LLMCall.Outcome.ERROR and call.attempts == 2
    assert call.response_text, "the bad answer is kept for the audit"


def test_a_refusal_is_permanent(start_llm_simulator):
    simulator = start_llm_simulator(fault_script=["refusal"])

    with pytest.raises(RefusalError) as caught:
        ask()

    assert caught.value.permanent
    assert len(simulator.requests()) == 1


def test_the_cache_answers_a_repeated_request_without_a_call(llm_simulator):
    first = ask(use_cache=True)
    second = ask(use_cache=True, context=CallContext(purpose="extraction", job_id=9))

    assert len(llm_simulator.requests()) == 1
    assert second.cached and second.data == first.data
    assert second.cost_usd == 0 and second.prompt_tokens == 0
    row = LLMCall.objects.get(pk=second.call_id)
    assert row.outcome == LLMCall.Outcome.CACHED and row.cost_usd == 0
    assert row.cached_from_id == first.call_id and row.job_id == 9

    ask(use_cache=False)
    assert len(llm_simulator.requests()) == 2


def test_the_cache_can_be_switched_off(llm_simulator, settings):
    settings.LLM_CACHE_ENABLED = False
    ask(use_cache=True)
    ask(use_cache=True)
    assert len(llm_simulator.requests()) == 2


def test_simulated_answers_are_not_served_to_another_endpoint(start_llm_simulator):
    start_llm_simulator()
    ask(use_cache=True)
    second = start_llm_simulator()

    result = ask(use_cache=True)

    assert not result.cached
    assert len(second.requests()) == 1


def test_costs_add_up_from_usage_including_cached_tokens(llm_simulator):
    # Instructions first, document last: the long shared prefix is cached upstream.
    instructions = "Extract the variables carefully. " + "Follow the codebook. " * 400
    results = [
        ask(messages=messages_for(document, system=instructions))
        for document in (DOCUMENT, "A second text about 4 ships.", "A third about 9 ports.")
    ]

    assert results[0].cached_tokens == 0
    assert all(r.cached_tokens >= 1024 for r in results[1:])
    for result in results:
        assert result.cost_usd == cost_usd(
            "gpt-4o-mini",
            prompt_tokens=result.prompt_tokens,
            cached_tokens=result.cached_tokens,
            completion_tokens=result.completion_tokens,
        )
    uncached = cost_usd(
        "gpt-4o-mini",
        prompt_tokens=results[1].prompt_tokens,
        cached_tokens=0,
        completion_tokens=results[1].completion_tokens,
    )
    assert results[1].cost_usd < uncached
    recorded = sum(LLMCall.objects.values_list("cost_usd", flat=True), Decimal(0))
    assert recorded == sum(r.cost_usd for r in results)


def test_no_key_and_no_base_url_is_a_configuration_error(llm_settings):
    llm_settings.OPENAI_API_KEY = ""
    llm_settings.OPENAI_BASE_URL = ""

    with pytest.raises(LLMConfigurationError) as caught:
        ask()

    assert caught.value.permanent and caught.value.code == "not_configured"
    assert LLMCall.objects.get(pk=caught.value.call_id).outcome == LLMCall.Outcome.ERROR


def test_an_unreachable_base_url_is_a_configuration_error(llm_settings):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    llm_settings.OPENAI_BASE_URL = f"http://127.0.0.1:{port}/v1"
    llm_settings.LLM_MAX_ATTEMPTS = 2

    with pytest.raises(LLMConfigurationError) as caught:
        ask()

    assert caught.value.code == "unreachable"
    assert LLMCall.objects.get(pk=caught.value.call_id).attempts == 2


def test_a_base_url_without_the_api_path_is_a_configuration_error(llm_simulator, settings):
    settings.OPENAI_BASE_URL = llm_simulator.base_url.removesuffix("/v1")

    with pytest.raises(LLMConfigurationError) as caught:
        ask()

    assert caught.value.code == "wrong_base_url"
    assert llm_simulator.requests() == [], "the simulator only logs its real endpoint"


def test_a_rejected_key_is_a_configuration_error(start_llm_simulator, settings):
    simulator = start_llm_simulator(api_key="sk-right")
    settings.OPENAI_API_KEY = "sk-wrong"

    with pytest.raises(LLMConfigurationError) as caught:
        ask()

    assert caught.value.code == "authentication_failed" and caught.value.status == 401
    assert len(simulator.requests()) == 1, "never retried"


def test_an_unknown_model_is_model_not_found(start_llm_simulator):
    simulator = start_llm_simulator(models="gpt-4o-mini")

    with pytest.raises(ModelNotFoundError) as caught:
        ask(model="gpt-imaginary")

    assert caught.value.permanent
    assert len(simulator.requests()) == 1
    assert ask(model="gpt-4o-mini").data


def test_a_bad_request_is_not_retried(llm_simulator):
    with pytest.raises(LLMRequestError) as caught:
        ask(messages=[])

    assert caught.value.status == 400
    assert len(llm_simulator.requests()) == 1
