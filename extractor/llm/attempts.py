"""The retry loop: the only place a gateway request is repeated.

What is retried, and how:

* 429, 5xx, 408/409, timeouts, dropped connections: exponential backoff with full
  jitter, at least as long as ``Retry-After`` says, within ``LLM_MAX_ATTEMPTS`` and the
  ``LLM_TOTAL_TIMEOUT`` budget (time spent waiting for the rate limiter included).
* An answer that is not JSON valid for the schema: one corrective retry at once (the
  bad answer and a short correction are appended), then ``InvalidResponseError``.
* Never: 400/401/403/404, refusals, truncated answers (the same request would be cut
  again; the caller has to send less).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from extractor.llm.admission import BudgetGuard
from extractor.llm.client import ProviderConfig, ProviderResponse, TransientFailure, send_chat
from extractor.llm.errors import (
    InvalidResponseError,
    LLMConfigurationError,
    LLMError,
    LLMTimeoutError,
    ProviderUnavailableError,
    RateLimitedError,
    RefusalError,
    TruncatedError,
)
from extractor.llm.pricing import cost_usd
from extractor.llm.ratelimit import acquire, limiter_from_settings, observe_headers
from extractor.llm.retry import Deadline, backoff_delay
from extractor.llm.structured import AnswerProblem, correction_message, parse_answer
from extractor.llm.tokens import count_messages

logger = logging.getLogger(__name__)


@dataclass
class AttemptLog:
    """What the attempts of one call added up to, for the ledger row and the result."""

    simulated: bool = False
    attempts: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    rate_limited: int = 0
    connected: bool = False
    http_status: int | None = None
    finish_reason: str = ""
    last_text: str = ""
    last_failure: TransientFailure | None = None
    last_problem: AnswerProblem | None = None

    def add_response(self, response: ProviderResponse) -> None:
        self.connected = True
        self.http_status = response.status
        self.simulated = self.simulated or response.simulated
        self.prompt_tokens += response.prompt_tokens
        self.cached_tokens += response.cached_tokens
        self.completion_tokens += response.completion_tokens
        self.finish_reason = response.finish_reason
        self.last_text = response.content or response.refusal or ""

    def add_failure(self, failure: TransientFailure) -> None:
        self.last_failure = failure
        self.last_problem = None
        self.connected = self.connected or failure.kind != "unreachable"
        if failure.status is not None:
            self.http_status = failure.status
        if failure.status == 429:
            self.rate_limited += 1
        self.simulated = self.simulated or failure.simulated

    def cost(self, model: str) -> Decimal:
        """What the attempts so far were billed: the ledger row's figure."""
        return cost_usd(
            model,
            prompt_tokens=self.prompt_tokens,
            cached_tokens=self.cached_tokens,
            completion_tokens=self.completion_tokens,
        )

    def fields(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "prompt_tokens": self.prompt_tokens,
            "cached_tokens": self.cached_tokens,
            "completion_tokens": self.completion_tokens,
            "rate_limited": self.rate_limited,
            "http_status": self.http_status,
            "simulated": self.simulated,
        }


