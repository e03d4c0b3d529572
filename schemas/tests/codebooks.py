"""Codebooks the schema tests share: a small one, and mixes of every type."""

from __future__ import annotations

from schemas.types import VariableType

SMALL_SCHEMA = [
    {
        "key": "stance",
        "label": "Stance on the treaty",
        "type": "category",
        "instructions": "The author's overall position.\nIgnore quoted opinions.",
        "allowed_values": ["for", "against", "neutral"],
        "required": True,
    },
    {
        "key": "signed_on",
        "label": "Date of signature",
        "type": "date",
        "instructions": "",
        "allowed_values": [],
        "required": False,
    },
    {
        "key": "parties",
        "label": "Number of parties",
        "type": "integer",
        "instructions": "Count states only, not observers.",
        "allowed_values": [],
        "required": False,
    },
]
INSTRUCTIONS = "Bilateral and multilateral trade agreements signed between 1990 and 2020."


def variable(key: str, kind: str, **fields) -> dict:
    return {
        "key": key,
        "label": fields.pop("label", key.replace("_", " ").title()),
        "type": kind,
        "instructions": fields.pop("instructions", ""),
        "allowed_values": fields.pop("allowed_values", []),
        "required": fields.pop("required", False),
    }


def mixed_schema(count: int) -> list[dict]:
    """``count`` variables cycling through every type."""
    kinds = [choice.value for choice in VariableType]
    variables = []
    for number in range(count):
        kind = kinds[number % len(kinds)]
        allowed = [f"option {n}" for n in range(6)] if "category" in kind else []
        variables.append(
            variable(f"var_{number:02d}", kind, allowed_values=allowed, required=number % 3 == 0)
        )
    return variables


def var(kind: str, key: str = "v", **fields) -> dict:
    """A variable of type ``kind`` keyed ``key``: what the type, answer and merge tests
    read values for."""
    return variable(key, kind, **fields)
