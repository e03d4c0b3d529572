"""Cost estimates before a run, from the real prompts and the stored token counts.

Token counts per document are computed once at ingestion, so an estimate over 1,000
documents reads 1,000 integers instead of re-tokenising the corpus. The prompt's own
tokens are counted exactly (tiktoken over the real messages and the JSON Schema,
which providers bill as input too).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.conf import settings

from extractor.llm.pricing import cost_usd
from extractor.llm.tokens import count_messages, count_text
from projects.models import Document, Project
from schemas.planning import (
    chunk_count,
    chunk_token_budget,
    group_variables,
    output_token_budget,
)
from schemas.prompts import build_messages, build_prompt


@dataclass(frozen=True)
class Estimate:
    kind: str
    documents: int
    llm_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    model: str
    prompt_tokens_per_call: int
    basis: str = "token counts"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class GroupPlan:
    """One variable group's fixed cost: its prompt tokens and its output allowance."""

    prompt_tokens: int
    output_tokens: int
    chunk_budget: int


def group_plans(*, instructions: str, variables: list[dict], model: str) -> list[GroupPlan]:
    plans = []
    for group in group_variables(variables):
        bundle = build_prompt(instructions=instructions, variables=group)
        messages = build_messages(bundle, document_name="", text="")
        prompt_tokens = count_messages(messages, model) + count_text(
            json.dumps(bundle.json_schema, separators=(",", ":")), model
        )
        output_tokens = output_token_budget(len(group))
        plans.append(
            GroupPlan(
                prompt_tokens=prompt_tokens,
                output_tokens=output_tokens,
                chunk_budget=chunk_token_budget(
                    model=model, prompt_tokens=prompt_tokens, output_tokens=output_tokens
                ),
            )
        )
    return plans


def expected_output_tokens(variable_count: int) -> int:
    """What an answer usually costs (value, evidence, confidence per variable), not the
    ceiling we allow."""
    return 20 + settings.ESTIMATE_OUTPUT_TOKENS_PER_VARIABLE * variable_count


def estimate_run(
    *,
    project: Project,
    variables: list[dict],
    instructions: str,
    kind: str,
    sample_size: int | None = None,
    document_ids: list[int] | None = None,
) -> Estimate:
    """Documents, calls, tokens and cost of running ``variables`` over the project."""
    model = project.model_name
    documents = Document.objects.filter(project=project, status=Document.Status.READY)
    if document_ids:
        documents = documents.filter(pk__in=document_ids)
    token_counts = list(documents.values_list("token_count", flat=True))
    if kind == "sample" and not document_ids:
        size = min(sample_size or settings.PROCESSING_SAMPLE_SIZE, len(token_counts))
        scale = size / len(token_counts) if token_counts else 0
    else:
        size, scale = len(token_counts), 1.0
    plans = group_plans(instructions=instructions, variables=variables, model=model)
    groups = group_variables(variables)
    calls = input_tokens = output_tokens = 0
    for plan, group in zip(plans, groups, strict=True):
        per_answer = expected_output_tokens(len(group))
        for tokens in token_counts:
            chunks = chunk_count(tokens, plan.chunk_budget)
            calls += chunks
            input_tokens += chunks * plan.prompt_tokens + tokens
            output_tokens += chunks * per_answer
    if kind == "sample" and not document_ids:
        calls, input_tokens, output_tokens = (
            round(calls * scale),
            round(input_tokens * scale),
            round(output_tokens * scale),
        )
    cost = cost_usd(
        model, prompt_tokens=input_tokens, cached_tokens=0, completion_tokens=output_tokens
    )
    return Estimate(
        kind=kind,
        documents=size,
        llm_calls=calls,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=float(cost.quantize(Decimal("0.000001"))),
        model=model,
        prompt_tokens_per_call=plans[0].prompt_tokens if plans else 0,
    )
