"""OpenAI's Files API in memory: ``POST /v1/files`` (multipart ``file`` and ``purpose``),
``GET /v1/files``, ``GET /v1/files/{id}``, ``GET /v1/files/{id}/content`` and
``DELETE /v1/files/{id}``, answering OpenAI's file object. Batch inputs are uploaded
here and batch outputs are stored here (see ``batches.py``).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import HTTP
from typing import Any

from extractor.simulator.chat import Reply, error_reply

# What a client may upload; "batch_output" files are the provider's own.
UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
MAX_UPLOAD_BYTES = 512 * 1024**2  # OpenAI's limit for one file
BATCH_FILE_SECONDS = 30 * 24 * 3600  # batch files expire after 30 days
MAX_FILE_LIST = 10_000


@dataclass(frozen=True)
class StoredFile:
    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int

    def as_object(self) -> dict[str, Any]:
        batch = self.purpose in ("batch", "batch_output")
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.content),
            "created_at": self.created_at,
            "expires_at": self.created_at + BATCH_FILE_SECONDS if batch else None,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
        }


class FileStore:
    """The uploaded and produced files, in order of creation."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._lock = threading.Lock()

    def add(self, *, content: bytes, filename: str, purpose: str) -> StoredFile:
        stored = StoredFile(
            id=f"file-{uuid.uuid4().hex[:24]}",
            filename=filename,
            purpose=purpose,
            content=content,
            created_at=int(time.time()),
        )
        with self._lock:
            self._files[stored.id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        with self._lock:
            return self._files.get(file_id)

    def delete(self, file_id: str) -> bool:
        with self._lock:
            return self._files.pop(file_id, None) is not None

    def all(self) -> list[StoredFile]:
        with self._lock:
            return list(self._files.values())

    def clear(self) -> None:
        with self._lock:
            self._files.clear()


def file_upload_reply(store: FileStore, *, content_type: str, raw: bytes) -> Reply:
    """``POST /v1/files``."""
    if not content_type.lower().startswith("multipart/form-data"):
        return error_reply(400, "Files must be uploaded as multipart/form-data.", code=None)
    fields = parse_multipart(raw, content_type)
    purpose = fields.get("purpose", (None, b""))[1].decode("utf-8", "replace").strip()
    if not purpose:
        return _missing("purpose")
    if purpose not in UPLOAD_PURPOSES:
        return error_reply(
            400,
            f"'{purpose}' is not one of {list(UPLOAD_PURPOSES)} - 'purpose'",
            code="invalid_value",
            param="purpose",
        )
    if "file" not in fields:
        return _missing("file")
    filename, content = fields["file"]
    filename = filename or "upload"
    if purpose == "batch" and not filename.endswith(".jsonl"):
        return error_reply(
            400,
            "Invalid file format for Batch API. Must be .jsonl",
            code="invalid_file_format",
            param="file",
        )
    stored = store.add(content=content, filename=filename, purpose=purpose)
    return Reply(body=stored.as_object())


def file_reply(store: FileStore, file_id: str) -> Reply:
    """``GET /v1/files/{id}``."""
    stored = store.get(file_id)
    return Reply(body=stored.as_object()) if stored else not_found("File", file_id)


def file_content_reply(store: FileStore, file_id: str) -> Reply:
    """``GET /v1/files/{id}/content``: the bytes as uploaded or produced."""
    stored = store.get(file_id)
    if stored is None:
        return not_found("File", file_id)
    return Reply(raw=stored.content, headers={"Content-Type": "application/octet-stream"})


def file_delete_reply(store: FileStore, file_id: str) -> Reply:
    """``DELETE /v1/files/{id}``."""
    if not store.delete(file_id):
        return not_found("File", file_id)
    return Reply(body={"id": file_id, "object": "file", "deleted": True})


def file_list_reply(store: FileStore, query: dict[str, str]) -> Reply:
    """``GET /v1/files`` with ``purpose``, ``order`` (default newest first), ``limit``
    and ``after``."""
    files = store.all()
    if query.get("purpose"):
        files = [f for f in files if f.purpose == query["purpose"]]
    if query.get("order", "desc") == "desc":
        files.reverse()
    return list_reply(
        [f.as_object() for f in files], query, default_limit=MAX_FILE_LIST, max_limit=MAX_FILE_LIST
    )


def list_reply(
    objects: list[dict[str, Any]], query: dict[str, str], *, default_limit: int, max_limit: int
) -> Reply:
    """One page of a cursor list: the objects after ``after``, at most ``limit``."""
    try:
        limit = int(query.get("limit") or default_limit)
    except ValueError:
        limit = 0
    if not 1 <= limit <= max_limit:
        return error_reply(
            400,
            f"Invalid 'limit': must be between 1 and {max_limit}.",
            code="invalid_value",
            param="limit",
        )
    after = query.get("after")
    if after:
        ids = [o["id"] for o in objects]
        objects = objects[ids.index(after) + 1 :] if after in ids else []
    page = objects[:limit]
    body = {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(objects) > limit,
    }
    return Reply(body=body)


def not_found(kind: str, object_id: str) -> Reply:
    return error_reply(404, f"No such {kind} object: {object_id}", code=None, param="id")


def parse_multipart(raw: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a multipart/form-data body: name -> (filename, bytes).

    Splitting on the boundary is enough here: a client picks a boundary that does not
    occur in what it sends, and a 200 MB upload stays one pass over bytes (the email
    parser would read it line by line)."""
    header = Message()
    header["Content-Type"] = content_type
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        return {}
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in raw.split(b"--" + boundary.encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = BytesHeaderParser(policy=HTTP).parsebytes(head + b"\r\n\r\n")
        name = headers.get_param("name", header="content-disposition")
        if isinstance(name, str):
            fields[name] = (headers.get_filename(), content.removesuffix(b"\r\n"))
    return fields


def _missing(param: str) -> Reply:
    return error_reply(
        400,
        f"Missing required parameter: '{param}'.",
        code="missing_required_parameter",
        param=param,
    )


def jsonl(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
