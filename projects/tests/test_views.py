"""Step 1 wizard pages: projects, the upload drop zone, the document list and page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.models import Document, Project
from projects.services import document_create_from_text

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_project_list_shows_an_empty_state(client_logged_in):
    response = client_logged_in.get("/projects/")
    assert response.status_code == 200
    assert b"No projects yet" in response.content


def test_create_project_then_land_on_step_one(client_logged_in, user):
    response = client_logged_in.post("/projects/new/", {"name": "Trade", "description": "d"})
    project = Project.objects.get(owner=user)
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.pk}/documents/"


def test_create_project_without_a_name_shows_the_error(client_logged_in):
    response = client_logged_in.post("/projects/new/", {"name": "  "})
    assert response.status_code == 200
    assert b"Give the project a name" in response.content or b"required" in response.content
    assert not Project.objects.exists()


def test_project_opens_at_the_step_it_waits_on(client_logged_in, project):
    assert client_logged_in.get(f"/projects/{project.pk}/")["Location"].endswith("/documents/")
    document_create_from_text(project=project, name="a", text="Some text.")
    assert client_logged_in.get(f"/projects/{project.pk}/")["Location"].endswith("/variables/")


def test_settings_rename_and_delete(client_logged_in, project):
    url = f"/projects/{project.pk}/settings/"
    assert client_logged_in.get(url).status_code == 200
    client_logged_in.post(
        url, {"name": "New name", "description": "", "instructions": "", "model": ""}
    )
    project.refresh_from_db()
    assert project.name == "New name"
    response = client_logged_in.post(f"/projects/{project.pk}/delete/")
    assert response.status_code == 302
    assert not Project.objects.filter(pk=project.pk).exists()


def test_delete_needs_post(client_logged_in, project):
    assert client_logged_in.get(f"/projects/{project.pk}/delete/").status_code == 405
    assert Project.objects.filter(pk=project.pk).exists()


@pytest.mark.parametrize(
    "path",
    ["", "settings/", "documents/", "variables/", "review/", "processing/", "results/"],
)
def test_another_users_project_pages_are_404(client, other_user, project, path):
    client.force_login(other_user)
    assert client.get(f"/projects/{project.pk}/{path}").status_code == 404


def test_htmx_upload_answers_one_line_per_file(client_logged_in, project):
    files = [
        SimpleUploadedFile("a.txt", b"First document about tariffs."),
        SimpleUploadedFile("b.bin", bytes(range(256)) * 10),
    ]
    response = client_logged_in.post(
        f"/projects/{project.pk}/documents/upload/", {"files": files}, **HTMX
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content  # a fragment, no full reload
    assert "a.txt" in content and "Added" in content
    assert "b.bin" in content and "Not added" in content
    assert Document.objects.filter(project=project).count() == 1


def test_an_unreadable_file_kept_as_failed_is_not_called_not_added(client_logged_in, project):
    # A Word file is read in the request (a PDF goes to a worker: see test_uploads.py).
    broken = SimpleUploadedFile("broken.docx", b"PK\x03\x04" + bytes(range(256)) * 4)

    response = client_logged_in.post(
        f"/projects/{project.pk}/documents/upload/", {"files": [broken]}, **HTMX
    )

    content = response.content.decode()
    failed = Document.objects.get(project=project, status=Document.Status.FAILED)
    assert "Kept, unreadable" in content and "Not added" not in content
    assert response["HX-Trigger"] == "documents-changed"  # the list shows it as failed
    assert f'href="/projects/{project.pk}/documents/{failed.pk}/"' in content


def test_plain_upload_redirects_with_messages(client_logged_in, project):
    response = client_logged_in.post(
        f"/projects/{project.pk}/documents/upload/",
        {"files": [SimpleUploadedFile("a.txt", b"Plain form upload.")]},
        follow=True,
    )
    assert response.status_code == 200
    assert b"1 document(s) added" in response.content


def test_upload_without_a_file_is_400(client_logged_in, project):
    response = client_logged_in.post(f"/projects/{project.pk}/documents/upload/", {}, **HTMX)
    assert response.status_code == 400


def test_paste_form_errors_stay_next_to_the_field(client_logged_in, project):
    response = client_logged_in.post(
        f"/projects/{project.pk}/documents/paste/", {"name": "", "text": " "}, **HTMX
    )
    assert response.status_code == 400
    assert b"Paste some text first" in response.content
    assert not Document.objects.exists()


def test_table_columns_lists_the_header(client_logged_in, project):
    csv = SimpleUploadedFile("rows.csv", b"id,abstract,year\n1,Some text here,2020\n")
    response = client_logged_in.post(
        f"/projects/{project.pk}/documents/columns/", {"files": [csv]}, **HTMX
    )
    assert response.status_code == 200
    assert b'<option value="abstract">' in response.content


def test_document_list_search_and_pages(client_logged_in, project):
    for index in range(55):
        document_create_from_text(project=project, name=f"doc {index:02d}", text=f"body {index}")
    response = client_logged_in.get(f"/projects/{project.pk}/documents/")
    assert b"Page 1 of 2" in response.content
    response = client_logged_in.get(
        f"/projects/{project.pk}/documents/?q=doc 07",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="document-list",
    )
    content = response.content.decode()
    assert "doc 07" in content and "doc 08" not in content
    assert "<html" not in content


def test_document_page_escapes_the_text(client_logged_in, project):
    report = document_create_from_text(
        project=project, name="<b>x</b>", text="<script>alert(1)</script> & more"
    )
    document = report.created[0]
    response = client_logged_in.get(f"/projects/{project.pk}/documents/{document.pk}/")
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


def test_document_delete(client_logged_in, project):
    document = document_create_from_text(project=project, name="a", text="text").created[0]
    client_logged_in.post(f"/projects/{project.pk}/documents/{document.pk}/delete/")
    assert not Document.objects.filter(pk=document.pk).exists()


def test_a_big_table_upload_is_summarised(client_logged_in, project):
    rows = "\n".join(f"{n},Text of row number {n}" for n in range(60))
    table = SimpleUploadedFile("rows.csv", f"id,text\n{rows}\n".encode())
    response = client_logged_in.post(
        f"/projects/{project.pk}/documents/upload/",
        {"files": [table], "text_column": "text"},
        **HTMX,
    )
    content = response.content.decode()
    assert content.count('<span class="badge badge-ready">Added</span>') == 51
    assert "and 10 more documents" in content
    assert Document.objects.filter(project=project).count() == 60


def test_a_long_document_name_is_shortened_in_the_list_and_kept_whole_in_its_title(
    client_logged_in, project
):
    name = "Annex " + "x" * 240
    document_create_from_text(project=project, name=name, text="Some text.")

    content = client_logged_in.get(f"/projects/{project.pk}/documents/").content.decode()

    assert f'title="{name}"' in content
    assert f">{name}<" not in content and f">{name[:79]}…<" in content
