"""Fixtures shared by the cross-cutting tests (security, conformance, browser)."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import ScopedRateThrottle


@pytest.fixture
def throttle_rates(settings, monkeypatch):
    """Lower DRF's scoped rates for one test.

    DRF reads DEFAULT_THROTTLE_RATES once, into ``SimpleRateThrottle.THROTTLE_RATES``
    at import, so overriding settings alone changes nothing: patch the class attribute
    (``settings`` keeps the two in agreement for anyone reading them), and give the
    throttle a cache of its own so no count leaks in from another test or run.
    """

    def set_rates(**rates: str) -> None:
        merged = {**ScopedRateThrottle.THROTTLE_RATES, **rates}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": merged}
        monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", merged)

    monkeypatch.setattr(
        ScopedRateThrottle, "cache", LocMemCache(f"throttle-{uuid.uuid4().hex}", {})
    )
    return set_rates
