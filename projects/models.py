"""Step 1: projects and their documents."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.db import models


class ProjectQuerySet(models.QuerySet):
    def for_user(self, user) -> ProjectQuerySet:
        """The only way views reach projects: the user's own and those they are a member
        of; anyone else's project is simply absent."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        member = ProjectMember.objects.filter(project=models.OuterRef("pk"), user=user)
        return self.filter(models.Q(owner=user) | models.Q(models.Exists(member)))


class ProjectScopedQuerySet(models.QuerySet):
    """Rows that belong to a project (through ``project_field``): a user's rows are those
    of the projects they own or are a member of. Every model's ``for_user`` is this one
    scoping, so access cannot mean two things."""

    project_field = "project"

    def for_user(self, user):
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(**{f"{self.project_field}__in": Project.objects.for_user(user)})


class Project(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(max_length=200)
    # Limits (forms and serializers take them from here): a description is read when
    # suggesting variables, instructions go to the model with every document.
    description = models.TextField(
        blank=True,
        max_length=10_000,
        help_text="What the corpus is and what you want to learn from it.",
    )
    instructions = models.TextField(
        blank=True,
        max_length=20_000,
        help_text="Domain context given to the model with every document.",
    )
    model = models.CharField(
        max_length=100, blank=True, help_text="LLM model name; empty uses the default."
    )
    blind_review = models.BooleanField(
        default=True,
        help_text="Reviewers enter their own value before they see the model's.",
    )
    # The gate before a full run (``exports/gate.py``): every variable's alpha with the
    # model must reach the threshold on a completed coding round of the current version.
    require_reliability = models.BooleanField(
        default=False,
        help_text="Refuse the full run until a completed coding round shows every "
        "variable's reliability (Krippendorff's alpha with the model) at the threshold.",
    )
    reliability_threshold = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.800"),
        help_text="The alpha every variable must reach (0 to 1).",
    )
    ocr_languages = models.CharField(
        max_length=100,
        default="eng",
        help_text="Tesseract languages for scanned pages and images, joined with + (eng+deu).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["owner", "-updated_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def model_name(self) -> str:
        return self.model or settings.EXTRACTOR_MODEL


class ProjectMember(models.Model):
    """A user the owner brought into the project, with what their role lets them do
    (``projects.access``): a ``coder`` reads everything and codes and reviews values, a
    ``viewer`` only reads. The owner is never a member row: ownership says more."""

    class Role(models.TextChoices):
        CODER = "coder", "Coder"
        VIEWER = "viewer", "Viewer"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="project_member_unique")
        ]
        indexes = [models.Index(fields=["user", "project"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.project_id}"


def _generated_name(folder: str, project_id: int, filename: str) -> str:
    """Files are stored under generated names: the user's name never touches disk."""
    suffix = PurePath(filename).suffix.lower()[:10]
    if not suffix.isascii() or not suffix[1:].isalnum():
        suffix = ""
    return f"{folder}/{project_id}/{uuid.uuid4().hex}{suffix}"


def document_upload_to(instance: Document, filename: str) -> str:
    return _generated_name("documents", instance.project_id, filename)


class DocumentQuerySet(ProjectScopedQuerySet):
    def ready(self) -> DocumentQuerySet:
        """The documents a run, an estimate or a suggestion may read: parsed, with text.
        The one definition, so "ready" cannot mean two things (``project.documents.ready()``
        for a project's)."""
        return self.filter(status=Document.Status.READY)


class Document(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    # Statuses of a document a worker is still reading (its upload's placeholder).
    BEING_READ = (Status.QUEUED, Status.PROCESSING)

    class SourceType(models.TextChoices):
        TXT = "txt", "Plain text"
        MD = "md", "Markdown"
        PDF = "pdf", "PDF"
        DOCX = "docx", "Word (DOCX)"
        HTML = "html", "HTML"
        CSV = "csv", "CSV row"
        XLSX = "xlsx", "Excel row"
        IMAGE = "image", "Image"
        PASTE = "paste", "Pasted text"
        UNKNOWN = "unknown", "Unknown"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(max_length=255)
    file = models.FileField(upload_to=document_upload_to, blank=True, max_length=255)
    source_type = models.CharField(max_length=10, choices=SourceType.choices)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    text = models.TextField(blank=True)
    page_offsets = models.JSONField(
        default=list, blank=True, help_text="Char index where each page starts."
    )
    page_count = models.PositiveIntegerField(default=0)
    char_count = models.PositiveIntegerField(default=0)
    token_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    error = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The upload it came from, while that upload is kept (pasted text has none).
    upload = models.ForeignKey(
        "Upload", null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "sha256"], name="document_unique_sha256")
        ]
        indexes = [models.Index(fields=["project", "status"])]

    def __str__(self) -> str:
        return self.name


def upload_upload_to(instance: Upload, filename: str) -> str:
    return _generated_name("uploads", instance.project_id, filename)


class Upload(models.Model):
    """One uploaded file, stored at once and parsed by a worker (``projects.parsing``).

    The row is the truth about the parse, like a job's work items: a worker claims it
    with a lease, and the sweeper hands a file whose worker died to another one.
    ``document`` is the file's placeholder document (status queued, then processing)
    that becomes the parsed document of a one-document file; tables and archives
    become documents of their own as the worker reads them.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    # Statuses of an upload a worker still has to finish.
    IN_FLIGHT = (Status.QUEUED, Status.PROCESSING)

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="uploads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to=upload_upload_to, blank=True, max_length=255)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    source_type = models.CharField(max_length=10)
    text_column = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    documents_created = models.PositiveIntegerField(default=0)
    duplicates = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    progress = models.FloatField(default=0.0)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When its parse was last sent to the broker: a message lost with the broker is sent
    # again by the sweeper, at most once per lease length.
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["project", "status"]),
            models.Index(fields=["status", "lease_expires_at"]),
        ]

    def __str__(self) -> str:
        return self.filename
