"""The strict-mode checker, and the product's schemas checked against it."""

from __future__ import annotations

import pytest

from schemas.prompts import json_schema_for
from schemas.tests.codebooks import mixed_schema, variable
from schemas.tests.strict_mode import (
    LEGACY_LIMITS,
    OPENAI_LIMITS,
    max_variables_per_call,
    strict_schema_problems,
)

# --- the strict checker ---------------------------------------------------------------

UNSUPPORTED = [
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "default",
    "uniqueItems",
    "allOf",
    "not",
    "if",
    "patternProperties",
]


def test_fifty_variable_schema_of_every_type_is_strict():
    schema = json_schema_for(mixed_schema(50))
    assert len(schema["properties"]) == 50
    assert strict_schema_problems(schema) == []


def test_fifty_variables_exceed_the_legacy_limits_but_two_groups_of_25_do_not():
    variables = mixed_schema(50)
    problems = strict_schema_problems(json_schema_for(variables), limits=LEGACY_LIMITS)
    assert problems == ["$: 200 object properties in total, more than the limit of 100"]
    assert max_variables_per_call(LEGACY_LIMITS) == 25
    for half in (variables[:25], variables[25:]):
        assert strict_schema_problems(json_schema_for(half), limits=LEGACY_LIMITS) == []
    assert max_variables_per_call(OPENAI_LIMITS) == 1250


@pytest.mark.parametrize("keyword", UNSUPPORTED)
def test_checker_rejects_unsupported_keywords(keyword):
    schema = json_schema_for([variable("v", "text")])
    schema["properties"]["v"]["properties"]["value"][keyword] = 1
    assert strict_schema_problems(schema) == [
        f"$.v.value: unsupported keyword {keyword!r}",
    ]


def broken(change) -> list[str]:
    schema = json_schema_for([variable("v", "category", allowed_values=["a", "b"])])
    change(schema)
    return strict_schema_problems(schema)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda s: s["properties"]["v"]["required"].remove("evidence"),
            "$.v: every property must be required; missing ['evidence']",
        ),
        (
            lambda s: s["properties"]["v"].pop("additionalProperties"),
            "$.v: additionalProperties must be false",
        ),
        (
            lambda s: s.update(additionalProperties=True),
            "$: additionalProperties must be false",
        ),
        (
            lambda s: s["required"].append("ghost"),
            "$: required names unknown properties ['ghost']",
        ),
        (
            lambda s: s["properties"]["v"]["properties"]["value"]["enum"].remove(None),
            "$.v.value: a nullable enum must list null among its values",
        ),
        (
            lambda s: s["properties"]["v"]["properties"]["value"].update(enum=[]),
            "$.v.value: enum must be a non-empty list",
        ),
        (
            lambda s: s["properties"]["v"]["properties"]["value"].update(enum=["a", "a", None]),
            "$.v.value: enum values must be unique",
        ),
        (
            lambda s: s["properties"]["v"]["properties"]["value"].update(enum=["a", 1, None]),
            "$.v.value: enum values [1] do not match type ['string', 'null']",
        ),
        (
            lambda s: s["properties"]["v"]["properties"]["value"].update(type="str"),
            "$.v.value: unknown type 'str'",
        ),
        (
            lambda s: s["properties"]["v"]["properties"].update(tags={"type": "array"}),
            "$.v.tags: an array needs items",
        ),
        (
            lambda s: s["properties"]["v"]["properties"].update(note={"description": "x"}),
            "$.v.note: no type",
        ),
    ],
)
def test_checker_reports_broken_schemas(change, expected):
    problems = broken(change)
    assert expected in problems


def test_checker_rejects_a_root_that_is_not_an_object():
    assert strict_schema_problems([]) == ["the schema must be a JSON object"]
    problems = strict_schema_problems({"anyOf": [{"type": "string"}, {"type": "null"}]})
    assert problems[0].startswith("$: the root must be")


def test_checker_counts_nesting_depth():
    leaf: dict = {"type": "string"}
    for level in range(11):
        leaf = {
            "type": "object",
            "properties": {f"l{level}": leaf},
            "required": [f"l{level}"],
            "additionalProperties": False,
        }
    assert strict_schema_problems(leaf) == [
        "$: 11 levels of object nesting, more than the limit of 10"
    ]
    assert "$: 11 levels of object nesting, more than the limit of 5" in strict_schema_problems(
        leaf, limits=LEGACY_LIMITS
    )


def test_checker_counts_enum_values_and_their_size():
    values = [f"category number {n}" for n in range(600)]
    schema = json_schema_for([variable("v", "category", allowed_values=values, required=True)])
    assert strict_schema_problems(schema) == []
    assert strict_schema_problems(schema, limits=LEGACY_LIMITS) == [
        "$.v.value: 600 enum values totalling 11290 characters (limit 7500 above 250 values)",
        "$: 600 enum values in total, more than the limit of 500",
    ]


def test_checker_walks_any_of_branches_and_defs():
    schema = {
        "type": "object",
        "properties": {"x": {"anyOf": [{"type": "string", "pattern": "a"}, {"$ref": "#/$defs/n"}]}},
        "required": ["x"],
        "additionalProperties": False,
        "$defs": {"n": {"type": "object", "properties": {"y": {"type": "integer"}}}},
    }
    assert strict_schema_problems(schema) == [
        "$.x.anyOf[0]: unsupported keyword 'pattern'",
        "$.$defs.n: additionalProperties must be false",
        "$.$defs.n: every property must be required; missing ['y']",
    ]
