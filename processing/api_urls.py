"""REST API routes of the processing app (mounted under /api/v1/)."""


urlpatterns: list = []
