"""Steps 2 and 3: the draft schema (variables) and its confirmed, immutable versions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from projects.models import Project, ProjectScopedQuerySet
from schemas.types import VariableType

# A category variable's allowed values: how many, and how long each (they become cells
# and value labels of the dataset).
MAX_ALLOWED_VALUES = 100
MAX_ALLOWED_VALUE_LENGTH = 200
# Synonyms of one allowed value, at most, each at most MAX_ALLOWED_VALUE_LENGTH long.
MAX_SYNONYMS = 20


class Variable(models.Model):
    """One column of the dataset, as the user drafts it."""

    Type = VariableType

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="variables")
    key = models.CharField(max_length=63)
    label = models.CharField(max_length=200, blank=True)
    type = models.CharField(max_length=20, choices=VariableType.choices)
    instructions = models.TextField(blank=True, max_length=4000)
    # At most MAX_ALLOWED_VALUES values of MAX_ALLOWED_VALUE_LENGTH characters each,
    # checked by schemas.variables.
    allowed_values = models.JSONField(default=list, blank=True)
    # {allowed value: [other words for it]}: what evidence checks accept as naming it.
    synonyms = models.JSONField(default=dict, blank=True)
    required = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="variable_unique_key")
        ]

    def __str__(self) -> str:
        return self.key


class ImmutableVersionError(Exception):
    """A confirmed schema version was about to be changed."""


class SchemaVersionQuerySet(ProjectScopedQuerySet):
    def update(self, **kwargs):
        raise ImmutableVersionError("Schema versions cannot be changed once confirmed.")


class SchemaVersion(models.Model):
    """A confirmed snapshot of the schema. Results always belong to one.

    Never changed after creation: ``save`` on an existing row and queryset ``update``
    raise, and the admin shows versions read-only.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="schema_versions")
    number = models.PositiveIntegerField()
    # The number of the version that was current when this one was confirmed: what it
    # changes and carries values from (``schemas.changes``). Null for the first version
    # (and for versions confirmed before this was recorded: the one numbered before).
    based_on = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    instructions = models.TextField(blank=True, help_text="The project's instructions then.")
    variables = models.JSONField()
    system_prompt = models.TextField()
    user_template = models.TextField()
    json_schema = models.JSONField()
    prompt_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SchemaVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="schema_version_unique")
        ]

    def __str__(self) -> str:
        return f"v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ImmutableVersionError("Schema versions cannot be changed once confirmed.")
        super().save(*args, **kwargs)

    @property
    def variable_keys(self) -> list[str]:
        return [variable["key"] for variable in self.variables]


class SchemaHead(models.Model):
    """Which confirmed version the project's runs use now (moved by confirm and restore)."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="schema_head")
    current_version = models.ForeignKey(SchemaVersion, on_delete=models.RESTRICT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.project_id} -> v{self.current_version.number}"
