"""Steps 2 and 3 wizard pages."""

from django.urls import path

from schemas import views

app_name = "schemas"

urlpatterns = [
    path("<int:project_id>/variables/", views.variables, name="variables"),
    path("<int:project_id>/variables/add/", views.variable_add, name="variable_add"),
    path(
        "<int:project_id>/variables/<int:variable_id>/edit/",
        views.variable_edit,
        name="variable_edit",
    ),
    path(
        "<int:project_id>/variables/<int:variable_id>/delete/",
        views.variable_delete,
        name="variable_delete",
    ),
    path(
        "<int:project_id>/variables/<int:variable_id>/move/",
        views.variable_move,
        name="variable_move",
    ),
    path("<int:project_id>/variables/suggest/", views.suggest, name="suggest"),
    path(
        "<int:project_id>/variables/suggestions/add/",
        views.suggestions_add,
        name="suggestions_add",
    ),
    path("<int:project_id>/review/", views.review, name="review"),
    path("<int:project_id>/review/confirm/", views.confirm, name="confirm"),
    path(
        "<int:project_id>/review/versions/<int:number>/restore/",
        views.restore,
        name="restore",
    ),
]
