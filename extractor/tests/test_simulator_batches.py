"""The simulated provider's Files and Batch APIs, driven by the real ``openai`` SDK: a
batch's life from upload to output file, the faults a test can ask for (failed,
expired, cancelled, error lines), OpenAI's limits, a provider without batches, the log."""

from __future__ import annotations

import json
import time
import urllib.request

import jsonschema
import openai
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletion

from extractor.simulator import Simulator
from extractor.simulator.config import add_arguments, config_from_arguments
from schemas.prompts import build_messages, build_prompt, response_format
from schemas.tests.codebooks import SMALL_SCHEMA

TEXTS = [
    "The agreement was signed in Geneva on 4 March 2019 by 14 delegations.",
    "Farmers' unions opposed the deal, signed on 2 May 2001 by 3 states.",
    "Observers praised the treaty; 27 parties ratified it in 2012.",
    "The pact between 2 neighbours was signed on 9 June 1995.",
]
BUNDLE = build_prompt(instructions="Trade agreements.", variables=SMALL_SCHEMA)
TERMINAL = ("completed", "failed", "expired", "cancelled")


def request_body(text: str) -> dict:
    """A chat body built as the live path builds it."""
    return {
        "model": "gpt-4o-mini",
        "messages": build_messages(BUNDLE, document_name="doc.txt", text=text),
        "response_format": response_format(BUNDLE.json_schema),
        "temperature": 0,
    }


def batch_file(count: int = 3, changes: dict[int, dict] | None = None) -> bytes:
    """A JSONL input of ``count`` requests; ``changes`` replaces fields of some lines."""
    lines = []
    for number in range(count):
        line = {
            "custom_id": f"doc-{number}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": request_body(TEXTS[number % len(TEXTS)]),
        }
        lines.append(json.dumps(line | (changes or {}).get(number, {})))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def simulator():
    running = Simulator(batch_delay_seconds=0.6)
    yield running
    running.stop()


def client_for(simulator: Simulator) -> OpenAI:
    # No retries: a test wants the simulator's first answer.
    return OpenAI(base_url=simulator.base_url, api_key="sk-test", max_retries=0)


@pytest.fixture
def client(simulator):
    return client_for(simulator)


def start_batch(client: OpenAI, content: bytes, **metadata: str):
    uploaded = client.files.create(file=("requests.jsonl", content), purpose="batch")
    return client.batches.create(
        input_file_id=uploaded.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata=metadata or None,
    )


