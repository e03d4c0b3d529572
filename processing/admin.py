"""Operators' view of jobs, work items, values and the audit log."""

from django.contrib import admin, messages

from extractor.admin_mixins import DeletesWhatHangsOnIt
from processing import jobs
from processing.models import (
    Extraction,
    JobDocument,
    ProcessingJob,
    ProcessingLog,
    ProviderBatch,
)
from projects.services import project_touch


class JobDocumentInline(admin.TabularInline):
    model = JobDocument
    fields = ["document", "status", "attempts", "worker", "lease_expires_at", "error"]
    readonly_fields = fields
    raw_id_fields = ["document"]
    extra = 0
    max_num = 0
    show_change_link = True
    classes = ["collapse"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status__in=["running", "failed"])


class ProviderBatchInline(admin.TabularInline):
    """A batch job's files at the provider: where each stands, what it holds."""

    model = ProviderBatch
    fields = [
        "provider_id",
        "status",
        "request_counts",
        "requests",
        "bytes",
        "reserved_usd",
        "submitted_at",
        "ended_at",
        "collected_at",
        "error",
    ]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(ProcessingJob)
class ProcessingJobAdmin(DeletesWhatHangsOnIt, admin.ModelAdmin):
    list_display = [
        "id",
        "project",
        "kind",
        "mode",
        "status",
        "processed",
        "total",
        "failed",
        "cost_usd",
        "model",
        "created_at",
    ]
    list_filter = ["status", "kind", "mode", "model", "simulated", "created_at"]
    search_fields = ["project__name", "error", "id"]
    list_select_related = ["project"]
    raw_id_fields = ["project", "schema_version", "created_by"]
    readonly_fields = [field.name for field in ProcessingJob._meta.fields]
    date_hierarchy = "created_at"
    inlines = [ProviderBatchInline, JobDocumentInline]
    actions = ["retry_failed", "cancel"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # A job still running has workers holding its items: cancel it first.
        if obj is not None and obj.status in ProcessingJob.ACTIVE | {ProcessingJob.Status.PAUSED}:
            return False
        return super().has_delete_permission(request, obj)

    # The results table can be filtered by job: its cached pages key on the project.
    def delete_model(self, request, obj: ProcessingJob) -> None:
        super().delete_model(request, obj)
        project_touch(obj.project_id)

    def delete_queryset(self, request, queryset) -> None:
        projects = set(queryset.values_list("project_id", flat=True))
        super().delete_queryset(request, queryset)
        for project_id in projects:
            project_touch(project_id)

    @admin.action(description="Retry the failed documents of the selected jobs")
    def retry_failed(self, request, queryset):
        for job in queryset:
            try:
                jobs.job_retry_failed(job=job, user=request.user)
            except jobs.JobConflict as exc:
                self.message_user(request, f"Job {job.pk}: {exc}", messages.WARNING)
            else:
                self.message_user(request, f"Job {job.pk}: failed documents queued again.")

    @admin.action(description="Cancel the selected jobs")
    def cancel(self, request, queryset):
        for job in queryset:
            try:
                jobs.job_cancel(job=job, user=request.user)
            except jobs.JobConflict as exc:
                self.message_user(request, f"Job {job.pk}: {exc}", messages.WARNING)


@admin.register(JobDocument)
class JobDocumentAdmin(admin.ModelAdmin):
    list_display = ["id", "job", "document", "status", "attempts", "worker", "lease_expires_at"]
    list_filter = ["status"]
    search_fields = ["document__name", "error", "worker"]
    raw_id_fields = ["job", "document"]
    list_select_related = ["job", "document"]
    readonly_fields = [field.name for field in JobDocument._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a job's ledger: items go with their job or document


@admin.register(Extraction)
class ExtractionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "document",
        "variable_key",
        "status",
        "corrected",
        "verified",
        "model",
        "updated_at",
    ]
    list_filter = ["status", "corrected", "verified", "model"]
    search_fields = ["variable_key", "document__name", "evidence"]
    raw_id_fields = ["document", "schema_version", "job", "reviewed_by"]
    list_select_related = ["document"]
    readonly_fields = [field.name for field in Extraction._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Values leave with their document; one gone alone would be a silent hole in
        # the dataset, unseen by the results cache and the audit log.
        return False


@admin.register(ProcessingLog)
class ProcessingLogAdmin(admin.ModelAdmin):
    """The audit trail: read-only, filterable by level and event."""

    list_display = ["created_at", "level", "event", "project", "job", "document", "message"]
    list_filter = ["level", "event", "created_at"]
    search_fields = ["message", "event", "project__name", "document__name"]
    raw_id_fields = ["project", "job", "document", "user"]
    list_select_related = ["project", "job", "document"]
    readonly_fields = [field.name for field in ProcessingLog._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
