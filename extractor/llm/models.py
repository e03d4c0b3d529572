"""Every provider call, recorded; the table doubles as the response cache."""

from __future__ import annotations

from decimal import Decimal

from django.db import models


class LLMCall(models.Model):
    """One request to the provider (or one answer served from the cache).

    ``project_id``/``job_id``/``document_id`` are plain integers, not foreign keys:
    the gateway belongs to ``extractor``, which depends on no workflow app, and the
    record must outlive the objects it mentions (it is the cost ledger).
    """

    class Outcome(models.TextChoices):
        """``pending`` is written before the first request goes out and becomes one of
        the others when the call ends; a ``pending`` row that stays so marks a process
        that died mid-call. ``success`` rows are the cache."""

        PENDING = "pending", "In progress"
        SUCCESS = "success", "Success"
        CACHED = "cached", "Served from cache"
        ERROR = "error", "Error"

    request_hash = models.CharField(max_length=64, db_index=True)
    model = models.CharField(max_length=100)
    purpose = models.CharField(max_length=32, blank=True)
    project_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    job_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    document_id = models.BigIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    attempts = models.PositiveSmallIntegerField(default=1)
    prompt_tokens = models.PositiveIntegerField(default=0)
    cached_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))
    latency_ms = models.PositiveIntegerField(default=0)
    finish_reason = models.CharField(max_length=32, blank=True)
    response = models.JSONField(null=True, blank=True, help_text="The parsed JSON answer.")
    response_text = models.TextField(blank=True)
    error_type = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    simulated = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    base_url = models.CharField(
        max_length=200, blank=True, help_text="The provider endpoint (never the key)."
    )
    max_output_tokens = models.PositiveIntegerField(null=True, blank=True)
    estimated_prompt_tokens = models.PositiveIntegerField(
        default=0, help_text="Our tiktoken count before the call, to compare with usage."
    )
    http_status = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Status of the last HTTP answer, if any."
    )
    rate_limited = models.PositiveSmallIntegerField(
        default=0, help_text="How many 429 answers this call met (and retried)."
    )
    error_code = models.CharField(max_length=64, blank=True)
    batch_id = models.CharField(
        max_length=200,
        blank=True,
        help_text="The provider batch that answered it (billed at the batch price).",
    )
    cached_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["request_hash", "model", "outcome"]),
            # The engine sums a document's spend per job after every document.
            models.Index(fields=["job_id", "document_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.outcome} {self.request_hash[:10]}"
