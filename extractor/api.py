"""Shared REST API pieces: the error format, pagination and typed API errors.

Every error answers ``{"error": {"code", "message", "details"}}`` (see API.md), whether
it was raised by DRF, by Django (404) or by our own code.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApiError(exceptions.APIException):
    """An error with a stable snake_case code and a sentence for a person."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        status_code: int | None = None,
    ):
        super().__init__(message or self.default_detail, code or self.default_code)
        self.error_code = code or self.default_code
        self.details = details or {}
        if status_code is not None:
            self.status_code = status_code


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The object is not in a state that allows this."


class PayloadTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"
    default_detail = "The upload is larger than the limit."


class UnsupportedFileType(ApiError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_code = "unsupported_file_type"
    default_detail = "This file type is not supported."


class ServiceUnavailable(ApiError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = "A service this request needs is not reachable. Try again shortly."


_CODES = {
    exceptions.ValidationError: ("validation_error", "Some fields are not valid."),
    exceptions.ParseError: ("parse_error", None),
    exceptions.NotAuthenticated: ("not_authenticated", None),
    exceptions.AuthenticationFailed: ("authentication_failed", None),
    exceptions.PermissionDenied: ("permission_denied", None),
    exceptions.NotFound: ("not_found", "Not found."),
    exceptions.MethodNotAllowed: ("method_not_allowed", None),
    exceptions.NotAcceptable: ("not_acceptable", None),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", None),
    exceptions.Throttled: ("throttled", None),
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _message_of(detail: Any) -> str:
    if isinstance(detail, list | tuple) and detail:
        return _message_of(detail[0])
    if isinstance(detail, dict) and detail:
        return _message_of(next(iter(detail.values())))
    return str(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, reshaped into the API's error format."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        body = error_body(exc.error_code, str(exc.detail), exc.details)
    else:
        code, default_message = next(
            (value for cls, value in _CODES.items() if isinstance(exc, cls)),
            ("error", None),
        )
        detail = getattr(exc, "detail", None)
        if isinstance(exc, exceptions.ValidationError):
            details = detail if isinstance(detail, dict) else {"non_field_errors": detail}
            first = _message_of(detail)
            message = f"{default_message} {first}" if first else default_message
            body = error_body(code, message, details)
        else:
            body = error_body(code, default_message or _message_of(detail))
    response.data = body
    return response


def api_not_found(request, exception=None) -> JsonResponse:
    return JsonResponse(error_body("not_found", "Not found."), status=404)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
