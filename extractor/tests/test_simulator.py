"""The simulated provider over plain HTTP (no gateway): wire format, answers, limits,
faults, concurrency, and the two ways to start it from a shell."""

from __future__ import annotations

import json
import random
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest

from extractor.llm.structured import SCHEMA_BEGIN, SCHEMA_END
from extractor.simulator import Simulator, start_simulator
from extractor.simulator.answers import DOCUMENT_BEGIN, DOCUMENT_END, AnswerMaker

ROOT = Path(__file__).resolve().parents[2]
TEXT = (
    "The agreement was signed in Geneva on 4 March 2019 by 14 delegations. "
    "It cut tariffs on 312 products by 2.5 percent on average. "
    "Farmers' unions opposed the deal because of the import quotas."
)
SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "$defs": {
        "cell": {
            "type": "object",
            "additionalProperties": False,
            "required": ["value", "evidence", "confidence"],
            "properties": {
                "value": {"type": ["integer", "null"]},
                "evidence": {"type": "string"},
                "confidence": {"type": "number"},
            },
        }
    },
    "required": ["key", "signed", "year", "products", "sector", "parties", "count", "other"],
    "properties": {
        "key": {"type": "string"},
        "signed": {"type": ["string", "null"], "description": "date of signature"},
        "year": {"type": "integer"},
        "products": {"$ref": "#/$defs/cell"},
        "sector": {"type": ["string", "null"], "enum": ["farming", "industry", None]},
        "parties": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        "count": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "other": {"type": "boolean"},
    },
}


@pytest.fixture
def simulator():
    running = Simulator()
    yield running
    running.stop()


def post(base_url: str, body: dict, *, key: str | None = "sk-test", timeout: float = 5):
    request = urllib.request.Request(
        f"{base_url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {key}"} if key else {}),
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def chat(schema: dict | None = SCHEMA, *, text: str = TEXT, **extra) -> dict:
    user = f"Extract.\n{DOCUMENT_BEGIN}\n{text}\n{DOCUMENT_END}\nAnswer in JSON."
    body = {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You extract variables. Quote the evidence."},
            {"role": "user", "content": user},
        ],
    }
    if schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "extraction", "strict": True, "schema": schema},
        }
    return body | extra


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_completion_looks_like_openais(simulator):
    status, headers, body = post(simulator.base_url, chat())

    assert status == 200
    assert headers["x-simulated"] == "true"
    assert body["object"] == "chat.completion" and body["model"] == "gpt-4o-mini"
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens_details"]["cached_tokens"] == 0


def test_answers_fit_the_schema_and_come_from_the_document(simulator):
    _, _, body = post(simulator.base_url, chat())
    data = json.loads(body["choices"][0]["message"]["content"])

    jsonschema.validate(data, SCHEMA)
    assert re.fullmatch(r"[a-z][a-z0-9_]{0,62}", data["key"])
    assert data["products"]["evidence"] in TEXT, "verbatim, and from the document only"
    assert 0 <= data["products"]["confidence"] <= 1
    assert post(simulator.base_url, chat())[2]["choices"] == body["choices"], "deterministic"


def test_numbers_and_dates_are_taken_from_the_text_when_there_are_any():
    picks = [AnswerMaker(TEXT, random.Random(seed)) for seed in range(30)]
    dates = [maker.value({"type": "string"}, "signed_date") for maker in picks]
    counts = [maker.value({"type": "integer"}, "delegations") for maker in picks]
    years = [maker.value({"type": "integer"}, "year") for maker in picks]

    assert sum(d == "2019-03-04" for d in dates) >= 20
    assert sum(c in (14, 312, 2019, 4) for c in counts) >= 20
    assert set(years) == {2019}


def test_a_date_asked_for_in_the_description_is_a_date_from_the_text():
    from schemas.types.scalars import DATE_DESCRIPTION

    schema = {"type": ["string", "null"], "description": DATE_DESCRIPTION}
    picks = [AnswerMaker(TEXT, random.Random(seed)).value(schema, "value") for seed in range(30)]

    answered = [pick for pick in picks if pick is not None]
    assert answered and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", pick) for pick in answered)
    assert sum(pick == "2019-03-04" for pick in answered) >= len(answered) // 2


def test_nullable_fields_are_sometimes_null():
    makers = [AnswerMaker(TEXT, random.Random(seed)) for seed in range(60)]
    values = [maker.value({"type": ["string", "null"]}, "note") for maker in makers]
    assert None in values and any(isinstance(v, str) for v in values)


def test_json_object_mode_reads_the_schema_from_the_prompt(simulator):
    body = chat(schema=None, response_format={"type": "json_object"})
    body["messages"][0]["content"] += f"\n{SCHEMA_BEGIN}\n{json.dumps(SCHEMA)}\n{SCHEMA_END}"

    _, _, answer = post(simulator.base_url, body)

    jsonschema.validate(json.loads(answer["choices"][0]["message"]["content"]), SCHEMA)


