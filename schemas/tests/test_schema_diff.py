"""What changed between two codebooks (shown in the version history)."""

from __future__ import annotations

import copy

from schemas.tests.codebooks import SMALL_SCHEMA, variable
from schemas.versions import schema_diff


def test_schema_diff_reports_added_removed_and_changed_fields():
    old = copy.deepcopy(SMALL_SCHEMA)
    new = copy.deepcopy(SMALL_SCHEMA)
    new[0]["allowed_values"] = ["for", "against"]
    new[0]["required"] = False
    del new[2]
    new.append(variable("region", "text"))
    assert schema_diff(old, new) == {
        "added": ["region"],
        "removed": ["parties"],
        "changed": {
            "stance": {
                "fields": ["allowed_values", "required"],
                "old": {"allowed_values": ["for", "against", "neutral"], "required": True},
                "new": {"allowed_values": ["for", "against"], "required": False},
            }
        },
        "reordered": False,
    }


def test_schema_diff_of_identical_schemas_is_empty_and_ignores_missing_defaults():
    sparse = [{"key": "x", "type": "text"}]
    full = [variable("x", "text", label="")]
    assert schema_diff(sparse, full) == {
        "added": [],
        "removed": [],
        "changed": {},
        "reordered": False,
    }


def test_schema_diff_notices_reordering_and_ignores_positions_and_ids():
    old = [dict(v, position=n, id=n) for n, v in enumerate(SMALL_SCHEMA)]
    new = [dict(v, position=n, id=n + 10) for n, v in enumerate(reversed(SMALL_SCHEMA))]
    diff = schema_diff(old, new)
    assert diff["changed"] == {}
    assert diff["reordered"] is True
