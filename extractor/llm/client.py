"""One HTTP request to an OpenAI-compatible endpoint, with failures sorted by kind.

The official ``openai`` SDK does the wire protocol. Its own retries are switched off
(``max_retries=0``): the gateway's loop is the only retry layer, because two stacked
layers multiply attempts (6 x 3 = 18 requests for one call), hide 429s from the shared
rate limiter and break the total time budget.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx2  # the SDK's HTTP library, for telling connect errors apart
import openai
from django.conf import settings

from extractor.llm.errors import (
    ContextLengthError,
    LLMConfigurationError,
    LLMError,
    LLMRequestError,
    ModelNotFoundError,
)
from extractor.llm.retry import parse_retry_after

OPENAI_BASE_URL = "https://api.openai.com/v1"
SIMULATED_HEADER = "x-simulated"
# Local servers (Ollama, vLLM, llama.cpp, LM Studio) accept any key, but the SDK will
# not start without one.
_PLACEHOLDER_KEY = "not-needed"


@dataclass(frozen=True)
class ProviderConfig:
    base_url: str
    api_key: str
    max_tokens_param: str


@dataclass
class ProviderResponse:
    """What the gateway needs from one successful HTTP exchange."""

    content: str | None
    refusal: str | None
    finish_reason: str
    model: str
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    headers: Mapping[str, str]
    simulated: bool
    status: int = 200


class TransientFailure(Exception):
    """A failure worth retrying: ``kind`` is ``rate_limited``, ``unavailable``,
    ``timeout``, ``connection`` (dropped) or ``unreachable`` (could not connect)."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.headers = headers or {}
        self.simulated = is_simulated(headers)


def provider_config() -> ProviderConfig:
    """Where to send requests, from settings; a clear error when nothing is configured."""
    base_url = (settings.OPENAI_BASE_URL or "").strip()
    api_key = (settings.OPENAI_API_KEY or "").strip()
    if not base_url and not api_key:
        raise LLMConfigurationError(
            "No model provider is configured: set OPENAI_API_KEY for OpenAI, or "
            "OPENAI_BASE_URL for another OpenAI-compatible server (for the simulated model "
            "run `python manage.py simulate_llm` and point OPENAI_BASE_URL at it).",
            code="not_configured",
        )
    base_url = base_url or OPENAI_BASE_URL
    param = settings.LLM_MAX_TOKENS_PARAM
    if param == "auto":
        # OpenAI's newer models only take max_completion_tokens; local servers have
        # understood max_tokens for longer.
        param = "max_completion_tokens" if base_url.rstrip("/") == OPENAI_BASE_URL else "max_tokens"
    return ProviderConfig(
        base_url=base_url, api_key=api_key or _PLACEHOLDER_KEY, max_tokens_param=param
    )


_clients: dict[tuple, openai.OpenAI] = {}
_clients_lock = threading.Lock()


def client_for(config: ProviderConfig) -> openai.OpenAI:
    """One SDK client (and connection pool) per process and endpoint.

    Keyed by process id too: a connection pool inherited through ``fork`` (Celery's
    prefork workers) shares sockets with the parent and must not be used.
    """
    key = (os.getpid(), config.base_url, config.api_key)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = openai.OpenAI(
                api_key=config.api_key,
                base_url=config.base_url,
                max_retries=0,  # the gateway's loop is the only retry layer
                timeout=settings.LLM_REQUEST_TIMEOUT,
            )
            _clients[key] = client
        return client


def send_chat(
    config: ProviderConfig,
    *,
    model: str,
    messages: list[dict[str, Any]],
    response_format: dict[str, Any] | None,
    max_output_tokens: int,
    timeout: float,
) -> ProviderResponse:
    """Send one chat completion request.

    Returns the answer, raises ``TransientFailure`` for what may pass (429, 5xx,
    timeouts, dropped connections) and an ``LLMError`` for what will not.
    """
    kwargs: dict[str, Any] = {config.max_tokens_param: max_output_tokens}
    if response_format is not None:
        kwargs["response_format"] = response_format
    try:
        raw = client_for(config).chat.completions.with_raw_response.create(
            model=model, messages=messages, timeout=timeout, **kwargs
        )
        completion = raw.parse()
    except openai.APIResponseValidationError as exc:
        raise _not_openai(config) from exc
    except openai.APIStatusError as exc:
        raise status_failure(exc, config=config, model=model) from exc
    except openai.APITimeoutError as exc:
        raise TransientFailure("timeout", f"no answer within {timeout:.0f} s") from exc
    except openai.APIConnectionError as exc:
        raise _connection_failure(exc, config=config) from exc
    if not hasattr(completion, "choices"):
        # A web server that is not an OpenAI-compatible API answers 200 with HTML.
        raise _not_openai(config)
    return _response(completion, raw.headers, raw.status_code)


def _not_openai(config: ProviderConfig) -> LLMConfigurationError:
    return LLMConfigurationError(
        f"{config.base_url} did not answer like an OpenAI-compatible API. Check OPENAI_BASE_URL.",
        code="wrong_base_url",
    )


