"""Root URLs: the wizard, the REST API under /api/v1/, admin, health probes."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from extractor import accounts, health
from extractor.auth_api import TokenView

handler404 = "extractor.views.not_found"

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("", include("projects.api_urls")),
    path("", include("schemas.api_urls")),
    path("", include("processing.api_urls")),
    path("", include("exports.api_urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="projects:list", permanent=False)),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("projects/", include("projects.urls")),
    path("projects/", include("schemas.urls")),
    path("projects/", include("processing.urls")),
    path("projects/", include("exports.urls")),
]
