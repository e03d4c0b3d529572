"""ZIP archives: one outcome per member, read with limits that a zip bomb cannot dodge.

Limits, all from settings:

* member count (INGEST_MAX_ZIP_MEMBERS) and the sum of the sizes the archive declares
  (INGEST_MAX_UNZIPPED_BYTES) are checked before anything is decompressed; that
  budget is shared by every archive of one upload (``UnzipBudget``), so a request of
  two hundred small archives cannot make the server inflate two hundred times as much;
* each member is then decompressed in bounded chunks, counting the bytes actually
  produced, so an archive that lies about its sizes is stopped at the same limits
  (and at UPLOAD_MAX_FILE_BYTES per member) without ever holding more in memory.

A member that is refused or fails to parse is reported with its name and nothing of
it is kept (``content`` is None): unlike a file uploaded on its own, it is not what the
researcher sent, and keeping it would let a small archive of large members fill the
disk with failed documents. So every limit that refuses a member (per file, the
archive's unzipped budget, text that cannot fit INGEST_MAX_TEXT_CHARS, see
``sniff``) applies before a byte of it is stored.

Member names never reach the disk (stored files get generated names), but names that
are absolute or climb out with ".." are refused all the same: no honest tool makes
them, and they mark an archive built to attack unzip tools. Dot-files, ``__MACOSX``
folders and OS thumbnails are skipped silently. Archives inside the archive are not
unpacked (``nested_archive``).
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from django.conf import settings

from projects.ingest import errors
from projects.ingest.errors import IngestError, human_size
from projects.ingest.results import FileOutcome

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
_JUNK_NAMES = {"__macosx", "thumbs.db", "desktop.ini"}
_DRIVE = re.compile(r"^[a-zA-Z]:")
# What zipfile and the decompressors raise on damaged or exotic members.
_MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)

ParseMember = Callable[[str, bytes], Iterator[FileOutcome]]


class _Overflow(Exception):
    """A member produced more bytes than it may."""


@dataclass
class UnzipBudget:
    """Bytes the archives of one upload may still inflate to, all together."""

    remaining: int = field(default_factory=lambda: settings.INGEST_MAX_UNZIPPED_BYTES)


def iter_archive(
    filename: str,
    data: bytes,
    *,
    parse_member: ParseMember,
    budget: UnzipBudget | None = None,
) -> Iterator[FileOutcome]:
    """Outcomes for the members, in archive order; an archive-wide problem is one
    outcome for the archive itself (and stops the walk). ``budget``: what the upload's
    archives may still inflate to (a budget of this archive's own without one)."""
    budget = budget or UnzipBudget()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (*_MEMBER_ERRORS, ValueError) as exc:
        yield _failed(filename, errors.corrupt_file(filename, "a ZIP archive"))
        logger.info("ZIP %s unreadable: %r", filename, exc)
        return
    with archive:
        members = [info for info in archive.infolist() if not _skipped(info)]
        problem = _archive_problem(filename, members, budget)
        if problem:
            yield _failed(filename, problem)
            return
        if not members:
            yield _failed(filename, errors.empty_file(filename))
            return
        yield from _members(filename, archive, members, parse_member, budget)


def _members(
    filename: str,
    archive: zipfile.ZipFile,
    members: list[zipfile.ZipInfo],
    parse_member,
    budget: UnzipBudget,
) -> Iterator[FileOutcome]:
    file_limit = settings.UPLOAD_MAX_FILE_BYTES
    used_by_others = settings.INGEST_MAX_UNZIPPED_BYTES - budget.remaining
    for info in members:
        name = f"{filename}/{info.filename}"
        if _unsafe(info.filename):
            yield _failed(name, errors.unsafe_path(name))
            continue
        if info.flag_bits & 0x1:
            yield _failed(name, errors.encrypted_archive_member(name))
            continue
        if info.file_size > file_limit:
            yield _failed(name, errors.file_too_large(name, info.file_size))
            continue
        try:
            content = read_bounded(archive, info, limit=min(file_limit, budget.remaining))
        except _Overflow:
            if budget.remaining < file_limit:
                yield _failed(filename, _unpacks_too_large(filename, alone_fits=used_by_others > 0))
                return
            yield _failed(name, errors.file_too_large(name, file_limit + 1))
            continue
        except _MEMBER_ERRORS as exc:
            logger.info("ZIP %s: member %s unreadable: %r", filename, info.filename, exc)
            yield _failed(name, errors.corrupt_file(name, "a file in the archive"))
            continue
        budget.remaining -= len(content)
        for outcome in parse_member(name, content):
            yield replace(outcome, content=None) if outcome.error else outcome


def read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, limit: int) -> bytes:
    """The member's bytes, decompressed a chunk at a time; _Overflow past ``limit``
    whatever the header claims."""
    chunks, total = [], 0
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            total += len(chunk)
            if total > limit:
                raise _Overflow
            chunks.append(chunk)
    return b"".join(chunks)


def _archive_problem(
    filename: str, members: list[zipfile.ZipInfo], budget: UnzipBudget
) -> IngestError | None:
    if len(members) > settings.INGEST_MAX_ZIP_MEMBERS:
        return errors.archive_too_large(
            filename,
            f"holds {len(members):,} files; the limit is "
            f"{settings.INGEST_MAX_ZIP_MEMBERS:,} per archive",
        )
    declared = sum(info.file_size for info in members)
    if declared > budget.remaining:
        return _unpacks_too_large(
            filename, alone_fits=declared <= settings.INGEST_MAX_UNZIPPED_BYTES
        )
    return None


def _unpacks_too_large(filename: str, *, alone_fits: bool) -> IngestError:
    """``alone_fits``: the archive would have fitted had the upload's other archives
    not used the budget first (then it can be sent on its own)."""
    limit = human_size(settings.INGEST_MAX_UNZIPPED_BYTES)
    if alone_fits:
        return errors.archive_too_large(
            filename,
            f"unpacks to more than what is left of the {limit} that the archives of one "
            "upload may unpack to; send it in an upload of its own",
        )
    return errors.archive_too_large(filename, f"unpacks to more than {limit}")


def _skipped(info: zipfile.ZipInfo) -> bool:
    if info.is_dir():
        return True
    parts = [part for part in re.split(r"[\\/]", info.filename) if part]
    # "." and ".." are not dot-files: they are checked (and refused) as unsafe paths.
    return any(
        (part.startswith(".") and part not in (".", "..")) or part.lower() in _JUNK_NAMES
        for part in parts
    )


def _unsafe(name: str) -> bool:
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or _DRIVE.match(normalised):
        return True
    return ".." in PurePosixPath(normalised).parts


def _failed(filename: str, error: IngestError) -> FileOutcome:
    return FileOutcome(filename, [], error, None)
