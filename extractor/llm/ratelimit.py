"""The rate limiter every worker shares: requests and tokens per window, calls in flight.

Each limit is a sliding-window log: a request is admitted when fewer than the limit
were admitted in the last ``LLM_RATE_WINDOW_SECONDS`` (plus a small margin, see
``Limits.window``). With ``LLM_RATE_SMOOTH`` requests are also spaced evenly (at most
one every window/limit seconds) instead of spending a minute's budget in a burst:
OpenAI enforces per-minute limits over shorter periods too (600/min as 10/s), so a
burst would meet 429s the window allows. Tokens are reserved from the estimate before
the call and settled to the real usage after it.

With ``REDIS_URL`` the log lives in Redis (one Lua script, atomic, shared by every
process and machine: ``ratelimit_redis.py``); without it, in this process
(thread-safe), which is right for the embedded one-worker setup.

The limiter also learns from the provider: ``x-ratelimit-remaining-*`` at zero and a
429 with ``Retry-After`` pause every worker until the provider is ready again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

from extractor.llm.errors import RateLimitedError
from extractor.llm.retry import Deadline, parse_duration

logger = logging.getLogger(__name__)

# How often a caller waiting for a free concurrency slot looks again: a slot frees when
# some call ends, which no clock can predict.
SLOT_POLL_SECONDS = 0.02


@dataclass(frozen=True)
class Limits:
    """The shared budgets; 0 means unlimited."""

    requests: int
    tokens: int
    concurrency: int
    window_seconds: float
    margin_seconds: float
    slot_lease_seconds: float
    smooth: bool = True

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            requests=settings.LLM_REQUESTS_PER_MINUTE,
            tokens=settings.LLM_TOKENS_PER_MINUTE,
            concurrency=settings.LLM_MAX_CONCURRENCY,
            window_seconds=settings.LLM_RATE_WINDOW_SECONDS,
            margin_seconds=settings.LLM_RATE_MARGIN_SECONDS,
            # A slot outlives the longest possible request, so a process killed mid-call
            # gives its slot back by expiry instead of holding it forever.
            slot_lease_seconds=settings.LLM_REQUEST_TIMEOUT + 30,
            smooth=settings.LLM_RATE_SMOOTH,
        )

    @property
    def window(self) -> float:
        # The provider counts a request when it arrives, we count it when we send it;
        # the margin absorbs the difference, so our window never overlaps the next one
        # of the provider by a request.
        return self.window_seconds + self.margin_seconds

    @property
    def spacing(self) -> float:
        """Seconds between two admissions when smoothing, else 0."""
        return self.window / self.requests if self.smooth and self.requests else 0.0


class RateLimiter(Protocol):
    def try_acquire(self, *, ticket: str, tokens: int) -> float:
        """Admit the request (return 0) or say how many seconds to wait first."""

    def release(self, *, ticket: str) -> None:
        """Give back the concurrency slot taken by ``ticket``."""

    def settle(self, *, ticket: str, tokens: int) -> None:
        """Replace the token reservation of ``ticket`` with what was really used."""

    def pause(self, *, seconds: float) -> None:
        """Admit nobody for ``seconds`` (the provider asked everyone to wait)."""


def acquire(limiter: RateLimiter, *, tokens: int, deadline: Deadline) -> str:
    """Wait until the limiter admits a request of ``tokens``; return its ticket.

    Raises ``RateLimitedError`` when admission would come after the deadline: waiting
    on would only break the caller's time budget.
    """
    ticket = uuid.uuid4().hex
    while True:
        wait = limiter.try_acquire(ticket=ticket, tokens=tokens)
        if wait <= 0:
            return ticket
        if wait > deadline.remaining():
            raise RateLimitedError(
                "The shared request budget for the model is used up for longer than this "
                f"call may wait ({deadline.seconds:.0f} s); it can be retried later."
            )
        time.sleep(wait)


def observe_headers(
    limiter: RateLimiter, headers: Mapping[str, str], *, next_tokens: int
) -> float | None:
    """Pause everyone when the provider says its budget is spent; return the pause.

    OpenAI's ``x-ratelimit-reset-*`` is the time until the budget is *full* again, but
    one more request fits as soon as a sliver has refilled: wait for the smaller of the
    two (the refill time of one request, or of the missing tokens, at the stated rate).
    """
    pause = 0.0
    if _header_int(headers, "x-ratelimit-remaining-requests") == 0:
        reset = parse_duration(headers.get("x-ratelimit-reset-requests")) or 0.0
        limit = _header_int(headers, "x-ratelimit-limit-requests")
        pause = max(pause, min(reset, 60.0 / limit) if limit else reset)
    remaining_tokens = _header_int(headers, "x-ratelimit-remaining-tokens")
    if remaining_tokens is not None and remaining_tokens < next_tokens:
        reset = parse_duration(headers.get("x-ratelimit-reset-tokens")) or 0.0
        limit = _header_int(headers, "x-ratelimit-limit-tokens")
        refill = (next_tokens - remaining_tokens) * 60.0 / limit if limit else reset
        pause = max(pause, min(reset, refill))
    if pause > 0:
        limiter.pause(seconds=pause)
        return pause
    return None


class LocalRateLimiter:
    """The same sliding windows, in this process only (no Redis)."""

    def __init__(self, limits: Limits, *, clock=time.monotonic):
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._requests: deque[float] = deque()
        self._reservations: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self._reserved = 0
        self._slots: dict[str, float] = {}
        self._paused_until = 0.0
        self._last_admission = float("-inf")

    def try_acquire(self, *, ticket: str, tokens: int) -> float:
        with self._lock:
            now = self._clock()
            if self._paused_until > now:
                return self._paused_until - now
            self._expire(now)
            wait = max(self._slot_wait(), self._request_wait(now), self._token_wait(now, tokens))
            if wait > 0:
                return wait
            self._admit(now, ticket, tokens)
            return 0.0

    def release(self, *, ticket: str) -> None:
        with self._lock:
            self._slots.pop(ticket, None)

    def settle(self, *, ticket: str, tokens: int) -> None:
        with self._lock:
            if ticket in self._reservations:
                admitted, reserved = self._reservations[ticket]
                self._reservations[ticket] = (admitted, tokens)
                self._reserved += tokens - reserved

    def pause(self, *, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _expire(self, now: float) -> None:
        horizon = now - self.limits.window
        while self._requests and self._requests[0] <= horizon:
            self._requests.popleft()
        while self._reservations:
            ticket, (admitted, tokens) = next(iter(self._reservations.items()))
            if admitted > horizon:
                break
            self._reservations.pop(ticket)
            self._reserved -= tokens
        for ticket in [t for t, expiry in self._slots.items() if expiry <= now]:
            del self._slots[ticket]

    def _slot_wait(self) -> float:
        limit = self.limits.concurrency
        return SLOT_POLL_SECONDS if limit and len(self._slots) >= limit else 0.0

    def _request_wait(self, now: float) -> float:
        limit = self.limits.requests
        paced = self._last_admission + self.limits.spacing - now
        if not limit or len(self._requests) < limit:
            return max(paced, 0.0)
        leaving = self._requests[len(self._requests) - limit]
        return max(leaving + self.limits.window - now, paced)

    def _token_wait(self, now: float, tokens: int) -> float:
        limit = self.limits.tokens
        # An oversized request still goes alone through an empty window: refusing it
        # forever would help nobody.
        if not limit or self._reserved == 0 or self._reserved + tokens <= limit:
            return 0.0
        freed, leaving = 0, now
        for admitted, reserved in self._reservations.values():  # oldest first
            freed, leaving = freed + reserved, admitted
            if self._reserved - freed + tokens <= limit:
                break
        return leaving + self.limits.window - now

    def _admit(self, now: float, ticket: str, tokens: int) -> None:
        if self.limits.requests:
            self._requests.append(now)
            self._last_admission = now
        if self.limits.tokens:
            self._reservations[ticket] = (now, tokens)
            self._reserved += tokens
        if self.limits.concurrency:
            self._slots[ticket] = now + self.limits.slot_lease_seconds


_limiters: dict[tuple, RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_from_settings() -> RateLimiter:
    """The limiter for the current settings, one per process and configuration."""
    limits = Limits.from_settings()
    key = (os.getpid(), settings.REDIS_URL, settings.REDIS_KEY_PREFIX, limits)
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            if settings.REDIS_URL:
                from extractor.llm.ratelimit_redis import RedisRateLimiter

                limiter = RedisRateLimiter(
                    limits, url=settings.REDIS_URL, prefix=settings.REDIS_KEY_PREFIX
                )
            else:
                limiter = LocalRateLimiter(limits)
            _limiters[key] = limiter
        return limiter


def reset_limiters() -> None:
    """Forget every in-process limiter (tests start from an empty window)."""
    with _limiters_lock:
        _limiters.clear()


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None
