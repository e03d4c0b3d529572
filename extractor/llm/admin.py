"""The provider call ledger in the Django admin: read-only, for operators."""

from __future__ import annotations

from django.contrib import admin

from extractor.llm.models import LLMCall


@admin.register(LLMCall)
class LLMCallAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "model",
        "purpose",
        "outcome",
        "attempts",
        "prompt_tokens",
        "cached_tokens",
        "completion_tokens",
        "cost_usd",
        "latency_ms",
        "error_type",
        "simulated",
    ]
    list_filter = ["outcome", "purpose", "model", "simulated", "error_type"]
    search_fields = ["request_hash", "error"]
    date_hierarchy = "created_at"
    list_select_related = False

    # The ledger is evidence of what was sent and paid for: nobody edits it by hand.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
