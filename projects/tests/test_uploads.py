"""Uploads stored at once and parsed by a worker: the answer, the upload rows, the
placeholder document, retries, time limits, the stepper and the wizard's progress."""

from __future__ import annotations

import io

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from projects import parsing
from projects.models import Document, Upload
from projects.selectors import project_get_for_user, project_step
from projects.tests.ingest_files import PARAGRAPH, make_pdf, make_zip, parse_queued_uploads
from projects.tests.ingest_files import upload_files as post
from projects.tests.ocr_files import requires_tesseract
from schemas.models import Variable
from schemas.versions import schema_confirm

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def upload_of(api, project, upload_id: int) -> dict:
    response = api.get(f"/api/v1/projects/{project.pk}/uploads/{upload_id}/")
    assert response.status_code == 200
    return response.json()


def test_a_pdf_is_stored_at_once_and_becomes_its_document_on_the_worker(api, project):
    response = post(api, project, ("treaty.pdf", make_pdf([PARAGRAPH, "Second page."])))
    assert response.status_code == 201
    body = response.json()
    assert body["created"] == [] and body["errors"] == []
    (queued,) = body["processing"]
    placeholder = Document.objects.get(pk=queued["document_id"])
    assert (placeholder.status, placeholder.name, placeholder.text) == ("queued", "treaty.pdf", "")
    listed = api.get(f"/api/v1/projects/{project.pk}/uploads/").json()["results"]
    assert [(u["id"], u["status"], u["progress"]) for u in listed] == [
        (queued["upload_id"], "queued", 0.0)
    ]

    assert parse_queued_uploads() == [queued["upload_id"]]
    upload = upload_of(api, project, queued["upload_id"])
    assert (upload["status"], upload["documents_created"], upload["progress"]) == (
        "completed",
        1,
        1.0,
    )
    document = Document.objects.get(pk=queued["document_id"])  # the same row, filled in
    assert document.status == "ready" and document.page_count == 2
    assert "Second page." in document.text and document.token_count > 0
    assert upload["document"] == document.pk


def test_the_same_file_again_is_a_duplicate_while_it_is_still_queued(api, project):
    data = make_pdf([PARAGRAPH])
    first = post(api, project, ("a.pdf", data)).json()["processing"][0]
    again = post(api, project, ("copy.pdf", data)).json()
    assert again["processing"] == []
    assert again["duplicates"] == [{"filename": "copy.pdf", "existing_id": first["document_id"]}]
    assert Upload.objects.count() == 1


def test_small_text_files_are_still_read_in_the_request(api, project):
    body = post(api, project, ("note.txt", b"A short note about the treaty.")).json()
    assert [d["status"] for d in body["created"]] == ["ready"]
    assert body["processing"] == [] and not Upload.objects.exists()


def test_a_table_past_the_inline_budget_becomes_its_rows_on_the_worker(
    api, project, settings, monkeypatch
):
    settings.INGEST_INLINE_MAX_BYTES = 100
    monkeypatch.setattr(parsing, "TABLE_ROWS_PER_PART", 7)  # stored in 5 parts
    seen = []
    real_progress = parsing._progress
    monkeypatch.setattr(parsing, "_progress", lambda u, f: seen.append(f) or real_progress(u, f))
    rows = "".join(f"Row {n} says something about trade.\n" for n in range(30))
    body = post(api, project, ("rows.csv", ("text\n" + rows).encode())).json()
    (queued,) = body["processing"]
    parse_queued_uploads()
    upload = upload_of(api, project, queued["upload_id"])
    assert (upload["status"], upload["documents_created"], upload["document"]) == (
        "completed",
        30,
        None,
    )
    assert not Document.objects.filter(pk=queued["document_id"]).exists()  # placeholder gone
    rows_stored = Document.objects.filter(project=project)
    assert rows_stored.count() == 30 and {d.status for d in rows_stored} == {"ready"}
    # The rows use the stored upload (no copy) and their shares add up to its size.
    stored = Upload.objects.get(pk=queued["upload_id"])
    assert {d.file.name for d in rows_stored} == {stored.file.name}
    assert sum(d.size_bytes for d in rows_stored) == stored.size_bytes
    assert len(seen) == 5 and seen == sorted(seen) and seen[-1] == 0.99  # part by part


def test_a_retried_archive_counts_what_the_killed_attempt_stored(api, project):
    archive = make_zip({"a.txt": b"First member text.", "b.txt": b"Second member text."})
    queued = post(api, project, ("pack.zip", archive)).json()["processing"][0]
    # A first attempt stores the members, and its worker dies before the upload's answer
    # is written; the sweeper puts the upload back and another worker runs it again.
    assert parsing._claim(queued["upload_id"], "host:1")
    parsing._parse(Upload.objects.get(pk=queued["upload_id"]))
    Upload.objects.filter(pk=queued["upload_id"]).update(status="queued")
    parse_queued_uploads()
    upload = upload_of(api, project, queued["upload_id"])
    assert (upload["status"], upload["documents_created"], upload["duplicates"]) == (
        "completed",
        2,
        [],
    )


