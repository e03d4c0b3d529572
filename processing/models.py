"""Step 4: processing jobs, their work items, the extracted values and the audit log."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from projects.models import Document, Project, ProjectScopedQuerySet
from schemas.models import SchemaVersion


class ProcessingJob(models.Model):
    """One run of a schema version over a set of documents.

    Status transitions (made only by ``processing/lifecycle.py``, which has the full
    diagram, work items included)::

        queued -> running -> completed | completed_with_errors | failed
        queued | running | paused -> cancelling -> cancelled
        running -> paused (budget reached) -> running (budget raised / resumed)
        completed_with_errors | failed | cancelled -> queued (retry failed items)

    Progress lives on this row: counters are updated with F() expressions as work items
    finish, so any number of workers can report at once.
    """

    class Kind(models.TextChoices):
        SAMPLE = "sample", "Sample"
        FULL = "full", "Full corpus"

    class Mode(models.TextChoices):
        """How the documents' requests reach the model: one call at a time, or in files
        through the provider's Batch API (answered within 24 h, at the batch price)."""

        STANDARD = "standard", "Standard"
        BATCH = "batch", "Batch (up to 24 h, batch price)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        CANCELLING = "cancelling", "Cancelling"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"
        COMPLETED_WITH_ERRORS = "completed_with_errors", "Completed with errors"
        FAILED = "failed", "Failed"
        PAUSED = "paused", "Paused (budget reached)"

    ACTIVE = frozenset({Status.QUEUED, Status.RUNNING, Status.CANCELLING})
    # A run that still holds its documents: at most one per (project, version, kind),
    # which the database enforces (a double click, two API clients, two tabs).
    HOLDING = ACTIVE | {Status.PAUSED}
    FINISHED = frozenset(
        {Status.CANCELLED, Status.COMPLETED, Status.COMPLETED_WITH_ERRORS, Status.FAILED}
    )

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="jobs")
    schema_version = models.ForeignKey(
        SchemaVersion, on_delete=models.RESTRICT, related_name="jobs"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.STANDARD)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.QUEUED)
    model = models.CharField(max_length=100)
    seed = models.BigIntegerField(null=True, blank=True)
    sample_size = models.PositiveIntegerField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # Values whose quote was not found or does not support them, for a person to check.
    flagged = models.PositiveIntegerField(default=0)
    llm_calls = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    cached_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal("0"))
    estimated_cost_usd = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True)
    budget_usd = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True)
    reserved_usd = models.DecimalField(
        max_digits=14,
        decimal_places=6,
        default=Decimal("0"),
        help_text="Worst-case cost of the calls in flight, held against the budget.",
    )
    simulated = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life from a runner task."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"]), models.Index(fields=["status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "schema_version", "kind"],
                condition=models.Q(status__in=["queued", "running", "cancelling", "paused"]),
                name="one_active_job_per_run",
                violation_error_message="This run is already going on.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} job {self.pk}"

    @property
    def progress(self) -> float:
        return round(self.processed / self.total, 4) if self.total else 0.0


class JobDocument(models.Model):
    """One work item: this row, not the Celery message, says what is done. Its status
    changes only in ``processing/lifecycle.py``."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    job = models.ForeignKey(ProcessingJob, on_delete=models.CASCADE, related_name="items")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="job_items")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    llm_calls = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal("0"))
    # The keys the model was asked for this document (processing/reuse.py): a partial
    # run asks only for what the version does not hold yet. Null: every variable.
    asked = models.JSONField(null=True, blank=True)
    # The provider batch that holds (or held) this document's requests, in batch mode.
    batch = models.ForeignKey(
        "ProviderBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    # The request hashes its batch's lines carry, in call order: the answers are matched
    # to requests built again at collection only if these are still the same.
    batch_requests = models.JSONField(null=True, blank=True)
    # Budgeted jobs only (processing/budget.py): what this claim holds in the job's
    # reserved_usd, and what its settled calls already added to the job's cost_usd.
    reserved_usd = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal("0"))
    charged_usd = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal("0"))
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "document"], name="job_document_unique")
        ]
        indexes = [
            models.Index(fields=["job", "status"]),
            models.Index(fields=["status", "lease_expires_at"]),
        ]

    def __str__(self) -> str:
        return f"job {self.job_id} / document {self.document_id}"


class ProviderBatch(models.Model):
    """One file of a batch job's requests at the provider's Batch API
    (``processing/batches.py`` has the life of one, and why each step is written down
    before the next is taken).

    ``token`` is ours, chosen before anything is sent: it names the uploaded file and
    rides in the batch's metadata, so a worker killed between a request and writing its
    answer here finds the file or the batch again instead of submitting twice.
    """

    class Status(models.TextChoices):
        PREPARING = "preparing", "Preparing the file"
        SUBMITTING = "submitting", "Submitting"
        VALIDATING = "validating", "Validating"
        IN_PROGRESS = "in_progress", "In progress"
        FINALIZING = "finalizing", "Finalizing"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"
        CANCELLING = "cancelling", "Cancelling"
        CANCELLED = "cancelled", "Cancelled"

    # The provider's last word on it: nothing more will change there.
    ENDED = frozenset({Status.COMPLETED, Status.FAILED, Status.EXPIRED, Status.CANCELLED})
    # At the provider, answers still to come.
    SUBMITTED = frozenset(
        {Status.VALIDATING, Status.IN_PROGRESS, Status.FINALIZING, Status.CANCELLING}
    )

    job = models.ForeignKey(ProcessingJob, on_delete=models.CASCADE, related_name="batches")
    token = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREPARING)
    provider_id = models.CharField(max_length=200, blank=True, help_text="The provider's batch id.")
    input_file_id = models.CharField(max_length=200, blank=True)
    output_file_id = models.CharField(max_length=200, blank=True)
    error_file_id = models.CharField(max_length=200, blank=True)
    requests = models.PositiveIntegerField(default=0, help_text="Lines of the input file.")
    bytes = models.PositiveBigIntegerField(default=0, help_text="Size of the input file.")
    request_counts = models.JSONField(
        default=dict, blank=True, help_text="The provider's {total, completed, failed}."
    )
    reserved_usd = models.DecimalField(
        max_digits=14,
        decimal_places=6,
        default=Decimal("0"),
        help_text="The batch's estimated cost, held against the job's budget until collected.",
    )
    error = models.TextField(blank=True)
    # Who works on it now (submitting or collecting), until when: another worker takes
    # it over only once the lease has run out.
    worker = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["collected_at", "status"])]

    def __str__(self) -> str:
        return f"batch {self.provider_id or self.token} of job {self.job_id}"


class ExtractionQuerySet(ProjectScopedQuerySet):
    project_field = "schema_version__project"


class Extraction(models.Model):
    """One value: (document, schema version, variable). The model's side is written by the
    engine, the human side by review; neither overwrites the other."""

    class Status(models.TextChoices):
        OK = "ok", "OK"
        MISSING = "missing", "Missing"
        INVALID = "invalid", "Invalid"
        UNSUPPORTED_EVIDENCE = "unsupported_evidence", "Unsupported evidence"
        EVIDENCE_MISMATCH = "evidence_mismatch", "Evidence does not support the value"
        ERROR = "error", "Error"

    class Review(models.TextChoices):
        """Where a person's check of the value stands (``review_status``)."""

        UNCHECKED = "unchecked", "Unchecked"
        VERIFIED = "verified", "Verified"
        CORRECTED = "corrected", "Corrected"

    class EvidenceCheck(models.TextChoices):
        """What the check of a located quote against its value found (schemas.types)."""

        # Values as API.md names them: passed, failed, not_applicable.
        SUPPORTED = "passed", "Supports the value"
        MISMATCH = "failed", "Does not support the value"
        NOT_APPLICABLE = "not_applicable", "Not checkable (other script, free text...)"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="extractions")
    schema_version = models.ForeignKey(
        SchemaVersion, on_delete=models.CASCADE, related_name="extractions"
    )
    job = models.ForeignKey(
        ProcessingJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="extractions"
    )
    variable_key = models.CharField(max_length=63)
    value = models.JSONField(null=True, blank=True)
    raw = models.JSONField(null=True, blank=True, help_text="The model's answer for this value.")
    evidence = models.TextField(blank=True)
    evidence_start = models.PositiveIntegerField(null=True, blank=True)
    evidence_end = models.PositiveIntegerField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices)
    evidence_check = models.CharField(max_length=16, choices=EvidenceCheck.choices, blank=True)
    message = models.TextField(blank=True, help_text="Why the value was flagged.")
    model = models.CharField(max_length=100, blank=True)
    human_value = models.JSONField(null=True, blank=True)
    human_evidence = models.TextField(
        blank=True, help_text="The quote a person gave for their correction, if any."
    )
    # A person's own answer, entered before they saw the model's (blind review): what
    # agreement compares with the model, whatever they decide afterwards.
    blind_value = models.JSONField(null=True, blank=True)
    blind_entered = models.BooleanField(default=False)
    corrected = models.BooleanField(default=False, help_text="human_value replaces the model's")
    verified = models.BooleanField(default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # The version number this value and its review were copied from, unchanged
    # (processing/carry.py); null for a value the model gave for this version.
    carried_from = models.PositiveIntegerField(null=True, blank=True)
    # Sort keys of the final value (human where corrected), kept in step with it, so the
    # results table sorts numbers as numbers on any database.
    sort_number = models.FloatField(null=True, blank=True)
    sort_text = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExtractionQuerySet.as_manager()

    class Meta:
        ordering = ["document_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "schema_version", "variable_key"],
                name="extraction_unique_value",
            )
        ]
        indexes = [
            models.Index(fields=["schema_version", "document"]),
            # The latest change per version keys cached pages and figures.
            models.Index(fields=["schema_version", "updated_at"]),
            # Agreement reads only reviewed values (a few percent of the version's rows)
            # and is cached on their number and latest change.
            models.Index(
                fields=["schema_version", "updated_at"],
                condition=models.Q(verified=True) | models.Q(corrected=True),
                name="extraction_reviewed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}:{self.variable_key}"

    @staticmethod
    def review_of(*, corrected: bool, verified: bool) -> str:
        """The review state from the two flags (rows read with ``.values()`` have no
        property): a correction is also a check, so corrected wins."""
        if corrected:
            return Extraction.Review.CORRECTED
        return Extraction.Review.VERIFIED if verified else Extraction.Review.UNCHECKED

    @property
    def review_status(self) -> str:
        return self.review_of(corrected=self.corrected, verified=self.verified)

    @property
    def final_value(self):
        """The value a dataset should carry: the person's where they corrected it."""
        return self.human_value if self.corrected else self.value

    def refresh_sort_keys(self) -> None:
        self.sort_number, self.sort_text = sort_keys(self.final_value)


def sort_keys(value) -> tuple[float | None, str]:
    """(number, text) to order values by: numbers numerically, the rest as folded text."""
    if isinstance(value, bool):
        return float(value), str(value).lower()
    if isinstance(value, int | float):
        try:
            return float(value), ""
        except OverflowError:  # an integer past a double's range sorts as its digits
            return None, str(value)[:200]
    if value is None:
        return None, ""
    if isinstance(value, list):
        value = "; ".join(str(item) for item in value)
    return None, str(value).casefold()[:200]


class ProcessingLog(models.Model):
    """The audit trail of a project's processing: every state change, every failure."""

    class Level(models.TextChoices):
        DEBUG = "debug", "Debug"
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="logs")
    job = models.ForeignKey(
        ProcessingJob, null=True, blank=True, on_delete=models.CASCADE, related_name="logs"
    )
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.INFO)
    event = models.CharField(max_length=64)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["job", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.event}: {self.message[:60]}"