def _response(completion: Any, headers: Mapping[str, str], status: int) -> ProviderResponse:
    choice = completion.choices[0] if completion.choices else None
    message = choice.message if choice else None
    usage = completion.usage
    details = getattr(usage, "prompt_tokens_details", None) if usage else None
    return ProviderResponse(
        content=message.content if message else None,
        refusal=getattr(message, "refusal", None) if message else None,
        finish_reason=(choice.finish_reason if choice else None) or "",
        model=completion.model or "",
        prompt_tokens=(usage.prompt_tokens or 0) if usage else 0,
        cached_tokens=(getattr(details, "cached_tokens", 0) or 0) if details else 0,
        completion_tokens=(usage.completion_tokens or 0) if usage else 0,
        headers=headers,
        simulated=is_simulated(headers),
        status=status,
    )


def response_from_body(body: Mapping[str, Any], *, status: int = 200) -> ProviderResponse:
    """A chat completion read from its JSON body (a batch output line carries one per
    request), with the same fields as a live answer; odd shapes read as empty."""
    choices = body.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else {}
    choice = choice if isinstance(choice, Mapping) else {}
    message = choice.get("message") if isinstance(choice.get("message"), Mapping) else {}
    usage = body.get("usage") if isinstance(body.get("usage"), Mapping) else {}
    details = usage.get("prompt_tokens_details")
    details = details if isinstance(details, Mapping) else {}
    content, refusal = message.get("content"), message.get("refusal")
    return ProviderResponse(
        content=content if isinstance(content, str) else None,
        refusal=refusal if isinstance(refusal, str) else None,
        finish_reason=str(choice.get("finish_reason") or ""),
        model=str(body.get("model") or ""),
        prompt_tokens=_count(usage.get("prompt_tokens")),
        cached_tokens=_count(details.get("cached_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
        headers={},
        simulated=False,
        status=status,
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def is_simulated(headers: Mapping[str, str] | None) -> bool:
    return bool(headers) and str(headers.get(SIMULATED_HEADER, "")).lower() == "true"


def status_failure(exc: openai.APIStatusError, *, config: ProviderConfig, model: str) -> Exception:
    status = exc.status_code
    headers = exc.response.headers
    detail = _provider_message(exc)
    if status == 429 and exc.code == "insufficient_quota":
        return LLMConfigurationError(
            f"The provider account has no quota left ({detail}). Check the plan and billing.",
            code="insufficient_quota",
            status=status,
        )
    if status in (408, 409, 429) or status >= 500:
        kind = "rate_limited" if status == 429 else "unavailable"
        return TransientFailure(
            kind,
            f"HTTP {status}: {detail}",
            status=status,
            retry_after=parse_retry_after(headers, now=time.time()),
            headers=headers,
        )
    if status in (401, 403):
        return LLMConfigurationError(
            f"The provider at {config.base_url} refused the API key (HTTP {status}: {detail}). "
            "Check OPENAI_API_KEY.",
            code="authentication_failed",
            status=status,
        )
    if status == 404:
        return _not_found(exc, config=config, model=model, detail=detail)
    if exc.code == "context_length_exceeded" or "context length" in detail.lower():
        return ContextLengthError(
            f"The text is too long for {model}'s context window ({detail}). "
            "Send a shorter piece of the document.",
            status=status,
        )
    return LLMRequestError(
        f"The provider rejected the request (HTTP {status}: {detail}).", status=status
    )


def _not_found(
    exc: openai.APIStatusError, *, config: ProviderConfig, model: str, detail: str
) -> LLMError:
    if exc.code == "model_not_found" or "model" in detail.lower():
        return ModelNotFoundError(
            f"The provider at {config.base_url} does not offer the model {model!r} "
            f"({detail}). Choose another model in the project settings.",
            status=404,
        )
    return LLMConfigurationError(
        f"{config.base_url} has no chat completions endpoint (HTTP 404: {detail}). "
        "Check OPENAI_BASE_URL: OpenAI-compatible servers usually end in /v1.",
        code="wrong_base_url",
        status=404,
    )


def _connection_failure(exc: openai.APIConnectionError, *, config: ProviderConfig) -> Exception:
    if _caused_by(exc, socket.gaierror):
        # A name that does not resolve will not resolve on the next attempt either.
        return LLMConfigurationError(
            f"The host in OPENAI_BASE_URL ({config.base_url}) does not exist.",
            code="unknown_host",
        )
    reason = exc.__cause__ or exc
    if _caused_by(exc, (httpx2.ConnectError, ConnectionRefusedError)):
        # Nothing listens there (yet): retried, since a local server may be starting,
        # but reported as a configuration problem if it never answers.
        return TransientFailure("unreachable", f"cannot connect: {reason}")
    return TransientFailure("connection", f"connection lost: {reason}")


def _caused_by(
    exc: BaseException, kind: type[BaseException] | tuple[type[BaseException], ...]
) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _provider_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, Mapping) and isinstance(body.get("message"), str):
        return body["message"]
    if isinstance(body, str) and body.strip():
        return body.strip()[:200]
    return exc.response.reason_phrase or "no details"