def run_attempts(
    log: AttemptLog,
    *,
    config: ProviderConfig,
    model: str,
    messages: list[dict[str, Any]],
    response_format: dict[str, Any],
    json_schema: dict[str, Any],
    max_output_tokens: int,
    prompt_tokens: int,
    guard: BudgetGuard,
) -> tuple[dict[str, Any], str]:
    """Send the request until it yields valid data or a final ``LLMError``.

    ``prompt_tokens`` is the caller's count of ``messages`` (tokenising a long document
    again for every attempt would cost more CPU than the rest of the call). ``guard``
    admits every attempt but the first (the caller admitted that one) and settles each
    once its usage is known.

    Returns the parsed answer and its finish reason; ``log`` is filled in as it goes,
    so the caller can record the tokens spent even when this raises.
    """
    limiter = limiter_from_settings()
    deadline = Deadline(settings.LLM_TOTAL_TIMEOUT)
    conversation = counted = messages
    corrected = False
    while True:
        if log.attempts >= settings.LLM_MAX_ATTEMPTS or deadline.expired():
            raise _exhausted(log, deadline, config=config)
        if conversation is not counted:  # the corrective retry added to the prompt
            prompt_tokens = count_messages(conversation, model)
            counted = conversation
        tokens = prompt_tokens + max_output_tokens
        if log.attempts:
            guard.admit(conversation, prompt_tokens=prompt_tokens)
        try:
            ticket = acquire(limiter, tokens=tokens, deadline=deadline)
            log.attempts += 1
            try:
                outcome = _send_once(
                    config,
                    model=model,
                    messages=conversation,
                    response_format=response_format,
                    max_output_tokens=max_output_tokens,
                    timeout=max(min(settings.LLM_REQUEST_TIMEOUT, deadline.remaining()), 0.1),
                )
            finally:
                # The concurrency slot covers the time on the wire only, never a backoff.
                limiter.release(ticket=ticket)
            if isinstance(outcome, TransientFailure):
                log.add_failure(outcome)
            else:
                log.add_response(outcome)
        finally:
            # Released the moment the usage is known, never held through a backoff.
            guard.settle(log.cost(model), usage=log.fields())
        if isinstance(outcome, TransientFailure):
            if outcome.status == 429:
                limiter.settle(ticket=ticket, tokens=0)  # refused, so not counted
            if outcome.retry_after:
                # The provider said when it will take requests again: hold every
                # worker until then, not just this one.
                limiter.pause(seconds=outcome.retry_after)
            _wait_before_retry(log, deadline, config=config)
            continue
        response = outcome
        limiter.settle(ticket=ticket, tokens=response.prompt_tokens + response.completion_tokens)
        observe_headers(limiter, response.headers, next_tokens=tokens)
        check_finish(response, model=model, max_output_tokens=max_output_tokens)
        try:
            return parse_answer(response.content, json_schema), response.finish_reason
        except AnswerProblem as problem:
            log.last_problem = problem
            if corrected:
                raise InvalidResponseError(_invalid_message(problem, corrected=True)) from None
            corrected = True
            logger.info("LLM answer unusable (%s); asking once for a corrected answer", problem)
            conversation = [
                *conversation,
                {"role": "assistant", "content": response.content or ""},
                correction_message(problem),
            ]


def _send_once(config: ProviderConfig, **request: Any) -> ProviderResponse | TransientFailure:
    try:
        return send_chat(config, **request)
    except TransientFailure as failure:
        return failure


def check_finish(response: ProviderResponse, *, model: str, max_output_tokens: int) -> None:
    if response.refusal:
        raise RefusalError(f"The model declined to answer: {response.refusal}")
    if response.finish_reason == "content_filter":
        raise RefusalError("The provider's content filter stopped the answer.")
    if response.finish_reason == "length":
        raise TruncatedError(
            f"The answer was cut at the output limit of {max_output_tokens} tokens. "
            "Ask for fewer variables per call or use a shorter piece of text."
        )


def _wait_before_retry(log: AttemptLog, deadline: Deadline, *, config: ProviderConfig) -> None:
    failure = log.last_failure
    if log.attempts >= settings.LLM_MAX_ATTEMPTS:
        raise _exhausted(log, deadline, config=config)
    delay = backoff_delay(
        log.attempts, base=settings.LLM_BACKOFF_BASE, cap=settings.LLM_BACKOFF_MAX
    )
    if failure is not None and failure.retry_after is not None:
        delay = max(delay, failure.retry_after)
    if delay >= deadline.remaining():
        raise _exhausted(log, deadline, config=config)
    logger.debug("LLM attempt %s failed (%s); retrying in %.2f s", log.attempts, failure, delay)
    time.sleep(delay)


def _exhausted(log: AttemptLog, deadline: Deadline, *, config: ProviderConfig) -> LLMError:
    """The error that says why we stopped, once the attempts or the time ran out."""
    spent = f"after {log.attempts} attempt(s) over {deadline.elapsed():.0f} s"
    failure = log.last_failure
    if log.last_problem is not None:
        return InvalidResponseError(_invalid_message(log.last_problem, corrected=False))
    if failure is None:
        return ProviderUnavailableError(f"The call ran out of time before any answer ({spent}).")
    if failure.kind == "rate_limited":
        return RateLimitedError(
            f"The provider kept answering 'rate limited' (HTTP 429) {spent}. "
            "The document can be retried later, or the shared limits lowered.",
            status=429,
        )
    if failure.kind == "timeout":
        return LLMTimeoutError(f"The provider did not answer in time {spent}.")
    if not log.connected:
        return LLMConfigurationError(
            f"Could not connect to the provider at {config.base_url} {spent} ({failure}). "
            "Check OPENAI_BASE_URL and that the server is running.",
            code="unreachable",
        )
    return ProviderUnavailableError(
        f"The provider kept failing ({failure}) {spent}. The document can be retried later.",
        status=failure.status,
    )


def _invalid_message(problem: AnswerProblem, *, corrected: bool) -> str:
    if corrected:
        return f"The model's answer did not fit the schema, even after a correction: {problem}."
    return f"The model's answer did not fit the schema and no attempt was left: {problem}."
