"""The simulator's own provider-side bookkeeping: its rate limit and its prompt cache."""

from __future__ import annotations

import hashlib
import threading
import time
from array import array
from collections import OrderedDict, deque
from typing import Any

from extractor.llm.tokens import encoding_for
from extractor.simulator.answers import message_text

CACHE_MIN_TOKENS = 1024
CACHE_BLOCK_TOKENS = 128


class ProviderLimits:
    """Requests and tokens per window, as a sliding-window log (like OpenAI's RPM/TPM).

    ``x-ratelimit-reset-*`` here is the time until the oldest counted request leaves the
    window, i.e. until at least one more request fits.
    """

    def __init__(self, *, rpm: int, tpm: int, window: float, clock=time.monotonic):
        self.rpm, self.tpm, self.window = rpm, tpm, window
        self._clock = clock
        self._lock = threading.Lock()
        self._requests: deque[float] = deque()
        self._tokens: deque[tuple[float, int]] = deque()
        self._token_sum = 0

    def admit(self, tokens: int) -> tuple[bool, dict[str, str], float]:
        """(admitted, rate-limit headers, seconds to wait if not admitted)."""
        if not (self.rpm or self.tpm):
            return True, {}, 0.0
        with self._lock:
            now = self._clock()
            self._expire(now)
            wait = max(self._request_wait(now), self._token_wait(now, tokens))
            if wait <= 0:
                self._requests.append(now)
                self._tokens.append((now, tokens))
                self._token_sum += tokens
            return wait <= 0, self._headers(now), wait

    def _expire(self, now: float) -> None:
        horizon = now - self.window
        while self._requests and self._requests[0] <= horizon:
            self._requests.popleft()
        while self._tokens and self._tokens[0][0] <= horizon:
            self._token_sum -= self._tokens.popleft()[1]

    def _request_wait(self, now: float) -> float:
        if not self.rpm or len(self._requests) < self.rpm:
            return 0.0
        return self._requests[len(self._requests) - self.rpm] + self.window - now

    def _token_wait(self, now: float, tokens: int) -> float:
        if not self.tpm or self._token_sum + tokens <= self.tpm or not self._tokens:
            return 0.0
        freed, leaving = 0, now
        for moment, amount in self._tokens:  # oldest first
            freed, leaving = freed + amount, moment
            if self._token_sum - freed + tokens <= self.tpm:
                break
        return leaving + self.window - now

    def _headers(self, now: float) -> dict[str, str]:
        headers = {}
        if self.rpm:
            oldest = self._requests[0] + self.window - now if self._requests else 0.0
            headers.update(
                {
                    "x-ratelimit-limit-requests": str(self.rpm),
                    "x-ratelimit-remaining-requests": str(max(self.rpm - len(self._requests), 0)),
                    "x-ratelimit-reset-requests": format_duration(oldest),
                }
            )
        if self.tpm:
            oldest = self._tokens[0][0] + self.window - now if self._tokens else 0.0
            headers.update(
                {
                    "x-ratelimit-limit-tokens": str(self.tpm),
                    "x-ratelimit-remaining-tokens": str(max(self.tpm - self._token_sum, 0)),
                    "x-ratelimit-reset-tokens": format_duration(oldest),
                }
            )
        return headers


def format_duration(seconds: float) -> str:
    """OpenAI's style: ``20ms``, ``1.5s``, ``6m0s``."""
    seconds = max(seconds, 0.0)
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    if seconds < 60:
        return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m{rest:.0f}s"


class PromptCache:
    """Which prompt prefixes were seen recently, to report ``cached_tokens``.

    Like OpenAI: only prompts of 1,024+ tokens, matched in 128-token steps from the
    start, kept for a few minutes.
    """

    def __init__(self, *, ttl: float = 600.0, max_entries: int = 50_000, clock=time.monotonic):
        self.ttl, self.max_entries = ttl, max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, float] = OrderedDict()

    def cached_tokens(self, messages: list[dict[str, Any]], model: str) -> int:
        text = "".join(f"<|{m.get('role')}|>{message_text(m)}" for m in messages)
        tokens = encoding_for(model).encode_ordinary(text)
        if len(tokens) < CACHE_MIN_TOKENS:
            return 0
        prefixes = _prefix_digests(tokens)
        now = self._clock()
        cached = 0
        with self._lock:
            for length, digest in prefixes:
                seen = self._seen.get(digest)
                if seen is not None and now - seen < self.ttl:
                    cached = length
                self._seen[digest] = now
                self._seen.move_to_end(digest)
            while len(self._seen) > self.max_entries:
                self._seen.popitem(last=False)
        return cached


def _prefix_digests(tokens: list[int]) -> list[tuple[int, str]]:
    running = hashlib.sha256()
    digests, start = [], 0
    for end in range(CACHE_MIN_TOKENS, len(tokens) + 1, CACHE_BLOCK_TOKENS):
        running.update(array("I", tokens[start:end]).tobytes())
        digests.append((end, running.copy().hexdigest()))
        start = end
    return digests
