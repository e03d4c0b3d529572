"""Typed failures of the LLM gateway.

Callers decide what to do from the type and ``permanent``: a permanent error will fail
the same way if the same request is sent again (fix the configuration or the input), a
transient one may succeed later (the work item can be queued again). Messages are
written for a researcher reading a job log, not for a developer.
"""

from __future__ import annotations


class LLMError(Exception):
    """Base class: ``code`` is a stable snake_case identifier, ``permanent`` says whether
    sending the same request again can help."""

    code = "llm_error"
    permanent = False

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.status = status
        # Filled in by the gateway once the failure is recorded, so a job log can point
        # at the LLMCall row that tells the whole story.
        self.call_id: int | None = None
        self.attempts = 0


class LLMConfigurationError(LLMError):
    """Missing key, wrong base URL, rejected key, unreachable host, no quota left."""

    code = "configuration"
    permanent = True


class ModelNotFoundError(LLMError):
    """The provider does not know the model name (or this key may not use it)."""

    code = "model_not_found"
    permanent = True


class LLMRequestError(LLMError):
    """The provider rejected the request itself (HTTP 400/422): sending it again fails
    again."""

    code = "bad_request"
    permanent = True


class ContextLengthError(LLMRequestError):
    """The prompt plus the output limit do not fit in the model's context window: the
    caller has to send less text (split the document)."""

    code = "context_length_exceeded"


class RefusalError(LLMError):
    """The model declined to answer (a refusal or a content filter): permanent for this
    input."""

    code = "refusal"
    permanent = True


class TruncatedError(LLMError):
    """The answer was cut by the output token limit (``finish_reason: length``).

    Not retried as is: the same request would be cut again. The caller splits the work
    (fewer variables or a shorter text per call) or raises the limit.
    """

    code = "truncated"
    permanent = True
    finish_reason = "length"


class InvalidResponseError(LLMError):
    """The answer was not JSON valid for the schema, even after one corrective retry."""

    code = "invalid_response"
    permanent = True


class ProviderUnavailableError(LLMError):
    """5xx answers or dropped connections until the attempt or time budget ran out."""

    code = "provider_unavailable"
    permanent = False


class RateLimitedError(LLMError):
    """Still rate limited (HTTP 429, or our own shared limit) when the budget ran out."""

    code = "rate_limited"
    permanent = False


class LLMTimeoutError(LLMError):
    """The provider did not answer in time, on every attempt the budget allowed."""

    code = "timeout"
    permanent = False


class BudgetExceededError(LLMError):
    """The caller's budget admission refused the next attempt, so it was not sent.

    Not permanent: the same request can go once the budget is raised (a resumed job).
    """

    code = "budget_exceeded"
    permanent = False
