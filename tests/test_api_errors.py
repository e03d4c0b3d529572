"""API.md's error statuses, as a table over its routes: every documented status comes
back in the error shape, with DEBUG off and on (``make run`` turns it on).

Over every operation of API.md's tables: 401 without credentials, 404 for another
user's objects and for ids that are not integers, 400 for a body nested too deeply
(operations that take a body), 413 for a body over the limit. Then each other status
the conventions list, where it arises: 400 validation, 403 ``csrf_failed``, 409, 413 for
a full project, 415, 429 and 503. (403 ``role_forbidden``, for members: test_roles.py.)
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from conftest import PASSWORD
from extractor import throttling
from processing.models import Extraction
from tests.test_api_conformance import CASES, ContractRow

pytestmark = pytest.mark.django_db

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(params=[False, True], ids=["no-debug", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def ids(contract_ids) -> dict[str, int]:
    """API.md's placeholders, filled with the user's own objects."""
    return contract_ids


def _url(row: ContractRow, values: dict) -> str:
    return "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), row.path)


def _client(api: APIClient) -> APIClient:
    api.raise_request_exception = False
    return api


def _send(client, method: str, url: str, body: str | None = None, **extra):
    kwargs = {"content_type": "application/json", "data": body} if body is not None else {}
    return getattr(client, method.lower())(url, **kwargs, **extra)


def _shape(response, status: int, code: str | None = None) -> list[str]:
    """Problems with an error answer (empty when it is as API.md says)."""
    problems = []
    if response.status_code != status:
        problems.append(f"status {response.status_code}, not {status}")
    if response.get("Content-Type") != "application/json":
        return [*problems, f"content type {response.get('Content-Type')}"]
    body = response.json()
    if set(body) != {"error"} or set(body["error"]) != {"code", "message", "details"}:
        return [*problems, f"body {body}"]
    if code and body["error"]["code"] != code:
        problems.append(f"code {body['error']['code']}, not {code}")
    return problems


def _check_all(cases, answer) -> None:
    """``answer(row, method)`` -> problems, for every case; one failure lists them all."""
    failures = [
        f"{method} {row.path}: {'; '.join(problems)}"
        for row, method in cases
        if (problems := answer(row, method))
    ]
    assert not failures, "\n".join(failures)


def test_every_operation_is_401_without_credentials(debug, ids):
    anonymous = _client(APIClient())
    cases = [case for case in CASES if case[0].path != "/auth/token/"]
    _check_all(
        cases,
        lambda row, method: _shape(
            _send(anonymous, method, _url(row, ids), "{}" if method in WRITES else None),
            401,
            "not_authenticated",
        ),
    )


def test_another_users_objects_are_404(debug, ids, other_api):
    stranger = _client(other_api)
    cases = [case for case in CASES if "{" in case[0].path]
    # A valid body and one no serializer takes: the object is looked up first, so a
    # stranger learns nothing from the validation either.
    for body in ("{}", "[]"):
        _check_all(
            cases,
            lambda row, method, body=body: _shape(
                _send(stranger, method, _url(row, ids), body if method in WRITES else None),
                404,
                "not_found",
            ),
        )


def test_ids_that_are_not_integers_are_404(debug, ids, api):
    client = _client(api)
    cases = [case for case in CASES if "{" in case[0].path]
    for bad in ("abc", "1.5", "-1"):
        values = dict.fromkeys(ids, bad)
        _check_all(
            cases,
            lambda row, method, values=values: _shape(
                _send(client, method, _url(row, values), "{}" if method in WRITES else None),
                404,
                "not_found",
            ),
        )


def test_bodies_nested_too_deeply_are_400(debug, ids, api):
    client = _client(api)
    deep = '{"key": ' + "[" * 500 + "]" * 500 + "}"
    # Operations that read a JSON body (API.md gives one); the token endpoint is anonymous.
    cases = [
        (row, method)
        for row, method in CASES
        if method in {"POST", "PATCH", "PUT"} and "{" in _body_column(row)
    ]
    assert len(cases) >= 6
    _check_all(
        cases,
        lambda row, method: _shape(
            _send(client, method, _url(row, ids), deep), 400, "too_deeply_nested"
        ),
    )


def test_bodies_over_the_limit_are_413(debug, ids, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    client = _client(api)
    big = '{"name": "' + "x" * 4096 + '"}'
    cases = [(row, method) for row, method in CASES if method in WRITES]
    _check_all(
        cases,
        lambda row, method: _shape(
            _send(client, method, _url(row, ids), big), 413, "request_too_large"
        ),
    )


def _body_column(row: ContractRow) -> str:
    from tests.test_api_conformance import API_MD, _split_row, first_round

    for line in first_round(API_MD.read_text()).splitlines():
        if line.startswith("| `") and f" {row.path}" in line.split("|")[1]:
            return _split_row(line)[1]
    return ""


# --- The other statuses of API.md's conventions ---------------------------------------


def test_400_names_the_fields(debug, api):
    response = _client(api).post("/api/v1/projects/", {"name": ""}, format="json")
    assert not _shape(response, 400, "validation_error")
    assert "name" in response.json()["error"]["details"]


def test_403_csrf_failed(debug, user):
    browser = Client(enforce_csrf_checks=True, raise_request_exception=False)
    assert browser.login(username=user.username, password=PASSWORD)
    response = browser.post("/api/v1/projects/", {"name": "x"}, content_type="application/json")
    assert not _shape(response, 403, "csrf_failed")


def test_409_states(debug, api, project, ids):
    client = _client(api)
    no_schema = client.post(f"/api/v1/projects/{project.pk}/jobs/", {"kind": "sample"}, "json")
    assert not _shape(no_schema, 409, "no_confirmed_schema")
    url = f"/api/v1/projects/{ids['id']}/jobs/"
    # Documents lacking values (a sample draws from them), a sample twice.
    Extraction.objects.filter(document__project_id=ids["id"]).delete()
    assert client.post(url, {"kind": "sample", "sample_size": 1}, "json").status_code == 201
    again = client.post(url, {"kind": "sample", "sample_size": 1}, "json")
    assert not _shape(again, 409, "job_running")


def test_413_for_a_full_project(debug, api, project, settings):
    settings.PROJECT_MAX_BYTES = 10
    client = _client(api)
    upload = SimpleUploadedFile("notes.txt", b"Some words that do not fit.", "text/plain")
    response = client.post(f"/api/v1/projects/{project.pk}/documents/", {"files": [upload]})
    assert not _shape(response, 413, "project_storage_full")


def test_415_for_an_unsupported_file(debug, api, project):
    upload = SimpleUploadedFile("photo.exe", b"MZ\x90\x00\x03" + bytes(200), "image/png")
    response = _client(api).post(f"/api/v1/projects/{project.pk}/documents/", {"files": [upload]})
    assert not _shape(response, 415, "unsupported_file_type")


def test_429_for_too_many_failed_log_ins(debug, settings, user, monkeypatch):
    monkeypatch.setattr(throttling, "KEY_PREFIX", f"test-api-errors-{uuid.uuid4().hex}")
    settings.LOGIN_FAILURES_PER_ACCOUNT = 1
    client = _client(APIClient())
    body = {"username": user.username, "password": "wrong"}
    assert client.post("/api/v1/auth/token/", body, format="json").status_code == 400
    response = client.post("/api/v1/auth/token/", body, format="json")
    assert not _shape(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_503_when_the_model_is_unreachable(debug, api, processed_project, llm_settings):
    llm_settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"  # nothing listens on port 9
    llm_settings.LLM_MAX_ATTEMPTS = 1
    response = _client(api).post(
        f"/api/v1/projects/{processed_project.pk}/variables/suggest/", {}, format="json"
    )
    assert not _shape(response, 503)
