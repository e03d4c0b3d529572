"""Root URLs: the wizard, the REST API under /api/v1/, admin. (The health probes are
answered by extractor.middleware.HealthProbeMiddleware, before any URL is resolved.)"""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from extractor import (
    accounts,
    openapi,  # noqa: F401  (registers the session auth scheme)
)
from extractor.auth_api import TokenView
from extractor.login import LoginView

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("", include("projects.api_urls")),
    path("", include("schemas.api_urls")),
    path("", include("processing.api_urls")),
    path("", include("exports.api_urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="projects:list", permanent=False)),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", accounts.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", accounts.signup, name="signup"),
    # One log-in form for everyone, so the admin's cannot bypass the failure limits.
    path(
        "admin/login/",
        login_not_required(
            RedirectView.as_view(pattern_name="login", query_string=True, permanent=False)
        ),
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script as a file (and our template its
    # styles): the page passes the site's Content-Security-Policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("projects/", include("projects.urls")),
    path("projects/", include("schemas.urls")),
    path("projects/", include("processing.urls")),
    path("projects/", include("exports.urls")),
]
