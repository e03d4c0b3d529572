"""The calls made for one document: variable groups x token chunks, each with its exact
messages and JSON Schema. The engine sends these, the prompt preview shows them, and
the estimate prices them, all from the same group plans."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from django.conf import settings

from extractor.llm.tokens import count_messages, count_text, split_by_tokens
from projects.models import Document, Project
from schemas.planning import chunk_token_budget, group_variables, output_token_budget
from schemas.prompts import PromptBundle, build_messages, build_prompt, response_format

# Tokenizers and providers disagree a little: a document whose stored count is this far
# under the budget is sent whole without being tokenized again.
STORED_COUNT_SLACK = 1.1


@dataclass(frozen=True)
class GroupPlan:
    """One group of variables: its prompt, and the fixed cost of every call it makes."""

    variables: tuple[dict, ...]
    bundle: PromptBundle
    prompt_tokens: int  # messages around an empty document, plus the JSON Schema
    output_tokens: int
    chunk_budget: int  # document tokens that fit in one call


def call_input_tokens(messages: list[dict], bundle: PromptBundle, model: str) -> int:
    """Billed input: the messages plus the JSON Schema, which providers count too."""
    schema_text = json.dumps(bundle.json_schema, separators=(",", ":"))
    return count_messages(messages, model) + count_text(schema_text, model)


def group_plans(*, instructions: str, variables: list[dict], model: str) -> list[GroupPlan]:
    """The plan of every variable group, built once per schema and model: every document
    of a run uses the same prompts, so they are not rebuilt and recounted per document."""
    limits = [
        settings.PROCESSING_MAX_VARIABLES_PER_CALL,
        settings.PROCESSING_MAX_CHUNK_TOKENS,
        settings.LLM_MAX_OUTPUT_TOKENS,
    ]  # the plan depends on them too: a changed setting must not reuse an old plan
    key = json.dumps([instructions, variables, model, limits], sort_keys=True)
    return _group_plans(key)


@functools.lru_cache(maxsize=64)
def _group_plans(key: str) -> list[GroupPlan]:
    instructions, variables, model, _limits = json.loads(key)
    plans = []
    for group in group_variables(variables):
        bundle = build_prompt(instructions=instructions, variables=group)
        empty = build_messages(bundle, document_name="", text="")
        prompt_tokens = call_input_tokens(empty, bundle, model)
        output_tokens = output_token_budget(len(group))
        budget = chunk_token_budget(
            model=model, prompt_tokens=prompt_tokens, output_tokens=output_tokens
        )
        plans.append(GroupPlan(tuple(group), bundle, prompt_tokens, output_tokens, budget))
    return plans


def _spans(document: Document, model: str, budget: int) -> list[tuple[int, int]]:
    if document.token_count and document.token_count * STORED_COUNT_SLACK <= budget:
        return [(0, len(document.text))]
    return split_by_tokens(
        document.text,
        model,
        max_tokens=budget,
        overlap=min(settings.PROCESSING_CHUNK_OVERLAP_TOKENS, budget // 2),
    )


def document_calls(
    *,
    project: Project,
    variables: list[dict],
    instructions: str,
    document: Document,
    count_tokens: bool = True,
) -> list[dict]:
    """One entry per call made for ``document``: variable group x chunk.

    ``count_tokens`` adds each call's exact input tokens (the preview shows them; the
    engine, which gets the billed figures from the provider, skips the work).
    """
    model = project.model_name
    plans = group_plans(instructions=instructions, variables=variables, model=model)
    calls = []
    name_tokens = count_text(document.name, model)
    for group_index, plan in enumerate(plans):
        spans = _spans(document, model, plan.chunk_budget - name_tokens)
        for chunk_index, (start, end) in enumerate(spans):
            messages = build_messages(
                plan.bundle, document_name=document.name, text=document.text[start:end]
            )
            call = {
                "group": group_index + 1,
                "groups": len(plans),
                "chunk": chunk_index + 1,
                "chunks": len(spans),
                "chunk_start": start,
                "chunk_end": end,
                "variables": [variable["key"] for variable in plan.variables],
                "messages": messages,
                "response_format": response_format(plan.bundle.json_schema),
                "max_output_tokens": plan.output_tokens,
            }
            if count_tokens:
                call["input_tokens"] = call_input_tokens(messages, plan.bundle, model)
            calls.append(call)
    return calls


def prompt_preview(
    *, project: Project, variables: list[dict], instructions: str, document: Document
) -> dict:
    """The API's prompt preview: the first call in full, every call listed, total tokens."""
    calls = document_calls(
        project=project, variables=variables, instructions=instructions, document=document
    )
    first = calls[0] if calls else {"messages": [], "response_format": {}}
    return {
        "document": document.pk,
        "model": project.model_name,
        "messages": first["messages"],
        "response_format": first["response_format"],
        "input_tokens": sum(call["input_tokens"] for call in calls),
        "llm_calls": len(calls),
        "calls": calls,
    }
