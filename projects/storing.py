"""Storing what parsing produced: one file's documents (or its failure) per transaction.

The rules (what is kept, duplicates, the storage quota, files shared by a table's rows)
are described in ``projects.services``, the entry point; the request (inline parses)
and the workers (``projects.parsing``) both store through here.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from extractor.llm.tokens import count_text
from projects import quota
from projects.ingest import results
from projects.ingest.results import FileOutcome, ParsedDocument
from projects.models import Document, Project, Upload

logger = logging.getLogger(__name__)

# Rows per INSERT statement batch (Django splits further where the database needs it).
BULK_BATCH_SIZE = 1000
# sha256 values per duplicate lookup: far below SQLite's bound-parameter limit.
LOOKUP_CHUNK = 900
# Failures worth keeping as a failed document (with the original file).
STORED_FAILURES = frozenset(
    {"corrupt_file", "encrypted_pdf", "no_text_layer", "too_many_pages", "text_too_long",
     # a scan or an image that OCR could not read: kept, so the researcher sees it
     "ocr_unavailable", "ocr_failed", "no_text_found", "image_too_large"}
)  # fmt: skip
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
    # ``{filename, upload_id, document_id}``: stored, and handed to a worker to parse.
    processing: list[dict] = field(default_factory=list)


@dataclass
class Batch:
    """State of one documents_ingest call."""

    project: Project
    report: IngestReport
    # sha256 -> the document that holds it in this batch (saved, or about to be).
    seen: dict[str, Document] = field(default_factory=dict)
    changed: bool = False
    # What the project stores, as this batch last saw it (read when first needed).
    storage: quota.StorageUse | None = None
    # A worker's batch: the upload its documents come from, and the stored name of
    # the uploaded file by its sha256 (a table's rows use it instead of a copy).
    upload: Upload | None = None
    stored_files: dict[str, str] = field(default_factory=dict)
    user: object = None  # who uploads: recorded on the uploads handed to workers


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
            transaction.on_commit(lambda: file_delete_if_unused(name))
        project_touch(project_id)


# --- One outcome ---------------------------------------------------------------------


def outcome_save(batch: Batch, outcome: FileOutcome) -> None:
    if outcome.error is not None:
        failure_save(batch, outcome)
    else:
        documents_save(batch, outcome)
    for note in outcome.notes:
        batch.report.notes.append({"filename": outcome.filename, "message": note})


def failure_save(batch: Batch, outcome: FileOutcome, *, retry: bool = True) -> None:
    error = outcome.error
    entry = error_entry(outcome.filename, error.code, error.message)
    storable = error.code in STORED_FAILURES and outcome.content and outcome.source_type
    if not storable:
        batch.report.errors.append(entry)
        return
    sha256 = results.sha256_hex(outcome.content)
    if sha256 in batch.seen:
        _duplicate(batch, outcome.filename, batch.seen[sha256])
        return
    existing = existing_by_sha256(batch.project, [sha256]).get(sha256)
    if holding(existing) is not None:
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
        if not retry:  # as in documents_save: a concurrent upload of the same file
            raise
        failure_save(batch, outcome, retry=False)
        return
    except quota.StorageFull:
        # No room to keep the original: the parse error stays the answer, nothing kept.
        batch.report.errors.append(entry)
        return
    batch.seen[sha256] = document
    entry["document_id"] = document.pk
    batch.report.errors.append(entry)


def documents_save(batch: Batch, outcome: FileOutcome, *, retry: bool = True) -> None:
    parsed = outcome.documents
    wanted = {document.sha256 for document in parsed}
    if outcome.content is not None and len(parsed) > 1:
        # A table whose earlier upload failed as a whole: the failed row has the hash
        # of the file, not of any row.
        wanted.add(results.sha256_hex(outcome.content))
    existing = existing_by_sha256(batch.project, wanted)
    replaced = [doc for doc in existing.values() if doc.status == Document.Status.FAILED]
    new: list[Document] = []
    duplicates: list[tuple[str, Document]] = []
    seen = dict(batch.seen)
    for item in parsed:
        holder = seen.get(item.sha256) or holding(existing.get(item.sha256))
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
        documents_save(batch, outcome, retry=False)
        return
    except quota.StorageFull as full:
        batch.report.errors.append(error_entry(outcome.filename, full.code, full.message))
        return
    batch.seen = seen
    batch.report.created.extend(new)
    for filename, holder in duplicates:
        _duplicate(batch, filename, holder)


def parsed_fields(project: Project, item: ParsedDocument) -> dict:
    """What a parsed document sets on its row: its text and the figures read from it.
    Used for new rows and for a worker's placeholder that becomes the document."""
    return {
        "name": item.name,
        "source_type": item.source_type,
        "text": item.text,
        "page_offsets": item.page_offsets,
        "page_count": len(item.page_offsets),
        "char_count": len(item.text),
        "token_count": count_text(item.text, project.model_name),
        "status": Document.Status.READY,
        "metadata": item.metadata,
    }


def _document_build(project: Project, item: ParsedDocument) -> Document:
    size = len(item.content) if item.content is not None else len(item.text.encode("utf-8"))
    document = Document(
        # project_id plus a cached project, rather than project=: the descriptor's
        # checks cost seconds on a 100,000-row table.
        project_id=project.pk,
        size_bytes=size,
        sha256=item.sha256,
        **parsed_fields(project, item),
    )
    _PROJECT_FIELD.set_cached_value(document, project)
    return document


