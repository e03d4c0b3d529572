"""Operators' view of projects and documents."""

from django.contrib import admin
from django.db.models import Count

from extractor.admin_mixins import DeletesWhatHangsOnIt
from projects.models import Document, Project
from projects.services import document_delete, project_delete, project_touch


@admin.register(Project)
class ProjectAdmin(DeletesWhatHangsOnIt, admin.ModelAdmin):
    list_display = ["name", "owner", "model", "documents", "created_at", "updated_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "description", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(document_total=Count("documents"))

    @admin.display(ordering="document_total", description="Documents")
    def documents(self, project: Project) -> int:
        return project.document_total

    # Deletions go through the services, as in the wizard and the API: stored files go
    # with their rows.
    def delete_model(self, request, obj: Project) -> None:
        project_delete(project=obj)

    def delete_queryset(self, request, queryset) -> None:
        for project in queryset:
            project_delete(project=project)


@admin.register(Document)
class DocumentAdmin(DeletesWhatHangsOnIt, admin.ModelAdmin):
    list_display = [
        "name",
        "project",
        "source_type",
        "status",
        "page_count",
        "char_count",
        "token_count",
        "size_bytes",
        "created_at",
    ]
    list_filter = ["status", "source_type", "created_at"]
    search_fields = ["name", "sha256", "project__name", "error"]
    list_select_related = ["project"]
    raw_id_fields = ["project"]
    readonly_fields = [
        "sha256",
        "size_bytes",
        "char_count",
        "token_count",
        "page_count",
        "created_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("text")

    def save_model(self, request, obj: Document, form, change) -> None:
        super().save_model(request, obj, form, change)
        project_touch(obj.project_id)
        moved_from = form.initial.get("project")
        if moved_from and moved_from != obj.project_id:
            project_touch(moved_from)

    def delete_model(self, request, obj: Document) -> None:
        document_delete(document=obj)

    def delete_queryset(self, request, queryset) -> None:
        for document in queryset:
            document_delete(document=document)
