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

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, router, transaction
from django.db.models import F, FileField
from django.db.models.deletion import Collector
from django.utils import timezone

from extractor.llm.tokens import count_text
from projects import ingest, quota
from projects.ingest import errors as ingest_errors
from projects.ingest import results
from projects.ingest.results import FileOutcome, ParsedDocument
from projects.models import Document, Project

logger = logging.getLogger(__name__)

# Rows per INSERT statement batch (Django splits further where the database needs it).
BULK_BATCH_SIZE = 1000
# sha256 values per duplicate lookup: far below SQLite's bound-parameter limit.
LOOKUP_CHUNK = 900
# Failures worth keeping as a failed document (with the original file).
STORED_FAILURES = frozenset(
    {"corrupt_file", "encrypted_pdf", "no_text_layer", "too_many_pages", "text_too_long"}
)
_PROJECT_FIELD = Document._meta.get_field("project")


@dataclass
class IngestReport:
    """What an upload did, for the page and the API alike.

    ``created``: the new ready documents. ``duplicates``: ``{filename, existing_id}``.
    ``errors``: ``{filename, code, message, document_id}`` (``document_id`` is the
    failed document kept for it, or None). ``notes``: ``{filename, message}`` for
    things worth knowing that are not errors (rows skipped, which column was used).
    """

    created: list[Document] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)


@dataclass
class _Batch:
    """State of one documents_ingest call."""

    project: Project
    report: IngestReport
    # sha256 -> the document that holds it in this batch (saved, or about to be).
    seen: dict[str, Document] = field(default_factory=dict)
    changed: bool = False
    # What the project stores, as this batch last saw it (read when first needed).
    storage: quota.StorageUse | None = None


def documents_ingest(
    *, project: Project, files: Iterable[tuple[str, bytes]], text_column: str | None = None
) -> IngestReport:
    """Turn uploaded files into documents of ``project``; every file gets an answer in
    the report, and a failure in one never stops the others."""
    batch = _Batch(project=project, report=IngestReport())
    unzip = ingest.UnzipBudget()  # every archive of the upload draws on it
    for filename, data in files:
        sha256 = results.sha256_hex(data)
        existing = batch.seen.get(sha256) or _ready(
            _existing_by_sha256(project, [sha256]).get(sha256)
        )
        if existing is not None:
            # Same bytes already stored: skip parsing (re-uploading a folder is common).
            batch.report.duplicates.append({"filename": filename, "existing_id": existing.pk})
            continue
        for outcome in ingest.iter_upload(
            filename, data, text_column=text_column, unzip_budget=unzip
        ):
            _outcome_save(batch, outcome)
    _project_touch(batch)
    return batch.report


def document_create_from_text(*, project: Project, name: str, text: str) -> IngestReport:
    """A document from pasted text (the paste form, the JSON API body); the text is the
    original, so no file is stored."""
    batch = _Batch(project=project, report=IngestReport())
    text = ingest.clean_text(text).strip()
    name = results.clip_name(name or text.split("\n", 1)[0][:80])
    if not text:
        message = "There is no text to add: paste some text first."
        batch.report.errors.append(_error_entry(name, "empty_text", message))
        return batch.report
    if len(text) > settings.INGEST_MAX_TEXT_CHARS:
        error = ingest_errors.text_too_long(name, len(text))
        batch.report.errors.append(_error_entry(name, error.code, error.message))
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
    _documents_save(batch, FileOutcome(name, [parsed], None, None, Document.SourceType.PASTE))
    _project_touch(batch)
    return batch.report


def document_delete(*, document: Document) -> None:
    """Delete a document; its stored file goes too unless another row (a sibling row of
    the same table) still uses it, and then that row takes over the deleted row's share
    of the file's size: the file stays on disk, so it stays counted against the storage
    quota (``projects.quota``). The project is touched: it changed, and caches of its
    results are keyed on that (``exports.results.results_state``)."""
    name, project_id = document.file.name, document.project_id
    with transaction.atomic():
        # Deletes of one project's rows one after the other, so a share is never
        # handed to a sibling that another delete is taking away.
        Project.objects.select_for_update(no_key=True).filter(pk=project_id).first()
        document.delete()
        if name:
            heir = (
                Document.objects.filter(project_id=project_id, file=name)
                .order_by("pk")
                .values_list("pk", flat=True)
                .first()
            )
            if heir is not None:
                Document.objects.filter(pk=heir).update(
                    size_bytes=F("size_bytes") + document.size_bytes
                )
            transaction.on_commit(lambda: _file_delete_if_unused(name))
        project_touch(project_id)


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
        transaction.on_commit(lambda: _files_delete(sorted(names)))


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


