"""Step 4 REST API routes (mounted under /api/v1/)."""

from django.urls import path

from processing import api

urlpatterns = [
    path(
        "projects/<int:project_id>/estimate/", api.DraftEstimateView.as_view(), name="api-estimate"
    ),
    path("projects/<int:project_id>/jobs/", api.ProjectJobListView.as_view(), name="api-jobs"),
    path("jobs/<int:job_id>/", api.JobDetailView.as_view(), name="api-job"),
    path("jobs/<int:job_id>/cancel/", api.JobCancelView.as_view(), name="api-job-cancel"),
    path(
        "jobs/<int:job_id>/retry-failed/",
        api.JobRetryFailedView.as_view(),
        name="api-job-retry-failed",
    ),
    path("jobs/<int:job_id>/resume/", api.JobResumeView.as_view(), name="api-job-resume"),
    path(
        "jobs/<int:job_id>/documents/", api.JobDocumentListView.as_view(), name="api-job-documents"
    ),
    path("jobs/<int:job_id>/logs/", api.JobLogListView.as_view(), name="api-job-logs"),
]
