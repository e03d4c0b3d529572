"""Step 5 input no database can take answers 200 or 400, never a 500 (found by the API
fuzzing in tests/test_schemathesis.py and probes around it)."""

from __future__ import annotations

import pytest

from processing.models import Extraction

pytestmark = pytest.mark.django_db


def test_a_nul_in_the_results_search_is_ignored(api, client_logged_in, processed_project):
    # PostgreSQL refuses a NUL in a query parameter: this was a 500 there.
    base = f"/api/v1/projects/{processed_project.pk}/results/"
    response = api.get(base + "?search=doc-000%00")
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert (
        client_logged_in.get(f"/projects/{processed_project.pk}/results/?q=%00").status_code == 200
    )


def test_a_job_id_beyond_64_bits_matches_no_row(api, processed_project):
    # SQLite cannot compare such a number (OverflowError): this was a 500 there.
    response = api.get(f"/api/v1/projects/{processed_project.pk}/results/?job={2**64}")
    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize("value", ["a\u0000b", ["x", "\u0000"]])
def test_a_correction_with_a_nul_is_refused(api, processed_project, value):
    # PostgreSQL stores no NUL: this was a 500 there (on the sort key column).
    extraction = Extraction.objects.filter(
        document__project=processed_project, variable_key="country"
    ).first()
    response = api.patch(
        f"/api/v1/extractions/{extraction.pk}/", {"human_value": value}, format="json"
    )
    assert response.status_code == 400
    assert "human_value" in response.json()["error"]["details"]
    extraction.refresh_from_db()
    assert not extraction.corrected
