"""Celery tasks of step 5."""

from __future__ import annotations

from celery import shared_task

from exports.models import Export
from exports.services import export_build


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def build_export(export_id: int) -> None:
    export = Export.objects.filter(pk=export_id).first()
    if export is not None:
        export_build(export)
