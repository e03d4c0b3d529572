"""The calls made for one document: variable groups x token chunks, each with its exact
messages and JSON Schema. The engine sends these; the prompt preview shows them."""

from __future__ import annotations

import json

from django.conf import settings

from extractor.llm.tokens import count_messages, count_text, split_by_tokens
from projects.models import Document, Project
from schemas.planning import chunk_token_budget, group_variables, output_token_budget
from schemas.prompts import PromptBundle, build_messages, build_prompt


def response_format(bundle: PromptBundle, name: str = "extraction") -> dict:
    """The ``response_format`` of a call, as the gateway sends it in json_schema mode."""
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "strict": True, "schema": bundle.json_schema},
    }


def call_input_tokens(messages: list[dict], bundle: PromptBundle, model: str) -> int:
    """Billed input: the messages plus the JSON Schema, which providers count too."""
    schema_text = json.dumps(bundle.json_schema, separators=(",", ":"))
    return count_messages(messages, model) + count_text(schema_text, model)


def document_calls(
    *, project: Project, variables: list[dict], instructions: str, document: Document
) -> list[dict]:
    """One entry per call the engine makes for ``document``: variable group x chunk."""
    model = project.model_name
    calls = []
    groups = group_variables(variables)
    for group_index, group in enumerate(groups):
        bundle = build_prompt(instructions=instructions, variables=group)
        empty = build_messages(bundle, document_name=document.name, text="")
        prompt_tokens = call_input_tokens(empty, bundle, model)
        output_tokens = output_token_budget(len(group))
        budget = chunk_token_budget(
            model=model, prompt_tokens=prompt_tokens, output_tokens=output_tokens
        )
        spans = split_by_tokens(
            document.text,
            model,
            max_tokens=budget,
            overlap=min(settings.PROCESSING_CHUNK_OVERLAP_TOKENS, budget // 2),
        )
        for chunk_index, (start, end) in enumerate(spans):
            messages = build_messages(
                bundle, document_name=document.name, text=document.text[start:end]
            )
            calls.append(
                {
                    "group": group_index + 1,
                    "groups": len(groups),
                    "chunk": chunk_index + 1,
                    "chunks": len(spans),
                    "chunk_start": start,
                    "chunk_end": end,
                    "variables": [variable["key"] for variable in group],
                    "messages": messages,
                    "response_format": response_format(bundle),
                    "max_output_tokens": output_tokens,
                    "input_tokens": call_input_tokens(messages, bundle, model),
                }
            )
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
