"""Query strings no database can take answer normally, never with a 500 (found by the
API fuzzing in tests/test_schemathesis.py and probes around it)."""

from __future__ import annotations

import pytest

from projects.services import document_create_from_text

pytestmark = pytest.mark.django_db


def test_a_nul_in_the_document_search_is_ignored(api, client_logged_in, project):
    # PostgreSQL refuses a NUL in a query parameter: this was a 500 there.
    document_create_from_text(project=project, name="lisbon", text="The Lisbon treaty.")
    response = api.get(f"/api/v1/projects/{project.pk}/documents/?search=lis%00bon")
    assert response.status_code == 200
    assert [doc["name"] for doc in response.json()["results"]] == ["lisbon"]
    page = client_logged_in.get(f"/projects/{project.pk}/documents/?q=%00")
    assert page.status_code == 200