# --- One outcome ---------------------------------------------------------------------


def _outcome_save(batch: _Batch, outcome: FileOutcome) -> None:
    if outcome.error is not None:
        _failure_save(batch, outcome)
    else:
        _documents_save(batch, outcome)
    for note in outcome.notes:
        batch.report.notes.append({"filename": outcome.filename, "message": note})


def _failure_save(batch: _Batch, outcome: FileOutcome, *, retry: bool = True) -> None:
    error = outcome.error
    entry = _error_entry(outcome.filename, error.code, error.message)
    storable = error.code in STORED_FAILURES and outcome.content and outcome.source_type
    if not storable:
        batch.report.errors.append(entry)
        return
    sha256 = results.sha256_hex(outcome.content)
    if sha256 in batch.seen:
        _duplicate(batch, outcome.filename, batch.seen[sha256])
        return
    existing = _existing_by_sha256(batch.project, [sha256]).get(sha256)
    if existing is not None and existing.status == Document.Status.READY:
        _duplicate(batch, outcome.filename, existing)
        return
    document = Document(
        project=batch.project,
        name=results.clip_name(outcome.filename),
        source_type=outcome.source_type,
        size_bytes=len(outcome.content),
        sha256=sha256,
        status=Document.Status.FAILED,
        error=error.message,
        metadata={"error_code": error.code},
    )
    try:
        _store(batch, outcome, [document], replaced=[existing] if existing else [])
    except IntegrityError:
        if not retry:  # as in _documents_save: a concurrent upload of the same file
            raise
        _failure_save(batch, outcome, retry=False)
        return
    except quota.StorageFull:
        # No room to keep the original: the parse error stays the answer, nothing kept.
        batch.report.errors.append(entry)
        return
    batch.seen[sha256] = document
    entry["document_id"] = document.pk
    batch.report.errors.append(entry)


def _documents_save(batch: _Batch, outcome: FileOutcome, *, retry: bool = True) -> None:
    parsed = outcome.documents
    wanted = {document.sha256 for document in parsed}
    if outcome.content is not None and len(parsed) > 1:
        # A table whose earlier upload failed as a whole: the failed row has the hash
        # of the file, not of any row.
        wanted.add(results.sha256_hex(outcome.content))
    existing = _existing_by_sha256(batch.project, wanted)
    replaced = [doc for doc in existing.values() if doc.status == Document.Status.FAILED]
    new: list[Document] = []
    duplicates: list[tuple[str, Document]] = []
    seen = dict(batch.seen)
    for item in parsed:
        holder = seen.get(item.sha256) or _ready(existing.get(item.sha256))
        if holder is not None:
            duplicates.append((item.name, holder))
            continue
        document = _document_build(batch.project, item)
        seen[item.sha256] = document
        new.append(document)
    try:
        _store(batch, outcome, new, replaced=replaced)
    except IntegrityError:
        # Another upload stored one of these hashes since we looked: look again, once.
        if not retry:
            raise
        logger.info("ingest: concurrent duplicate for %s, retrying", outcome.filename)
        _documents_save(batch, outcome, retry=False)
        return
    except quota.StorageFull as full:
        batch.report.errors.append(_error_entry(outcome.filename, full.code, full.message))
        return
    batch.seen = seen
    batch.report.created.extend(new)
    for filename, holder in duplicates:
        _duplicate(batch, filename, holder)


def _document_build(project: Project, item: ParsedDocument) -> Document:
    size = len(item.content) if item.content is not None else len(item.text.encode("utf-8"))
    document = Document(
        # project_id plus a cached project, rather than project=: the descriptor's
        # checks cost seconds on a 100,000-row table.
        project_id=project.pk,
        name=item.name,
        source_type=item.source_type,
        size_bytes=size,
        sha256=item.sha256,
        text=item.text,
        page_offsets=item.page_offsets,
        page_count=len(item.page_offsets),
        char_count=len(item.text),
        token_count=count_text(item.text, project.model_name),
        status=Document.Status.READY,
        metadata=item.metadata,
    )
    _PROJECT_FIELD.set_cached_value(document, project)
    return document


