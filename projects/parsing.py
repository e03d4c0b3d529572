"""Uploads parsed on the workers: the stored file in, documents (or reasons) out.

The request stored the file and made an ``Upload`` row with a placeholder document
(status ``queued``) that holds the file's sha256 and size (``services._upload_defer``).
A worker claims the upload with a lease (``queued`` -> ``processing``), parses the
stored bytes with the same parsers as the request, and stores what they give through
``projects.storing``:

- a one-document file (PDF, image, Word, text, HTML): the placeholder becomes the
  document, in place, so its id never changes: ``ready`` with its text, or ``failed``
  with the reason (and the original kept) where a failed file is kept;
- a table or an archive: the placeholder gives way to the rows' or members' documents,
  stored one member, or ``TABLE_ROWS_PER_PART`` rows of a table, per transaction, the
  upload's ``progress`` moving after each.

The upload row is the truth, like a job's work items: a worker killed mid-parse leaves
it ``processing`` with a lease; the sweeper (and a restarted worker at once) puts it
back to ``queued`` and queues it again, up to ``INGEST_MAX_ATTEMPTS``; a retry counts
what the killed attempt stored as created, not as duplicates. A parse longer than
``INGEST_PARSE_SECONDS`` fails that file with a message saying so.
"""

from __future__ import annotations

import logging
import zipfile
from datetime import timedelta
from io import BytesIO

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from projects import ingest, storing
from projects.dispatch import upload_enqueue
from projects.ingest import ocr
from projects.ingest.results import FileOutcome
from projects.ingest.sniff import ZIP
from projects.models import Document, Upload

logger = logging.getLogger(__name__)

Status = Upload.Status
# A table's rows are stored (and counted in the upload's progress) this many at a time.
TABLE_ROWS_PER_PART = 2000
_WHOLE_FILE_TYPES = frozenset(
    {
        Document.SourceType.PDF,
        Document.SourceType.IMAGE,
        Document.SourceType.DOCX,
        Document.SourceType.TXT,
        Document.SourceType.MD,
        Document.SourceType.HTML,
    }
)


def upload_parse(*, upload_id: int, worker: str) -> None:
    """Parse one stored upload, if it is still queued (a redelivered message for an
    upload another worker holds, or one already done, does nothing)."""
    if not _claim(upload_id, worker):
        return
    upload = Upload.objects.select_related("project").get(pk=upload_id)
    Document.objects.filter(pk=upload.document_id, status=Document.Status.QUEUED).update(
        status=Document.Status.PROCESSING
    )
    try:
        report = _parse(upload)
    except SoftTimeLimitExceeded:
        _give_up(upload, _too_slow_message(upload))
        return
    except Exception:
        # A fault of ours, not of the file (the parsers answer bad files themselves):
        # the file fails with a plain message rather than waiting for its lease.
        logger.exception("parsing upload %s failed", upload_id)
        _give_up(upload, _internal_error_message(upload))
        return
    _finish(upload, report)


def _claim(upload_id: int, worker: str) -> bool:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.INGEST_PARSE_SECONDS + 60)
    return bool(
        Upload.objects.filter(pk=upload_id, status=Status.QUEUED).update(
            status=Status.PROCESSING,
            worker=worker,
            lease_expires_at=lease,
            attempts=F("attempts") + 1,
            started_at=Coalesce("started_at", Value(now)),
        )
    )


def _parse(upload: Upload) -> storing.IngestReport:
    with upload.file.open("rb") as stored:
        data = stored.read()
    batch = storing.Batch(project=upload.project, report=storing.IngestReport())
    batch.upload = upload
    batch.stored_files = {upload.sha256: upload.file.name}
    outcomes = ingest.iter_upload(
        upload.filename,
        data,
        text_column=upload.text_column or None,
        unzip_budget=ingest.UnzipBudget(),
        ocr_languages=upload.project.ocr_languages,
    )
    if upload.source_type in _WHOLE_FILE_TYPES:
        with ocr.progress_to(lambda share: _progress(upload, min(share, 0.99))):
            outcome = next(iter(outcomes))  # parsed here: a scan moves the bar page by page
        _whole_file_save(batch, upload, outcome)
    else:
        _placeholder_release(upload)
        total = _member_count(data) if upload.source_type == ZIP else 1
        for done, outcome in enumerate(outcomes, start=1):
            parts = storing.table_parts(outcome, TABLE_ROWS_PER_PART)
            for number, part in enumerate(parts, start=1):
                storing.outcome_save(batch, part)
                share = (done - 1 + number / len(parts)) / total
                _progress(upload, min(share, 0.99))
    storing.touch_if_changed(batch)
    return batch.report


def _whole_file_save(batch: storing.Batch, upload: Upload, outcome: FileOutcome) -> None:
    """The placeholder becomes the document: parsed text, or the failure kept with it."""
    placeholder = upload.document
    if placeholder is None:  # deleted by the researcher while queued: nothing to fill
        return
    for note in outcome.notes:
        batch.report.notes.append({"filename": upload.filename, "message": note})
    if outcome.error is not None:
        error = outcome.error
        entry = storing.error_entry(upload.filename, error.code, error.message)
        if error.code in storing.STORED_FAILURES:
            _placeholder_update(
                placeholder,
                status=Document.Status.FAILED,
                error=error.message,
                metadata={"error_code": error.code},
            )
            entry["document_id"] = placeholder.pk
        else:
            _placeholder_release(upload)
        batch.report.errors.append(entry)
        return
    parsed = outcome.documents[0]
    _placeholder_update(placeholder, **storing.parsed_fields(upload.project, parsed), error="")
    batch.report.created.append(placeholder)
    batch.changed = True


