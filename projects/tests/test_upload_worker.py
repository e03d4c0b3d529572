"""Uploads parsed by a real Celery worker process, which one test kills mid-parse."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.conf import settings

from extractor.simulator import Simulator
from processing.tests.workers import wait_for
from projects import parsing
from projects.models import Document, Upload
from projects.tests.ingest_files import PARAGRAPH, make_pdf, upload_files

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DONE = {"completed", "failed"}


@pytest.fixture
def simulator():
    sim = Simulator()
    yield sim
    sim.stop()


def _post(api, project, name: str, data: bytes) -> dict:
    response = upload_files(api, project, (name, data))
    assert response.status_code == 201, response.content
    assert response.json()["processing"], response.json()
    return response.json()["processing"][0]


def _wait(upload_id: int, until, *, log: Path, timeout: float = 90) -> Upload:
    return wait_for(
        lambda: Upload.objects.get(pk=upload_id),
        until,
        what=f"upload {upload_id}",
        state=lambda upload: upload.status,
        timeout=timeout,
        log=log,
        every=0.2,
    )


# A table a request does not read: 603 KB, past INGEST_INLINE_MAX_BYTES (512 KB), so a
# worker does, in 7 parts of TABLE_ROWS_PER_PART rows. Its parse takes seconds (more than
# ten times the 0.2 s in which a test sees it start and kills the worker).
ROWS = 14_000


def _csv(rows: int) -> bytes:
    lines = "".join(f"Row {n}: the parties agreed on clause {n % 97}.\n" for n in range(rows))
    data = ("text\n" + lines).encode()
    assert len(data) > settings.INGEST_INLINE_MAX_BYTES
    assert rows > 2 * parsing.TABLE_ROWS_PER_PART
    return data


def test_a_worker_reads_a_pdf_and_a_large_table(api, project, simulator, workers, tmp_path):
    log = tmp_path / "worker.log"
    workers(simulator, f"utest-{uuid.uuid4().hex[:6]}@%h")
    pdf = _post(api, project, "treaty.pdf", make_pdf([PARAGRAPH]))
    table = _post(api, project, "rows.csv", _csv(ROWS))
    assert _wait(pdf["upload_id"], lambda u: u.status in DONE, log=log).status == "completed"
    upload = _wait(table["upload_id"], lambda u: u.status in DONE, log=log)
    assert (upload.status, upload.documents_created) == ("completed", ROWS)
    assert Document.objects.get(pk=pdf["document_id"]).status == "ready"
    assert Document.objects.filter(project=project, status="ready").count() == ROWS + 1


def test_a_worker_killed_mid_parse_loses_no_upload(api, project, simulator, workers, tmp_path):
    log = tmp_path / "worker.log"
    name = f"utest-{uuid.uuid4().hex[:6]}@%h"
    worker = workers(simulator, name)
    table = _post(api, project, "rows.csv", _csv(ROWS))
    _wait(table["upload_id"], lambda u: u.status == "processing", log=log)
    worker.kill()
    assert Upload.objects.get(pk=table["upload_id"]).status == "processing"

    workers(simulator, name)  # the same worker restarts and takes its upload back at once
    upload = _wait(table["upload_id"], lambda u: u.status in DONE, log=log, timeout=150)
    assert (upload.status, upload.documents_created, upload.attempts) == ("completed", ROWS, 2)
    assert Document.objects.filter(project=project, status="ready").count() == ROWS
