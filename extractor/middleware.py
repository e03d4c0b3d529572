"""Login required everywhere, except where something else decides access."""

from __future__ import annotations

from django.contrib.auth.middleware import LoginRequiredMiddleware as _DjangoLoginRequired


class LoginRequiredMiddleware(_DjangoLoginRequired):
    """Django's middleware, minus the REST API.

    The API authenticates inside DRF (token or session) and answers 401 in its own error
    format; a redirect to the login page would be wrong for a script or the frontend.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
