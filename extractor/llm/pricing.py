"""Prices and context windows, from ``settings.LLM_PRICING``.

Providers answer with dated model names (``gpt-4o-mini-2024-07-18``); those are priced
as the longest table entry they start with, so the table only lists families. Models
missing from the table (a local Ollama model) use ``settings.LLM_DEFAULT_PRICING``.
Requests answered through the provider's Batch API are billed at the entry's
``batch_*`` prices, or at ``settings.LLM_BATCH_PRICE_FACTOR`` of the standard ones.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.conf import settings

_PER_MILLION = Decimal(1_000_000)
# LLMCall.cost_usd keeps 6 decimal places: round once, here, so the figure a caller gets
# is exactly the figure stored and sums of rows equal sums of results.
_COST_QUANTUM = Decimal("0.000001")


def pricing_for(model: str) -> dict:
    """USD per million tokens (``input``, ``cached_input``, ``output``) and ``context``."""
    table = settings.LLM_PRICING
    if model in table:
        return dict(table[model])
    families = [name for name in table if model.startswith(name + "-")]
    if families:
        return dict(table[max(families, key=len)])
    return dict(settings.LLM_DEFAULT_PRICING)


PRICE_KINDS = ("input", "cached_input", "output")


def prices_for(model: str, *, batch: bool = False) -> dict[str, Decimal]:
    """USD per million tokens of each kind (``PRICE_KINDS``), standard or batch."""
    entry = pricing_for(model)
    standard = {
        "input": Decimal(str(entry["input"])),
        "cached_input": Decimal(str(entry.get("cached_input", entry["input"]))),
        "output": Decimal(str(entry["output"])),
    }
    if not batch:
        return standard
    factor = Decimal(str(settings.LLM_BATCH_PRICE_FACTOR))
    return {
        kind: Decimal(str(entry[f"batch_{kind}"])) if f"batch_{kind}" in entry else price * factor
        for kind, price in standard.items()
    }


def cost_usd(
    model: str,
    *,
    prompt_tokens: int,
    cached_tokens: int,
    completion_tokens: int,
    batch: bool = False,
) -> Decimal:
    """What a call costs: cached prompt tokens are billed at the cached price, the rest
    of the prompt at the input price (``cached_tokens`` is part of ``prompt_tokens``);
    ``batch``: at the Batch API's prices."""
    prices = prices_for(model, batch=batch)
    cached = min(max(cached_tokens, 0), prompt_tokens)
    total = (
        Decimal(prompt_tokens - cached) * prices["input"]
        + Decimal(cached) * prices["cached_input"]
        + Decimal(completion_tokens) * prices["output"]
    ) / _PER_MILLION
    return total.quantize(_COST_QUANTUM, rounding=ROUND_HALF_UP)


def worst_cost_usd(model: str, *, prompt_tokens: int, completion_tokens: int) -> Decimal:
    """The most a request of at most these token counts can be billed: every prompt token
    at the full input price (no cache discount), rounded up, plus one quantum to spare.

    The spare quantum covers rounding: what one attempt adds to a call's cost is the
    difference of two figures rounded by ``cost_usd``, which can exceed the exact
    amount by up to one quantum.
    """
    prices = pricing_for(model)
    total = (
        Decimal(prompt_tokens) * Decimal(str(prices["input"]))
        + Decimal(completion_tokens) * Decimal(str(prices["output"]))
    ) / _PER_MILLION
    if not total:
        return Decimal(0)  # a free model: nothing is rounded, nothing can be billed
    return total.quantize(_COST_QUANTUM, rounding=ROUND_CEILING) + _COST_QUANTUM


def context_window(model: str) -> int:
    """The model's input window in tokens."""
    return int(pricing_for(model)["context"])
