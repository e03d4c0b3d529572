"""The provider's Batch API, for the gateway: requests as JSONL lines, the files and
batches endpoints through the ``openai`` SDK, and the answers read back into the same
checks (and the same ``LLMCall`` ledger, at the batch price) as live answers.

Nothing here knows about jobs: ``processing/batches.py`` decides what goes into a batch
and what becomes of its answers.

A request line is the body the live path sends for the same call (``prepare_call``),
so its ``request_hash`` is the live call's: an answer that came back in a batch is in
the response cache for the live path, and a request the cache answers is never put in
a batch.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
from dataclasses import dataclass, field
from typing import IO, Any

import openai
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from extractor.llm import records
from extractor.llm.attempts import check_finish
from extractor.llm.client import (
    ProviderConfig,
    TransientFailure,
    client_for,
    is_simulated,
    provider_config,
    response_from_body,
    status_failure,
)
from extractor.llm.errors import (
    InvalidResponseError,
    LLMConfigurationError,
    LLMError,
    ProviderUnavailableError,
)
from extractor.llm.models import LLMCall
from extractor.llm.pricing import cost_usd
from extractor.llm.structured import AnswerProblem, parse_answer, prepare_request, structured_mode
from extractor.llm.tokens import count_messages, count_text

logger = logging.getLogger(__name__)

ENDPOINT = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"
# OpenAI's limits per input file; settings may lower them (tests do).
MAX_REQUESTS_PER_FILE = 50_000
MAX_BYTES_PER_FILE = 200 * 1024**2
METADATA_TOKEN = "extractor_batch"  # noqa: S105 (a metadata key, not a secret)
_SUPPORT_CACHE_SECONDS = 300


class BatchUnavailableError(LLMConfigurationError):
    """The provider has no Batch API (Ollama, vLLM, llama.cpp server answer 404)."""

    def __init__(self, message: str):
        super().__init__(message, code="batch_unavailable", status=404)


class BatchGoneError(LLMError):
    """The provider no longer knows a batch or one of its files (404): what it held is
    lost, and its requests go back to the job."""

    permanent = True

    def __init__(self, message: str):
        super().__init__(message, code="batch_gone", status=404)


# --- Requests ------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedCall:
    """One chat request as the live path would send it, and its cache key."""

    model: str
    messages: list[dict[str, Any]]
    response_format: dict[str, Any]
    json_schema: dict[str, Any]
    max_output_tokens: int
    request_hash: str


def prepare_call(
    *,
    messages: list[dict[str, Any]],
    schema_name: str,
    json_schema: dict[str, Any],
    model: str,
    max_output_tokens: int,
) -> PreparedCall:
    """The request ``complete_json`` sends for these arguments (the same structured
    output mode, the same hash)."""
    sent, response_format = prepare_request(
        messages=messages, schema_name=schema_name, json_schema=json_schema, mode=structured_mode()
    )
    return PreparedCall(
        model=model,
        messages=sent,
        response_format=response_format,
        json_schema=json_schema,
        max_output_tokens=max_output_tokens,
        request_hash=records.request_hash(
            model=model,
            messages=sent,
            response_format=response_format,
            max_output_tokens=max_output_tokens,
        ),
    )


def request_line(call: PreparedCall, *, custom_id: str, config: ProviderConfig) -> bytes:
    """One line of a batch input file: the live request's body under ``custom_id``."""
    body = {
        "model": call.model,
        "messages": call.messages,
        "response_format": call.response_format,
        config.max_tokens_param: call.max_output_tokens,
    }
    line = {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def file_limits() -> tuple[int, int]:
    """(requests, bytes) per input file: the provider's, or lower by settings."""
    return (
        min(settings.BATCH_MAX_REQUESTS_PER_FILE, MAX_REQUESTS_PER_FILE),
        min(settings.BATCH_MAX_BYTES_PER_FILE, MAX_BYTES_PER_FILE),
    )


# --- The provider's endpoints -------------------------------------------------------------


@dataclass(frozen=True)
class BatchState:
    """What the provider says of one batch."""

    id: str
    status: str
    request_counts: dict[str, int] = field(default_factory=dict)
    output_file_id: str = ""
    error_file_id: str = ""
    errors: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


def _state(batch: Any) -> BatchState:
    counts = batch.request_counts
    errors = getattr(batch, "errors", None)
    messages = [
        f"{error.code}: {error.message}" if getattr(error, "code", None) else str(error.message)
        for error in (getattr(errors, "data", None) or [])
    ]
    return BatchState(
        id=batch.id,
        status=batch.status,
        request_counts={
            "total": counts.total if counts else 0,
            "completed": counts.completed if counts else 0,
            "failed": counts.failed if counts else 0,
        },
        output_file_id=batch.output_file_id or "",
        error_file_id=batch.error_file_id or "",
        errors="; ".join(messages)[:2000],
        metadata=dict(batch.metadata or {}),
    )


# 404 means "no Batch API" when the endpoint itself is missing; on one batch or file, it
# means that object is gone.
_ENDPOINT_CALLS = frozenset({"upload", "create", "probe", "list", "list files"})


def _calling(config: ProviderConfig, what: str, action):
    """Run one SDK request of the Batch API, its failures sorted like the live path's:
    ``TransientFailure`` for what may pass (the caller tries again at its next poll),
    ``BatchUnavailableError`` for a provider without the endpoint, ``BatchGoneError``
    for a batch or file it no longer has, another ``LLMError`` for the rest."""
    try:
        return action(client_for(config))
    except openai.APIStatusError as exc:
        if exc.status_code == 404 and what in _ENDPOINT_CALLS:
            raise BatchUnavailableError(
                f"{config.base_url} has no Batch API (HTTP 404 on {what}): use the "
                "standard mode with this provider."
            ) from exc
        if exc.status_code == 404:
            raise BatchGoneError(
                f"The provider no longer has what this step asked for ({what}: HTTP 404)."
            ) from exc
        raise status_failure(exc, config=config, model="") from exc
    except openai.APITimeoutError as exc:
        raise TransientFailure("timeout", f"Batch API {what}: no answer in time") from exc
    except openai.APIConnectionError as exc:
        raise TransientFailure("connection", f"Batch API {what}: {exc.__cause__ or exc}") from exc


def upload_file(config: ProviderConfig, *, filename: str, content: bytes) -> str:
    """Upload an input file (``purpose="batch"``); returns its id."""
    created = _calling(
        config,
        "upload",
        lambda client: client.files.create(
            file=(filename, io.BytesIO(content), "application/jsonl"), purpose="batch"
        ),
    )
    return created.id


def find_file(config: ProviderConfig, *, filename: str) -> str | None:
    """The id of an uploaded batch file named ``filename``, newest first, if any: a
    worker killed after the upload but before storing the id finds it here."""
    page = _calling(
        config, "list files", lambda client: client.files.list(purpose="batch", limit=100)
    )
    for item in page.data:
        if item.filename == filename:
            return item.id
    return None


def create_batch(
    config: ProviderConfig, *, input_file_id: str, token: str, job_id: int
) -> BatchState:
    """Submit the uploaded file as a batch, ``token`` in its metadata."""
    created = _calling(
        config,
        "create",
        lambda client: client.batches.create(
            input_file_id=input_file_id,
            endpoint=ENDPOINT,
            completion_window=COMPLETION_WINDOW,
            metadata={METADATA_TOKEN: token, "job": str(job_id)},
        ),
    )
    return _state(created)


def find_batch(config: ProviderConfig, *, token: str, pages: int = 10) -> BatchState | None:
    """The provider's batch carrying ``token`` in its metadata, among the newest
    ``pages`` x 100: a worker killed after submitting but before storing the id finds
    it here, so the same requests are never submitted twice."""
    after = None
    for _ in range(pages):
        options = {"limit": 100, **({"after": after} if after else {})}
        page = _calling(
            config, "list", lambda client, options=options: client.batches.list(**options)
        )
        for batch in page.data:
            if (batch.metadata or {}).get(METADATA_TOKEN) == token:
                return _state(batch)
        if not page.data or not getattr(page, "has_more", False):
            return None
        after = page.data[-1].id
    return None


def retrieve_batch(config: ProviderConfig, batch_id: str) -> BatchState:
    return _state(_calling(config, "retrieve", lambda client: client.batches.retrieve(batch_id)))


def cancel_batch(config: ProviderConfig, batch_id: str) -> BatchState:
    return _state(_calling(config, "cancel", lambda client: client.batches.cancel(batch_id)))


def download(config: ProviderConfig, file_id: str, into: IO[bytes]) -> bool:
    """Stream an output or error file into ``into`` (a 200 MB file never sits in
    memory whole); returns whether a simulator wrote it."""

    def stream(client):
        with client.files.with_streaming_response.content(file_id) as response:
            for chunk in response.iter_bytes():
                into.write(chunk)
            return is_simulated(response.headers)

    return _calling(config, "download", stream)


def delete_file(config: ProviderConfig, file_id: str) -> None:
    """Remove an input file the provider keeps once its batch is answered: best
    effort (the provider expires files anyway)."""
    try:
        _calling(config, "delete", lambda client: client.files.delete(file_id))
    except (LLMError, TransientFailure):
        logger.info("batch input file %s could not be deleted; the provider expires it", file_id)


@dataclass(frozen=True)
class Support:
    """Whether the configured provider takes batches, and if not, why (for the page)."""

    available: bool
    reason: str = ""


def batch_support(*, refresh: bool = False) -> Support:
    """Probe ``GET /batches?limit=1`` once per few minutes: a provider without a Batch
    API answers 404, and batch mode is then offered as unavailable with the reason."""
    if not settings.BATCH_ENABLED:
        return Support(False, "Batch mode is switched off on this server (BATCH_ENABLED).")
    try:
        config = provider_config()
    except LLMConfigurationError as exc:
        return Support(False, exc.message)
    key = f"llm:batch-support:{config.base_url}"
    if not refresh:
        known = cache.get(key)
        if known is not None:
            return Support(*known)
    try:
        _calling(config, "probe", lambda client: client.batches.list(limit=1))
        support = Support(True)
    except BatchUnavailableError as exc:
        support = Support(False, exc.message)
    except (LLMError, TransientFailure) as exc:
        message = exc.message if isinstance(exc, LLMError) else str(exc)
        # Not cached for long: the provider may only be starting.
        cache.set(key, (False, f"The provider's Batch API did not answer: {message}"), 15)
        return Support(False, f"The provider's Batch API did not answer: {message}")
    cache.set(key, (support.available, support.reason), _SUPPORT_CACHE_SECONDS)
    return support


# --- Answers ---------------------------------------------------------------------------


class ResultFile:
    """The lines of a batch's output and error files, kept in a temporary file and
    read by ``custom_id`` when asked: a collection holds an index, not the answers."""

    def __init__(self) -> None:
        # Closed by close(), which the collection calls in a finally.
        self.spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024**2)  # noqa: SIM115
        self.offsets: dict[str, int] = {}
        self.simulated = False

    def add(self, config: ProviderConfig, file_id: str) -> None:
        """Append a file's lines; an output line wins over an error line."""
        start = self.spool.seek(0, io.SEEK_END)
        self.simulated = download(config, file_id, self.spool) or self.simulated
        self.spool.seek(start)
        offset = start
        for number, raw in enumerate(iter(self.spool.readline, b""), start=1):
            custom_id = _custom_id(raw, number)
            if custom_id is not None:
                self.offsets[custom_id] = offset
            offset += len(raw)

    def get(self, custom_id: str) -> dict[str, Any] | None:
        offset = self.offsets.get(custom_id)
        if offset is None:
            return None
        self.spool.seek(offset)
        return json.loads(self.spool.readline())

    def close(self) -> None:
        self.spool.close()


