"""The per-project storage quota (PROJECT_MAX_BYTES) through the service, the API and the
wizard: what counts, what is refused, what is kept, and two uploads at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import services, storing
from projects.models import Document, Project
from projects.tests.ingest_files import make_zip, parse_queued_uploads
from projects.tests.ingest_files import upload_files as upload

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
FULL_SENTENCE = "Delete documents the project no longer needs"


@pytest.fixture
def quota(settings):
    settings.PROJECT_MAX_BYTES = 1000
    return settings


def stored_files(settings) -> list[Path]:
    return sorted(path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())


def paste(project, text: str) -> Document:
    services.document_create_from_text(project=project, name="kept", text=text)
    return Document.objects.get(project=project, name="kept")


def snapshot(project) -> list[tuple]:
    return list(
        Document.objects.filter(project=project)
        .order_by("id")
        .values_list("id", "name", "size_bytes", "sha256", "status", "text")
    )


# --- What counts ----------------------------------------------------------------------------


def test_a_table_file_is_counted_once_shared_by_its_rows(project):
    data = b"id,text\n1,Alpha\n2,A much longer row of text\n"
    services.documents_ingest(project=project, files=[("t.csv", data)])
    sizes = list(
        Document.objects.filter(project=project).order_by("id").values_list("size_bytes", flat=True)
    )
    assert sum(sizes) == len(data)  # the file is stored once: its bytes are counted once
    assert sizes[0] < sizes[1]  # each row's share follows its text


def test_a_deleted_row_hands_its_share_to_a_row_still_using_the_file(
    project, quota, django_capture_on_commit_callbacks
):
    """The file stays on disk while a row uses it, so it stays counted: deleting the big
    row of a small one's table frees nothing (it used to free the big row's share, and
    repeating that filled the disk behind the quota's back)."""
    data = b"id,text\n1," + b"Long text. " * 60 + b"\n2,Short\n"
    services.documents_ingest(project=project, files=[("t.csv", data)])
    big, small = Document.objects.filter(project=project).order_by("-size_bytes")
    services.document_delete(document=big)
    small.refresh_from_db()
    assert small.size_bytes == len(data)
    assert [p.stat().st_size for p in stored_files(quota)] == [len(data)]
    # The same table again no longer fits beside what is still on disk.
    report = services.documents_ingest(project=project, files=[("t2.csv", data + b"3,x\n")])
    assert [e["code"] for e in report.errors] == ["project_storage_full"]
    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(document=small)
    assert stored_files(quota) == []


def test_a_table_that_does_not_fit_is_refused_whole(project, settings):
    data = b"id,text\n1,Alpha\n2,Beta\n"
    settings.PROJECT_MAX_BYTES = len(data) - 1
    report = services.documents_ingest(project=project, files=[("t.csv", data)])
    assert [(e["filename"], e["code"]) for e in report.errors] == [
        ("t.csv", "project_storage_full")
    ]
    assert not Document.objects.exists()
    assert stored_files(settings) == []


def test_the_documents_page_shows_what_is_used_of_the_limit(client_logged_in, project, quota):
    paste(project, "k" * 600)
    response = client_logged_in.get(f"/projects/{project.pk}/documents/")
    content = response.content.decode().replace("\xa0", " ")
    assert "600 bytes of 1000 bytes" in content


# --- Refused, and nothing lost --------------------------------------------------------------


def test_an_upload_over_the_quota_is_413_and_the_documents_before_are_untouched(
    api, project, quota
):
    paste(project, "k" * 600)
    before, files_before = snapshot(project), stored_files(quota)

    response = upload(api, project, ("big.txt", b"b" * 500))

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "project_storage_full"
    assert "big.txt" in error["message"]
    assert "stores 600 bytes of its 1000 bytes storage limit" in error["message"]
    assert FULL_SENTENCE in error["message"]
    assert (error["details"]["used_bytes"], error["details"]["limit_bytes"]) == (600, 1000)
    assert snapshot(project) == before
    assert stored_files(quota) == files_before


