"""Cost estimates before a run, from the real prompts and the stored token counts.

Token counts per document are computed once at ingestion, so an estimate over 1,000
documents reads 1,000 integers instead of re-tokenising the corpus. The prompt's own
tokens are counted exactly (tiktoken over the real messages and the JSON Schema,
which providers bill as input too).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet

from extractor.llm.pricing import cost_usd
from projects.models import Project
from schemas.calls import group_plans
from schemas.planning import chunk_count


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
    document_ids: Collection[int] | QuerySet | None = None,
) -> Estimate:
    """Documents, calls, tokens and cost of running ``variables`` over the project:
    its ready documents, or those of ``document_ids`` (ids, or a query of ids that the
    database resolves itself)."""
    model = project.model_name
    documents = project.documents.ready()
    chosen = document_ids is not None
    if chosen:
        documents = documents.filter(pk__in=document_ids)
    token_counts = list(documents.values_list("token_count", flat=True))
    if kind == "sample" and not chosen:
        size = min(sample_size or settings.PROCESSING_SAMPLE_SIZE, len(token_counts))
        scale = size / len(token_counts) if token_counts else 0
    else:
        size, scale = len(token_counts), 1.0
    plans = group_plans(instructions=instructions, variables=variables, model=model)
    calls = input_tokens = output_tokens = 0
    overlap = settings.PROCESSING_CHUNK_OVERLAP_TOKENS
    for plan in plans:
        per_answer = expected_output_tokens(len(plan.variables))
        for tokens in token_counts:
            chunks = chunk_count(tokens, plan.chunk_budget)
            calls += chunks
            # Chunks overlap: each one after the first repeats the overlap's tokens.
            repeated = (chunks - 1) * min(overlap, plan.chunk_budget // 2)
            input_tokens += chunks * plan.prompt_tokens + tokens + repeated
            output_tokens += chunks * per_answer
    if kind == "sample" and not chosen:
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
