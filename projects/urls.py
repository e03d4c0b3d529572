"""Step 1 wizard pages."""

from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("<int:project_id>/", views.project_detail, name="detail"),
    path("<int:project_id>/settings/", views.project_settings, name="settings"),
    path("<int:project_id>/delete/", views.project_delete, name="delete"),
    path("<int:project_id>/members/add/", views.member_add, name="member_add"),
    path(
        "<int:project_id>/members/<int:member_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("<int:project_id>/documents/", views.documents, name="documents"),
    path("<int:project_id>/documents/upload/", views.document_upload, name="upload"),
    path("<int:project_id>/documents/paste/", views.document_paste, name="paste"),
    path("<int:project_id>/documents/columns/", views.table_columns, name="table_columns"),
    path("<int:project_id>/documents/uploads/", views.upload_progress, name="upload_progress"),
    path("<int:project_id>/documents/<int:document_id>/", views.document_detail, name="document"),
    path(
        "<int:project_id>/documents/<int:document_id>/delete/",
        views.document_delete,
        name="document_delete",
    ),
]
