"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def product(request: HttpRequest) -> dict:
    return {
        "llm_simulated": settings.LLM_SIMULATED,
        "signup_enabled": settings.SIGNUP_ENABLED,
    }