def _custom_id(raw: bytes, number: int) -> str | None:
    """A result line's ``custom_id``; a broken line is logged and skipped (its request
    then has no answer and goes back to the job)."""
    if not raw.strip():
        return None
    try:
        line = json.loads(raw)
    except ValueError:
        logger.warning("batch result line %s is not JSON; skipped", number)
        return None
    custom_id = line.get("custom_id") if isinstance(line, dict) else None
    return custom_id if isinstance(custom_id, str) else None


@dataclass
class BatchAnswer:
    """One request's line, read: ``data`` when the answer is usable, else ``error``;
    the tokens are billed either way."""

    data: dict[str, Any] | None
    error: LLMError | None
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = ""
    text: str = ""
    status: int | None = None


def read_answer(line: dict[str, Any], call: PreparedCall) -> BatchAnswer:
    """The answer of one result line, judged as a live answer is (refusal, cut at the
    output limit, JSON valid for the schema); the live path's corrective retry is what
    the caller does with an error here."""
    response = line.get("response") or {}
    status = response.get("status_code") if isinstance(response, dict) else None
    body = response.get("body") if isinstance(response, dict) else None
    if status != 200 or not isinstance(body, dict):
        # The line's own error (expired, cancelled), else the HTTP error's body.
        error = line.get("error") or (body.get("error") if isinstance(body, dict) else None) or {}
        message = error.get("message") if isinstance(error, dict) else str(error)
        code = error.get("code") if isinstance(error, dict) else None
        return BatchAnswer(
            data=None,
            error=ProviderUnavailableError(
                f"The batch did not answer this request ({code or status}: {message}).",
                status=status,
            ),
            status=status,
        )
    parsed = response_from_body(body, status=status)
    if not parsed.prompt_tokens and not parsed.completion_tokens:
        # A line without usage was billed all the same: count it ourselves.
        logger.warning("batch answer %s has no usage; tokens counted locally", line["custom_id"])
        parsed.prompt_tokens = count_messages(call.messages, call.model)
        parsed.completion_tokens = count_text(parsed.content or parsed.refusal or "", call.model)
    answer = BatchAnswer(
        data=None,
        error=None,
        prompt_tokens=parsed.prompt_tokens,
        cached_tokens=parsed.cached_tokens,
        completion_tokens=parsed.completion_tokens,
        finish_reason=parsed.finish_reason,
        text=parsed.content or parsed.refusal or "",
        status=status,
    )
    try:
        check_finish(parsed, model=call.model, max_output_tokens=call.max_output_tokens)
        answer.data = parse_answer(parsed.content, call.json_schema)
    except AnswerProblem as problem:
        answer.error = InvalidResponseError(
            f"The model's answer did not fit the schema: {problem}."
        )
    except LLMError as exc:
        answer.error = exc
    return answer


