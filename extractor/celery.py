"""The Celery app: ``celery -A extractor worker``.

Reliability settings (late acks, reject on worker lost, prefetch 1, JSON only) live in
settings.py under ``CELERY_``; the work items in the database are the truth about what
is done, so a redelivered message is harmless.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "extractor.settings")

app = Celery("extractor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule(sender: Celery, **kwargs) -> None:
    from django.conf import settings

    sender.add_periodic_task(
        settings.SWEEP_INTERVAL_SECONDS,
        sender.signature("processing.tasks.sweep_jobs"),
        name="sweep processing jobs",
    )
    sender.add_periodic_task(
        settings.SWEEP_INTERVAL_SECONDS,
        sender.signature("projects.tasks.sweep_uploads"),
        name="sweep uploads",
    )
    sender.add_periodic_task(
        settings.BATCH_POLL_SECONDS,
        sender.signature("processing.tasks.poll_batches"),
        name="poll provider batches",
    )
