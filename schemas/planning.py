"""How many calls a document costs: variable groups times token chunks.

Shared by the estimate (step 3) and the engine (step 4), so the figure shown before a
run is computed by the same rules the run follows.
"""

from __future__ import annotations

import math

from django.conf import settings

from extractor.llm.pricing import context_window

# Room kept free in the context window for the chat framing and tokenizer differences
# between tiktoken and the provider's own tokenizer.
SAFETY_MARGIN_TOKENS = 256


def group_variables(variables: list[dict], max_per_call: int | None = None) -> list[list[dict]]:
    """Variables split into balanced groups of at most ``max_per_call``, schema order kept
    (50 at 25 -> 25 + 25; 30 at 25 -> 15 + 15), so no call carries a lopsided load."""
    limit = settings.PROCESSING_MAX_VARIABLES_PER_CALL if max_per_call is None else max_per_call
    if limit < 1:
        raise ValueError("max_per_call must be at least 1")
    if not variables:
        return []
    groups = math.ceil(len(variables) / limit)
    size, extra = divmod(len(variables), groups)
    result, start = [], 0
    for index in range(groups):
        end = start + size + (1 if index < extra else 0)
        result.append(variables[start:end])
        start = end
    return result


def output_token_budget(variable_count: int) -> int:
    """Max output tokens to ask for: generous per variable, capped by the setting."""
    return min(settings.LLM_MAX_OUTPUT_TOKENS, 400 + 150 * variable_count)


def chunk_token_budget(*, model: str, prompt_tokens: int, output_tokens: int) -> int:
    """Document tokens that fit in one call next to the prompt and the answer."""
    room = context_window(model) - prompt_tokens - output_tokens - SAFETY_MARGIN_TOKENS
    return max(min(room, settings.PROCESSING_MAX_CHUNK_TOKENS), 512)


def chunk_count(document_tokens: int, budget: int) -> int:
    """Chunks a document splits into at ``budget`` tokens each, with the configured
    overlap between neighbours (the same arithmetic as ``tokens.split_by_tokens``)."""
    if document_tokens <= budget:
        return 1
    overlap = min(settings.PROCESSING_CHUNK_OVERLAP_TOKENS, budget // 2)
    step = budget - overlap
    return math.ceil((document_tokens - overlap) / step)