def _store(
    batch: Batch, outcome: FileOutcome, documents: list[Document], *, replaced: list[Document]
) -> None:
    """Write the original file once, then the rows in one transaction; the file is
    removed again if the rows are not written. Raises ``quota.StorageFull`` when they
    do not fit the project's quota: before writing the file when the batch can tell,
    else (another upload got there first) from the transaction, which then writes
    nothing."""
    if not documents and not replaced:
        return
    if documents and outcome.content:
        _share_file_size(documents, _accounted_size(outcome))
    size = sum(doc.size_bytes for doc in documents) - sum(old.size_bytes for old in replaced)
    storage_precheck(batch, outcome.filename, size)
    reused = _stored_file(batch, outcome)
    stored = reused or (_file_save(documents[0], outcome) if documents and outcome.content else "")
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
                document.upload = batch.upload
            Document.objects.bulk_create(documents, batch_size=BULK_BATCH_SIZE)
        committed = True
    except quota.StorageFull as full:
        batch.storage = full.use  # what is stored now, for the next file's first check
        raise
    finally:
        if stored and not committed and not reused:
            default_storage.delete(stored)
    batch.storage = claimed
    batch.changed = True


def storage_precheck(batch: Batch, filename: str, size: int) -> None:
    """The quota check before anything is written, against what the batch last saw
    (read once per batch, then kept up to date by each store)."""
    if not settings.PROJECT_MAX_BYTES:
        return
    if batch.storage is None:
        batch.storage = quota.storage_use(batch.project.pk)
    quota.storage_check(use=batch.storage, filename=filename, size=size)


def _accounted_size(outcome: FileOutcome) -> int:
    """The bytes of the original this outcome's documents account for: the whole file,
    or its part when a worker stores a large table in parts (``table_parts``)."""
    return outcome.part_bytes if outcome.part_bytes is not None else len(outcome.content)


def table_parts(outcome: FileOutcome, rows_per_part: int) -> list[FileOutcome]:
    """A table's outcome as parts of ``rows_per_part`` rows, each accounting for its
    share of the file (in proportion to its rows' text, adding up to the file), so
    a worker can store and report a large table part by part."""
    documents = outcome.documents
    if outcome.error is not None or not outcome.content or len(documents) <= rows_per_part:
        return [outcome]
    weights = [max(len(item.text.encode("utf-8")), 1) for item in documents]
    total, size = sum(weights), len(outcome.content)
    parts, given, weight_so_far = [], 0, 0
    for start in range(0, len(documents), rows_per_part):
        weight_so_far += sum(weights[start : start + rows_per_part])
        upto = size * weight_so_far // total  # the last part ends exactly at the file's size
        rows = documents[start : start + rows_per_part]
        notes = outcome.notes if start == 0 else []  # said once, with the first part
        parts.append(
            dataclasses.replace(outcome, documents=rows, notes=notes, part_bytes=upto - given)
        )
        given = upto
    return parts


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


def _stored_file(batch: Batch, outcome: FileOutcome) -> str:
    """The name the upload's file is already stored under, when ``outcome`` is that
    whole file (a worker parsing a stored upload): its documents use it, no copy."""
    if not batch.stored_files or not outcome.content:
        return ""
    return batch.stored_files.get(results.sha256_hex(outcome.content), "")


def _file_save(document: Document, outcome: FileOutcome) -> str:
    # The stored name's extension comes from the sniffed type (source types are named
    # like extensions), not from the user's name: a PDF sent as "notes.txt" is a .pdf.
    name = f"original.{outcome.source_type}"
    document.file.save(name, ContentFile(outcome.content), save=False)
    return document.file.name


# --- Small helpers ---------------------------------------------------------------------


def existing_by_sha256(project: Project, hashes: Iterable[str]) -> dict[str, Document]:
    hashes = list(hashes)
    found: dict[str, Document] = {}
    for start in range(0, len(hashes), LOOKUP_CHUNK):
        chunk = hashes[start : start + LOOKUP_CHUNK]
        for document in Document.objects.filter(project=project, sha256__in=chunk).only(
            "id", "sha256", "status", "file", "size_bytes"
        ):
            found[document.sha256] = document
    return found


_HOLDING = frozenset({Document.Status.READY, *Document.BEING_READ})


def holding(document: Document | None) -> Document | None:
    """The document that already holds these bytes: ready, or being parsed (a failed one
    is replaced by a new upload of the same file)."""
    return document if document is not None and document.status in _HOLDING else None


def _duplicate(batch: Batch, filename: str, holder: Document) -> None:
    batch.report.duplicates.append({"filename": filename, "existing_id": holder.pk})


def error_entry(filename: str, code: str, message: str) -> dict:
    return {"filename": filename, "code": code, "message": message, "document_id": None}


def project_touch(project_id: int) -> None:
    """Mark the project changed now: the project list is ordered by last activity, and
    caches of its results are keyed on it."""
    Project.objects.filter(pk=project_id).update(updated_at=timezone.now())


def touch_if_changed(batch: Batch) -> None:
    if batch.changed:
        project_touch(batch.project.pk)


def file_delete_if_unused(name: str) -> None:
    """Rows of a CSV share their table's stored file, and an upload being parsed keeps
    its file: delete it only when nothing uses it."""
    if (
        not Document.objects.filter(file=name).exists()
        and not Upload.objects.filter(file=name).exists()
    ):
        default_storage.delete(name)


def files_delete(names: list[str]) -> None:
    for name in names:
        file_delete_if_unused(name)