def wait_for_end(client: OpenAI, batch_id: str, timeout: float = 10.0):
    """Poll until the batch ends; return it and every (status, counts) seen."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        batch = client.batches.retrieve(batch_id)
        seen.append((batch.status, batch.request_counts))
        if batch.status in TERMINAL:
            return batch, seen
        assert time.monotonic() < deadline, f"still {batch.status}"
        time.sleep(0.02)


def read_lines(client: OpenAI, file_id: str | None) -> list[dict]:
    if file_id is None:
        return []
    return [json.loads(line) for line in client.files.content(file_id).text.splitlines()]


def statuses(seen) -> list[str]:
    return [status for i, (status, _) in enumerate(seen) if i == 0 or seen[i - 1][0] != status]


def test_a_batch_runs_from_upload_to_output_file(client):
    uploaded = client.files.create(file=("requests.jsonl", batch_file(3)), purpose="batch")
    assert uploaded.id.startswith("file-") and uploaded.purpose == "batch"
    assert client.files.retrieve(uploaded.id).bytes == len(batch_file(3))
    created = client.batches.create(
        input_file_id=uploaded.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"job": "42"},
    )
    assert created.id.startswith("batch_") and created.status == "validating"

    batch, seen = wait_for_end(client, created.id)

    # Polls may miss the short validating and finalizing phases, never the order.
    order = ["validating", "in_progress", "finalizing", "completed"]
    assert "in_progress" in statuses(seen) and statuses(seen)[-1] == "completed"
    assert sorted(statuses(seen), key=order.index) == statuses(seen)
    completed = [counts.completed for _, counts in seen]
    assert completed == sorted(completed), "counts only grow"
    assert batch.request_counts.model_dump() == {"total": 3, "completed": 3, "failed": 0}
    assert batch.metadata == {"job": "42"} and batch.model == "gpt-4o-mini"
    assert batch.error_file_id is None and batch.errors is None
    assert batch.created_at <= batch.in_progress_at <= batch.finalizing_at <= batch.completed_at
    assert batch.expires_at == batch.created_at + 24 * 3600
    output = client.files.retrieve(batch.output_file_id)
    assert output.purpose == "batch_output"
    lines = read_lines(client, batch.output_file_id)
    assert [line["custom_id"] for line in lines] == ["doc-0", "doc-1", "doc-2"]
    for number, line in enumerate(lines):
        assert line["id"].startswith("batch_req_") and line["error"] is None
        assert line["response"]["status_code"] == 200 and line["response"]["request_id"]
        completion = ChatCompletion.model_validate(line["response"]["body"])
        answer = json.loads(completion.choices[0].message.content)
        jsonschema.validate(answer, BUNDLE.json_schema)
        assert completion.usage.prompt_tokens > 0 and completion.usage.completion_tokens > 0
        # The live endpoint answers the same body with the same completion.
        live = client.chat.completions.create(**request_body(TEXTS[number]))
        assert live.choices[0].message.content == completion.choices[0].message.content
        assert live.usage.prompt_tokens == completion.usage.prompt_tokens
        assert live.usage.completion_tokens == completion.usage.completion_tokens
    assert batch.usage.input_tokens == sum(
        line["response"]["body"]["usage"]["prompt_tokens"] for line in lines
    )


def test_files_can_be_listed_downloaded_and_deleted(client):
    content = batch_file(2)
    uploaded = client.files.create(file=("requests.jsonl", content), purpose="batch")
    assert client.files.content(uploaded.id).content == content
    assert [f.id for f in client.files.list(purpose="batch")] == [uploaded.id]
    assert client.files.delete(uploaded.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(uploaded.id)
    with pytest.raises(openai.BadRequestError, match="Must be .jsonl"):
        client.files.create(file=("requests.txt", content), purpose="batch")


def test_batches_are_listed_newest_first_a_page_at_a_time(client):
    first = start_batch(client, batch_file(1))
    second = start_batch(client, batch_file(1))
    page = client.batches.list(limit=1)
    assert [b.id for b in page.data] == [second.id] and page.has_more
    assert [b.id for b in client.batches.list(limit=1, after=second.id).data] == [first.id]
    assert [b.id for b in client.batches.list()] == [second.id, first.id]


def test_an_invalid_input_file_fails_the_batch_with_its_lines(client):
    content = batch_file(
        4,
        {1: {"url": "/v1/embeddings"}, 2: {"custom_id": "doc-0"}, 3: {"method": "GET"}},
    )
    content += b"not json\n"
    batch, _ = wait_for_end(client, start_batch(client, content).id)
    assert batch.status == "failed" and batch.failed_at and batch.in_progress_at is None
    errors = [(e.line, e.code) for e in batch.errors.data]
    assert errors == [
        (2, "url_mismatch"),
        (3, "duplicate_custom_id"),
        (4, "invalid_value"),
        (5, "invalid_json_line"),
    ]
    assert batch.output_file_id is None and batch.error_file_id is None


@pytest.mark.parametrize("source", ["metadata", "config"])
def test_a_batch_fails_on_demand(source):
    simulator = Simulator(
        batch_delay_seconds=0.3, **({"batch_outcome": "failed"} if source == "config" else {})
    )
    client = client_for(simulator)
    try:
        metadata = {"simulate": "failed"} if source == "metadata" else {}
        batch, _ = wait_for_end(client, start_batch(client, batch_file(3), **metadata).id)
    finally:
        simulator.stop()
    assert batch.status == "failed"
    assert batch.errors.data[0].code == "token_limit_exceeded"
    assert batch.output_file_id is None and batch.request_counts.completed == 0


def test_an_expired_batch_keeps_what_it_finished(client):
    batch, seen = wait_for_end(client, start_batch(client, batch_file(4), simulate="expired").id)
    assert batch.status == "expired" and batch.expired_at
    assert "finalizing" not in statuses(seen)
    assert batch.request_counts.model_dump() == {"total": 4, "completed": 2, "failed": 0}
    done = read_lines(client, batch.output_file_id)
    assert [line["custom_id"] for line in done] == ["doc-0", "doc-1"]
    unfinished = read_lines(client, batch.error_file_id)
    assert [line["custom_id"] for line in unfinished] == ["doc-2", "doc-3"]
    for line in unfinished:
        assert line["response"] is None and line["error"]["code"] == "batch_expired"


def test_a_batch_is_cancelled_on_demand(client):
    batch, seen = wait_for_end(client, start_batch(client, batch_file(4), simulate="cancelled").id)
    assert batch.status == "cancelled" and "completed" not in statuses(seen)
    assert batch.cancelling_at and batch.cancelled_at and batch.completed_at is None
    assert batch.request_counts.model_dump() == {"total": 4, "completed": 2, "failed": 0}
    assert len(read_lines(client, batch.output_file_id)) == 2
    unfinished = read_lines(client, batch.error_file_id)
    assert [line["error"]["code"] for line in unfinished] == ["batch_cancelled"] * 2


def test_cancelling_a_running_batch_keeps_the_partial_output(client):
    created = start_batch(client, batch_file(4), simulate_delay_seconds="2")
    deadline = time.monotonic() + 5
    while client.batches.retrieve(created.id).request_counts.completed < 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    cancelling = client.batches.cancel(created.id)
    assert cancelling.status == "cancelling"
    batch, _ = wait_for_end(client, created.id)
    assert batch.status == "cancelled"
    done = batch.request_counts.completed
    assert 1 <= done < 4
    assert len(read_lines(client, batch.output_file_id)) == done
    assert len(read_lines(client, batch.error_file_id)) == 4 - done
    with pytest.raises(openai.ConflictError, match="status 'cancelled'"):
        client.batches.cancel(created.id)


def test_cancelling_while_validating_runs_nothing(client):
    created = start_batch(client, batch_file(3), simulate_delay_seconds="5")
    assert client.batches.cancel(created.id).status == "cancelling"
    batch, _ = wait_for_end(client, created.id)
    assert batch.status == "cancelled" and batch.in_progress_at is None
    assert batch.output_file_id is None and batch.error_file_id is None


@pytest.mark.parametrize("source", ["metadata", "config"])
def test_every_nth_request_is_an_error_line_on_demand(source):
    options = {"batch_error_every": 2} if source == "config" else {}
    simulator = Simulator(batch_delay_seconds=0.3, **options)
    client = client_for(simulator)
    try:
        metadata = {"simulate_error_every": "2"} if source == "metadata" else {}
        batch, _ = wait_for_end(client, start_batch(client, batch_file(4), **metadata).id)
        output = read_lines(client, batch.output_file_id)
        errors = read_lines(client, batch.error_file_id)
    finally:
        simulator.stop()
    assert batch.status == "completed"
    assert batch.request_counts.model_dump() == {"total": 4, "completed": 2, "failed": 2}
    assert [line["custom_id"] for line in output] == ["doc-0", "doc-2"]
    assert [line["custom_id"] for line in errors] == ["doc-1", "doc-3"]
    for line in errors:
        assert line["response"]["status_code"] == 500 and line["error"] is None
        assert set(line["response"]["body"]["error"]) == {"message", "type", "param", "code"}


def test_a_request_the_live_endpoint_refuses_is_an_error_line(client):
    content = batch_file(2, {1: {"body": {"model": "gpt-4o-mini", "messages": []}}})
    batch, _ = wait_for_end(client, start_batch(client, content).id)
    assert batch.status == "completed"
    assert batch.request_counts.model_dump() == {"total": 2, "completed": 1, "failed": 1}
    (error,) = read_lines(client, batch.error_file_id)
    assert error["custom_id"] == "doc-1" and error["response"]["status_code"] == 400


def test_openai_limits_refuse_the_batch_at_creation():
    simulator = Simulator(batch_max_requests=2, batch_max_bytes=50_000)
    client = client_for(simulator)
    try:
        with pytest.raises(openai.BadRequestError) as too_many:
            start_batch(client, batch_file(3))
        with pytest.raises(openai.BadRequestError) as too_large:
            start_batch(client, batch_file(1) * 40)
        assert start_batch(client, batch_file(2)).status == "validating"
    finally:
        simulator.stop()
    assert too_many.value.code == "too_many_tasks" and too_many.value.param == "input_file_id"
    assert set(too_many.value.body) == {"message", "type", "param", "code"}
    assert too_large.value.code == "file_too_large"


def test_bad_batch_parameters_are_refused(client):
    uploaded = client.files.create(file=("requests.jsonl", batch_file(1)), purpose="batch")
    with pytest.raises(openai.BadRequestError, match="chat/completions"):
        client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/embeddings", completion_window="24h"
        )
    with pytest.raises(openai.NotFoundError):
        client.batches.create(
            input_file_id="file-missing", endpoint="/v1/chat/completions", completion_window="24h"
        )
    with pytest.raises(openai.BadRequestError, match="simulate"):
        start_batch(client, batch_file(1), simulate="exploded")
    other = client.files.create(file=("notes.jsonl", batch_file(1)), purpose="user_data")
    with pytest.raises(openai.BadRequestError, match="purpose 'batch'"):
        client.batches.create(
            input_file_id=other.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_missing")


def test_a_provider_without_batches_answers_404():
    simulator = Simulator(no_batch=True)
    client = client_for(simulator)
    try:
        with pytest.raises(openai.NotFoundError) as upload:
            client.files.create(file=("requests.jsonl", batch_file(1)), purpose="batch")
        with pytest.raises(openai.NotFoundError):
            client.batches.list()
        with pytest.raises(openai.NotFoundError):
            client.batches.retrieve("batch_x")
        assert client.chat.completions.create(**request_body(TEXTS[0])).choices
    finally:
        simulator.stop()
    assert set(upload.value.body) == {"message", "type", "param", "code"}


def test_the_log_counts_batches_and_reset_forgets_them(simulator, client):
    uploaded = client.files.create(file=("requests.jsonl", batch_file(2)), purpose="batch")
    for _ in range(2):
        client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
    with pytest.raises(openai.BadRequestError):
        start_batch(client, batch_file(1), simulate="exploded")
    root = simulator.base_url.removesuffix("/v1")
    with urllib.request.urlopen(f"{root}/_simulator/log") as response:
        log = json.loads(response.read())
    assert len(log["batches"]) == 2 and log["requests"] == []
    assert log["batches"][0]["requests"] == 2 and log["batches"][0]["model"] == "gpt-4o-mini"
    assert simulator.batches() == log["batches"]

    reset = urllib.request.Request(f"{root}/_simulator/reset", data=b"", method="POST")
    urllib.request.urlopen(reset).close()
    assert simulator.batches() == []
    assert list(client.batches.list()) == []
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(uploaded.id)


def test_the_batch_options_come_from_the_command_line():
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    options = vars(
        parser.parse_args(
            ["--no-batch", "--batch-outcome", "expired", "--batch-error-every", "10"]
            + ["--batch-delay-seconds", "3", "--batch-max-requests", "100"]
        )
    )
    config = config_from_arguments(options)
    assert config.no_batch and config.batch_outcome == "expired"
    assert (config.batch_error_every, config.batch_delay_seconds) == (10, 3.0)
    assert config.batch_max_requests == 100
    with pytest.raises(ValueError, match="unknown batch outcome"):
        Simulator(batch_outcome="exploded")
