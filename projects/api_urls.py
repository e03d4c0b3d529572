"""REST API routes of the projects app (mounted under /api/v1/)."""


urlpatterns: list = []
