"""Step 4 wizard pages."""

from django.urls import path

from processing import views

app_name = "processing"

urlpatterns = [
    path("<int:project_id>/processing/", views.index, name="index"),
    path("<int:project_id>/processing/start/", views.job_start, name="start"),
    path(
        "<int:project_id>/processing/sample-estimate/",
        views.sample_estimate,
        name="sample_estimate",
    ),
    path(
        "<int:project_id>/processing/next-run-estimate/",
        views.next_run_estimate,
        name="next_run_estimate",
    ),
    path("<int:project_id>/processing/jobs/<int:job_id>/", views.job_detail, name="job"),
    path(
        "<int:project_id>/processing/jobs/<int:job_id>/progress/",
        views.job_progress,
        name="progress",
    ),
    path("<int:project_id>/processing/jobs/<int:job_id>/cancel/", views.job_cancel, name="cancel"),
    path("<int:project_id>/processing/jobs/<int:job_id>/retry/", views.job_retry, name="retry"),
    path("<int:project_id>/processing/jobs/<int:job_id>/resume/", views.job_resume, name="resume"),
]
