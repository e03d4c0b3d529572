"""The ``LLMCall`` ledger: the row written before a call goes out, its final state, and
the response cache that reads it.

Each write is a single autocommitted statement: no transaction is ever open while a
request is on the wire, so a slow provider cannot hold database locks.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from extractor.llm.errors import LLMError
from extractor.llm.models import LLMCall
from extractor.text import without_nul

_TEXT_LIMIT = 20_000  # raw answers kept for audit; JSON answers are stored whole anyway


def request_hash(
    *,
    model: str,
    messages: list[dict[str, Any]],
    response_format: dict[str, Any] | None,
    max_output_tokens: int,
) -> str:
    """sha256 of the request in canonical JSON: the cache key and the audit fingerprint."""
    canonical = json.dumps(
        {
            "model": model,
            "messages": messages,
            "response_format": response_format,
            "max_output_tokens": max_output_tokens,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def cached_success(*, request_hash: str, model: str, base_url: str) -> LLMCall | None:
    """The latest stored success for this request, if any.

    A simulated answer is reused only from the endpoint that made it: the simulator's
    made-up values must never come back as a real model's answer once a real provider
    is configured. A real answer is good for any endpoint serving the same model.
    """
    return (
        LLMCall.objects.filter(
            request_hash=request_hash, model=model, outcome=LLMCall.Outcome.SUCCESS
        )
        .filter(Q(simulated=False) | Q(base_url=base_url))
        .order_by("-id")
        .first()
    )


def cached_hashes(*, request_hashes: list[str], model: str, base_url: str) -> set[str]:
    """Which of these requests ``cached_success`` would answer, in one query (a batch's
    file leaves them out)."""
    return set(
        LLMCall.objects.filter(
            request_hash__in=request_hashes, model=model, outcome=LLMCall.Outcome.SUCCESS
        )
        .filter(Q(simulated=False) | Q(base_url=base_url))
        .values_list("request_hash", flat=True)
    )


def record_cache_hit(*, source: LLMCall, context_fields: dict[str, Any]) -> LLMCall:
    """A ``cached`` row: the answer reused, nothing spent."""
    now = timezone.now()
    return LLMCall.objects.create(
        request_hash=source.request_hash,
        model=source.model,
        outcome=LLMCall.Outcome.CACHED,
        attempts=0,
        response=source.response,
        finish_reason=source.finish_reason,
        simulated=source.simulated,
        base_url=source.base_url,
        max_output_tokens=source.max_output_tokens,
        estimated_prompt_tokens=source.estimated_prompt_tokens,
        cached_from=source,
        finished_at=now,
        **context_fields,
    )


def record_start(**fields: Any) -> LLMCall:
    """The ``pending`` row, written before the first request goes out."""
    return LLMCall.objects.create(outcome=LLMCall.Outcome.PENDING, attempts=0, **fields)


def record_progress(call_id: int, **fields: Any) -> None:
    """What a call still in progress has cost so far (tokens, cost, attempts): a
    process that dies before the call ends leaves this behind, not zeros."""
    LLMCall.objects.filter(pk=call_id, outcome=LLMCall.Outcome.PENDING).update(**fields)


def record_success(call: LLMCall, *, data: dict[str, Any], text: str, **fields: Any) -> None:
    _finish(
        call,
        outcome=LLMCall.Outcome.SUCCESS,
        response=data,
        response_text=text[:_TEXT_LIMIT],
        **fields,
    )


def record_failure(call: LLMCall, *, error: LLMError, text: str = "", **fields: Any) -> None:
    _finish(
        call,
        outcome=LLMCall.Outcome.ERROR,
        error_type=type(error).__name__,
        error_code=error.code[:64],
        error=error.message,
        response_text=text[:_TEXT_LIMIT],
        **fields,
    )


def _finish(call: LLMCall, **fields: Any) -> None:
    fields = {name: without_nul(value) for name, value in fields.items()}
    fields["finished_at"] = timezone.now()
    for name, value in fields.items():
        setattr(call, name, value)
    # One UPDATE of the row written at the start; ``save(update_fields=...)`` would
    # also work but this states plainly that nothing else is touched.
    LLMCall.objects.filter(pk=call.pk).update(**fields)


def abandon_stale_calls(*, older_than_seconds: float) -> int:
    """Close ``pending`` rows whose process died mid-call (nobody else will), so the
    ledger shows them as errors instead of calls in progress for ever."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return LLMCall.objects.filter(outcome=LLMCall.Outcome.PENDING, created_at__lt=cutoff).update(
        outcome=LLMCall.Outcome.ERROR,
        error_type="Abandoned",
        error="The process making this call stopped before it finished.",
    )
