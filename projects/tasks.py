"""Celery tasks of step 1: thin wrappers that take an id and call the parsing service."""

from __future__ import annotations

import logging
import os

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from projects.parsing import upload_parse, uploads_sweep

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=settings.INGEST_PARSE_SECONDS,
    time_limit=settings.INGEST_PARSE_SECONDS + 30,
)
def parse_upload(upload_id: int) -> None:
    """Parse one stored upload; the upload row decides whether there is anything to do,
    so a redelivered message is harmless."""
    hostname = parse_upload.request.hostname or "worker"
    upload_parse(upload_id=upload_id, worker=f"{hostname}:{os.getpid()}")


@shared_task(ignore_result=True)
def sweep_uploads() -> int:
    return uploads_sweep()


@worker_ready.connect
def sweep_uploads_on_start(sender=None, **kwargs) -> None:
    """A worker that starts after a crash puts the uploads it was parsing back at once."""
    try:
        uploads_sweep(restarted_hostname=getattr(sender, "hostname", None))
    except Exception:  # the worker must start even if the database is briefly away
        logger.exception("upload sweep at worker start failed; beat will sweep again")