def test_a_repeated_long_prefix_is_reported_as_cached(simulator):
    long_text = " ".join(f"Clause {i} sets a duty of {i % 9} percent." for i in range(300))
    first = post(simulator.base_url, chat(text=long_text))[2]["usage"]
    second = post(simulator.base_url, chat(text=long_text + " One more clause."))[2]["usage"]

    assert first["prompt_tokens_details"]["cached_tokens"] == 0
    cached = second["prompt_tokens_details"]["cached_tokens"]
    assert cached >= 1024 and cached % 128 == 0 and cached <= second["prompt_tokens"]


def test_its_own_rate_limit_answers_429_with_retry_after():
    base_url, stop = start_simulator(rpm=2, window=5)
    try:
        assert post(base_url, chat())[0] == 200
        status, headers, _ = post(base_url, chat())
        assert status == 200 and headers["x-ratelimit-remaining-requests"] == "0"
        status, headers, body = post(base_url, chat())
    finally:
        stop()

    assert status == 429 and body["error"]["code"] == "rate_limit_exceeded"
    assert int(headers["retry-after"]) >= 4
    assert 4000 < int(headers["retry-after-ms"]) <= 5000
    assert headers["x-ratelimit-limit-requests"] == "2"


@pytest.mark.parametrize(("fault", "status"), [("500", 500), ("503", 503), ("429", 429)])
def test_scripted_error_faults(fault, status):
    simulator = Simulator(fault_script=[fault], retry_after=2)
    try:
        first, headers, body = post(simulator.base_url, chat())
        second = post(simulator.base_url, chat())[0]
    finally:
        simulator.stop()

    assert (first, second) == (status, 200)
    assert body["error"]["message"]
    if fault == "429":
        assert headers["retry-after"] == "2"
    assert [r["fault"] for r in simulator.requests()] == [fault, ""]


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("truncate", lambda c: c["finish_reason"] == "length"),
        ("refusal", lambda c: c["message"]["refusal"] and c["message"]["content"] is None),
        ("malformed", lambda c: not _is_json(c["message"]["content"])),
        ("invalid", lambda c: _is_json(c["message"]["content"])),
    ],
)
def test_scripted_answer_faults(fault, check):
    simulator = Simulator(fault_script=[fault])
    try:
        _, _, body = post(simulator.base_url, chat())
    finally:
        simulator.stop()
    assert check(body["choices"][0])


def test_timeouts_and_dropped_connections():
    simulator = Simulator(fault_script=["timeout", "disconnect"], hang_seconds=30)
    try:
        started = time.monotonic()
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            post(simulator.base_url, chat(), timeout=0.3)
        assert time.monotonic() - started < 2
        with pytest.raises((ConnectionError, urllib.error.URLError, http_client_errors())):
            post(simulator.base_url, chat())
    finally:
        simulator.stop()


def test_the_output_limit_cuts_the_answer(simulator):
    _, _, body = post(simulator.base_url, chat(max_completion_tokens=4))
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] <= 4


def test_models_keys_and_bad_requests():
    simulator = Simulator(models="gpt-4o-mini,local-llama", require_key=True)
    try:
        url = simulator.base_url
        with urllib.request.urlopen(f"{url}/models", timeout=5) as response:
            listed = [m["id"] for m in json.loads(response.read())["data"]]
        assert listed == ["gpt-4o-mini", "local-llama"]
        assert post(url, chat(), key=None)[0] == 401
        status, _, body = post(url, chat(model="gpt-9"))
        assert status == 404 and body["error"]["code"] == "model_not_found"
        assert post(url, {"model": "gpt-4o-mini", "messages": []})[0] == 400
        assert post(url.removesuffix("/v1"), chat())[0] == 404
        assert post(url, chat())[0] == 200
    finally:
        simulator.stop()


def test_fifty_concurrent_requests_are_served_together():
    simulator = Simulator(latency=0.5)
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=50) as pool:
            statuses = list(pool.map(lambda _: post(simulator.base_url, chat())[0], range(50)))
        elapsed = time.monotonic() - started
    finally:
        simulator.stop()
    assert statuses == [200] * 50
    assert elapsed < 5, "served in parallel, not one after another (25 s)"


def test_options_are_checked():
    with pytest.raises(ValueError, match="unknown fault"):
        Simulator(fault_script="500,explode")
    with pytest.raises(ValueError, match="more than 1"):
        Simulator(fail_500=0.7, fail_503=0.7)
    with pytest.raises(TypeError, match="unknown simulator option"):
        Simulator(colour="blue")


@pytest.mark.parametrize(
    "command",
    [["manage.py", "simulate_llm"], ["-m", "extractor.simulator"]],
    ids=["manage.py", "python -m"],
)
def test_it_starts_from_the_command_line(command):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, *command, "--port", str(port), "--latency", "0", "--rpm", "600"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, headers, _ = post(f"http://127.0.0.1:{port}/v1", chat())
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
        assert status == 200 and headers["x-ratelimit-limit-requests"] == "600"
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0].decode()
    assert f"http://127.0.0.1:{port}/v1" in output


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (TypeError, ValueError):
        return False
    return True


def http_client_errors():
    import http.client

    return http.client.HTTPException
