"""Shared REST API pieces: the error format, pagination and typed API errors.

Every error answers ``{"error": {"code", "message", "details"}}`` (see API.md), whether
it was raised by DRF, by Django (404) or by our own code; what never reaches DRF (an
unknown path, a body over the size limit, a crash) is put in the same shape by
``extractor.middleware.ApiErrorMiddleware``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from extractor.authentication import CsrfFailed
from extractor.parsers import TooDeep
from extractor.text import whole_number


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


class Forbidden(PermissionDenied):
    """Refused because of who asks (their role on a project), with a stable code: a 403
    in the API's error shape, and Django's 403 page in the wizard."""

    def __init__(self, message: str, *, code: str = "permission_denied"):
        super().__init__(message)
        self.code = code


# Checked in order: a subclass before its parent.
_CODES = {
    CsrfFailed: ("csrf_failed", None),
    TooDeep: ("too_deeply_nested", None),
    exceptions.ValidationError: ("validation_error", "Some fields are not valid."),
    exceptions.ParseError: ("parse_error", None),
    exceptions.NotAuthenticated: ("not_authenticated", None),
    exceptions.AuthenticationFailed: ("authentication_failed", None),
    exceptions.PermissionDenied: ("permission_denied", None),
    exceptions.NotFound: ("not_found", None),
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
    elif isinstance(exc, Forbidden):
        exc = ApiError(str(exc), code=exc.code, status_code=status.HTTP_403_FORBIDDEN)
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


def error_response(status_code: int, code: str, message: str, **details: Any) -> JsonResponse:
    """An error answered outside DRF (middleware, plain Django views)."""
    return JsonResponse(error_body(code, message, details), status=status_code)


DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def page_number_param(raw: str | None) -> int:
    """``?page=``: absent means 1; a whole number from 1, else a 400 (a page past the
    end is the caller's to answer with 404, once it knows how many pages there are)."""
    if raw is None or raw == "":
        return 1
    number = whole_number(raw)
    if number is None or number < 1:
        raise exceptions.ValidationError({"page": ["A page is a whole number from 1."]})
    return number


def page_size_param(raw: str | None, *, default: int = DEFAULT_PAGE_SIZE) -> int:
    """``?page_size=``: absent means ``default``; a whole number from 1 (above
    ``MAX_PAGE_SIZE`` it is capped, as API.md says), else a 400."""
    if raw is None or raw == "":
        return default
    size = whole_number(raw)
    if size is None or size < 1:
        raise exceptions.ValidationError(
            {"page_size": [f"A page size is a whole number from 1 to {MAX_PAGE_SIZE}."]}
        )
    return min(size, MAX_PAGE_SIZE)


def page_not_found(number: int, pages: int) -> exceptions.NotFound:
    return exceptions.NotFound(
        f"There is no page {number}: the list has {pages} page{'' if pages == 1 else 's'}."
    )


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page numbers, read strictly: a malformed ``page`` or ``page_size`` is a
    400, a page past the end a 404 that says how many pages there are."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    last_page_strings = ()  # no ?page=last: a page is a number, in every list

    def get_page_size(self, request) -> int:
        return page_size_param(request.query_params.get(self.page_size_query_param))

    def get_paginated_response_schema(self, schema: dict) -> dict:
        """Every page has next and previous (null at either end): required, not optional."""
        page = super().get_paginated_response_schema(schema)
        page["required"] = ["count", "next", "previous", "results"]
        return page

    def get_page_number(self, request, paginator) -> int:
        number = page_number_param(request.query_params.get(self.page_query_param))
        if number > paginator.num_pages:
            raise page_not_found(number, paginator.num_pages)
        return number
