"""``POST /v1/chat/completions`` without the HTTP: a request body in, a ``Reply`` out.

Wire format follows OpenAI's: the completion object with ``usage`` (including
``prompt_tokens_details.cached_tokens``), error bodies ``{"error": {message, type,
param, code}}``, 429 with ``Retry-After``/``retry-after-ms`` and ``x-ratelimit-*``
headers, and ``x-simulated: true`` on every answer so the gateway can tell.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from extractor.llm.structured import SCHEMA_BEGIN, SCHEMA_END
from extractor.llm.tokens import count_messages, count_text, encoding_for
from extractor.simulator.answers import AnswerMaker, document_text, message_text
from extractor.simulator.codebook import looks_like_codebook, suggest_codebook

if TYPE_CHECKING:
    from extractor.simulator.server import SimulatorState

REFUSAL = "I'm sorry, but I can't help with that request."
_GENERIC_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
}


@dataclass
class Reply:
    """What to send back. ``action`` is ``respond``, ``hang`` (a timeout: say nothing
    until the client gives up) or ``disconnect`` (close without an answer)."""

    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    action: str = "respond"
    fault: str = ""
    usage: dict[str, int] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is instead of ``body`` (a file's content)


def chat_reply(state: SimulatorState, body: Any, *, authorization: str) -> Reply:
    denied = auth_reply(state, authorization)
    if denied:
        return denied
    refused = _refused(state, body)
    if refused:
        return refused
    model, messages = body["model"], body["messages"]
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    prompt_tokens = count_messages(messages, model)
    admitted, limit_headers, wait = state.limits.admit(prompt_tokens + (max_tokens or 0))
    if not admitted:
        return _rate_limited(wait, limit_headers, kind="rate limit")
    fault = state.next_fault()
    reply = _fault_reply(state, fault, limit_headers)
    if reply is None:
        reply = _completion(state, body, fault=fault, prompt_tokens=prompt_tokens)
        reply.delay = state.latency()
        reply.headers.update(limit_headers)
    reply.fault = fault if fault != "ok" else ""
    return reply


def batch_line_reply(state: SimulatorState, body: Any) -> Reply:
    """The answer to one request of a batch: what the live endpoint answers for the same
    body, without its latency, rate limit and injected faults (a batch has its own
    quota; its faults are set per batch)."""
    refused = _refused(state, body)
    if refused:
        return refused
    prompt_tokens = count_messages(body["messages"], body["model"])
    return _completion(state, body, fault="ok", prompt_tokens=prompt_tokens)


def auth_reply(state: SimulatorState, authorization: str) -> Reply | None:
    """A 401 when the simulator wants a key and the request has none or another."""
    config = state.config
    key = authorization.removeprefix("Bearer").strip()
    if (config.require_key or config.api_key) and not key:
        return error_reply(401, "You didn't provide an API key.", code="invalid_api_key")
    if config.api_key and key != config.api_key:
        return error_reply(401, "Incorrect API key provided.", code="invalid_api_key")
    return None


def error_reply(
    status: int,
    message: str,
    *,
    code: str | None,
    kind: str | None = None,
    param: str | None = None,
) -> Reply:
    kind = kind or ("server_error" if status >= 500 else "invalid_request_error")
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return Reply(status=status, body=body)


def _refused(state: SimulatorState, body: Any) -> Reply | None:
    problem = _request_problem(body)
    if problem:
        return error_reply(400, problem, code="invalid_request")
    model = body["model"]
    if state.config.models and model not in state.config.models:
        return error_reply(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    return None


def _request_problem(body: Any) -> str:
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    if not all(isinstance(m, dict) and m.get("role") for m in messages):
        return "every message needs a role"
    if body.get("stream"):
        return "The simulator does not stream; send stream=false."
    return ""


def _fault_reply(state: SimulatorState, fault: str, limit_headers: dict[str, str]) -> Reply | None:
    if fault == "429":
        return _rate_limited(state.config.retry_after, limit_headers, kind="injected")
    if fault == "500":
        reply = error_reply(
            500, "The server had an error while processing your request.", code=None
        )
    elif fault == "503":
        reply = error_reply(
            503, "The engine is currently overloaded, please try again later.", code=None
        )
    elif fault == "timeout":
        return Reply(action="hang")
    elif fault == "disconnect":
        return Reply(action="disconnect", delay=state.latency())
    else:
        return None
    reply.delay = state.latency() / 2
    return reply


def _rate_limited(wait: float, headers: dict[str, str], *, kind: str) -> Reply:
    wait = max(wait, 0.001)
    reply = error_reply(
        429,
        f"Rate limit reached ({kind}). Please try again in {wait:.3f}s.",
        code="rate_limit_exceeded",
        kind="requests",
    )
    reply.headers.update(headers)
    # Retry-After is whole seconds by the HTTP standard; OpenAI adds the exact delay.
    reply.headers["retry-after"] = str(max(int(wait + 0.999), 1))
    reply.headers["retry-after-ms"] = str(max(int(wait * 1000), 1))
    return reply


def _completion(
    state: SimulatorState, body: dict[str, Any], *, fault: str, prompt_tokens: int
) -> Reply:
    model, messages = body["model"], body["messages"]
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    content, refusal, finish_reason = _content(body, fault=fault)
    completion_tokens = count_text(content or refusal or "", model)
    if content is not None and max_tokens and completion_tokens > max_tokens:
        content, finish_reason = _cut_to_tokens(content, model, max_tokens), "length"
        completion_tokens = count_text(content, model)
    cached = min(state.prompt_cache.cached_tokens(messages, model), prompt_tokens)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }
    payload = {
        "id": f"chatcmpl-sim-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage,
        "system_fingerprint": "fp_simulated",
    }
    flat = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "cached_tokens": cached,
    }
    return Reply(body=payload, usage=flat)


def _content(body: dict[str, Any], *, fault: str) -> tuple[str | None, str | None, str]:
    """(content, refusal, finish_reason) for the request, with ``fault`` applied."""
    if fault == "refusal":
        return None, REFUSAL, "stop"
    messages = body["messages"]
    schema = _requested_schema(body.get("response_format"), messages)
    rng = random.Random(_request_seed(body))
    maker = AnswerMaker(document_text(messages), rng, root_schema=schema)
    if schema is None:
        return maker.phrase(8, 24) or "No text was given.", None, "stop"
    if looks_like_codebook(schema):
        prompt = "\n".join(message_text(m) for m in messages if m.get("role") == "user")
        data = suggest_codebook(prompt, rng)
    else:
        data = maker.value(schema)
    if fault == "invalid":
        data = _off_schema(data)
    content = json.dumps(data, ensure_ascii=False)
    if fault == "malformed":
        content = _malformed(content, rng)
    if fault == "truncate":
        return content[: max(1, int(len(content) * rng.uniform(0.3, 0.7)))], None, "length"
    return content, None, "stop"


def _requested_schema(response_format: Any, messages: list[dict[str, Any]]) -> dict | None:
    if not isinstance(response_format, dict):
        return None
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return schema if isinstance(schema, dict) else _GENERIC_SCHEMA
    if response_format.get("type") == "json_object":
        return _schema_in_prompt(messages) or _GENERIC_SCHEMA
    return None


def _schema_in_prompt(messages: list[dict[str, Any]]) -> dict | None:
    for message in messages:
        text = message_text(message)
        start, end = text.find(SCHEMA_BEGIN), text.find(SCHEMA_END)
        if start != -1 and end > start:
            try:
                schema = json.loads(text[start + len(SCHEMA_BEGIN) : end])
            except json.JSONDecodeError:
                return None
            return schema if isinstance(schema, dict) else None
    return None


def _request_seed(body: dict[str, Any]) -> int:
    key = {k: body.get(k) for k in ("model", "messages", "response_format")}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return int(digest[:16], 16)


def _off_schema(data: Any) -> Any:
    """Valid JSON that breaks the schema: a required property goes missing."""
    if isinstance(data, dict) and data:
        broken = dict(data)
        broken.pop(next(iter(broken)))
        return broken
    return ["not", "an", "object"]


def _malformed(content: str, rng: random.Random) -> str:
    choice = rng.randrange(3)
    if choice == 0:  # cut mid-way, as a dropped stream would
        return content[: max(1, len(content) * 2 // 3)]
    if choice == 1:  # a trailing comma, JSON5-style
        return content[:-1] + ",}" if content.endswith("}") else content + ","
    return "Here is the extracted data:\n" + content.replace('"', "'")


def _cut_to_tokens(content: str, model: str, max_tokens: int) -> str:
    encoding = encoding_for(model)
    try:
        return encoding.decode(encoding.encode_ordinary(content)[:max_tokens])
    except NotImplementedError:  # the character estimate cannot decode
        return content[: max_tokens * 4]
