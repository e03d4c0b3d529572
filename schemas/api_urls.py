"""REST API routes of the schemas app (mounted under /api/v1/)."""


urlpatterns: list = []
