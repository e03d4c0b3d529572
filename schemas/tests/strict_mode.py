"""A checker for strict structured output: does a JSON Schema fit what providers accept?

Test code: the suite runs every schema the product builds (extraction codebooks and
the suggestion schema) through it, so a change that would make a provider refuse the
request fails here rather than in production. Nothing in the product calls it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SchemaLimits:
    """Size limits of a provider's strict structured output."""

    max_properties: int
    max_depth: int
    max_enum_values: int
    max_string_chars: int
    large_enum_threshold: int
    max_large_enum_chars: int


# OpenAI's structured-outputs guide, "Supported schemas" (checked 2025): up to 5000 object
# properties in total, 10 levels of nesting, 1000 enum values, 120,000 characters of
# property names, enum and const values, and 15,000 characters for one string enum of
# more than 250 values.
OPENAI_LIMITS = SchemaLimits(5000, 10, 1000, 120_000, 250, 15_000)
# The earlier limits, still documented by Azure OpenAI: 100 properties, 5 levels, 500
# enum values, 15,000 characters, 7,500 for an enum of more than 250 values.
LEGACY_LIMITS = SchemaLimits(100, 5, 500, 15_000, 250, 7_500)

# Keywords every strict implementation accepts. OpenAI now also accepts pattern, format,
# minimum and friends (not for fine-tuned models); Azure and local servers may not, and
# the validator checks those rules in code anyway, so the portable subset is enforced.
_SUPPORTED_KEYWORDS = frozenset(
    {"type", "description", "title", "properties", "required", "additionalProperties",
     "items", "enum", "const", "anyOf", "$ref", "$defs"}
)  # fmt: skip
_JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
_PROPERTIES_PER_VARIABLE = 4  # the variable's own key, then value, evidence, confidence


def max_variables_per_call(limits: SchemaLimits) -> int:
    """How many variables one schema can hold under ``limits`` (25 under LEGACY_LIMITS)."""
    return limits.max_properties // _PROPERTIES_PER_VARIABLE


@dataclass
class _Tally:
    properties: int = 0
    depth: int = 0
    enum_values: int = 0
    string_chars: int = 0


def strict_schema_problems(schema: Any, *, limits: SchemaLimits = OPENAI_LIMITS) -> list[str]:
    """Every way ``schema`` breaks the strict structured-output rules; [] when it is fine.

    Counts every key of every ``properties`` map as one property and the root object as
    the first level of nesting.
    """
    if not isinstance(schema, dict):
        return ["the schema must be a JSON object"]
    problems: list[str] = []
    if "anyOf" in schema or _types(schema) != ["object"]:
        problems.append('$: the root must be {"type": "object"}, not anyOf or another type')
    tally = _Tally()
    _check_node(schema, "$", 0, problems, tally, limits)
    for name, definition in (schema.get("$defs") or {}).items():
        tally.string_chars += len(name)
        _check_node(definition, f"$.$defs.{name}", 0, problems, tally, limits)
    problems.extend(_limit_problems(tally, limits))
    return problems


def _check_node(
    node: Any, path: str, outer: int, problems: list[str], tally: _Tally, limits: SchemaLimits
) -> None:
    """Check one subschema; ``outer`` is the number of objects around it."""
    if not isinstance(node, dict):
        problems.append(f"{path}: a subschema must be an object")
        return
    for keyword in node:
        if keyword not in _SUPPORTED_KEYWORDS:
            problems.append(f"{path}: unsupported keyword {keyword!r}")
    types = _types(node)
    for json_type in types:
        if json_type not in _JSON_TYPES:
            problems.append(f"{path}: unknown type {json_type!r}")
    if not types and not any(k in node for k in ("anyOf", "$ref", "enum", "const")):
        problems.append(f"{path}: no type")
    if "object" in types:
        _check_object(node, path, outer + 1, problems, tally, limits)
    if "array" in types:
        if "items" not in node:
            problems.append(f"{path}: an array needs items")
        else:
            _check_node(node["items"], f"{path}.items", outer, problems, tally, limits)
    if "enum" in node:
        _check_enum(node["enum"], types, path, problems, tally, limits)
    if isinstance(node.get("const"), str):
        tally.string_chars += len(node["const"])
    for number, branch in enumerate(node.get("anyOf") or []):
        _check_node(branch, f"{path}.anyOf[{number}]", outer, problems, tally, limits)


def _check_object(
    node: dict, path: str, level: int, problems: list[str], tally: _Tally, limits: SchemaLimits
) -> None:
    tally.depth = max(tally.depth, level)
    properties = node.get("properties")
    if not isinstance(properties, dict):
        problems.append(f"{path}: an object needs properties")
        properties = {}
    if node.get("additionalProperties") is not False:
        problems.append(f"{path}: additionalProperties must be false")
    required = node.get("required")
    required = required if isinstance(required, list) else []
    missing = [key for key in properties if key not in required]
    unknown = [key for key in required if key not in properties]
    if missing:
        problems.append(f"{path}: every property must be required; missing {missing}")
    if unknown:
        problems.append(f"{path}: required names unknown properties {unknown}")
    tally.properties += len(properties)
    for key, subschema in properties.items():
        tally.string_chars += len(key)
        _check_node(subschema, f"{path}.{key}", level, problems, tally, limits)


def _check_enum(
    enum: Any, types: list[str], path: str, problems: list[str], tally: _Tally, limits: SchemaLimits
) -> None:
    if not isinstance(enum, list) or not enum:
        problems.append(f"{path}: enum must be a non-empty list")
        return
    if len({json.dumps(v, sort_keys=True) for v in enum}) < len(enum):
        problems.append(f"{path}: enum values must be unique")
    if "null" in types and None not in enum:
        problems.append(f"{path}: a nullable enum must list null among its values")
    wrong = [v for v in enum if types and not any(_is_json_type(v, t) for t in types)]
    if wrong:
        problems.append(f"{path}: enum values {wrong} do not match type {types}")
    strings = sum(len(v) for v in enum if isinstance(v, str))
    tally.enum_values += len(enum)
    tally.string_chars += strings
    if len(enum) > limits.large_enum_threshold and strings > limits.max_large_enum_chars:
        problems.append(
            f"{path}: {len(enum)} enum values totalling {strings} characters "
            f"(limit {limits.max_large_enum_chars} above {limits.large_enum_threshold} values)"
        )


def _limit_problems(tally: _Tally, limits: SchemaLimits) -> list[str]:
    checks = [
        (tally.properties, limits.max_properties, "object properties in total"),
        (tally.depth, limits.max_depth, "levels of object nesting"),
        (tally.enum_values, limits.max_enum_values, "enum values in total"),
        (tally.string_chars, limits.max_string_chars, "characters of names and enum values"),
    ]
    return [
        f"$: {found} {what}, more than the limit of {limit}"
        for found, limit, what in checks
        if found > limit
    ]


def _types(node: dict) -> list[str]:
    declared = node.get("type")
    if declared is None:
        return []
    return list(declared) if isinstance(declared, list) else [declared]


def _is_json_type(value: Any, json_type: str) -> bool:
    if json_type == "null":
        return value is None
    if json_type == "boolean":
        return isinstance(value, bool)
    if json_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if json_type == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if json_type == "string":
        return isinstance(value, str)
    return False
