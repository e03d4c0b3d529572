"""Operators' view of exports."""

from django.contrib import admin

from exports.models import Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "format", "status", "row_count", "size_bytes", "created_at"]
    list_filter = ["format", "status", "created_at"]
    search_fields = ["project__name", "error"]
    raw_id_fields = ["project", "schema_version", "created_by"]
    list_select_related = ["project"]
    readonly_fields = [field.name for field in Export._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
