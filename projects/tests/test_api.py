"""Step 1 API: projects and documents, as API.md describes them."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Document, Project
from projects.tests.ingest_files import parse_queued_uploads

pytestmark = pytest.mark.django_db

PROJECT_FIELDS = {
    "id",
    "name",
    "description",
    "instructions",
    "model",
    "ocr_languages",
    "blind_review",
    "require_reliability",
    "reliability_threshold",
    "step",
    "document_count",
    "variable_count",
    "current_schema_version",
    "owner",
    "role",
    "created_at",
    "updated_at",
}
DOCUMENT_FIELDS = {
    "id",
    "name",
    "source_type",
    "size_bytes",
    "sha256",
    "char_count",
    "token_count",
    "page_count",
    "status",
    "error",
    "metadata",
    "created_at",
}


def _paste(api, project, name="Doc", text="The treaty was signed in 1994 by 12 countries."):
    return api.post(
        f"/api/v1/projects/{project.pk}/documents/", {"name": name, "text": text}, format="json"
    )


def test_create_project_answers_201_with_every_field(api, user, settings):
    response = api.post("/api/v1/projects/", {"name": "  Treaties  "}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == PROJECT_FIELDS
    assert body["name"] == "Treaties"
    assert body["step"] == 1
    assert body["model"] == settings.EXTRACTOR_MODEL
    assert (body["owner"], body["role"]) == (user.username, "owner")
    assert body["current_schema_version"] is None
    assert Project.objects.get(pk=body["id"]).owner == user


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "name"), ({"name": "   "}, "name"), ({"name": "x" * 201}, "name")],
)
def test_create_project_rejects_bad_names(api, payload, field):
    response = api.post("/api/v1/projects/", payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert not Project.objects.exists()


def test_project_list_is_paginated_and_owner_scoped(api, user, other_user):
    for index in range(3):
        Project.objects.create(owner=user, name=f"Mine {index}")
    Project.objects.create(owner=other_user, name="Theirs")
    body = api.get("/api/v1/projects/?page_size=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]
    assert {p["name"] for p in body["results"]} <= {"Mine 0", "Mine 1", "Mine 2"}


def test_project_list_query_count_does_not_grow_with_projects(api, user):
    for index in range(3):
        Project.objects.create(owner=user, name=f"P{index}")
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/projects/")
    for index in range(20):
        Project.objects.create(owner=user, name=f"Q{index}")
    with CaptureQueriesContext(connection) as many:
        api.get("/api/v1/projects/")
    assert len(many) == len(few)


def test_patch_renames_and_describes(api, project):
    response = api.patch(
        f"/api/v1/projects/{project.pk}/",
        {"name": "Renamed", "description": "New words", "model": "gpt-4.1-mini"},
        format="json",
    )
    assert response.status_code == 200
    project.refresh_from_db()
    assert (project.name, project.description, project.model) == (
        "Renamed",
        "New words",
        "gpt-4.1-mini",
    )
    assert response.json()["model"] == "gpt-4.1-mini"


def test_put_is_not_allowed(api, project):
    response = api.put(f"/api/v1/projects/{project.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 405


def test_delete_project_removes_its_documents(api, project):
    _paste(api, project)
    assert api.delete(f"/api/v1/projects/{project.pk}/").status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Document.objects.exists()


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_another_users_project_is_404(other_api, project, method):
    response = getattr(other_api, method)(f"/api/v1/projects/{project.pk}/", {}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Project.objects.filter(pk=project.pk, name=project.name).exists()


def test_paste_text_creates_a_document(api, project):
    response = _paste(api, project)
    assert response.status_code == 201
    body = response.json()
    assert body["duplicates"] == [] and body["errors"] == []
    (created,) = body["created"]
    assert set(created) == DOCUMENT_FIELDS
    assert created["source_type"] == "paste"
    assert created["token_count"] > 0
    detail = api.get(f"/api/v1/projects/{project.pk}/documents/{created['id']}/").json()
    assert detail["text"].startswith("The treaty was signed")


def test_paste_empty_text_is_400(api, project):
    response = _paste(api, project, text="   ")
    assert response.status_code == 400
    assert "text" in response.json()["error"]["details"]


def test_paste_twice_reports_a_duplicate(api, project):
    first = _paste(api, project).json()["created"][0]
    response = _paste(api, project, name="Again")
    assert response.status_code == 201
    assert response.json()["duplicates"] == [{"filename": "Again", "existing_id": first["id"]}]
    assert Document.objects.filter(project=project).count() == 1


def test_multipart_upload_of_several_files(api, project):
    files = [
        io.BytesIO(b"First report: 42 participants."),
        io.BytesIO("Second report: café, naïve, Straße.".encode("cp1252")),
    ]
    files[0].name, files[1].name = "one.txt", "two.txt"
    response = api.post(
        f"/api/v1/projects/{project.pk}/documents/", {"files": files}, format="multipart"
    )
    assert response.status_code == 201
    names = sorted(d["name"] for d in response.json()["created"])
    assert names == ["one.txt", "two.txt"]
    text = Document.objects.get(project=project, name="two.txt").text
    assert "café, naïve, Straße" in text


def test_upload_without_files_is_400(api, project):
    response = api.post(f"/api/v1/projects/{project.pk}/documents/", {}, format="multipart")
    assert response.status_code == 400
    assert "files" in response.json()["error"]["details"]


def test_upload_of_an_unknown_binary_is_415(api, project):
    blob = io.BytesIO(bytes(range(256)) * 20)
    blob.name = "mystery.bin"
    response = api.post(
        f"/api/v1/projects/{project.pk}/documents/", {"files": [blob]}, format="multipart"
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_file_type"
    assert not Document.objects.exists()


def test_upload_over_the_size_limit_is_413(api, project, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 100
    big = io.BytesIO(b"word " * 100)
    big.name = "big.txt"
    response = api.post(
        f"/api/v1/projects/{project.pk}/documents/", {"files": [big]}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"


def test_request_over_the_total_limit_is_413(api, project, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 50
    small = io.BytesIO(b"word " * 30)
    small.name = "small.txt"
    response = api.post(
        f"/api/v1/projects/{project.pk}/documents/", {"files": [small]}, format="multipart"
    )
    assert response.status_code == 413


def test_one_bad_file_does_not_stop_the_others(api, project):
    good = io.BytesIO(b"A readable document about trade.")
    good.name = "good.txt"
    bad = io.BytesIO(b"%PDF-1.7 this is not really a pdf")
    bad.name = "broken.pdf"
    response = api.post(
        f"/api/v1/projects/{project.pk}/documents/", {"files": [good, bad]}, format="multipart"
    )
    assert response.status_code == 201
    body = response.json()
    assert [d["name"] for d in body["created"]] == ["good.txt"]
    assert body["errors"] == []
    (queued,) = body["processing"]  # a PDF is read by a worker
    assert queued["filename"] == "broken.pdf"
    parse_queued_uploads()
    upload = api.get(f"/api/v1/projects/{project.pk}/uploads/{queued['upload_id']}/").json()
    assert upload["status"] == "failed"
    (error,) = upload["errors"]
    assert error["filename"] == "broken.pdf"
    assert error["code"] and error["message"]
    assert error["document_id"] == queued["document_id"]  # kept as a failed document


def test_document_list_filters_and_hides_text(api, project):
    _paste(api, project, name="Alpha", text="apples and pears")
    _paste(api, project, name="Beta", text="only bananas here")
    body = api.get(f"/api/v1/projects/{project.pk}/documents/?search=banana").json()
    assert [d["name"] for d in body["results"]] == ["Beta"]
    assert "text" not in body["results"][0]
    assert api.get(f"/api/v1/projects/{project.pk}/documents/?status=failed").json()["count"] == 0


def test_documents_of_another_users_project_are_404(api, other_api, project):
    doc = _paste(api, project).json()["created"][0]
    base = f"/api/v1/projects/{project.pk}/documents/"
    assert other_api.get(base).status_code == 404
    assert other_api.get(f"{base}{doc['id']}/").status_code == 404
    assert other_api.delete(f"{base}{doc['id']}/").status_code == 404
    assert _paste(other_api, project).status_code == 404
    assert Document.objects.filter(pk=doc["id"]).exists()


def test_delete_document(api, project):
    doc = _paste(api, project).json()["created"][0]
    url = f"/api/v1/projects/{project.pk}/documents/{doc['id']}/"
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_document_page_query_count_is_constant(api, project):
    for index in range(3):
        _paste(api, project, name=f"d{index}", text=f"text number {index}")
    with CaptureQueriesContext(connection) as few:
        api.get(f"/api/v1/projects/{project.pk}/documents/")
    for index in range(3, 30):
        _paste(api, project, name=f"d{index}", text=f"text number {index}")
    with CaptureQueriesContext(connection) as many:
        api.get(f"/api/v1/projects/{project.pk}/documents/")
    assert len(many) == len(few)
