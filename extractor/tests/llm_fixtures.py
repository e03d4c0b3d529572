"""LLM fixtures for every app's tests (loaded by the root conftest as a plugin): a
simulator on a free port with the gateway's settings pointed at it, and a Redis key
prefix nobody else uses."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from extractor.llm.ratelimit import reset_limiters
from extractor.simulator import Simulator

REDIS_TEST_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def llm_settings(settings):
    """Settings for fast, isolated gateway tests: no shared limits, short backoffs, and
    a Redis prefix of its own (so a pause from one test never slows another)."""
    settings.OPENAI_API_KEY = "sk-test"
    settings.LLM_SIMULATED = False
    settings.LLM_STRUCTURED_OUTPUT = "json_schema"
    settings.LLM_REQUESTS_PER_MINUTE = 0
    settings.LLM_TOKENS_PER_MINUTE = 0
    settings.LLM_MAX_CONCURRENCY = 0
    settings.LLM_MAX_ATTEMPTS = 4
    settings.LLM_BACKOFF_BASE = 0.01
    settings.LLM_BACKOFF_MAX = 0.05
    settings.LLM_REQUEST_TIMEOUT = 5.0
    settings.LLM_TOTAL_TIMEOUT = 20.0
    settings.LLM_CACHE_ENABLED = True
    settings.REDIS_KEY_PREFIX = f"test-llm-{uuid.uuid4().hex[:12]}"
    reset_limiters()
    yield settings
    reset_limiters()


@pytest.fixture
def start_llm_simulator(llm_settings):
    """Start a simulator with the given options and point the gateway at it."""
    started: list[Simulator] = []

    def start(**options) -> Simulator:
        simulator = Simulator(**options)
        started.append(simulator)
        llm_settings.OPENAI_BASE_URL = simulator.base_url
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


@pytest.fixture
def llm_simulator(start_llm_simulator) -> Simulator:
    """A simulator without latency or faults."""
    return start_llm_simulator()


@pytest.fixture
def redis_prefix():
    """A fresh key prefix on the local Redis; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"test-llm-{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