def test_pasted_text_counts_against_the_quota(api, project, quota):
    paste(project, "k" * 600)
    response = api.post(
        f"/api/v1/projects/{project.pk}/documents/",
        {"name": "more", "text": "m" * 500},
        format="json",
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "project_storage_full"
    assert list(Document.objects.values_list("name", flat=True)) == ["kept"]


def test_a_full_project_refuses_the_request_before_reading_it(api, project, quota, monkeypatch):
    paste(project, "k" * 1000)

    def not_called(**kwargs):
        raise AssertionError("a full project must not parse the upload")

    monkeypatch.setattr(services, "documents_ingest", not_called)
    response = upload(api, project, ("a.txt", b"tiny"))
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "project_storage_full"
    assert error["message"].startswith("This project is full: it stores 1000 bytes of its")
    assert error["details"] == {"used_bytes": 1000, "limit_bytes": 1000}


def test_a_batch_crossing_the_quota_keeps_what_fits(
    api, project, quota, django_capture_on_commit_callbacks
):
    archive = make_zip({"b.txt": b"b" * 400, "c.txt": b"c" * 400})
    response = upload(
        api, project, ("a.txt", b"a" * 400), ("pack.zip", archive), ("d.txt", b"d" * 100)
    )
    assert response.status_code == 201
    body = response.json()
    assert [d["name"] for d in body["created"]] == ["a.txt", "d.txt"]
    assert [p["filename"] for p in body["processing"]] == ["pack.zip"]  # its size claimed
    with django_capture_on_commit_callbacks(execute=True):
        parse_queued_uploads()
    upload_row = api.get(f"/api/v1/projects/{project.pk}/uploads/").json()["results"][0]
    assert upload_row["documents_created"] == 1  # b.txt; the archive's claim given back
    [error] = upload_row["errors"]
    assert (error["filename"], error["code"], error["document_id"]) == (
        "pack.zip/c.txt",
        "project_storage_full",
        None,
    )
    assert "stores 900 bytes of its 1000 bytes storage limit" in error["message"]
    assert len(stored_files(quota)) == 3  # a, d and b: the archive itself is not kept


# --- The wizard says the same -----------------------------------------------------------------


def test_the_wizard_upload_says_why_a_file_was_not_added(client_logged_in, project, quota):
    paste(project, "k" * 600)
    response = client_logged_in.post(
        f"/projects/{project.pk}/documents/upload/",
        {"files": [SimpleUploadedFile("big.txt", b"b" * 500)]},
        **HTMX,
    )
    content = response.content.decode()
    assert "Not added" in content and "big.txt" in content
    assert "stores 600 bytes of its 1000 bytes storage limit" in content
    assert Document.objects.count() == 1


def test_the_wizard_refuses_an_upload_to_a_full_project(client_logged_in, project, quota):
    paste(project, "k" * 1000)
    response = client_logged_in.post(
        f"/projects/{project.pk}/documents/upload/",
        {"files": [SimpleUploadedFile("a.txt", b"tiny")]},
        **HTMX,
    )
    assert response.status_code == 413
    assert "This project is full: it stores 1000 bytes" in response.content.decode()
    assert Document.objects.count() == 1


def test_an_upload_sums_what_the_project_stores_once(project, quota):
    paste(project, "k" * 100)
    files = [(f"{n}.txt", f"Note {n}.".encode()) for n in range(5)]
    with CaptureQueriesContext(connection) as queries:
        report = services.documents_ingest(project=project, files=files)
    assert len(report.created) == 5
    # Then each file's claim counts what the upload stored: the project did not change.
    assert sum("SUM(" in query["sql"].upper() for query in queries.captured_queries) == 1


# --- Two uploads at once ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_uploads_at_once_cannot_both_slip_past_the_quota(user, settings, monkeypatch):
    settings.PROJECT_MAX_BYTES = 1000
    project = Project.objects.create(owner=user, name="Race")
    together = threading.Barrier(2, timeout=10)
    file_save = storing._file_save

    def save_when_both_are_here(document, outcome):
        # Both uploads have been checked against what they saw before either writes.
        together.wait()
        return file_save(document, outcome)

    monkeypatch.setattr(storing, "_file_save", save_when_both_are_here)
    reports, failures = [], []

    def ingest(name: str, data: bytes) -> None:
        try:
            reports.append(services.documents_ingest(project=project, files=[(name, data)]))
        except Exception as exc:  # reported by the assertion below, not lost in the thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ingest, args=(f"{c}.txt", c.encode() * 600)) for c in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert sorted(len(report.created) for report in reports) == [0, 1]
    [refused] = [error for report in reports for error in report.errors]
    assert refused["code"] == "project_storage_full"
    assert Document.objects.filter(project=project).count() == 1
    assert len(stored_files(settings)) == 1
