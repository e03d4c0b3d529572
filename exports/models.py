"""Step 5: dataset exports."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from projects.models import Project, ProjectScopedQuerySet
from schemas.models import SchemaVersion


class Export(models.Model):
    """A dataset file. Status: queued -> running -> completed | failed."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"
        JSON = "json", "JSON"
        DTA = "dta", "Stata (DTA)"
        SAV = "sav", "SPSS (SAV)"
        PARQUET = "parquet", "Parquet"
        PACKAGE = "package", "Replication package (ZIP)"

    class Layout(models.TextChoices):
        """``wide``: one row per document; ``long``: one row per document x variable."""

        WIDE = "wide", "Wide (a row per document)"
        LONG = "long", "Long (a row per document and variable)"

    # The file name's extension and the download's media type, per format.
    EXTENSIONS = {"package": "zip"}
    MEDIA_TYPES = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "json": "application/json",
        "dta": "application/x-stata-dta",
        "sav": "application/x-spss-sav",
        "parquet": "application/vnd.apache.parquet",
        "package": "application/zip",
    }

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="exports")
    schema_version = models.ForeignKey(
        SchemaVersion, on_delete=models.CASCADE, related_name="exports"
    )
    format = models.CharField(max_length=10, choices=Format.choices)
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

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.format} export {self.pk}"

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.format, self.format)


class CodingRound(models.Model):
    """Several people code the same documents and variables of one schema version,
    independently (``exports/rounds.py``): what their agreement with each other, and the
    model's with them, is measured on. Status: open -> completed (every item coded)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="coding_rounds")
    schema_version = models.ForeignKey(
        SchemaVersion, on_delete=models.CASCADE, related_name="coding_rounds"
    )
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # Blind: a coder sees neither the model's value nor the other coders' before they
    # have given their own.
    blind = models.BooleanField(default=True)
    seed = models.BigIntegerField(null=True, blank=True)
    variables = models.JSONField(help_text="The keys coded, in schema order.")
    documents = models.JSONField(help_text="The document ids coded (the units).")
    adjudicator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name or f"Round {self.pk}"


class CodingItem(models.Model):
    """One coder's value of one variable of one document in a round: stored per coder,
    never over the model's value or another coder's."""

    round = models.ForeignKey(CodingRound, on_delete=models.CASCADE, related_name="items")
    coder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coding_items"
    )
    document = models.ForeignKey(
        "projects.Document", on_delete=models.CASCADE, related_name="coding_items"
    )
    variable_key = models.CharField(max_length=63)
    value = models.JSONField(null=True, blank=True)
    coded = models.BooleanField(default=False)
    coded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["document_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "coder", "document", "variable_key"], name="coding_item_unique"
            )
        ]
        indexes = [models.Index(fields=["round", "coder", "coded"])]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.coder_id}:{self.document_id}:{self.variable_key}"


class Adjudication(models.Model):
    """The final value of a unit the coders disagreed on, set by the owner or the
    round's adjudicator with a note; it becomes the cell's human value."""

    round = models.ForeignKey(CodingRound, on_delete=models.CASCADE, related_name="adjudications")
    document = models.ForeignKey(
        "projects.Document", on_delete=models.CASCADE, related_name="adjudications"
    )
    variable_key = models.CharField(max_length=63)
    value = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "document", "variable_key"], name="adjudication_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.document_id}:{self.variable_key}"
