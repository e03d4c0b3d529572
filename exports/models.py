"""Step 5: dataset exports."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from projects.models import Project
from schemas.models import SchemaVersion


class ExportQuerySet(models.QuerySet):
    def for_user(self, user) -> ExportQuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(project__owner=user)


class Export(models.Model):
    """A dataset file. Status: queued -> running -> completed | failed."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"
        JSON = "json", "JSON"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="exports")
    schema_version = models.ForeignKey(
        SchemaVersion, on_delete=models.CASCADE, related_name="exports"
    )
    format = models.CharField(max_length=4, choices=Format.choices)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(upload_to="exports/", blank=True, max_length=255)
    size_bytes = models.PositiveBigIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # What the file was read from (exports.freshness.DataStamp.key), set when it is
    # written: a listing compares it with the data as it is now to say "out of date".
    data_stamp = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.format} export {self.pk}"
