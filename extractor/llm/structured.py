"""Structured output: the request side (response_format, or the schema in the prompt)
and the answer side (parse, validate against the JSON Schema, explain what is wrong).

``json_schema`` mode (default) lets the provider enforce the schema. ``json_object``
mode is for servers without it: the schema goes into the system prompt between markers
(the simulator finds it there too) and only our validation stands between a sloppy
answer and the database.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import jsonschema
from django.conf import settings

from extractor.llm.errors import LLMConfigurationError

SCHEMA_BEGIN = "===== BEGIN JSON SCHEMA ====="
SCHEMA_END = "===== END JSON SCHEMA ====="
_FENCE = re.compile(r"^```(?:json)?\s*\n?(.*?)\n?```$", re.DOTALL)


class AnswerProblem(ValueError):
    """Why an answer is not acceptable, in words the model can act on."""


def structured_mode() -> str:
    """``json_schema`` or ``json_object`` (settings.py checks it; tests may override)."""
    mode = settings.LLM_STRUCTURED_OUTPUT
    if mode not in ("json_schema", "json_object"):
        raise LLMConfigurationError(
            f"LLM_STRUCTURED_OUTPUT must be json_schema or json_object, not {mode!r}.",
            code="bad_setting",
        )
    return mode


def prepare_request(
    *, messages: list[dict[str, Any]], schema_name: str, json_schema: dict[str, Any], mode: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The messages and ``response_format`` to send for ``mode``."""
    if mode == "json_schema":
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "strict": True, "schema": json_schema},
        }
        return [dict(m) for m in messages], response_format
    return _with_schema_in_prompt(messages, json_schema), {"type": "json_object"}


def _with_schema_in_prompt(
    messages: list[dict[str, Any]], json_schema: dict[str, Any]
) -> list[dict[str, Any]]:
    block = (
        "Answer with one JSON object, and nothing else, that is valid for this JSON Schema:\n"
        f"{SCHEMA_BEGIN}\n{json.dumps(json_schema, indent=1, sort_keys=True)}\n{SCHEMA_END}"
    )
    result = [dict(m) for m in messages]
    for message in result:
        if message.get("role") == "system" and isinstance(message.get("content"), str):
            message["content"] = f"{message['content']}\n\n{block}"
            return result
    return [{"role": "system", "content": block}, *result]


def parse_answer(content: str | None, json_schema: dict[str, Any]) -> dict[str, Any]:
    """The answer as a dict valid for ``json_schema``, or ``AnswerProblem``."""
    if content is None or not content.strip():
        raise AnswerProblem("the answer was empty")
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:  # local models like to wrap JSON in a Markdown code block
        text = fenced.group(1).strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswerProblem(f"it is not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(data, dict):
        raise AnswerProblem("it is not a JSON object")
    error = jsonschema.exceptions.best_match(_validator(_canonical(json_schema)).iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the top level"
        raise AnswerProblem(f"at {where}: {error.message}")
    return data


def correction_message(problem: AnswerProblem) -> dict[str, str]:
    """The follow-up turn of the one corrective retry."""
    return {
        "role": "user",
        "content": (
            f"Your previous answer cannot be used: {problem}. Answer again with only the "
            "JSON object, complete and valid for the required schema."
        ),
    }


def _canonical(json_schema: dict[str, Any]) -> str:
    return json.dumps(json_schema, sort_keys=True, separators=(",", ":"))


@functools.lru_cache(maxsize=64)
def _validator(schema_text: str) -> jsonschema.protocols.Validator:
    # Building a validator walks the whole schema: once per schema, not per answer.
    schema = json.loads(schema_text)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)
