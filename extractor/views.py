"""Project-wide error pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.defaults import page_not_found

from extractor.api import api_not_found


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """API clients get the JSON error format; browsers get the HTML page."""
    if request.path_info.startswith("/api/"):
        return api_not_found(request, exception)
    return page_not_found(request, exception)