def test_the_sweeper_requeues_a_dead_workers_upload_then_gives_up(
    api, project, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.INGEST_MAX_ATTEMPTS = 2
    queued = post(api, project, ("scan.pdf", make_pdf([PARAGRAPH]))).json()["processing"][0]
    sent = []
    monkeypatch.setattr(parsing, "upload_enqueue", sent.append)
    expired = timezone.now() - timezone.timedelta(seconds=1)
    Upload.objects.filter(pk=queued["upload_id"]).update(
        status="processing", attempts=1, worker="host:1", lease_expires_at=expired
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert parsing.uploads_sweep() == 1
    assert sent == [queued["upload_id"]]
    assert Upload.objects.get(pk=queued["upload_id"]).status == "queued"

    Upload.objects.filter(pk=queued["upload_id"]).update(
        status="processing", attempts=2, worker="host:1", lease_expires_at=timezone.now()
    )
    parsing.uploads_sweep(restarted_hostname="host")  # a restarted worker: no wait
    upload = upload_of(api, project, queued["upload_id"])
    assert upload["status"] == "failed"
    assert "stopped its worker 2 times" in upload["error"]
    document = Document.objects.get(pk=queued["document_id"])
    assert document.status == "failed" and document.error == upload["error"]


def test_a_parse_over_the_time_limit_fails_that_file_saying_so(api, project, monkeypatch):
    queued = post(api, project, ("slow.pdf", make_pdf([PARAGRAPH]))).json()["processing"][0]

    def too_slow(upload):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(parsing, "_parse", too_slow)
    parse_queued_uploads()
    upload = upload_of(api, project, queued["upload_id"])
    assert upload["status"] == "failed"
    assert "took longer than 10 minute(s) to read" in upload["error"]
    assert Document.objects.get(pk=queued["document_id"]).status == "failed"


def test_another_users_uploads_are_404(api, other_api, project):
    queued = post(api, project, ("a.pdf", make_pdf([PARAGRAPH]))).json()["processing"][0]
    assert other_api.get(f"/api/v1/projects/{project.pk}/uploads/").status_code == 404
    url = f"/api/v1/projects/{project.pk}/uploads/{queued['upload_id']}/"
    assert other_api.get(url).status_code == 404
    assert api.get(f"/api/v1/projects/{project.pk}/uploads/999999/").status_code == 404


def test_runs_wait_while_documents_are_being_read(api, user, project):
    post(api, project, ("ready.txt", b"A ready document about trade."))
    Variable.objects.create(project=project, key="topic", type="text", position=0)
    schema_confirm(project=project, user=user)
    assert project_step(project_get_for_user(user, project.pk)) == 4
    post(api, project, ("late.pdf", make_pdf([PARAGRAPH])))
    assert project_step(project_get_for_user(user, project.pk)) == 1
    parse_queued_uploads()
    assert project_step(project_get_for_user(user, project.pk)) == 4


def test_the_wizard_shows_the_upload_being_read_then_what_it_became(client_logged_in, project):
    pdf = io.BytesIO(make_pdf([PARAGRAPH]))
    pdf.name = "treaty.pdf"
    url = f"/projects/{project.pk}/documents/"
    response = client_logged_in.post(url + "upload/", {"files": [pdf]}, **HTMX)
    assert response.status_code == 200
    assert "Being read" in response.content.decode()
    assert "uploads-changed" in response["HX-Trigger"]
    polling = client_logged_in.get(url + "uploads/", **HTMX)
    assert polling.status_code == 200 and "every 2s" in polling.content.decode()
    parse_queued_uploads()
    done = client_logged_in.get(url + "uploads/", **HTMX)
    assert done.status_code == 286  # htmx stops polling
    assert "1 document added" in done.content.decode()
    assert "documents-changed" in done["HX-Trigger"]


def test_a_scan_without_tesseract_is_kept_as_failed_saying_how_to_enable_ocr(
    api, project, settings
):
    import uuid

    from projects.ingest import ocr
    from projects.tests.ocr_files import make_scanned_pdf

    settings.OCR_TESSERACT_CMD = f"/nonexistent/{uuid.uuid4().hex}/tesseract"
    assert not ocr.ocr_available()
    queued = post(api, project, ("scan.pdf", make_scanned_pdf(["Minutes."]))).json()
    queued = queued["processing"][0]
    parse_queued_uploads()
    upload = upload_of(api, project, queued["upload_id"])
    assert upload["status"] == "failed"
    (error,) = upload["errors"]
    assert error["code"] == "ocr_unavailable" and "tesseract" in error["message"].lower()
    document = Document.objects.get(pk=queued["document_id"])  # kept, with its original
    assert document.status == "failed" and document.file.name


@requires_tesseract
def test_a_long_scan_moves_its_progress_page_by_page(api, project, monkeypatch):
    from projects.tests.ocr_files import make_scanned_pdf

    pages = ["First minutes page.", "Second minutes page.", "Third minutes page."]
    queued = post(api, project, ("scan.pdf", make_scanned_pdf(pages))).json()["processing"][0]
    seen = []
    real_progress = parsing._progress
    monkeypatch.setattr(parsing, "_progress", lambda u, f: seen.append(f) or real_progress(u, f))
    parse_queued_uploads()
    assert [round(share, 2) for share in seen] == [0.33, 0.67, 0.99]
    assert upload_of(api, project, queued["upload_id"])["status"] == "completed"


def test_a_parse_lost_with_the_broker_is_sent_again_once_a_lease(
    api, project, django_capture_on_commit_callbacks, monkeypatch
):
    queued = post(api, project, ("a.pdf", make_pdf([PARAGRAPH]))).json()["processing"][0]
    sent = []
    monkeypatch.setattr(parsing, "upload_enqueue", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        parsing.uploads_sweep()
    assert sent == []  # just queued: its message is on its way
    long_ago = timezone.now() - timezone.timedelta(hours=1)
    Upload.objects.filter(pk=queued["upload_id"]).update(queued_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        parsing.uploads_sweep()
        parsing.uploads_sweep()  # not twice in the same lease
    assert sent == [queued["upload_id"]]
