"""Operators delete through the admin the way users do through the wizard: through the
services, so stored files go with their rows and the project records the change."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from processing.models import Extraction, JobDocument, ProcessingJob
from projects import services
from projects.models import Document, Project
from projects.tests.ingest_files import make_pdf

pytestmark = pytest.mark.django_db


def _upload(project, name: str, body: bytes) -> Document:
    report = services.documents_ingest(project=project, files=[(name, body)])
    (document,) = report.created
    return document


def test_deleting_a_document_in_the_admin_removes_its_file(
    admin_client, project, django_capture_on_commit_callbacks
):
    document = _upload(project, "minutes.pdf", make_pdf(["The council met on Monday."]))
    stored = document.file.name
    assert stored.endswith(".pdf")
    touched_before = Project.objects.get(pk=project.pk).updated_at
    assert default_storage.exists(stored)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/projects/document/{document.pk}/delete/", {"post": "yes"}
        )

    assert response.status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not default_storage.exists(stored)
    assert Project.objects.get(pk=project.pk).updated_at > touched_before


def test_deleting_projects_in_the_admin_removes_their_files(
    admin_client, project, django_capture_on_commit_callbacks
):
    stored = _upload(project, "notes.pdf", make_pdf(["Budget approved."])).file.name
    assert stored.endswith(".pdf")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/projects/project/",
            {"action": "delete_selected", "_selected_action": [project.pk], "post": "yes"},
        )

    assert response.status_code == 302
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not default_storage.exists(stored)


def test_the_admin_cannot_delete_a_single_value_or_work_item(admin_client, processed_project):
    extraction = Extraction.objects.filter(document__project=processed_project).first()
    item = JobDocument.objects.filter(document__project=processed_project).first()

    value = admin_client.post(
        f"/admin/processing/extraction/{extraction.pk}/delete/", {"post": "yes"}
    )
    work = admin_client.post(f"/admin/processing/jobdocument/{item.pk}/delete/", {"post": "yes"})

    assert value.status_code == 403 and work.status_code == 403
    assert Extraction.objects.filter(pk=extraction.pk).exists()
    assert JobDocument.objects.filter(pk=item.pk).exists()


def test_a_document_with_values_is_deleted_with_them(admin_client, processed_project):
    document = processed_project.documents.order_by("pk").first()
    assert Extraction.objects.filter(document=document).exists()

    response = admin_client.post(f"/admin/projects/document/{document.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not Extraction.objects.filter(document_id=document.pk).exists()


def test_a_processed_project_is_deleted_whole(admin_client, processed_project):
    response = admin_client.post(
        "/admin/projects/project/",
        {"action": "delete_selected", "_selected_action": [processed_project.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Project.objects.filter(pk=processed_project.pk).exists()
    assert not Extraction.objects.filter(schema_version__project_id=processed_project.pk).exists()


def test_a_finished_job_can_be_deleted_a_running_one_cannot(admin_client, processed_project):
    job = ProcessingJob.objects.get(project=processed_project)
    touched_before = Project.objects.get(pk=processed_project.pk).updated_at
    ProcessingJob.objects.filter(pk=job.pk).update(status=ProcessingJob.Status.RUNNING)
    url = f"/admin/processing/processingjob/{job.pk}/delete/"

    assert admin_client.post(url, {"post": "yes"}).status_code == 403

    ProcessingJob.objects.filter(pk=job.pk).update(status=ProcessingJob.Status.COMPLETED)
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not ProcessingJob.objects.filter(pk=job.pk).exists()
    assert Extraction.objects.filter(document__project=processed_project).exists()  # values stay
    assert Project.objects.get(pk=processed_project.pk).updated_at > touched_before
