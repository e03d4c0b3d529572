"""Steps 2-3 input no database can take answers 400, never a 500 (found while fuzzing
the API, tests/test_schemathesis.py)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("document_id", [2**63, 0, -1])
def test_suggest_refuses_document_ids_no_row_can_have(api, project, document_id):
    # SQLite cannot compare a number beyond 64 bits (OverflowError): this was a 500 there.
    response = api.post(
        f"/api/v1/projects/{project.pk}/variables/suggest/",
        {"document_ids": [document_id]},
        format="json",
    )
    assert response.status_code == 400
    assert "document_ids" in response.json()["error"]["details"]
