"""Step 1 writes: documents in (uploads, pasted text), documents and projects out.

Parsing (``projects.ingest``) happens outside any transaction, as does token counting:
on SQLite a write transaction locks the whole database, so it only spans the inserts.
Each uploaded file (each ZIP member) is then stored in its own transaction: a crash
leaves whole files behind, never half a table, and one bad file never stops the
others.

What gets stored:

* parsed documents, status ``ready``, with the original file (a CSV/XLSX table file
  is stored once and shared by all its rows, whose ``size_bytes`` are their shares of
  it);
* an uploaded file of a supported type that failed to parse (damaged, encrypted, no
  text layer, over the page or text limit): a ``failed`` document with the error and
  the original, so the researcher sees it in the list and can download what they sent;
* nothing for files we refuse outright (unsupported type, too large, empty), for ZIP
  members that are refused or fail to parse (``ingest.archive``), for files whose fix
  is in the upload itself (which text column, too many rows), and for anything that
  would take the project over its storage quota (``projects.quota``): earlier files of
  the batch stay, later ones that still fit are stored.

Duplicates (same sha256 in the project, or twice in one batch) are reported, never
stored twice; a duplicate of a ``failed`` document replaces it (it is parsed again).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, router, transaction
from django.db.models import FileField
from django.db.models.deletion import Collector
from django.utils import timezone

from projects import ingest, quota, storing
from projects.dispatch import upload_enqueue
from projects.ingest import errors as ingest_errors
from projects.ingest import results
from projects.ingest.results import FileOutcome, ParsedDocument
from projects.ingest.sniff import sniff
from projects.models import Document, Project, Upload
from projects.storing import IngestReport, document_delete, project_touch

# document_delete, project_touch and IngestReport are part of this module's interface
# (views, the API, the admin and other apps call them here); they live in storing.
__all__ = [
    "IngestReport",
    "document_create_from_text",
    "document_delete",
    "documents_ingest",
    "project_delete",
    "project_touch",
]


def documents_ingest(
    *,
    project: Project,
    files: Iterable[tuple[str, bytes]],
    text_column: str | None = None,
    user=None,
    defer: bool = False,
) -> IngestReport:
    """Turn uploaded files into documents of ``project``; every file gets an answer in
    the report, and a failure in one never stops the others.

    ``defer`` (the API and the wizard): what may take long to parse (PDFs, images,
    archives, and anything past the request's inline budget) is stored at once and
    handed to a worker (``projects.parsing``), listed in ``report.processing``; small
    text, Word and table files are still parsed here, within the request."""
    batch = storing.Batch(project=project, report=IngestReport(), user=user)
    unzip = ingest.UnzipBudget()  # every archive of the upload draws on it
    inline_left = settings.INGEST_INLINE_MAX_BYTES
    for filename, data in files:
        sha256 = results.sha256_hex(data)
        existing = batch.seen.get(sha256) or storing.holding(
            storing.existing_by_sha256(project, [sha256]).get(sha256)
        )
        if existing is not None:
            # Same bytes already stored: skip parsing (re-uploading a folder is common).
            batch.report.duplicates.append({"filename": filename, "existing_id": existing.pk})
            continue
        kind = _deferred_kind(filename, data, inline_left) if defer else None
        if kind is not None:
            _upload_defer(batch, filename, data, sha256=sha256, kind=kind, text_column=text_column)
            continue
        inline_left -= len(data)
        for outcome in ingest.iter_upload(
            filename,
            data,
            text_column=text_column,
            unzip_budget=unzip,
            ocr_languages=project.ocr_languages,
        ):
            storing.outcome_save(batch, outcome)
    storing.touch_if_changed(batch)
    return batch.report


def document_create_from_text(*, project: Project, name: str, text: str) -> IngestReport:
    """A document from pasted text (the paste form, the JSON API body); the text is the
    original, so no file is stored."""
    batch = storing.Batch(project=project, report=IngestReport())
    text = ingest.clean_text(text).strip()
    name = results.clip_name(name or text.split("\n", 1)[0][:80])
    if not text:
        message = "There is no text to add: paste some text first."
        batch.report.errors.append(storing.error_entry(name, "empty_text", message))
        return batch.report
    if len(text) > settings.INGEST_MAX_TEXT_CHARS:
        error = ingest_errors.text_too_long(name, len(text))
        batch.report.errors.append(storing.error_entry(name, error.code, error.message))
        return batch.report
    parsed = ParsedDocument(
        name=name,
        source_type=Document.SourceType.PASTE,
        text=text,
        page_offsets=[],
        metadata={},
        content=None,
        sha256=results.sha256_hex(text.encode("utf-8")),
    )
    storing.documents_save(
        batch, FileOutcome(name, [parsed], None, None, Document.SourceType.PASTE)
    )
    storing.touch_if_changed(batch)
    return batch.report


def project_delete(*, project: Project) -> None:
    """Delete a project with everything that hangs on it, and once that is committed,
    every file those rows stored (originals, exports...): a deleted project leaves no
    data behind on disk. Files are found from the rows being deleted, whatever app
    owns them, with one collection shared with the delete itself."""
    with transaction.atomic():
        collector = Collector(using=router.db_for_write(Project))
        collector.collect([project])
        names = _stored_file_names(collector)
        collector.delete()
        transaction.on_commit(lambda: storing.files_delete(sorted(names)))


def _stored_file_names(collector: Collector) -> set[str]:
    names: set[str] = set()
    for model, instances in collector.data.items():
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, FileField)]
        for instance in instances:
            names.update(getattr(instance, name).name for name in fields if getattr(instance, name))
    for queryset in collector.fast_deletes:
        model = queryset.model
        for file_field in model._meta.concrete_fields:
            if isinstance(file_field, FileField):
                names.update(n for n in queryset.values_list(file_field.attname, flat=True) if n)
    return names


# --- Handing a file to the workers -----------------------------------------------------

# Parsed in the request when small: what never needs OCR or unpacking.
_INLINE_TYPES = frozenset(
    {
        Document.SourceType.TXT,
        Document.SourceType.MD,
        Document.SourceType.HTML,
        Document.SourceType.DOCX,
        Document.SourceType.CSV,
        Document.SourceType.XLSX,
    }
)


def _deferred_kind(filename: str, data: bytes, inline_left: int) -> str | None:
    """The sniffed type of a file the workers should parse, or None to parse it here:
    a file that is refused outright (too large, unsupported, empty) is answered at once
    by the inline path, as before."""
    if len(data) > settings.UPLOAD_MAX_FILE_BYTES:
        return None
    try:
        kind = sniff(filename, data).kind
    except ingest.IngestError:
        return None
    if kind in _INLINE_TYPES and len(data) <= inline_left:
        return None
    return kind


def _upload_defer(
    batch: storing.Batch,
    filename: str,
    data: bytes,
    *,
    sha256: str,
    kind: str,
    text_column: str | None,
) -> None:
    """Store the file, claim its size against the quota, and queue it for a worker: a
    placeholder document (status queued) holds its sha256, so a second upload of the
    same file is a duplicate at once, and its size, so the quota counts it now."""
    try:
        storing.storage_precheck(batch, filename, len(data))
    except quota.StorageFull as full:
        batch.report.errors.append(storing.error_entry(filename, full.code, full.message))
        return
    upload = Upload(
        project=batch.project,
        user=batch.user if getattr(batch.user, "is_authenticated", False) else None,
        filename=results.clip_name(filename),
        size_bytes=len(data),
        sha256=sha256,
        source_type=kind,
        text_column=text_column or "",
        queued_at=timezone.now(),
    )
    upload.file.save(f"upload.{kind}", ContentFile(data), save=False)
    placeholder = Document(
        project=batch.project,
        name=upload.filename,
        source_type=kind if kind in Document.SourceType.values else Document.SourceType.UNKNOWN,
        size_bytes=len(data),
        sha256=sha256,
        status=Document.Status.QUEUED,
        file=upload.file.name,
    )
    try:
        with transaction.atomic():
            batch.storage = quota.storage_claim(
                project_id=batch.project.pk, filename=filename, size=len(data), known=batch.storage
            )
            upload.save()
            placeholder.upload = upload
            placeholder.save()
            Upload.objects.filter(pk=upload.pk).update(document=placeholder)
    except (IntegrityError, quota.StorageFull) as refused:
        default_storage.delete(upload.file.name)
        if isinstance(refused, quota.StorageFull):
            batch.storage = refused.use
            batch.report.errors.append(storing.error_entry(filename, refused.code, refused.message))
        else:  # the same file, uploaded at the same moment by another request
            holder = storing.existing_by_sha256(batch.project, [sha256]).get(sha256)
            batch.report.duplicates.append(
                {"filename": filename, "existing_id": holder.pk if holder else None}
            )
        return
    batch.seen[sha256] = placeholder
    batch.changed = True
    entry = {"filename": filename, "upload_id": upload.pk, "document_id": placeholder.pk}
    batch.report.processing.append(entry)
    transaction.on_commit(lambda: upload_enqueue(upload.pk))
