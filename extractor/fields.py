"""Serializer fields whose OpenAPI type says what a client receives.

A plain ``JSONField`` is documented as "any value", which a generated client can only
type as ``unknown``: every caller would have to guess and cast. These say what the
API promises instead, and read and write exactly as ``JSONField`` does.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# What a variable's value can be, by type: text, date and category are strings;
# integer and number numbers; boolean a boolean; multi_category and list lists of
# strings; null where there is no value. anyOf, not oneOf: 3 is an integer and a number.
VALUE_SCHEMA = {
    "anyOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": {"type": "string"}},
    ],
    "nullable": True,
    "description": "A variable's value: a string (text, date, category), a number, a "
    "boolean, a list of strings (multi_category, list), or null for no value.",
}

JSON_OBJECT_SCHEMA = {"type": "object", "additionalProperties": {}}


@extend_schema_field(VALUE_SCHEMA, component_name="Value")
class ValueField(serializers.JSONField):
    """A variable's value (the model's, a person's, or the final one)."""


@extend_schema_field(JSON_OBJECT_SCHEMA)
class JsonObjectField(serializers.JSONField):
    """A JSON object with keys of its own (a document's metadata, a log's data)."""
