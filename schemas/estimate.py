"""Cost estimates before a run, from the real prompts and the stored token counts.

Token counts per document are computed once at ingestion, so an estimate over 1,000
documents reads 1,000 integers instead of re-tokenising the corpus. The prompt's own
tokens are counted exactly (tiktoken over the real messages and the JSON Schema,
which providers bill as input too).

The tokens do not depend on the mode of a run; only their price does. An estimate
prices its tokens in its own ``mode`` (``cost_usd``) and in any other (``cost_for``),
so a page shows the standard and the batch price of one run without estimating twice.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db.models import QuerySet

from extractor.llm.pricing import cost_usd
from projects.models import Project
from schemas.calls import group_plans
from schemas.planning import chunk_count

# How a run's requests reach the model: one call at a time, or in files through the
# provider's Batch API (answered within 24 hours, at the batch price). The values of
# ``ProcessingJob.Mode``, here because estimates come before any job.
STANDARD = "standard"
BATCH = "batch"
MODES = (STANDARD, BATCH)


def _checked(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


@dataclass(frozen=True)
class Estimate:
    kind: str
    documents: int
    llm_calls: int
    input_tokens: int
    output_tokens: int
    model: str
    prompt_tokens_per_call: int
    basis: str = "token counts"
    # Values the run reuses instead of asking the model (processing/reuse.py).
    carried_values: int = 0
    # The mode ``cost_usd`` is priced in.
    mode: str = STANDARD

    def __post_init__(self) -> None:
        _checked(self.mode)

    def cost_for(self, mode: str) -> float:
        """USD of these tokens in ``mode`` (no prompt-cache discount is assumed): the
        one place an estimate is priced."""
        cost = cost_usd(
            self.model,
            prompt_tokens=self.input_tokens,
            cached_tokens=0,
            completion_tokens=self.output_tokens,
            batch=_checked(mode) == BATCH,
        )
        return float(cost)

    @property
    def cost_usd(self) -> float:
        """USD of the run in its own ``mode``."""
        return self.cost_for(self.mode)

    @property
    def standard_cost_usd(self) -> float:
        return self.cost_for(STANDARD)

    @property
    def batch_cost_usd(self) -> float:
        return self.cost_for(BATCH)

    def as_dict(self) -> dict:
        return asdict(self) | {"cost_usd": self.cost_usd}


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
    held: Mapping[int, Collection[str]] | None = None,
    mode: str = STANDARD,
) -> Estimate:
    """Documents, calls, tokens and cost of running ``variables`` over the project:
    its ready documents, or those of ``document_ids`` (ids, or a query of ids that the
    database resolves itself).

    ``held``: per document id, the keys whose values the run reuses instead of asking
    (carried from the previous version, or already extracted). A document is asked only
    for the rest, in groups planned over those variables alone, exactly as the engine
    will call; a document that holds every value costs nothing and is not counted.

    ``mode``: ``standard`` or ``batch``, the price ``cost_usd`` is given at.
    """
    model = project.model_name
    documents = project.documents.ready()
    chosen = document_ids is not None
    if chosen:
        documents = documents.filter(pk__in=document_ids)
    rows = list(documents.values_list("pk", "token_count"))
    by_asked, carried_in_run, carried = _asked_groups(variables, rows, held or {})
    if not chosen:
        # A run draws from the documents lacking a value: those holding every value,
        # and what they hold, are not part of it.
        carried = carried_in_run
    calls = input_tokens = output_tokens = 0
    first_prompt = 0
    for asked, token_counts in by_asked.items():
        group = [variable for variable in variables if variable["key"] in asked]
        totals = _run_tokens(model, instructions, group, token_counts)
        calls, input_tokens, output_tokens = (
            calls + totals[0],
            input_tokens + totals[1],
            output_tokens + totals[2],
        )
        first_prompt = first_prompt or totals[3]
    documents_run = sum(len(counts) for counts in by_asked.values())
    if kind == "sample" and not chosen:
        size = min(sample_size or settings.PROCESSING_SAMPLE_SIZE, documents_run)
        scale = size / documents_run if documents_run else 0
        calls, input_tokens, output_tokens, carried = (
            round(calls * scale),
            round(input_tokens * scale),
            round(output_tokens * scale),
            round(carried * scale),
        )
        documents_run = size
    return Estimate(
        kind=kind,
        documents=documents_run,
        llm_calls=calls,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        model=model,
        prompt_tokens_per_call=first_prompt or _prompt_tokens(model, instructions, variables),
        carried_values=carried,
        mode=mode,
    )


def _asked_groups(
    variables: list[dict], rows: list[tuple[int, int]], held: Mapping[int, Collection[str]]
) -> tuple[dict[frozenset[str], list[int]], int, int]:
    """Documents' token counts grouped by the keys they are asked for, and how many
    values are reused instead: on the documents asked something, and on all. Usually
    one or two groups: every document of a first run asks everything; after a change,
    carried documents ask the changed variables."""
    keys = frozenset(variable["key"] for variable in variables)
    groups: dict[frozenset[str], list[int]] = {}
    carried = carried_in_run = 0
    for pk, tokens in rows:
        kept = keys & frozenset(held.get(pk, ()))
        carried += len(kept)
        if kept != keys:
            groups.setdefault(keys - kept, []).append(tokens)
            carried_in_run += len(kept)
    return groups, carried_in_run, carried


def _run_tokens(
    model: str, instructions: str, variables: list[dict], token_counts: list[int]
) -> tuple[int, int, int, int]:
    """Calls, input and output tokens of asking ``variables`` of documents of these
    token counts, and the prompt tokens of the first call."""
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
    return calls, input_tokens, output_tokens, plans[0].prompt_tokens if plans else 0


def _prompt_tokens(model: str, instructions: str, variables: list[dict]) -> int:
    plans = group_plans(instructions=instructions, variables=variables, model=model)
    return plans[0].prompt_tokens if plans else 0
