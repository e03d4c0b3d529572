"""What an estimate request may say, checked once for the API and the pages.

A DRF serializer reads a page's query string as well as an API request (a blank
optional field counts as not sent), so the step-4 page's live estimate and
``GET /projects/{id}/estimate/`` share one check and one set of messages. The sample
size and the mode live here, below processing, because an estimate asks for them
before any job does.
"""

from __future__ import annotations

from rest_framework import serializers

from extractor.text import whole_number
from schemas.estimate import MODES, STANDARD

MAX_SAMPLE_SIZE = 10_000
SAMPLE_SIZE_RULE = "A sample is a whole number of documents, 1 or more."
MODE_MESSAGE = "“{input}” is not a mode: choose standard or batch."


class SampleSizeField(serializers.IntegerField):
    """A sample's size in documents, from 1 to ``MAX_SAMPLE_SIZE``: typed in a form or
    sent as a JSON number. Text is read as ``whole_number`` reads it (ASCII digits),
    so "²" or "1_000", which ``int()`` takes, are refused here as everywhere else."""

    default_error_messages = {
        "invalid": "“{input}” is not a whole number. " + SAMPLE_SIZE_RULE,
        "min_value": SAMPLE_SIZE_RULE,
        "max_value": f"A sample is at most {MAX_SAMPLE_SIZE:,} documents.",
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(min_value=1, max_value=MAX_SAMPLE_SIZE, **kwargs)

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, int) and not isinstance(data, bool):
            return data
        if isinstance(data, float) and data.is_integer():  # a JSON 20.0
            return int(data)
        text = data if isinstance(data, str) else str(data)
        if len(text) > self.MAX_STRING_LENGTH:
            self.fail("max_string_length")
        number = whole_number(text) if isinstance(data, str) else None
        if number is None:
            self.fail("invalid", input=text)
        return number


class ModeField(serializers.ChoiceField):
    """How a run's requests reach the model: ``standard`` (default) or ``batch``."""

    default_error_messages = {"invalid_choice": MODE_MESSAGE}

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("default", STANDARD)
        kwargs.setdefault(
            "help_text",
            "standard: one call at a time, started at once; batch: through the provider's "
            "Batch API, answered within 24 hours at the batch price.",
        )
        super().__init__(choices=MODES, **kwargs)


class EstimateQuerySerializer(serializers.Serializer):
    """The estimate's query: the API's estimate of the draft and the step-4 page's
    estimate of the sample being typed."""

    kind = serializers.ChoiceField(choices=["sample", "full"], default="sample")
    sample_size = SampleSizeField(required=False, default=None)
    mode = ModeField(help_text="The price the cost is given at: standard, or batch.")
