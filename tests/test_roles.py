"""Project members: the owner brings users in as coders or viewers; each role reaches
what it may and gets 403 ``role_forbidden`` for the rest; a stranger still gets 404.

Over every write of API.md's tables, a viewer is refused with ``role_forbidden`` and a
coder too, except where a coder codes (reviewing a value). Exports are reading: every
member may make one."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from conftest import PASSWORD, token_client
from processing.models import Extraction
from projects.models import ProjectMember
from tests.test_api_conformance import CASES

pytestmark = pytest.mark.django_db

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Writes a member may make, by role: an export is a read of the data; a coder reviews.
ALLOWED = {
    "viewer": {("POST", "/projects/{id}/exports/")},
    "coder": {("POST", "/projects/{id}/exports/"), ("PATCH", "/extractions/{ext_id}/")},
}


def _client_for(user) -> APIClient:
    return token_client(user, raise_errors=False)


@pytest.fixture
def people(team):
    return team


@pytest.fixture
def shared(processed_project, team):
    """The owner's processed project, with carol (and dave) coding and victor reading."""
    return processed_project


@pytest.fixture
def ids(contract_ids) -> dict[str, int]:
    return contract_ids


def _url(path: str, values: dict) -> str:
    return "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


WRITE_CASES = [
    (row, method)
    for row, method in CASES
    if method in WRITES and row.path.startswith(("/projects/{id}", "/jobs/", "/extractions/"))
]


@pytest.mark.parametrize("role", ["viewer", "coder"])
@pytest.mark.parametrize(
    ("row", "method"), WRITE_CASES, ids=[f"{m} {r.path}" for r, m in WRITE_CASES]
)
def test_a_member_is_refused_what_their_role_does_not_allow(role, row, method, ids, people):
    member = people["carol" if role == "coder" else "victor"]
    response = getattr(_client_for(member), method.lower())(_url(row.path, ids), {}, "json")
    if (method, row.path) in ALLOWED[role]:
        assert response.status_code < 500 and response.status_code != 403, response.content
        return
    assert response.status_code == 403, (role, method, row.path, response.content)
    error = response.json()["error"]
    assert error["code"] == "role_forbidden"
    assert f"({role})" in error["message"]


def test_members_read_the_shared_project_and_strangers_still_get_404(ids, people, other_user):
    for name, role in (("carol", "coder"), ("victor", "viewer")):
        client = _client_for(people[name])
        listed = client.get("/api/v1/projects/").json()["results"]
        assert [(p["id"], p["role"], p["owner"]) for p in listed] == [(ids["id"], role, "alice")]
        for path in (
            "/projects/{id}/",
            "/projects/{id}/documents/",
            "/projects/{id}/results/",
            "/projects/{id}/agreement/",
            "/jobs/{job_id}/",
            "/extractions/{ext_id}/",
            "/exports/{export_id}/download/",
            "/projects/{id}/members/",
        ):
            assert client.get(_url(path, ids)).status_code == 200, (name, path)
    stranger = _client_for(other_user)
    assert stranger.get("/api/v1/projects/").json()["results"] == []
    for path in ("/projects/{id}/", "/jobs/{job_id}/", "/extractions/{ext_id}/"):
        assert stranger.get(_url(path, ids)).status_code == 404
    assert stranger.post(_url("/projects/{id}/members/", ids), {}, "json").status_code == 404


def test_a_coder_reviews_values_and_the_model_value_stays(ids, people):
    coder = _client_for(people["carol"])
    extraction = Extraction.objects.get(pk=ids["ext_id"])
    response = coder.patch(
        _url("/extractions/{ext_id}/", ids), {"human_value": "Chile"}, format="json"
    )
    assert response.status_code == 200
    extraction.refresh_from_db()
    assert (extraction.human_value, extraction.reviewed_by) == ("Chile", people["carol"])
    assert coder.get(_url("/projects/{id}/review-queue/next/", ids)).status_code in (200, 204)
    viewer = _client_for(people["victor"])
    refused = viewer.get(_url("/projects/{id}/review-queue/next/", ids))
    assert refused.json()["error"]["code"] == "role_forbidden"


def test_the_owner_manages_members(api, project, other_user):
    erin = get_user_model().objects.create_user("erin", password=PASSWORD)
    url = f"/api/v1/projects/{project.pk}/members/"
    added = api.post(url, {"username": "erin", "role": "coder"}, format="json")
    assert added.status_code == 201
    assert {k: added.json()[k] for k in ("username", "role")} == {
        "username": "erin",
        "role": "coder",
    }
    again = api.post(url, {"username": "erin", "role": "viewer"}, format="json")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_member")
    owner = api.post(url, {"username": "alice", "role": "viewer"}, format="json")
    assert (owner.status_code, owner.json()["error"]["code"]) == (409, "already_member")
    unknown = api.post(url, {"username": "nobody", "role": "coder"}, format="json")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "user_not_found")
    bad_role = api.post(url, {"username": "mallory", "role": "admin"}, format="json")
    assert bad_role.status_code == 400
    assert [m["username"] for m in api.get(url).json()["results"]] == ["erin"]

    as_erin = _client_for(erin)
    assert as_erin.get(f"/api/v1/projects/{project.pk}/").status_code == 200
    removed = api.delete(f"{url}{added.json()['id']}/")
    assert removed.status_code == 204
    assert as_erin.get(f"/api/v1/projects/{project.pk}/").status_code == 404
    assert not ProjectMember.objects.filter(project=project).exists()


def test_the_pages_offer_each_role_what_it_may_do(client, shared, people):
    client.force_login(people["victor"])
    page = client.get(f"/projects/{shared.pk}/results/").content.decode()
    assert "Viewer: read only" in page and "Review values one by one" not in page
    assert client.get(f"/projects/{shared.pk}/settings/").status_code == 403
    assert client.get(f"/projects/{shared.pk}/review-queue/").status_code == 403
    documents = client.get(f"/projects/{shared.pk}/documents/").content.decode()
    assert 'id="read-only-note"' in documents and "Upload files" not in documents
    start = client.post(f"/projects/{shared.pk}/processing/start/", {"kind": "full"})
    assert start.status_code == 403

    client.force_login(people["carol"])
    page = client.get(f"/projects/{shared.pk}/results/").content.decode()
    assert "Review values one by one" in page
    assert client.get(f"/projects/{shared.pk}/review-queue/").status_code == 200
    step2 = client.get(f"/projects/{shared.pk}/variables/").content.decode()
    assert "Add a variable" not in step2
    assert client.post(f"/projects/{shared.pk}/review/confirm/").status_code == 403


def test_a_refused_page_says_why(client, shared, people):
    client.force_login(people["victor"])
    response = client.get(f"/projects/{shared.pk}/settings/")
    assert response.status_code == 403
    assert "Your role in this project (viewer) does not allow you" in response.content.decode()
