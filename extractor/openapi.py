"""The OpenAPI document's error responses, added in one place.

Every error the API answers has the same body (extractor.api.error_body). Rather than
repeat it on every view, this drf-spectacular postprocessing hook gives each operation:

* an ``Error`` body on the error statuses its view names (views state only the status
  and when it happens, e.g. ``409: OpenApiResponse(description=...)``);
* ``429`` with ``Retry-After`` on POSTs of views with a DRF ``throttle_scope``;
* a ``default`` response with the ``Error`` body for the rest (400, 401, 404, 405,
  415, 503...): a client can rely on the format of any error.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers


class WorkbenchSessionScheme(SessionScheme):
    """The session cookie scheme for our SessionAuthentication subclass (registered by
    being defined: extractor.urls imports this module)."""

    target_class = "extractor.authentication.SessionAuthentication"


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, with what a model serializer answers marked required.

    drf-spectacular marks a field required in an answer only when the serializer
    requires it as input or it is read-only, so a writable field with a default (a
    project's ``description``, a job item's ``status``) came out optional: a generated
    client typed it ``string | undefined`` although every answer has it. A model
    serializer writes every field of every object it is given, so in the response
    direction all its fields are required. Plain serializers keep what they declare:
    there ``required=False`` means the key may be absent (a blind review queue item
    leaves out the model's value).
    """

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and isinstance(serializer, serializers.ModelSerializer):
            schema["required"] = list(schema.get("properties", {}))
        return schema


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error answer (API.md, Conventions).",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Stable snake_case code, e.g. validation_error.",
                },
                "message": {"type": "string", "description": "A sentence for a person."},
                "details": {
                    "type": "object",
                    "additionalProperties": {},
                    "description": "Per field for validation errors; may be empty.",
                },
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_CONTENT = {"application/json": {"schema": ERROR_REF}}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """POSTPROCESSING_HOOKS entry: see the module docstring."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    throttled = _throttled_operations(generator)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if (path, method.upper()) in throttled and "429" not in responses:
                responses["429"] = {"description": "Too many requests for this user."}
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    response.setdefault("content", ERROR_CONTENT)
                    if status == "429":
                        response.setdefault("headers", RETRY_AFTER)
            responses.setdefault(
                "default",
                {"description": "An error, in the API's error format.", "content": ERROR_CONTENT},
            )
    return result


def _throttled_operations(generator) -> set[tuple[str, str]]:
    """(path, method) of POSTs whose view counts a DRF throttle scope."""
    found = set()
    for path, _regex, method, callback in generator.endpoints or []:
        view_class = getattr(callback, "cls", None)
        if method == "POST" and getattr(view_class, "throttle_scope", None):
            found.add((path, method))
    return found
