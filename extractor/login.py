"""The log-in page: Django's LoginView, slowed down after repeated failures from one
address.

The rules are in :mod:`extractor.throttling`; the token endpoint uses the same ones.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponse

from extractor.throttling import (
    login_failure_record,
    login_success_record,
    login_wait_seconds,
    wait_message,
)


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses to check a password at all while the account or address is blocked."""

    wait_seconds = 0

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        self.wait_seconds = login_wait_seconds(request=self.request, username=username)
        if self.wait_seconds:
            raise ValidationError(wait_message(self.wait_seconds), code="too_many_attempts")
        return super().clean()


class LoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm

    def form_valid(self, form: ThrottledAuthenticationForm) -> HttpResponse:
        login_success_record(request=self.request, username=form.cleaned_data.get("username") or "")
        return super().form_valid(form)

    def form_invalid(self, form: ThrottledAuthenticationForm) -> HttpResponse:
        if form.has_error(NON_FIELD_ERRORS, "too_many_attempts"):
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(form.wait_seconds)
            return response
        if form.has_error(NON_FIELD_ERRORS, "invalid_login"):
            login_failure_record(
                request=self.request, username=form.cleaned_data.get("username") or ""
            )
        return super().form_invalid(form)