def _placeholder_update(placeholder: Document, **fields) -> None:
    Document.objects.filter(pk=placeholder.pk).update(**fields)
    for name, value in fields.items():
        setattr(placeholder, name, value)


def _placeholder_release(upload: Upload) -> None:
    """A table's rows or an archive's members take the placeholder's place: it goes,
    and with it its claim on the quota (the stored file stays while the upload does)."""
    if upload.document_id is None:
        return
    placeholder = Document.objects.filter(pk=upload.document_id).first()
    if placeholder is not None:
        storing.document_delete(document=placeholder)
    Upload.objects.filter(pk=upload.pk).update(document=None)
    upload.document = None


def _member_count(data: bytes) -> int:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return max(1, sum(1 for info in archive.infolist() if not info.is_dir()))
    except (zipfile.BadZipFile, OSError, ValueError):
        return 1


def _progress(upload: Upload, fraction: float) -> None:
    Upload.objects.filter(pk=upload.pk, status=Status.PROCESSING).update(progress=fraction)


def _finish(upload: Upload, report: storing.IngestReport) -> None:
    """The upload's answer, as the request would have given it: what was created, what
    was a duplicate of what, what failed and why."""
    created = Document.objects.filter(upload=upload).exclude(status__in=Document.BEING_READ)
    created_ready = created.filter(status=Document.Status.READY).count()
    mine = set(created.values_list("pk", flat=True))
    # A retry meets what the killed attempt stored: those are this upload's, not duplicates.
    duplicates = [entry for entry in report.duplicates if entry["existing_id"] not in mine]
    failed = not created_ready and bool(report.errors)
    Upload.objects.filter(pk=upload.pk).update(
        status=Status.FAILED if failed else Status.COMPLETED,
        documents_created=created_ready,
        duplicates=duplicates,
        errors=report.errors,
        notes=report.notes,
        error=report.errors[0]["message"] if failed else "",
        progress=1.0,
        lease_expires_at=None,
        finished_at=timezone.now(),
    )
    _file_release(upload)


def _file_release(upload: Upload) -> None:
    """Keep the stored file only while a document uses it (an archive's members are
    stored as files of their own; a refused file is not kept)."""
    name = upload.file.name
    if name and not Document.objects.filter(file=name).exists():
        Upload.objects.filter(pk=upload.pk).update(file="")
        transaction.on_commit(lambda: default_storage.delete(name))


def _give_up(upload: Upload, message: str) -> None:
    """Fail the upload and its placeholder with ``message``; the original is kept with
    the failed document, as for a file that fails to parse."""
    code = "parse_failed"
    if upload.document_id is not None:
        Document.objects.filter(pk=upload.document_id).update(
            status=Document.Status.FAILED, error=message, metadata={"error_code": code}
        )
    entry = storing.error_entry(upload.filename, code, message)
    entry["document_id"] = upload.document_id
    Upload.objects.filter(pk=upload.pk).update(
        status=Status.FAILED,
        error=message,
        errors=[entry],
        progress=1.0,
        lease_expires_at=None,
        finished_at=timezone.now(),
    )
    storing.project_touch(upload.project_id)


def _too_slow_message(upload: Upload) -> str:
    minutes = max(1, round(settings.INGEST_PARSE_SECONDS / 60))
    return (
        f"{upload.filename} took longer than {minutes} minute(s) to read and was stopped. "
        "Split it into smaller files (fewer pages or rows) and upload those."
    )


def _internal_error_message(upload: Upload) -> str:
    return (
        f"{upload.filename} could not be read because of an error on our side; it is "
        "logged. Delete it and upload it again, or tell the administrator if it repeats."
    )


def _worker_died_message(upload: Upload) -> str:
    return (
        f"{upload.filename} stopped its worker {upload.attempts} times while being read "
        "(it may be too large or damaged for the server's memory). Split it into smaller "
        "files and upload those."
    )


def uploads_sweep(*, restarted_hostname: str | None = None) -> int:
    """Put back uploads whose worker died: lease expired, or (``restarted_hostname``)
    held by a worker of this host that has just started again. Each goes back to
    ``queued`` and is queued anew, or fails after ``INGEST_MAX_ATTEMPTS`` tries."""
    stale = Upload.objects.filter(status=Status.PROCESSING, lease_expires_at__lt=timezone.now())
    if restarted_hostname:
        stale = stale | Upload.objects.filter(
            status=Status.PROCESSING, worker__startswith=f"{restarted_hostname}:"
        )
    count = 0
    for upload in stale.select_related("project"):
        if upload.attempts >= settings.INGEST_MAX_ATTEMPTS:
            _give_up(upload, _worker_died_message(upload))
        elif Upload.objects.filter(
            pk=upload.pk, status=Status.PROCESSING, attempts=upload.attempts
        ).update(status=Status.QUEUED, worker="", lease_expires_at=None, queued_at=timezone.now()):
            transaction.on_commit(lambda pk=upload.pk: upload_enqueue(pk))
        count += 1
    return count + _resend_lost()


def _resend_lost() -> int:
    """Send again the parses of uploads queued for longer than a lease without a worker
    taking them: their message may have been lost with the broker. A duplicate message
    is harmless (the claim is conditional), and each is sent at most once a lease."""
    lease = timedelta(seconds=settings.INGEST_PARSE_SECONDS + 60)
    now = timezone.now()
    lost = list(
        Upload.objects.filter(status=Status.QUEUED, queued_at__lt=now - lease).values_list(
            "pk", flat=True
        )
    )
    if lost:
        Upload.objects.filter(pk__in=lost).update(queued_at=now)
        for upload_id in lost:
            transaction.on_commit(lambda pk=upload_id: upload_enqueue(pk))
    return len(lost)
