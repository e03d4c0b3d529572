"""Health probes answered first, login required everywhere (except where something
else decides access), the Content-Security-Policy header, and the API's error format
for what DRF never sees."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as _DjangoLoginRequired
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from extractor import health
from extractor.api import error_response

API_PREFIX = "/api/"
logger = logging.getLogger(__name__)


class HealthProbeMiddleware:
    """``/healthz`` and ``/readyz``, answered before any other middleware runs.

    A container's probe asks with the container's own address as Host (127.0.0.1),
    which ALLOWED_HOSTS has no reason to list, and over plain HTTP behind a TLS proxy:
    Django's host check (400) and HTTPS redirect (301) would fail a healthy instance.
    The answers say only whether the process, the database and the broker are up.
    """

    PROBES = {"/healthz": health.healthz, "/readyz": health.readyz}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = self.PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)


class LoginRequiredMiddleware(_DjangoLoginRequired):
    """Django's middleware, minus the REST API.

    The API authenticates inside DRF (token or session) and answers 401 in its own error
    format; a redirect to the login page would be wrong for a script or the frontend.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class ContentSecurityPolicyMiddleware:
    """Adds ``settings.CONTENT_SECURITY_POLICY`` to every response that has none.

    Django 5.2 has no CSP support of its own (Django 6 does). A view that needs another
    policy can set the header itself: it is kept.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


# What an error status says when nothing more precise was given.
_STATUS_ERRORS = {
    400: ("bad_request", "The request could not be read."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission to do this."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("request_too_large", "The request body is larger than the limit."),
    500: ("server_error", "The server failed to answer; the error has been logged."),
    503: ("service_unavailable", "A service this request needs is not reachable."),
}


class ApiErrorMiddleware:
    """Every answer under ``/api/`` in the API's JSON error format, whatever DEBUG says.

    DRF's exception handler shapes the errors of API views. This covers what never
    reaches one: an unknown path or a non-integer id (Django's 404, an HTML debug page
    with DEBUG on), a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413, refused from its
    Content-Length before a byte is read), a POST to a path without its trailing slash
    (Django's CommonMiddleware would fail with a 500 in DEBUG, or redirect and drop the
    body), and any 500. The traceback of a 500 is logged by Django as usual; the client
    gets none of it.

    Views that take uploads set ``takes_uploads = True`` on their class: a multipart body
    sent to them is held to the upload limit (``UPLOAD_MAX_REQUEST_BYTES``), any other
    body anywhere to the small one, both before the body is read (a session's CSRF
    check would otherwise parse a whole multipart body first).

    A database or Redis that does not answer is a 503 (``service_unavailable``), as
    API.md says, rather than a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        missing_slash = _missing_slash(request)
        if missing_slash is not None:
            return missing_slash
        response = self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            code, message = _STATUS_ERRORS.get(
                response.status_code, ("error", "The request failed.")
            )
            shaped = error_response(response.status_code, code, message)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    shaped[header] = response[header]
            return shaped
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not request.path_info.startswith(API_PREFIX):
            return None
        view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
        upload = getattr(view_class, "takes_uploads", False) and request.content_type.startswith(
            "multipart/"
        )
        limit = (
            settings.UPLOAD_MAX_REQUEST_BYTES if upload else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        if limit is not None and _content_length(request) > limit:
            return _too_large(limit, upload=upload)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not request.path_info.startswith(API_PREFIX):
            return None
        if isinstance(exception, RequestDataTooBig):
            return _too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if isinstance(
            exception, OperationalError | InterfaceError | RedisConnectionError | RedisTimeoutError
        ):
            logger.error("API %s: a service is down", request.path, exc_info=exception)
            return error_response(
                503,
                "service_unavailable",
                "A service this request needs is not reachable. Try again shortly.",
            )
        if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
            return error_response(400, "too_many_fields", str(exception))
        return None


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _too_large(limit: int, *, upload: bool = False) -> HttpResponse:
    """413 for a body over ``limit``: an upload's, or any other request's."""
    megabytes = limit / 1024**2
    size = f"{megabytes:g} MB" if megabytes >= 1 else f"{limit:,} bytes"
    if upload:
        message = f"The upload is larger than {size}. Send fewer files at a time."
        return error_response(413, "file_too_large", message, limit_bytes=limit)
    message = f"The request body is larger than the limit of {size} for this endpoint."
    return error_response(413, "request_too_large", message, limit_bytes=limit)


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() in (
        "application/json",
        "application/vnd.oai.openapi+json",
    )


def _missing_slash(request: HttpRequest) -> HttpResponse | None:
    """A 404 naming the right path for a write to an API path without its trailing
    slash (a GET is redirected as usual: nothing is lost)."""
    path = request.path_info
    if path.endswith("/") or request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    try:
        resolve(path)
    except Resolver404:
        try:
            resolve(path + "/")
        except Resolver404:
            return None
        return error_response(
            404,
            "not_found",
            f"Not found. API paths end with a slash: {request.path}/",
            path=f"{request.path}/",
        )
    return None
