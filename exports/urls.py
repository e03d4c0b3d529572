"""Step 5 wizard pages."""

from django.urls import path

from exports import review_views, round_views, views

app_name = "exports"

urlpatterns = [
    path("<int:project_id>/results/", views.results, name="results"),
    path(
        "<int:project_id>/results/agreement/", views.agreement_fragment, name="agreement_fragment"
    ),
    path("<int:project_id>/results/compare/", views.compare, name="compare"),
    path("<int:project_id>/results/values/<int:extraction_id>/", views.cell, name="cell"),
    path(
        "<int:project_id>/results/values/<int:extraction_id>/review/",
        views.cell_review,
        name="cell_review",
    ),
    path("<int:project_id>/review-queue/", review_views.review_queue, name="review_queue"),
    path(
        "<int:project_id>/review-queue/<int:extraction_id>/",
        review_views.review_queue_item,
        name="review_queue_item",
    ),
    path("<int:project_id>/rounds/", round_views.round_list, name="rounds"),
    path("<int:project_id>/rounds/new/", round_views.round_new, name="round_create"),
    path("<int:project_id>/rounds/<int:round_id>/", round_views.round_detail, name="round"),
    path("<int:project_id>/rounds/<int:round_id>/code/", round_views.round_code, name="round_code"),
    path(
        "<int:project_id>/rounds/<int:round_id>/close/",
        round_views.round_close,
        name="round_close",
    ),
    path(
        "<int:project_id>/rounds/<int:round_id>/code/<int:item_id>/",
        round_views.round_code_item,
        name="round_code_item",
    ),
    path(
        "<int:project_id>/rounds/<int:round_id>/disagreements/",
        round_views.round_disagreement_list,
        name="round_disagreements",
    ),
    path(
        "<int:project_id>/rounds/<int:round_id>/adjudicate/",
        round_views.round_adjudicate,
        name="round_adjudicate",
    ),
    path("<int:project_id>/exports/", views.export_list, name="export_list"),
    path("<int:project_id>/exports/new/", views.export_start, name="export_start"),
    path(
        "<int:project_id>/exports/<int:export_id>/download/",
        views.export_download,
        name="download",
    ),
]
