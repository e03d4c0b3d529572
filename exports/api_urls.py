"""Step 5 REST API routes (mounted under /api/v1/)."""

from django.urls import path

from exports import api, round_downloads, rounds_api

urlpatterns = [
    path("projects/<int:project_id>/results/", api.ResultsView.as_view(), name="api-results"),
    path(
        "extractions/<int:extraction_id>/",
        api.ExtractionDetailView.as_view(),
        name="api-extraction",
    ),
    path("projects/<int:project_id>/agreement/", api.AgreementView.as_view(), name="api-agreement"),
    path(
        "projects/<int:project_id>/schema/compare/",
        api.SchemaCompareView.as_view(),
        name="api-schema-compare",
    ),
    path(
        "projects/<int:project_id>/review-queue/next/",
        api.ReviewQueueNextView.as_view(),
        name="api-review-queue-next",
    ),
    path("projects/<int:project_id>/exports/", api.ExportListView.as_view(), name="api-exports"),
    path("exports/<int:export_id>/", api.ExportDetailView.as_view(), name="api-export"),
    path(
        "exports/<int:export_id>/download/",
        api.ExportDownloadView.as_view(),
        name="api-export-download",
    ),
    path(
        "projects/<int:project_id>/rounds/", rounds_api.RoundListView.as_view(), name="api-rounds"
    ),
    path("rounds/<int:round_id>/", rounds_api.RoundDetailView.as_view(), name="api-round"),
    path(
        "rounds/<int:round_id>/close/", rounds_api.RoundCloseView.as_view(), name="api-round-close"
    ),
    path(
        "rounds/<int:round_id>/items/",
        rounds_api.RoundItemListView.as_view(),
        name="api-round-items",
    ),
    path(
        "rounds/<int:round_id>/items/<int:item_id>/",
        rounds_api.RoundItemDetailView.as_view(),
        name="api-round-item",
    ),
    path(
        "rounds/<int:round_id>/reliability/",
        rounds_api.RoundReliabilityView.as_view(),
        name="api-round-reliability",
    ),
    path(
        "rounds/<int:round_id>/disagreements/",
        rounds_api.RoundDisagreementListView.as_view(),
        name="api-round-disagreements",
    ),
    path(
        "rounds/<int:round_id>/adjudications/",
        rounds_api.RoundAdjudicationView.as_view(),
        name="api-round-adjudications",
    ),
    path(
        "rounds/<int:round_id>/download/",
        round_downloads.RoundDownloadView.as_view(),
        name="api-round-download",
    ),
]