def _store(
    batch: _Batch, outcome: FileOutcome, documents: list[Document], *, replaced: list[Document]
) -> None:
    """Write the original file once, then the rows in one transaction; the file is
    removed again if the rows are not written. Raises ``quota.StorageFull`` when they
    do not fit the project's quota: before writing the file when the batch can tell,
    else (another upload got there first) from the transaction, which then writes
    nothing."""
    if not documents and not replaced:
        return
    if documents and outcome.content:
        _share_file_size(documents, len(outcome.content))
    size = sum(doc.size_bytes for doc in documents) - sum(old.size_bytes for old in replaced)
    _storage_precheck(batch, outcome.filename, size)
    stored = _file_save(documents[0], outcome) if documents and outcome.content else ""
    committed = False
    try:
        with transaction.atomic():
            claimed = quota.storage_claim(
                project_id=batch.project.pk,
                filename=outcome.filename,
                size=size,
                known=batch.storage,
            )
            for old in replaced:
                document_delete(document=old)
            for document in documents:
                document.file = stored
            Document.objects.bulk_create(documents, batch_size=BULK_BATCH_SIZE)
        committed = True
    except quota.StorageFull as full:
        batch.storage = full.use  # what is stored now, for the next file's first check
        raise
    finally:
        if stored and not committed:
            default_storage.delete(stored)
    batch.storage = claimed
    batch.changed = True


def _storage_precheck(batch: _Batch, filename: str, size: int) -> None:
    """The quota check before anything is written, against what the batch last saw
    (read once per batch, then kept up to date by each store)."""
    if not settings.PROJECT_MAX_BYTES:
        return
    if batch.storage is None:
        batch.storage = quota.storage_use(batch.project.pk)
    quota.storage_check(use=batch.storage, filename=filename, size=size)


def _share_file_size(documents: list[Document], size: int) -> None:
    """The rows of a table share its one stored file: each gets a share of the file's
    size, in proportion to its text, so the shares add up to the file and the quota
    counts it once. (A whole file's one document simply gets its size.)"""
    weights = [max(document.size_bytes, 1) for document in documents]
    total = sum(weights)
    shares = [size * weight // total for weight in weights]
    for index in range(size - sum(shares)):  # rounding down lost less than a byte each
        shares[index] += 1
    for document, share in zip(documents, shares, strict=True):
        document.size_bytes = share


def _file_save(document: Document, outcome: FileOutcome) -> str:
    # The stored name's extension comes from the sniffed type (source types are named
    # like extensions), not from the user's name: a PDF sent as "notes.txt" is a .pdf.
    name = f"original.{outcome.source_type}"
    document.file.save(name, ContentFile(outcome.content), save=False)
    return document.file.name


# --- Small helpers ---------------------------------------------------------------------


def _existing_by_sha256(project: Project, hashes: Iterable[str]) -> dict[str, Document]:
    hashes = list(hashes)
    found: dict[str, Document] = {}
    for start in range(0, len(hashes), LOOKUP_CHUNK):
        chunk = hashes[start : start + LOOKUP_CHUNK]
        for document in Document.objects.filter(project=project, sha256__in=chunk).only(
            "id", "sha256", "status", "file", "size_bytes"
        ):
            found[document.sha256] = document
    return found


def _ready(document: Document | None) -> Document | None:
    return document if document is not None and document.status == Document.Status.READY else None


def _duplicate(batch: _Batch, filename: str, holder: Document) -> None:
    batch.report.duplicates.append({"filename": filename, "existing_id": holder.pk})


def _error_entry(filename: str, code: str, message: str) -> dict:
    return {"filename": filename, "code": code, "message": message, "document_id": None}


def project_touch(project_id: int) -> None:
    """Mark the project changed now: the project list is ordered by last activity, and
    caches of its results are keyed on it."""
    Project.objects.filter(pk=project_id).update(updated_at=timezone.now())


def _project_touch(batch: _Batch) -> None:
    if batch.changed:
        project_touch(batch.project.pk)


def _file_delete_if_unused(name: str) -> None:
    """Rows of a CSV share their table's stored file: keep it while one still uses it."""
    if not Document.objects.filter(file=name).exists():
        default_storage.delete(name)


def _files_delete(names: list[str]) -> None:
    for name in names:
        _file_delete_if_unused(name)
