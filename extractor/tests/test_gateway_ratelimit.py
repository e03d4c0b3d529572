"""The shared rate limiter: its arithmetic (fake clock), in-process under threads, in
Redis, through the gateway against a rate-limited simulator, and across two worker
processes sharing one Redis budget."""

from __future__ import annotations

import bisect
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from extractor.llm.ratelimit import Limits, LocalRateLimiter, acquire, observe_headers
from extractor.llm.ratelimit_redis import RedisRateLimiter
from extractor.llm.retry import Deadline
from extractor.tests.llm_fixtures import REDIS_TEST_URL
from extractor.tests.test_gateway import ask

ROOT = Path(__file__).resolve().parents[2]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def limits(**overrides) -> Limits:
    values = {
        "requests": 0,
        "tokens": 0,
        "concurrency": 0,
        "window_seconds": 1.0,
        "margin_seconds": 0.0,
        "slot_lease_seconds": 30.0,
        "smooth": False,
    }
    values.update(overrides)
    return Limits(**values)


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max((bisect.bisect_left(times, t + window) - i for i, t in enumerate(times)), default=0)


def wait_until(condition, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# --- arithmetic ---------------------------------------------------------------------


def test_the_request_window_admits_the_limit_then_waits_for_the_oldest():
    clock = FakeClock()
    limiter = LocalRateLimiter(limits(requests=3), clock=clock)

    assert [limiter.try_acquire(ticket=str(i), tokens=1) for i in range(3)] == [0, 0, 0]
    clock.now += 0.25
    assert limiter.try_acquire(ticket="late", tokens=1) == pytest.approx(0.75)
    clock.now += 0.75
    assert limiter.try_acquire(ticket="late", tokens=1) == 0


def test_smoothing_spaces_requests_evenly():
    clock = FakeClock()
    limiter = LocalRateLimiter(limits(requests=4, smooth=True), clock=clock)

    assert limiter.try_acquire(ticket="a", tokens=1) == 0
    assert limiter.try_acquire(ticket="b", tokens=1) == pytest.approx(0.25)
    clock.now += 0.25
    assert limiter.try_acquire(ticket="b", tokens=1) == 0


def test_tokens_are_reserved_then_settled_to_real_usage():
    clock = FakeClock()
    limiter = LocalRateLimiter(limits(tokens=100), clock=clock)

    assert limiter.try_acquire(ticket="a", tokens=60) == 0
    assert limiter.try_acquire(ticket="b", tokens=50) == pytest.approx(1.0)
    limiter.settle(ticket="a", tokens=20)  # the answer was shorter than the maximum
    assert limiter.try_acquire(ticket="b", tokens=50) == 0


def test_an_oversized_request_goes_alone_through_an_empty_window():
    limiter = LocalRateLimiter(limits(tokens=100), clock=FakeClock())
    assert limiter.try_acquire(ticket="huge", tokens=500) == 0
    assert limiter.try_acquire(ticket="next", tokens=1) > 0


def test_concurrency_slots_are_released_or_expire():
    clock = FakeClock()
    limiter = LocalRateLimiter(limits(concurrency=1, slot_lease_seconds=5), clock=clock)

    assert limiter.try_acquire(ticket="a", tokens=1) == 0
    assert limiter.try_acquire(ticket="b", tokens=1) > 0
    limiter.release(ticket="a")
    assert limiter.try_acquire(ticket="b", tokens=1) == 0
    clock.now += 5  # "b" never released: its process died
    assert limiter.try_acquire(ticket="c", tokens=1) == 0


def test_a_pause_holds_everyone():
    clock = FakeClock()
    limiter = LocalRateLimiter(limits(), clock=clock)
    limiter.pause(seconds=2)
    assert limiter.try_acquire(ticket="a", tokens=1) == pytest.approx(2)
    clock.now += 2
    assert limiter.try_acquire(ticket="a", tokens=1) == 0


def test_provider_headers_pause_for_the_refill_of_one_request_or_the_missing_tokens():
    limiter = LocalRateLimiter(limits(), clock=FakeClock())
    headers = {
        "x-ratelimit-limit-requests": "600",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "6m0s",
    }
    assert observe_headers(limiter, headers, next_tokens=10) == pytest.approx(0.1)
    headers = {
        "x-ratelimit-limit-tokens": "60000",
        "x-ratelimit-remaining-tokens": "500",
        "x-ratelimit-reset-tokens": "20ms",
    }
    assert observe_headers(limiter, headers, next_tokens=1500) == pytest.approx(0.02)
    assert observe_headers(limiter, {"x-ratelimit-remaining-requests": "5"}, next_tokens=1) is None


def test_waiting_past_the_deadline_is_rate_limited():
    from extractor.llm.errors import RateLimitedError

    limiter = LocalRateLimiter(limits(requests=1, window_seconds=60))
    acquire(limiter, tokens=1, deadline=Deadline(1))
    with pytest.raises(RateLimitedError):
        acquire(limiter, tokens=1, deadline=Deadline(1))


# --- in process, under threads ------------------------------------------------------


def test_threads_in_one_process_share_the_window():
    limiter = LocalRateLimiter(limits(requests=5, window_seconds=0.6))
    admitted: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(3):
            acquire(limiter, tokens=1, deadline=Deadline(10))
            with lock:
                admitted.append(time.monotonic())

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(admitted) == 18
    # Timestamps are taken just after admission; checking a slightly narrower window
    # leaves room for a thread descheduled between the two on a busy machine.
    assert max_in_window(admitted, 0.5) <= 5


@pytest.mark.django_db
def test_the_gateway_stays_under_the_limit_without_redis(start_llm_simulator, settings):
    settings.REDIS_URL = ""
    settings.LLM_REQUESTS_PER_MINUTE = 4
    settings.LLM_RATE_WINDOW_SECONDS = 0.5
    settings.LLM_RATE_MARGIN_SECONDS = 0.02
    simulator = start_llm_simulator(rpm=4, window=0.5)

    results = [ask() for _ in range(10)]

    seen = simulator.requests()
    assert len(seen) == 10 and all(r["status"] == 200 for r in seen)
    assert max_in_window([r["t"] for r in seen], 0.5) <= 4
    assert all(r.attempts == 1 for r in results)


@pytest.mark.django_db
def test_provider_limit_headers_and_429s_are_absorbed(start_llm_simulator, settings):
    """No limit configured here: the provider's headers (and, failing that, its 429s
    with Retry-After) pace the calls, and no caller sees an error."""
    settings.REDIS_URL = ""
    simulator = start_llm_simulator(rpm=3, window=0.6)

    results = [ask() for _ in range(7)]

    assert all(r.data for r in results)
    statuses = [r["status"] for r in simulator.requests()]
    assert statuses.count(200) == 7
    assert statuses.count(429) <= 1, "the remaining=0 header pauses before a 429"


# --- Redis --------------------------------------------------------------------------


def test_redis_limiter_windows_tokens_and_pause(redis_prefix):
    limiter = RedisRateLimiter(
        limits(requests=3, tokens=100, window_seconds=1.0), url=REDIS_TEST_URL, prefix=redis_prefix
    )
    assert [limiter.try_acquire(ticket=str(i), tokens=10) for i in range(3)] == [0, 0, 0]
    assert 0.9 <= limiter.try_acquire(ticket="x", tokens=10) <= 1.0

    tokens = RedisRateLimiter(
        limits(tokens=100, window_seconds=1.0), url=REDIS_TEST_URL, prefix=redis_prefix + "t"
    )
    assert tokens.try_acquire(ticket="a", tokens=60) == 0
    assert tokens.try_acquire(ticket="b", tokens=50) > 0.9
    tokens.settle(ticket="a", tokens=20)
    assert tokens.try_acquire(ticket="b", tokens=50) == 0

    tokens.pause(seconds=0.5)
    assert 0.4 < tokens.try_acquire(ticket="c", tokens=1) <= 0.5


def test_redis_concurrency_slots_expire_when_a_process_dies(redis_prefix):
    limiter = RedisRateLimiter(
        limits(concurrency=1, slot_lease_seconds=0.2), url=REDIS_TEST_URL, prefix=redis_prefix
    )
    assert limiter.try_acquire(ticket="dead", tokens=1) == 0
    assert limiter.try_acquire(ticket="b", tokens=1) > 0
    time.sleep(0.25)
    assert limiter.try_acquire(ticket="b", tokens=1) == 0
    limiter.release(ticket="b")
    assert limiter.try_acquire(ticket="c", tokens=1) == 0


def test_without_redis_each_process_falls_back_to_its_own_limiter(caplog):
    limiter = RedisRateLimiter(
        limits(requests=1), url="redis://127.0.0.1:1/0", prefix="test-llm-unreachable"
    )
    assert limiter.try_acquire(ticket="a", tokens=1) == 0
    assert limiter.try_acquire(ticket="b", tokens=1) > 0
    assert "Redis is not answering" in caplog.text


def test_two_worker_processes_share_one_redis_limit(start_llm_simulator, redis_prefix, tmp_path):
    limit, window, duration = 10, 1.0, 3.0
    simulator = start_llm_simulator(rpm=limit, window=window, latency=0.02)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "extractor.settings",
        "REDIS_URL": REDIS_TEST_URL,
        "CACHE_KEY_PREFIX": redis_prefix,
        "OPENAI_BASE_URL": simulator.base_url,
        "OPENAI_API_KEY": "sk-test",
        "LLM_REQUESTS_PER_MINUTE": str(limit),
        "LLM_RATE_WINDOW_SECONDS": str(window),
        "LLM_RATE_MARGIN_SECONDS": "0.05",
        "LLM_BACKOFF_BASE": "0.05",
        "LLM_BACKOFF_MAX": "0.2",
    }
    env.pop("DATABASE_URL", None)  # each worker: its own SQLite file
    go = tmp_path / "go"
    workers = []
    for name in ("a", "b"):
        env_worker = {**env, "DATA_DIR": str(tmp_path / name)}
        command = [sys.executable, "-m", "extractor.simulator.loadgen", "--name", name]
        command += ["--threads", "2", "--duration", str(duration), "--migrate"]
        command += ["--ready-file", str(tmp_path / f"ready-{name}"), "--go-file", str(go)]
        command += ["--out", str(tmp_path / f"{name}.jsonl")]
        workers.append(subprocess.Popen(command, env=env_worker, cwd=ROOT))
    try:
        wait_until(lambda: all((tmp_path / f"ready-{n}").exists() for n in "ab"), timeout=60)
        go.touch()
        for worker in workers:
            assert worker.wait(timeout=60) == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()

    calls = [
        json.loads(line)
        for name in ("a", "b")
        for line in (tmp_path / f"{name}.jsonl").read_text().splitlines()
    ]
    assert calls and all(call["ok"] for call in calls), "no 429 surfaces as a failure"
    assert {call["call"].split("-")[0] for call in calls} == {"a", "b"}
    seen = simulator.requests()
    assert max_in_window([r["t"] for r in seen], window) <= limit
    assert sum(r["status"] == 429 for r in seen) == 0
    busy = max(r["t"] for r in seen) - min(r["t"] for r in seen)
    assert len(seen) >= 0.8 * limit * busy / window, "the shared budget is used"
