"""REST API routes of the exports app (mounted under /api/v1/)."""


urlpatterns: list = []
