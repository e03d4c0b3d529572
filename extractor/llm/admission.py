"""Budget admission: an attempt's worst-case cost is reserved before it is sent.

The gateway knows nothing of jobs or budgets. A caller with a budget passes an
``Admission`` in ``CallContext``; before every attempt (retries included: each one is
billed) the gateway asks it to ``reserve`` what the attempt may cost at most, and once
the attempt's usage is in, ``settle``s that reservation with what was billed. However
many threads and processes share the budget, the admission's answer is the only gate,
so the budget holds if the worst case is a true upper bound. It is:

* output: ``max_output_tokens``, the limit sent with the request (a provider stops
  there, with ``finish_reason: length``);
* prompt, when tiktoken has the model's own encoding (OpenAI models where the encoding
  file is available): our count of the messages, plus the structured-output schema
  (which OpenAI adds to the prompt and bills) counted as its JSON text, plus 5 % and 16
  tokens for framing we do not see;
* prompt, otherwise (another tokenizer, a fallback encoding, the character estimate):
  the UTF-8 bytes of the messages and of the response format, plus 8 tokens of framing
  per message and 16 in all. Byte-level BPE tokenizers (OpenAI's, Llama 3, Qwen,
  Mistral's Tekken) never make a token of less than one byte, and SentencePiece with
  byte fallback never more than one token per byte, so this holds whatever the model;
  for English text it is about 4 times the real count;
* either way, never more than the model's context window: a provider refuses a longer
  prompt (HTTP 400, nothing billed) rather than bill it;
* priced at the full input price (no cache discount), rounded up (``worst_cost_usd``).

Should a provider ever bill more than was reserved, ``settle`` still gets the real
figure (it is what the ledger records), and the admission decides what to do.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

from django.db import transaction

from extractor.llm.errors import BudgetExceededError
from extractor.llm.pricing import context_window, worst_cost_usd
from extractor.llm.records import record_progress
from extractor.llm.tokens import count_text, exact_encoding

EXACT_MARGIN = 0.05
FIXED_FRAMING_TOKENS = 16
FRAMING_TOKENS_PER_MESSAGE = 8


class Admission(Protocol):
    """What the gateway needs from a budget (``processing.budget.JobBudget`` is one)."""

    def reserve(self, amount: Decimal) -> bool:
        """Hold ``amount`` USD for one attempt; False: do not send it."""

    def settle(self, reserved: Decimal, actual: Decimal) -> None:
        """The attempt is over: release ``reserved`` and count ``actual`` as spent."""


def prompt_token_bound(
    messages: Sequence[dict[str, Any]],
    *,
    model: str,
    response_format: dict[str, Any] | None,
    prompt_tokens: int,
) -> int:
    """At most how many prompt tokens a provider bills for these messages (see the
    module docstring); ``prompt_tokens`` is our tiktoken count of them."""
    schema = json.dumps(response_format, separators=(",", ":")) if response_format else ""
    if exact_encoding(model):
        counted = prompt_tokens + count_text(schema, model)
        bound = math.ceil(counted * (1 + EXACT_MARGIN)) + FIXED_FRAMING_TOKENS
    else:
        size = sum(_text_bytes(message) for message in messages) + len(schema.encode())
        bound = size + FRAMING_TOKENS_PER_MESSAGE * len(messages) + FIXED_FRAMING_TOKENS
    return min(bound, context_window(model))


def attempt_worst_case(
    messages: Sequence[dict[str, Any]],
    *,
    model: str,
    response_format: dict[str, Any] | None,
    max_output_tokens: int,
    prompt_tokens: int,
) -> Decimal:
    """The most one attempt with these messages can cost, in USD."""
    bound = prompt_token_bound(
        messages, model=model, response_format=response_format, prompt_tokens=prompt_tokens
    )
    return worst_cost_usd(model, prompt_tokens=bound, completion_tokens=max_output_tokens)


def _text_bytes(message: dict[str, Any]) -> int:
    return sum(len(value.encode()) for value in message.values() if isinstance(value, str))


class BudgetGuard:
    """The admissions of one call's attempts: ``admit`` before an attempt is sent,
    ``settle`` with the call's cost so far once it is over. Without an admission both
    do nothing at all (no query)."""

    def __init__(
        self,
        admission: Admission | None,
        *,
        model: str,
        response_format: dict[str, Any] | None,
        max_output_tokens: int,
    ):
        self.admission = admission
        # The call's ledger row, once written: each settle records what the call has
        # cost so far on it, in the same transaction as the admission's own books, so
        # a process killed between two attempts leaves the ledger and the budget agreeing.
        self.call_id: int | None = None
        self.model = model
        self.response_format = response_format
        self.max_output_tokens = max_output_tokens
        self._held: Decimal | None = None  # the open reservation, if any
        self._settled = Decimal(0)  # the call's cost already passed to settle

    def admit(self, messages: Sequence[dict[str, Any]], *, prompt_tokens: int) -> None:
        """Reserve the next attempt's worst case, or raise ``BudgetExceededError``."""
        if self.admission is None:
            return
        amount = attempt_worst_case(
            messages,
            model=self.model,
            response_format=self.response_format,
            max_output_tokens=self.max_output_tokens,
            prompt_tokens=prompt_tokens,
        )
        if not self.admission.reserve(amount):
            raise BudgetExceededError(
                f"Not sent: the budget cannot take a call that may cost up to ${amount} now."
            )
        self._held = amount

    def settle(self, spent: Decimal, *, usage: dict[str, Any] | None = None) -> None:
        """Close the open reservation, if any. ``spent`` is the call's cost so far as
        the ledger records it, so what the attempts settle adds up to the ledger row;
        ``usage`` (tokens, attempts so far) goes on that row with it."""
        if self.admission is None or self._held is None:
            return
        held, self._held = self._held, None
        actual, self._settled = spent - self._settled, spent
        with transaction.atomic():
            if self.call_id is not None and usage is not None:
                record_progress(self.call_id, cost_usd=spent, **usage)
            self.admission.settle(held, actual)
