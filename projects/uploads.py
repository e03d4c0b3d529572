"""Reading uploads safely, for the wizard and the API alike."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest


def request_too_large(request: HttpRequest) -> bool:
    """Checked from the Content-Length header, before the body is read or stored."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.UPLOAD_MAX_REQUEST_BYTES


def read_uploads(files: Iterable[UploadedFile]) -> list[tuple[str, bytes]]:
    """(name, bytes) pairs. Files over the per-file limit are read only up to one byte
    past it: enough for the ingest layer to report them as too large, without holding
    a huge file in memory."""
    limit = settings.UPLOAD_MAX_FILE_BYTES
    pairs = []
    for upload in files:
        name = (upload.name or "upload").replace("\x00", "")[:255]
        pairs.append((name, upload.read(limit + 1)))
    return pairs
