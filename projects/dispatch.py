"""Queueing an upload's parse, by the task's name: services never import tasks."""

from __future__ import annotations

from extractor.celery import app as celery_app

PARSE_UPLOAD = "projects.tasks.parse_upload"


def upload_enqueue(upload_id: int) -> None:
    """Queue the parse of one stored upload (call it once the upload row is committed)."""
    celery_app.send_task(PARSE_UPLOAD, args=(upload_id,))
