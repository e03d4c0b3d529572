"""Session authentication for the API, with a failed CSRF check told apart.

Kept apart from ``extractor.api``: DRF imports the authentication classes named in
settings while its views module loads, which ``extractor.api`` itself imports.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions


class CsrfFailed(exceptions.PermissionDenied):
    default_code = "csrf_failed"


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication; a failed CSRF check answers 403 ``csrf_failed``, so
    a client can tell it from a refusal of the action itself."""

    def enforce_csrf(self, request) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            reason = str(exc.detail).removeprefix("CSRF Failed: ").rstrip(".")
            raise CsrfFailed(
                f"The CSRF check failed ({reason}): send the csrftoken cookie's value in "
                "the X-CSRFToken header, or authenticate with a token instead."
            ) from None
