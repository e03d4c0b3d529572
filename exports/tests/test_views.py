"""Step 5 pages: the results table, a value's evidence and review form, exports."""

from __future__ import annotations

import pytest

from exports.models import Export
from processing.models import Extraction

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_results_page_before_any_run(client_logged_in, project):
    response = client_logged_in.get(f"/projects/{project.pk}/results/")
    assert response.status_code == 200
    assert b"No results yet" in response.content


def test_a_new_version_without_results_links_to_the_versions_that_have_some(
    client_logged_in, processed_project, user
):
    from schemas.versions import schema_confirm

    # New project instructions: every variable reads differently, nothing is carried.
    processed_project.instructions = "Only count sovereign states."
    processed_project.save(update_fields=["instructions"])
    schema_confirm(project=processed_project, user=user)
    url = f"/projects/{processed_project.pk}/results/"

    content = client_logged_in.get(url).content.decode()

    assert "No results yet for schema version 2" in content
    assert f'href="{url}?schema_version=1">version 1</a>' in content
    earlier = client_logged_in.get(url, {"schema_version": "1"}).content.decode()
    assert earlier.count('<th scope="row">') == 5


def test_a_new_version_shows_the_values_it_carried(client_logged_in, processed_project, user):
    from schemas.models import Variable
    from schemas.versions import schema_confirm

    Variable.objects.create(
        project=processed_project, key="extra", type="text", instructions="More.", position=9
    )
    schema_confirm(project=processed_project, user=user)
    url = f"/projects/{processed_project.pk}/results/"

    content = client_logged_in.get(url).content.decode()

    assert "No results yet for schema version 2" not in content
    assert content.count('<th scope="row">') == 5


def test_results_page_lists_documents_and_values(client_logged_in, processed_project):
    response = client_logged_in.get(f"/projects/{processed_project.pk}/results/")
    content = response.content.decode()
    assert response.status_code == 200
    assert content.count('<th scope="row">') == 5
    assert "Export the dataset" in content
    assert "Agreement between the model" in content


def test_results_table_swaps_alone(client_logged_in, processed_project):
    response = client_logged_in.get(
        f"/projects/{processed_project.pk}/results/?search=doc-001",
        HTTP_HX_TARGET="results-table",
        **HTMX,
    )
    content = response.content.decode()
    assert "<html" not in content and 'id="results-table"' in content
    assert content.count('<th scope="row">') == 1


def test_cell_detail_highlights_the_evidence_escaped(client_logged_in, processed_project):
    extraction = Extraction.objects.exclude(evidence_start=None).select_related("document").first()
    text = extraction.document.text
    quote = text[extraction.evidence_start : extraction.evidence_end]
    response = client_logged_in.get(
        f"/projects/{processed_project.pk}/results/values/{extraction.pk}/", **HTMX
    )
    assert response.status_code == 200
    assert f'<mark class="evidence">{quote}</mark>' in response.content.decode()


def test_cell_review_from_the_form(client_logged_in, processed_project):
    extraction = Extraction.objects.filter(variable_key="stance").first()
    url = f"/projects/{processed_project.pk}/results/values/{extraction.pk}/review/"
    response = client_logged_in.post(url, {"action": "correct", "human_value": "neutral"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "results-changed"
    extraction.refresh_from_db()
    assert extraction.human_value == "neutral" and extraction.corrected

    response = client_logged_in.post(url, {"action": "correct", "human_value": "nonsense"}, **HTMX)
    assert response.status_code == 400
    assert b"nonsense" in response.content
    extraction.refresh_from_db()
    assert extraction.human_value == "neutral"

    client_logged_in.post(url, {"action": "revert"}, **HTMX)
    client_logged_in.post(url, {"action": "verify"}, **HTMX)
    extraction.refresh_from_db()
    assert not extraction.corrected and extraction.verified


@pytest.mark.parametrize("htmx", [True, False])
def test_a_refused_correction_comes_back_as_typed(client_logged_in, processed_project, htmx):
    extraction = Extraction.objects.filter(variable_key="signed_on").first()
    before = (extraction.human_value, extraction.corrected)
    url = f"/projects/{processed_project.pk}/results/values/{extraction.pk}/review/"

    response = client_logged_in.post(
        url, {"action": "correct", "human_value": "2021-13-45"}, **(HTMX if htmx else {})
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert 'role="alert"' in content
    assert 'value="2021-13-45"' in content  # in the field, to be mended
    extraction.refresh_from_db()
    assert (extraction.human_value, extraction.corrected) == before


def test_list_and_boolean_corrections_from_the_form(client_logged_in, user):
    from processing.tests.conftest import make_project

    project = make_project(
        user,
        variables=[
            ("topics", "multi_category", "Topics.", ["trade", "climate", "security"], False),
            ("names", "list", "Names.", [], False),
            ("ratified", "boolean", "Ratified?", [], False),
        ],
    )
    version = project.schema_versions.get()
    document = project.documents.first()
    cells = {
        key: Extraction.objects.create(
            document=document, schema_version=version, variable_key=key, status="missing"
        )
        for key in ("topics", "names", "ratified")
    }
    base = f"/projects/{project.pk}/results/values/"
    client_logged_in.post(
        f"{base}{cells['topics'].pk}/review/",
        {"action": "correct", "human_value": ["climate", "trade"]},
    )
    client_logged_in.post(
        f"{base}{cells['names'].pk}/review/", {"action": "correct", "human_value": "Ana\n\nBo\n"}
    )
    client_logged_in.post(
        f"{base}{cells['ratified'].pk}/review/", {"action": "correct", "human_value": "false"}
    )
    for cell in cells.values():
        cell.refresh_from_db()
    assert cells["topics"].human_value == ["trade", "climate"]
    assert cells["names"].human_value == ["Ana", "Bo"]
    assert cells["ratified"].human_value is False


def test_export_from_the_page_and_download(client_logged_in, processed_project):
    response = client_logged_in.post(
        f"/projects/{processed_project.pk}/exports/new/",
        {"format": "csv", "bom": "on"},
        follow=True,
    )
    assert b"export ready" in response.content
    export = Export.objects.get()
    download = client_logged_in.get(
        f"/projects/{processed_project.pk}/exports/{export.pk}/download/"
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"\xef\xbb\xbfdocument_id")
    assert "attachment" in download["Content-Disposition"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"format": "pdf"}, "format"), ({"format": "csv", "schema_version": "9"}, "schema_version")],
)
def test_the_page_and_the_api_refuse_an_export_in_the_same_words(
    api, client_logged_in, processed_project, body, field
):
    answer = api.post(f"/api/v1/projects/{processed_project.pk}/exports/", body, format="json")
    page = client_logged_in.post(
        f"/projects/{processed_project.pk}/exports/new/", body, follow=True
    )

    sentences = answer.json()["error"]["details"][field]
    assert answer.status_code == 400 and sentences
    for sentence in sentences:
        assert sentence.encode() in page.content
    assert not Export.objects.exists()


