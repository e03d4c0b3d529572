"""The one way the application asks a model for structured data.

``complete_json`` sends chat messages with a JSON Schema to any OpenAI-compatible
endpoint and returns the parsed answer with its cost. Around the request it does what
every caller would otherwise repeat: the response cache, the shared rate limiter, the
retry loop (``attempts.py``), cost from usage and the ``LLMCall`` ledger row.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from extractor.llm import records
from extractor.llm.admission import Admission, BudgetGuard
from extractor.llm.attempts import AttemptLog, run_attempts
from extractor.llm.batch import prepare_call
from extractor.llm.client import provider_config
from extractor.llm.errors import LLMConfigurationError, LLMError
from extractor.llm.models import LLMCall
from extractor.llm.tokens import count_messages

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallContext:
    """Who the call is for; stored on the ledger row so costs can be summed per job.

    ``admission``: the budget every attempt must be admitted by before it is sent
    (``extractor.llm.admission``); None for calls without a budget, which then cost
    no query at all.
    """

    purpose: str = ""
    project_id: int | None = None
    job_id: int | None = None
    document_id: int | None = None
    admission: Admission | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class LLMResult:
    data: dict[str, Any]
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    cost_usd: Decimal
    cached: bool
    call_id: int
    latency_ms: int
    attempts: int
    simulated: bool
    model: str
    finish_reason: str


def complete_json(
    *,
    messages: list[dict[str, Any]],
    schema_name: str,
    json_schema: dict[str, Any],
    model: str | None = None,
    context: CallContext | None = None,
    max_output_tokens: int | None = None,
    use_cache: bool = True,
) -> LLMResult:
    """Ask ``model`` for a JSON object valid for ``json_schema``.

    Raises a subclass of ``LLMError``; every outcome, failures included, is an
    ``LLMCall`` row (``error.call_id`` points at it), except a first attempt that the
    context's admission refuses (``BudgetExceededError``): nothing was sent, so there is
    no call to record. Call it outside ``transaction.atomic``: its rows are written one
    autocommitted statement at a time precisely so that no transaction stays open while
    the provider thinks.
    """
    started = time.monotonic()
    model = model or settings.EXTRACTOR_MODEL
    context = context or CallContext()
    max_output = max_output_tokens or settings.LLM_MAX_OUTPUT_TOKENS
    # The same request (and cache key) a batch line carries for these arguments.
    prepared = prepare_call(
        messages=messages,
        schema_name=schema_name,
        json_schema=json_schema,
        model=model,
        max_output_tokens=max_output,
    )
    sent, response_format, key = (
        prepared.messages,
        prepared.response_format,
        prepared.request_hash,
    )
    try:
        config, config_error = provider_config(), None
    except LLMConfigurationError as exc:
        config, config_error = None, exc
    base_url = config.base_url if config else settings.OPENAI_BASE_URL

    if use_cache and settings.LLM_CACHE_ENABLED:
        hit = records.cached_success(request_hash=key, model=model, base_url=base_url)
        if hit is not None:
            return _from_cache(hit, context=context, started=started)

    estimate = count_messages(sent, model)
    guard = BudgetGuard(
        context.admission,
        model=model,
        response_format=response_format,
        max_output_tokens=max_output,
    )
    log = AttemptLog(simulated=settings.LLM_SIMULATED)
    # The first attempt is admitted before its ledger row is written, so a refusal
    # leaves no trace of a call that never was; run_attempts admits the others.
    guard.admit(sent, prompt_tokens=estimate)
    try:
        call = records.record_start(
            request_hash=key,
            model=model,
            base_url=base_url[:200],
            max_output_tokens=max_output,
            estimated_prompt_tokens=estimate,
            simulated=settings.LLM_SIMULATED,
            **_context_fields(context),
        )
        guard.call_id = call.pk
        try:
            if config_error is not None:
                raise config_error
            data, finish_reason = run_attempts(
                log,
                config=config,
                model=model,
                messages=sent,
                response_format=response_format,
                json_schema=json_schema,
                max_output_tokens=max_output,
                prompt_tokens=estimate,
                guard=guard,
            )
        except Exception as exc:
            _record_failure(call, exc, log=log, model=model, started=started)
            raise
    finally:
        # Attempts settle as they end; this only closes a reservation that no attempt
        # used (the ledger row could not be written, the configuration is missing).
        guard.settle(log.cost(model))
    cost = log.cost(model)
    latency_ms = _ms_since(started)
    records.record_success(
        call,
        data=data,
        text=log.last_text,
        finish_reason=finish_reason,
        cost_usd=cost,
        latency_ms=latency_ms,
        **log.fields(),
    )
    return LLMResult(
        data=data,
        prompt_tokens=log.prompt_tokens,
        cached_tokens=log.cached_tokens,
        completion_tokens=log.completion_tokens,
        cost_usd=cost,
        cached=False,
        call_id=call.pk,
        latency_ms=latency_ms,
        attempts=log.attempts,
        simulated=log.simulated,
        model=model,
        finish_reason=finish_reason,
    )


def _from_cache(hit: LLMCall, *, context: CallContext, started: float) -> LLMResult:
    # Zero tokens and zero cost: nothing was spent, and sums over results or over
    # LLMCall rows must not count the original call twice.
    row = records.record_cache_hit(source=hit, context_fields=_context_fields(context))
    latency_ms = _ms_since(started)
    LLMCall.objects.filter(pk=row.pk).update(latency_ms=latency_ms)
    return LLMResult(
        data=hit.response,
        prompt_tokens=0,
        cached_tokens=0,
        completion_tokens=0,
        cost_usd=Decimal("0"),
        cached=True,
        call_id=row.pk,
        latency_ms=latency_ms,
        attempts=0,
        simulated=hit.simulated,
        model=hit.model,
        finish_reason=hit.finish_reason,
    )


def _record_failure(
    call: LLMCall, exc: Exception, *, log: AttemptLog, model: str, started: float
) -> None:
    error = exc if isinstance(exc, LLMError) else LLMError(f"Unexpected failure: {exc!r}")
    error.call_id = call.pk
    error.attempts = log.attempts
    # Tokens of answers that were cut, malformed or refused were billed all the same.
    records.record_failure(
        call,
        error=error,
        text=log.last_text,
        finish_reason=log.finish_reason,
        cost_usd=log.cost(model),
        latency_ms=_ms_since(started),
        **log.fields(),
    )
    logger.warning(
        "LLM call %s failed after %s attempt(s): %s: %s",
        call.pk,
        log.attempts,
        type(error).__name__,
        error.message,
    )


def _context_fields(context: CallContext) -> dict[str, Any]:
    return {
        "purpose": (context.purpose or "")[:32],  # the column's width
        "project_id": context.project_id,
        "job_id": context.job_id,
        "document_id": context.document_id,
    }


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
