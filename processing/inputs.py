"""What a job request may say, checked once for the API and the step-4 pages.

The API answers a refusal as a 400 with details per field; the pages read the same
serializers from their forms (a blank optional field counts as not sent) and show the
same sentences as messages, through ``job_input``. What a budget may be is not decided
here: ``jobs.budget_checked`` applies it to every caller of the services.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from extractor.inputs import field_messages
from processing import jobs
from processing.models import ProcessingJob
from schemas.inputs import ModeField, SampleSizeField


@extend_schema_field(OpenApiTypes.DOUBLE)
class UsdAmountField(serializers.DecimalField):
    """An amount in USD as typed ("12.50", "$12.50") or sent as a JSON number; NaN and
    infinities are not amounts. No digit limits: a value the budget column cannot hold
    is refused by ``jobs.budget_checked`` with a sentence saying the limit. Documented
    as a number, as money is everywhere in the API (a DecimalField would be a string)."""

    default_error_messages = {"invalid": "“{input}” is not an amount in USD."}

    def __init__(self, **kwargs) -> None:
        super().__init__(max_digits=None, decimal_places=None, **kwargs)

    def to_internal_value(self, data: object) -> Decimal:
        text = data if isinstance(data, str) else str(data)
        if len(text) > self.MAX_STRING_LENGTH:
            self.fail("max_string_length")
        try:
            amount = Decimal(text.strip().lstrip("$"))
        except InvalidOperation:
            self.fail("invalid", input=text)
        if not amount.is_finite():
            self.fail("invalid", input=text)
        return amount


KIND_MESSAGE = "Choose sample or full."
BUDGET_HELP = f"More than 0 and under {jobs.BUDGET_LIMIT:,} USD; absent or null: no budget."


class JobCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ProcessingJob.Kind.choices,
        error_messages={"required": KIND_MESSAGE, "invalid_choice": KIND_MESSAGE},
    )
    mode = ModeField(
        help_text="standard: calls at once; batch: through the provider's Batch API, "
        "answered within 24 h at the batch price (409 batch_unavailable when the "
        "provider has none, 409 over_budget when the estimate exceeds budget_usd)."
    )
    sample_size = SampleSizeField(required=False)
    document_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, allow_empty=False, max_length=100_000
    )
    budget_usd = UsdAmountField(required=False, allow_null=True, help_text=BUDGET_HELP)
    reliability_override = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Run the full corpus although the project's reliability gate is not met: "
        "the reason, recorded in the job's log.",
    )


class ResumeSerializer(serializers.Serializer):
    budget_usd = UsdAmountField(required=False, allow_null=True, help_text=BUDGET_HELP)


def job_input(serializer: serializers.Serializer) -> dict:
    """The serializer's validated data, or ``JobInputError`` with its sentences per
    field: the error the pages already show for what the services refuse."""
    if not serializer.is_valid():
        raise jobs.JobInputError(field_messages(serializer.errors))
    return serializer.validated_data