@pytest.mark.parametrize("simulated", [True, False])
def test_the_file_name_says_when_values_were_simulated(
    client_logged_in, processed_project, simulated
):
    from extractor.llm.models import LLMCall

    processed_project.jobs.update(simulated=simulated)
    LLMCall.objects.update(simulated=simulated)
    client_logged_in.post(f"/projects/{processed_project.pk}/exports/new/", {"format": "csv"})
    export = Export.objects.get()

    download = client_logged_in.get(
        f"/projects/{processed_project.pk}/exports/{export.pk}/download/"
    )

    name = download["Content-Disposition"].split('filename="')[1].rstrip('"')
    assert name.endswith(".csv")
    assert name.endswith("-SIMULATED.csv") is simulated
    assert export.file.name.endswith("-SIMULATED.csv") is simulated


def test_large_exports_run_as_a_task(client_logged_in, processed_project, settings):
    settings.EXPORT_INLINE_MAX_CELLS = 1
    client_logged_in.post(f"/projects/{processed_project.pk}/exports/new/", {"format": "xlsx"})
    export = Export.objects.get()
    assert export.status == Export.Status.QUEUED
    url = f"/projects/{processed_project.pk}/exports/{export.pk}/download/"
    assert client_logged_in.get(url).status_code == 404  # nothing to download yet
    listing = client_logged_in.get(f"/projects/{processed_project.pk}/exports/", **HTMX)
    assert listing.status_code == 200 and b', every 2s"' in listing.content


def test_another_users_values_and_exports_are_404(
    client, other_user, client_logged_in, processed_project
):
    client_logged_in.post(f"/projects/{processed_project.pk}/exports/new/", {"format": "json"})
    export = Export.objects.get()
    extraction = Extraction.objects.first()
    client.force_login(other_user)
    base = f"/projects/{processed_project.pk}"
    assert client.get(f"{base}/results/values/{extraction.pk}/").status_code == 404
    assert (
        client.post(
            f"{base}/results/values/{extraction.pk}/review/", {"action": "verify"}
        ).status_code
        == 404
    )
    assert client.get(f"{base}/exports/{export.pk}/download/").status_code == 404
    extraction.refresh_from_db()
    assert not extraction.verified


def test_deleting_a_processed_project_removes_rows_and_files(
    client_logged_in, api, processed_project, django_capture_on_commit_callbacks
):
    from pathlib import Path

    from django.conf import settings

    from extractor.llm.models import LLMCall
    from projects.models import Project
    from projects.services import document_create_from_text

    client_logged_in.post(f"/projects/{processed_project.pk}/exports/new/", {"format": "csv"})
    export = Export.objects.get()
    document_create_from_text(project=processed_project, name="extra", text="More text.")
    export_path = Path(settings.MEDIA_ROOT) / export.file.name
    assert export_path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"/api/v1/projects/{processed_project.pk}/")
    assert response.status_code == 204
    assert not Project.objects.filter(pk=processed_project.pk).exists()
    assert not Extraction.objects.exists() and not Export.objects.exists()
    assert not export_path.exists()
    assert LLMCall.objects.filter(project_id=processed_project.pk).exists()  # the cost ledger stays
