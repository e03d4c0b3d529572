"""The variable types by name: the only place the names are written.

Everything else reads them from here (``VariableType.DATE``, ``Variable.Type``) or asks
the type itself (``schemas.types.value_type``), so renaming or adding a type is one edit
in this module and one class in the package.
"""

from __future__ import annotations

from django.db import models


class VariableType(models.TextChoices):
    TEXT = "text", "Text"
    INTEGER = "integer", "Integer"
    NUMBER = "number", "Number"
    BOOLEAN = "boolean", "Yes / no"
    DATE = "date", "Date"
    CATEGORY = "category", "Category (one of)"
    MULTI_CATEGORY = "multi_category", "Categories (any of)"
    LIST = "list", "List of texts"