def usage_only(line: dict[str, Any], message: str) -> BatchAnswer:
    """A result line whose request can no longer be matched to what was sent (the
    document or its schema changed meanwhile): its tokens are billed all the same."""
    response = line.get("response") if isinstance(line.get("response"), dict) else {}
    body = response.get("body") if isinstance(response.get("body"), dict) else {}
    status = response.get("status_code") if isinstance(response.get("status_code"), int) else None
    parsed = response_from_body(body, status=status or 0)
    return BatchAnswer(
        data=None,
        error=InvalidResponseError(message),
        prompt_tokens=parsed.prompt_tokens,
        cached_tokens=parsed.cached_tokens,
        completion_tokens=parsed.completion_tokens,
        finish_reason=parsed.finish_reason,
        status=status,
    )


def ledger_row(
    answer: BatchAnswer,
    *,
    request_hash: str,
    model: str,
    max_output_tokens: int | None,
    batch_id: str,
    base_url: str,
    simulated: bool,
    context: dict[str, Any],
) -> LLMCall:
    """The ``LLMCall`` row of one batch answer (unsaved: the caller writes it with the
    work item's outcome), billed at the batch price. A usable answer is a ``success``
    row, so the response cache serves it to the live path."""
    cost = cost_usd(
        model,
        prompt_tokens=answer.prompt_tokens,
        cached_tokens=answer.cached_tokens,
        completion_tokens=answer.completion_tokens,
        batch=True,
    )
    row = LLMCall(
        request_hash=request_hash,
        model=model,
        attempts=1,
        prompt_tokens=answer.prompt_tokens,
        cached_tokens=answer.cached_tokens,
        completion_tokens=answer.completion_tokens,
        cost_usd=cost,
        finish_reason=answer.finish_reason[:32],
        response_text=answer.text[:20_000],
        simulated=simulated,
        base_url=base_url[:200],
        max_output_tokens=max_output_tokens,
        http_status=answer.status,
        batch_id=batch_id[:200],
        finished_at=timezone.now(),
        **context,
    )
    if answer.error is None:
        row.outcome = LLMCall.Outcome.SUCCESS
        row.response = answer.data
    else:
        row.outcome = LLMCall.Outcome.ERROR
        row.error_type = type(answer.error).__name__
        row.error_code = answer.error.code[:64]
        row.error = answer.error.message
    return row
