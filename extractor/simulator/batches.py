"""OpenAI's Batch API over the files of ``files.py``: ``POST /v1/batches``,
``GET /v1/batches``, ``GET /v1/batches/{id}`` and ``POST /v1/batches/{id}/cancel``.

A batch's state follows from the time since its creation, as a fraction of its delay D
(``batch_delay_seconds``): ``validating`` for the first tenth, then ``failed`` if a line
of the input is invalid, else ``in_progress`` until 0.9 D with the request counts
growing in proportion, ``finalizing`` until D, ``completed`` at D. Requests are answered
when a poll sees them done, by the same builder as the live endpoint, so an output
line's body is the chat completion the live endpoint gives for that body.

Files follow OpenAI's documented format. The output file has one line per successful
request, ``{"id", "custom_id", "response": {"status_code": 200, "request_id", "body"},
"error": null}``; the error file has the requests that failed with an HTTP error (the
same shape, ``body`` an error object) and, for an expired or cancelled batch, the ones
never run, with ``"response": null, "error": {"code": "batch_expired" |
"batch_cancelled", "message"}``. Those do not count as failed in ``request_counts``.
A batch with no successful request has no output file, one without errors no error file.

Faults on demand (config, or the batch's metadata, which wins): ``simulate`` =
``failed`` (validation fails: an enqueued token limit), ``expired`` (half of the
requests done, then ``expired`` at D), ``cancelled`` (cancelled by someone else at 0.5 D:
``cancelling``, then ``cancelled``); ``simulate_error_every`` = n makes every n-th
request a 500 error line; ``simulate_delay_seconds`` sets D.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from extractor.simulator.chat import Reply, batch_line_reply, error_reply
from extractor.simulator.config import BATCH_OUTCOMES
from extractor.simulator.files import jsonl, list_reply, not_found

if TYPE_CHECKING:
    from extractor.simulator.server import SimulatorState

ENDPOINT = "/v1/chat/completions"
WINDOW_SECONDS = 24 * 3600
TERMINAL = ("completed", "failed", "expired", "cancelled")
# Phase ends, as shares of the batch's delay.
VALIDATED, PROCESSED = 0.1, 0.9
SIMULATED_CANCEL, CANCELLING = 0.5, 0.1
MAX_PROBLEMS = 100
MAX_METADATA_KEYS, MAX_METADATA_KEY, MAX_METADATA_VALUE = 16, 64, 512
DEFAULT_LIST, MAX_LIST = 20, 100


@dataclass(frozen=True)
class BatchLine:
    custom_id: str
    body: dict[str, Any]


@dataclass(eq=False)
class StoredBatch:
    id: str
    input_file_id: str
    completion_window: str
    metadata: dict[str, str] | None
    created: float
    delay: float
    outcome: str
    error_every: int
    lines: list[BatchLine]
    problems: list[dict[str, Any]]
    model: str | None
    status: str = "validating"
    cancel_at: float | None = None
    times: dict[str, int] = field(default_factory=dict)
    # One output or error line per request run so far, in input order.
    results: list[dict[str, Any]] = field(default_factory=list)
    output_file_id: str | None = None
    error_file_id: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self, share: float) -> float:
        return self.created + share * self.delay


class BatchStore:
    """The batches, in order of creation, and the log of their creation."""

    def __init__(self, state: SimulatorState):
        self._state = state
        self._batches: dict[str, StoredBatch] = {}
        self._created: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def log(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._created)

    def clear(self) -> None:
        with self._lock:
            self._batches.clear()
            self._created.clear()

    # --- endpoints ---------------------------------------------------------------------

    def create_reply(self, body: Any) -> Reply:
        """``POST /v1/batches``: refused with a 400 for a bad parameter or an input file
        over the limits; a bad line fails the batch later, as at OpenAI."""
        refused = _parameters_refused(body)
        if refused:
            return refused
        config = self._state.config
        stored = self._state.files.get(body["input_file_id"])
        if stored is None:
            return error_reply(
                404,
                f"No such File object: {body['input_file_id']}",
                code=None,
                param="input_file_id",
            )
        if stored.purpose != "batch":
            return _invalid(
                "input_file_id", "The input file must be uploaded with purpose 'batch'."
            )
        if len(stored.content) > config.batch_max_bytes:
            return error_reply(
                400,
                f"The batch input file is {len(stored.content):,} bytes; "
                f"the limit is {config.batch_max_bytes:,}.",
                code="file_too_large",
                param="input_file_id",
            )
        numbered = [
            (number, line)
            for number, line in enumerate(stored.content.split(b"\n"), start=1)
            if line.strip()
        ]
        if len(numbered) > config.batch_max_requests:
            return error_reply(
                400,
                f"The batch input file has {len(numbered):,} requests; "
                f"the limit is {config.batch_max_requests:,}.",
                code="too_many_tasks",
                param="input_file_id",
            )
        metadata = body.get("metadata")
        simulation = _simulation(config, metadata or {})
        if isinstance(simulation, Reply):
            return simulation
        outcome, error_every, delay = simulation
        lines, problems, model = _validated(numbered)
        batch = StoredBatch(
            id=f"batch_{uuid.uuid4().hex}",
            input_file_id=stored.id,
            completion_window=body["completion_window"],
            metadata=metadata,
            created=time.time(),
            delay=delay,
            outcome=outcome,
            error_every=error_every,
            lines=lines,
            problems=problems,
            model=model,
        )
        if outcome == "cancelled":
            batch.cancel_at = batch.at(SIMULATED_CANCEL)
        with self._lock:
            self._batches[batch.id] = batch
            self._created.append(
                {
                    "t": batch.created,
                    "id": batch.id,
                    "input_file_id": batch.input_file_id,
                    "requests": len(numbered),
                    "model": model,
                    "outcome": outcome,
                    "error_every": error_every,
                }
            )
        return Reply(body=self._object(batch))

    def retrieve_reply(self, batch_id: str) -> Reply:
        """``GET /v1/batches/{id}``."""
        batch = self._get(batch_id)
        if batch is None:
            return not_found("Batch", batch_id)
        self._advance(batch, time.time())
        return Reply(body=self._object(batch))

    def cancel_reply(self, batch_id: str) -> Reply:
        """``POST /v1/batches/{id}/cancel``: ``cancelling`` now, ``cancelled`` a moment
        later with what was done so far; a finished batch cannot be cancelled (409)."""
        batch = self._get(batch_id)
        if batch is None:
            return not_found("Batch", batch_id)
        now = time.time()
        self._advance(batch, now)
        with batch.lock:
            if batch.status in TERMINAL:
                return error_reply(
                    409, f"Cannot cancel a batch with status '{batch.status}'.", code=None
                )
            if batch.cancel_at is None or batch.cancel_at > now:
                batch.cancel_at = now
        self._advance(batch, now)
        return Reply(body=self._object(batch))

    def list_reply(self, query: dict[str, str]) -> Reply:
        """``GET /v1/batches``: newest first, ``limit`` (1-100, default 20) and ``after``."""
        with self._lock:
            batches = list(reversed(self._batches.values()))
        now = time.time()
        objects = []
        for batch in batches:
            self._advance(batch, now)
            objects.append(self._object(batch))
        return list_reply(objects, query, default_limit=DEFAULT_LIST, max_limit=MAX_LIST)

    # --- the life of a batch -------------------------------------------------------------

    def _get(self, batch_id: str) -> StoredBatch | None:
        with self._lock:
            return self._batches.get(batch_id)

    def _advance(self, batch: StoredBatch, now: float) -> None:
        """Bring the batch to where it is at ``now``, running the requests done by then
        (the first poll after a long pause runs them all at once)."""
        with batch.lock:
            if batch.status in TERMINAL:
                return
            cancel_at = batch.cancel_at if batch.cancel_at is not None else float("inf")
            validated = batch.at(VALIDATED)
            if now < min(validated, cancel_at):
                return
            if cancel_at < validated:  # cancelled before validation ended: nothing ran
                self._cancel(batch, now, done=0)
                return
            if batch.problems or batch.outcome == "failed":
                batch.times["failed_at"] = int(validated)
                batch.status = "failed"
                return
            batch.times["in_progress_at"] = int(validated)
            if now >= cancel_at:
                self._cancel(batch, now, done=self._done_by(batch, cancel_at))
                return
            self._run(batch, self._done_by(batch, now))
            if now < batch.at(PROCESSED) or (batch.outcome == "expired" and now < batch.at(1)):
                batch.status = "in_progress"
            elif batch.outcome == "expired":
                self._finish(batch, "expired", at=batch.at(1), unfinished="batch_expired")
            else:
                batch.times["finalizing_at"] = int(batch.at(PROCESSED))
                if now < batch.at(1):
                    batch.status = "finalizing"
                else:
                    self._finish(batch, "completed", at=batch.at(1), unfinished="")

    def _cancel(self, batch: StoredBatch, now: float, *, done: int) -> None:
        assert batch.cancel_at is not None
        self._run(batch, done)
        batch.times["cancelling_at"] = int(batch.cancel_at)
        ends = batch.cancel_at + CANCELLING * batch.delay
        if now < ends:
            batch.status = "cancelling"
        else:
            ran = "in_progress_at" in batch.times
            self._finish(batch, "cancelled", at=ends, unfinished="batch_cancelled" if ran else "")

    def _done_by(self, batch: StoredBatch, moment: float) -> int:
        span = batch.at(PROCESSED) - batch.at(VALIDATED)
        share = 1.0 if span <= 0 else (moment - batch.at(VALIDATED)) / span
        done = int(len(batch.lines) * min(max(share, 0.0), 1.0))
        if batch.outcome == "expired":
            done = min(done, len(batch.lines) // 2)
        return done

    def _run(self, batch: StoredBatch, done: int) -> None:
        for index in range(len(batch.results), done):
            batch.results.append(self._result(batch, index))

    def _result(self, batch: StoredBatch, index: int) -> dict[str, Any]:
        line = batch.lines[index]
        if batch.error_every and (index + 1) % batch.error_every == 0:
            reply = error_reply(
                500, "The server had an error while processing your request.", code=None
            )
        else:
            reply = batch_line_reply(self._state, line.body)
        return {
            "id": f"batch_req_{uuid.uuid4().hex}",
            "custom_id": line.custom_id,
            "response": {
                "status_code": reply.status,
                "request_id": uuid.uuid4().hex,
                "body": reply.body,
            },
            "error": None,
        }

    def _finish(self, batch: StoredBatch, status: str, *, at: float, unfinished: str) -> None:
        succeeded = [r for r in batch.results if _succeeded(r)]
        errors = [r for r in batch.results if not _succeeded(r)]
        if unfinished:
            message = {
                "batch_expired": "This request could not be executed before the "
                "completion window expired.",
                "batch_cancelled": "This request was not executed because the batch was cancelled.",
            }[unfinished]
            errors += [
                {
                    "id": f"batch_req_{uuid.uuid4().hex}",
                    "custom_id": line.custom_id,
                    "response": None,
                    "error": {"code": unfinished, "message": message},
                }
                for line in batch.lines[len(batch.results) :]
            ]
        files = self._state.files
        if succeeded:
            batch.output_file_id = files.add(
                content=jsonl(succeeded),
                filename=f"{batch.id}_output.jsonl",
                purpose="batch_output",
            ).id
        if errors:
            batch.error_file_id = files.add(
                content=jsonl(errors), filename=f"{batch.id}_error.jsonl", purpose="batch_output"
            ).id
        batch.times[f"{status}_at"] = int(at)
        batch.status = status

    def _object(self, batch: StoredBatch) -> dict[str, Any]:
        with batch.lock:
            ran = "in_progress_at" in batch.times
            succeeded = [r for r in batch.results if _succeeded(r)]
            errors = None
            if batch.status == "failed":
                errors = {"object": "list", "data": batch.problems or [_enqueued_limit(batch)]}
            body = {
                "id": batch.id,
                "object": "batch",
                "endpoint": ENDPOINT,
                "model": batch.model,
                "errors": errors,
                "input_file_id": batch.input_file_id,
                "completion_window": batch.completion_window,
                "status": batch.status,
                "output_file_id": batch.output_file_id,
                "error_file_id": batch.error_file_id,
                "created_at": int(batch.created),
                "expires_at": int(batch.created) + WINDOW_SECONDS,
                **{
                    name: batch.times.get(name)
                    for name in (
                        "in_progress_at",
                        "finalizing_at",
                        "completed_at",
                        "failed_at",
                        "expired_at",
                        "cancelling_at",
                        "cancelled_at",
                    )
                },
                "request_counts": {
                    "total": len(batch.lines) if ran else 0,
                    "completed": len(succeeded),
                    "failed": len(batch.results) - len(succeeded),
                },
                "usage": _usage(succeeded),
                "metadata": batch.metadata,
            }
        return body


def _succeeded(result: dict[str, Any]) -> bool:
    return bool(result["response"]) and result["response"]["status_code"] == 200


def _usage(results: list[dict[str, Any]]) -> dict[str, Any]:
    usages = [r["response"]["body"]["usage"] for r in results]
    prompt = sum(u["prompt_tokens"] for u in usages)
    completion = sum(u["completion_tokens"] for u in usages)
    cached = sum(u["prompt_tokens_details"]["cached_tokens"] for u in usages)
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }


def _enqueued_limit(batch: StoredBatch) -> dict[str, Any]:
    """The usual reason a valid batch fails at OpenAI."""
    return {
        "code": "token_limit_exceeded",
        "line": None,
        "param": None,
        "message": f"Enqueued token limit reached for {batch.model or 'this model'} in "
        "organization org-simulated. Please try again once some in_progress batches "
        "have been completed.",
    }


def _parameters_refused(body: Any) -> Reply | None:
    if not isinstance(body, dict):
        return error_reply(400, "The request body must be a JSON object.", code=None)
    for name in ("input_file_id", "endpoint", "completion_window"):
        if not isinstance(body.get(name), str) or not body[name]:
            return error_reply(
                400,
                f"Missing required parameter: '{name}'.",
                code="missing_required_parameter",
                param=name,
            )
    if body["endpoint"] != ENDPOINT:
        return _invalid("endpoint", f"The simulator runs batches of {ENDPOINT} only.")
    if body["completion_window"] != "24h":
        return _invalid("completion_window", "Only '24h' is supported.")
    metadata = body.get("metadata")
    if metadata is None:
        return None
    if (
        not isinstance(metadata, dict)
        or len(metadata) > MAX_METADATA_KEYS
        or not all(
            isinstance(k, str)
            and len(k) <= MAX_METADATA_KEY
            and isinstance(v, str)
            and len(v) <= MAX_METADATA_VALUE
            for k, v in metadata.items()
        )
    ):
        return _invalid(
            "metadata",
            f"Metadata is at most {MAX_METADATA_KEYS} pairs of strings "
            f"(keys up to {MAX_METADATA_KEY}, values up to {MAX_METADATA_VALUE} characters).",
        )
    return None


def _simulation(config: Any, metadata: dict[str, str]) -> tuple[str, int, float] | Reply:
    """(outcome, error every n-th request, delay) from the config and the metadata."""
    outcome = metadata.get("simulate", config.batch_outcome)
    if outcome not in BATCH_OUTCOMES:
        return _invalid("metadata", f"'simulate' must be one of {', '.join(BATCH_OUTCOMES)}.")
    try:
        error_every = int(metadata.get("simulate_error_every", config.batch_error_every))
        delay = float(metadata.get("simulate_delay_seconds", config.batch_delay_seconds))
    except ValueError:
        error_every, delay = -1, -1.0
    if error_every < 0 or delay < 0:
        return _invalid(
            "metadata",
            "'simulate_error_every' and 'simulate_delay_seconds' must be numbers >= 0.",
        )
    return outcome, error_every, delay


def _validated(
    numbered: list[tuple[int, bytes]],
) -> tuple[list[BatchLine], list[dict[str, Any]], str | None]:
    """The requests of an input file, the problems OpenAI would report for it (a batch
    with any fails), and the model they use."""
    lines: list[BatchLine] = []
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    model: str | None = None

    def problem(number: int, code: str, message: str, param: str | None = None) -> None:
        problems.append({"code": code, "line": number, "message": message, "param": param})

    if not numbered:
        problems.append(
            {"code": "empty_file", "line": None, "message": "The file is empty.", "param": None}
        )
    for number, raw in numbered:
        try:
            request = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            request = None
        if not isinstance(request, dict):
            problem(number, "invalid_json_line", "This line is not parseable as valid JSON.")
            continue
        custom_id, body = request.get("custom_id"), request.get("body")
        missing = [
            name
            for name, value in (("custom_id", custom_id), ("method", request.get("method")))
            if not isinstance(value, str) or not value
        ]
        if missing or not isinstance(body, dict):
            name = missing[0] if missing else "body"
            problem(
                number,
                "missing_required_parameter",
                f"Missing required parameter: '{name}'.",
                name,
            )
        elif request["method"] != "POST":
            problem(number, "invalid_value", "Only the POST method is supported.", "method")
        elif request.get("url") != ENDPOINT:
            problem(
                number,
                "url_mismatch",
                f"The URL provided for this request does not match the batch endpoint {ENDPOINT}.",
                "url",
            )
        elif custom_id in seen:
            problem(
                number,
                "duplicate_custom_id",
                "The custom_id for this request is a duplicate of another request. "
                "The custom_id parameter must be unique for each request in a batch.",
                "custom_id",
            )
        elif model is not None and body.get("model") != model:
            problem(
                number,
                "model_mismatch",
                "The provided model does not match the model of the other requests in "
                "this batch; a batch uses one model.",
                "body.model",
            )
        else:
            seen.add(custom_id)
            model = model or (body.get("model") if isinstance(body.get("model"), str) else None)
            lines.append(BatchLine(custom_id=custom_id, body=body))
    return lines, problems[:MAX_PROBLEMS], model


def _invalid(param: str, message: str) -> Reply:
    return error_reply(400, message, code="invalid_value", param=param)
