"""Step 1 REST API routes (mounted under /api/v1/)."""

from django.urls import path

from projects import api

urlpatterns = [
    path("projects/", api.ProjectListView.as_view(), name="api-projects"),
    path("projects/<int:project_id>/", api.ProjectDetailView.as_view(), name="api-project"),
    path(
        "projects/<int:project_id>/documents/",
        api.DocumentListView.as_view(),
        name="api-documents",
    ),
    path(
        "projects/<int:project_id>/documents/<int:document_id>/",
        api.DocumentDetailView.as_view(),
        name="api-document",
    ),
    path(
        "projects/<int:project_id>/uploads/",
        api.UploadListView.as_view(),
        name="api-uploads",
    ),
    path(
        "projects/<int:project_id>/uploads/<int:upload_id>/",
        api.UploadDetailView.as_view(),
        name="api-upload",
    ),
    path("projects/<int:project_id>/members/", api.MemberListView.as_view(), name="api-members"),
    path(
        "projects/<int:project_id>/members/<int:member_id>/",
        api.MemberDetailView.as_view(),
        name="api-member",
    ),
]
