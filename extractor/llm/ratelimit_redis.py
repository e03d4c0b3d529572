"""The shared limiter in Redis: the same sliding windows as ``LocalRateLimiter``, kept in
a few keys and changed only by Lua scripts, so check-and-admit is one atomic step for
every worker process on every machine.

Time comes from the Redis server (``TIME``), not from each worker: machines whose clocks
disagree still share one window. Every key expires on its own once idle, and a
concurrency slot is a sorted-set entry scored by its expiry, so a worker killed mid-call
cannot keep its slot.

If Redis stops answering, each process falls back to its own in-process limiter (with a
warning) rather than stopping all work: the provider's 429s, which the gateway retries,
are then the safety net.
"""

from __future__ import annotations

import logging
import time

import redis

from extractor.llm.ratelimit import SLOT_POLL_SECONDS, Limits, LocalRateLimiter

logger = logging.getLogger(__name__)

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ticket = ARGV[1]
local tokens = tonumber(ARGV[2])
local max_requests = tonumber(ARGV[3])
local max_tokens = tonumber(ARGV[4])
local max_slots = tonumber(ARGV[5])
local window = tonumber(ARGV[6])
local lease = tonumber(ARGV[7])
local poll = tonumber(ARGV[8])
local spacing = tonumber(ARGV[9])

local paused = tonumber(redis.call('GET', KEYS[6]) or '0')
if paused > now then return paused - now end

local wait = 0
if max_slots > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
  if redis.call('ZCARD', KEYS[5]) >= max_slots then wait = poll end
end
if spacing > 0 then
  local last = tonumber(redis.call('GET', KEYS[7]) or '0')
  if last + spacing > now then wait = math.max(wait, last + spacing - now) end
end
if max_requests > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[1])
  if count >= max_requests then
    local index = count - max_requests
    local leaving = redis.call('ZRANGE', KEYS[1], index, index, 'WITHSCORES')
    wait = math.max(wait, tonumber(leaving[2]) + window - now)
  end
end
if max_tokens > 0 then
  while true do
    local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - window, 'LIMIT', 0, 500)
    if #expired == 0 then break end
    local amounts = redis.call('HMGET', KEYS[3], unpack(expired))
    local freed = 0
    for _, amount in ipairs(amounts) do freed = freed + (tonumber(amount) or 0) end
    redis.call('DECRBY', KEYS[4], freed)
    redis.call('ZREM', KEYS[2], unpack(expired))
    redis.call('HDEL', KEYS[3], unpack(expired))
  end
  local used = tonumber(redis.call('GET', KEYS[4]) or '0')
  if used < 0 then
    redis.call('SET', KEYS[4], 0)
    used = 0
  end
  if used > 0 and used + tokens > max_tokens then
    local entries = redis.call('ZRANGE', KEYS[2], 0, 999, 'WITHSCORES')
    local freed = 0
    local leaving = tonumber(entries[#entries])
    for i = 1, #entries, 2 do
      freed = freed + (tonumber(redis.call('HGET', KEYS[3], entries[i])) or 0)
      if used - freed + tokens <= max_tokens then
        leaving = tonumber(entries[i + 1])
        break
      end
    end
    wait = math.max(wait, leaving + window - now)
  end
end
if wait > 0 then return math.max(wait, 1) end

local keep = window + 1000
if max_requests > 0 then
  redis.call('ZADD', KEYS[1], now, ticket)
  redis.call('PEXPIRE', KEYS[1], keep)
  redis.call('SET', KEYS[7], now, 'PX', keep)
end
if max_tokens > 0 then
  redis.call('ZADD', KEYS[2], now, ticket)
  redis.call('HSET', KEYS[3], ticket, tokens)
  redis.call('INCRBY', KEYS[4], tokens)
  for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], keep) end
end
if max_slots > 0 then
  redis.call('ZADD', KEYS[5], now + lease, ticket)
  redis.call('PEXPIRE', KEYS[5], lease + 1000)
end
return 0
"""

_SETTLE = """
local reserved = redis.call('HGET', KEYS[1], ARGV[1])
if reserved then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('INCRBY', KEYS[2], tonumber(ARGV[2]) - tonumber(reserved))
end
return 0
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pause = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if now + pause > current then
  redis.call('SET', KEYS[1], now + pause, 'PX', pause + 1000)
end
return 0
"""

_KEYS = (
    "requests",
    "token_log",
    "token_amounts",
    "token_sum",
    "slots",
    "paused_until",
    "last_request",
)
_WARN_EVERY_SECONDS = 60.0


class RedisRateLimiter:
    """``RateLimiter`` over Redis; keys live under ``<prefix>:llm:ratelimit``."""

    def __init__(self, limits: Limits, *, url: str, prefix: str):
        self.limits = limits
        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        # The hash tag ({...}) keeps every key in one slot, as Lua needs on Redis Cluster.
        self.keys = [f"{{{prefix}:llm:ratelimit}}:{name}" for name in _KEYS]
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._settle = self._redis.register_script(_SETTLE)
        self._pause = self._redis.register_script(_PAUSE)
        self._fallback = LocalRateLimiter(limits)
        self._warned_at = 0.0

    def try_acquire(self, *, ticket: str, tokens: int) -> float:
        limits = self.limits
        args = [
            ticket,
            tokens,
            limits.requests,
            limits.tokens,
            limits.concurrency,
            _ms(limits.window),
            _ms(limits.slot_lease_seconds),
            max(_ms(SLOT_POLL_SECONDS), 1),
            _ms(limits.spacing),
        ]
        try:
            wait_ms = self._acquire(keys=self.keys, args=args)
        except redis.RedisError as exc:
            self._warn(exc)
            return self._fallback.try_acquire(ticket=ticket, tokens=tokens)
        return int(wait_ms) / 1000

    def release(self, *, ticket: str) -> None:
        self._fallback.release(ticket=ticket)
        if self.limits.concurrency:
            try:
                self._redis.zrem(self.keys[4], ticket)
            except redis.RedisError as exc:
                self._warn(exc)

    def settle(self, *, ticket: str, tokens: int) -> None:
        self._fallback.settle(ticket=ticket, tokens=tokens)
        if self.limits.tokens:
            try:
                self._settle(keys=[self.keys[2], self.keys[3]], args=[ticket, tokens])
            except redis.RedisError as exc:
                self._warn(exc)

    def pause(self, *, seconds: float) -> None:
        self._fallback.pause(seconds=seconds)
        try:
            self._pause(keys=[self.keys[5]], args=[max(_ms(seconds), 1)])
        except redis.RedisError as exc:
            self._warn(exc)

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at > _WARN_EVERY_SECONDS:
            self._warned_at = now
            logger.warning(
                "LLM rate limiter: Redis is not answering (%s); limiting per process", exc
            )


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))
