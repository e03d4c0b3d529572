"""Operators' view of variables and (read-only) schema versions."""

from django.contrib import admin

from schemas.models import SchemaHead, SchemaVersion, Variable


@admin.register(Variable)
class VariableAdmin(admin.ModelAdmin):
    list_display = ["key", "label", "type", "required", "position", "project"]
    list_filter = ["type", "required"]
    search_fields = ["key", "label", "project__name"]
    list_select_related = ["project"]
    raw_id_fields = ["project"]


@admin.register(SchemaVersion)
class SchemaVersionAdmin(admin.ModelAdmin):
    """Versions are evidence of what was run: visible, never editable or deletable here."""

    list_display = ["project", "number", "prompt_hash", "created_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["project__name", "prompt_hash", "note"]
    list_select_related = ["project", "created_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SchemaHead)
class SchemaHeadAdmin(admin.ModelAdmin):
    list_display = ["project", "current_version", "updated_at"]
    list_select_related = ["project", "current_version"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
