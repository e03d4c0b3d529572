"""Steps 2 and 3 REST API routes (mounted under /api/v1/)."""

from django.urls import path

from schemas import api

P = "projects/<int:project_id>/"

urlpatterns = [
    path(P + "variables/", api.VariableListView.as_view(), name="api-variables"),
    path(P + "variables/reorder/", api.VariableReorderView.as_view(), name="api-variables-reorder"),
    path(P + "variables/suggest/", api.VariableSuggestView.as_view(), name="api-variables-suggest"),
    path(P + "variables/<int:variable_id>/", api.VariableDetailView.as_view(), name="api-variable"),
    path(P + "schema/", api.SchemaView.as_view(), name="api-schema-draft"),
    path(P + "schema/versions/", api.VersionListView.as_view(), name="api-versions"),
    path(P + "schema/versions/<int:number>/", api.VersionDetailView.as_view(), name="api-version"),
    path(
        P + "schema/versions/<int:number>/restore/",
        api.VersionRestoreView.as_view(),
        name="api-version-restore",
    ),
    path(P + "prompt-preview/", api.PromptPreviewView.as_view(), name="api-prompt-preview"),
]
