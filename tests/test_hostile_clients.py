"""What a careless or hostile client meets at the API's edge, with DEBUG on (as `make run`
sets it) and off: deep JSON, bodies over the limit, unknown paths and ids, a failed CSRF
check, odd page numbers, a crash. Every answer is JSON in the API's error shape, with a
status API.md lists, and no traceback."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import PASSWORD
from extractor.parsers import MAX_DEPTH, json_loads_bounded, nesting_depth

TOKEN_URL = "/api/v1/auth/token/"

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[True, False], ids=["debug", "no-debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def anonymous() -> Client:
    return Client(raise_request_exception=False)


@pytest.fixture
def api(api):
    api.raise_request_exception = False
    return api


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code, body
    assert "Traceback" not in response.content.decode()
    return body["error"]


def _nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def _body(field: str, value: str, **others: str) -> str:
    """A JSON object with ``value`` written in as raw JSON (too deep for json.dumps)."""
    rest = "".join(f", {json.dumps(k)}: {json.dumps(v)}" for k, v in others.items())
    return f'{{"{field}": {value}{rest}}}'


# --- Deep JSON ---------------------------------------------------------------------


def test_a_deep_body_to_the_token_endpoint_is_a_400_before_authentication(debug, anonymous):
    body = _body("username", _nested(1000), password="x")
    response = anonymous.post(TOKEN_URL, body, content_type="application/json")
    error = _error(response, 400, "too_deeply_nested")
    assert f"more than {MAX_DEPTH} levels" in error["message"]


def test_deep_bodies_to_authenticated_endpoints_are_400s(debug, api, processed_project):
    from processing.models import Extraction

    project = processed_project
    deep = _nested(1000)
    extraction = Extraction.objects.filter(document__project=project).first()
    extraction_url = f"/api/v1/extractions/{extraction.pk}/"
    for method, url, body in [
        ("post", "/api/v1/projects/", _body("name", deep)),
        ("post", f"/api/v1/projects/{project.pk}/variables/", _body("key", deep)),
        ("patch", f"/api/v1/projects/{project.pk}/", _body("description", deep)),
        ("patch", extraction_url, _body("human_value", deep)),
        ("post", f"/api/v1/projects/{project.pk}/documents/", _body("text", deep, name="a")),
    ]:
        response = getattr(api, method)(url, body, content_type="application/json")
        _error(response, 400, "too_deeply_nested")
    extraction.refresh_from_db()
    assert extraction.human_value is None and not extraction.corrected


def test_a_deep_body_within_the_interpreters_reach_is_refused_too(debug, api):
    # 200 levels parse without a RecursionError; the bound refuses them all the same.
    body = _body("name", _nested(200))
    response = api.post("/api/v1/projects/", body, content_type="application/json")
    _error(response, 400, "too_deeply_nested")


def test_nesting_at_the_limit_reaches_the_view(debug, api):
    # 64 levels in all: the object plus 63 lists. The serializer then says what is wrong.
    body = _body("name", _nested(MAX_DEPTH - 1))
    response = api.post("/api/v1/projects/", body, content_type="application/json")
    error = _error(response, 400, "validation_error")
    assert "name" in error["details"]


def test_nesting_depth_counts_without_recursion():
    assert nesting_depth(1, limit=64) == 0
    assert nesting_depth({}, limit=64) == 1
    assert nesting_depth({"a": [1, {"b": []}], "c": 2}, limit=64) == 4
    assert nesting_depth(json.loads(_nested(900)), limit=64) == 65  # stops past the limit
    assert json_loads_bounded('{"a": [[1]]}') == {"a": [[1]]}
    with pytest.raises(ValueError):
        json_loads_bounded("[NaN]")


# --- Bodies over the limit ------------------------------------------------------------


def test_a_body_over_the_limit_is_a_413_before_anything_reads_it(debug, settings, anonymous, api):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = json.dumps({"username": "a" * 2000, "password": "x"})
    response = anonymous.post(TOKEN_URL, big, content_type="application/json")
    error = _error(response, 413, "request_too_large")
    assert error["details"] == {"limit_bytes": 1000}
    assert "1,000 bytes" in error["message"]
    response = api.post("/api/v1/projects/", {"name": "x" * 2000}, format="json")
    _error(response, 413, "request_too_large")
    # Multipart to an endpoint that takes no files is held to the same limit.
    response = api.post("/api/v1/projects/", {"name": "x", "file": b"x" * 2000})
    _error(response, 413, "request_too_large")


def test_pasted_text_is_held_to_the_body_limit(debug, settings, api, project):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"name": "Pasted", "text": "word " * 400}
    response = api.post(f"/api/v1/projects/{project.pk}/documents/", body, format="json")
    _error(response, 413, "request_too_large")
    assert not project.documents.exists()


def test_uploads_keep_their_own_larger_limit(debug, settings, api, project):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    upload = ("notes.txt", b"A text of some length. " * 100)
    response = api.post(
        f"/api/v1/projects/{project.pk}/documents/",
        {"files": [SimpleUploadedFile(*upload, content_type="text/plain")]},
    )
    assert response.status_code == 201, response.content
    assert project.documents.count() == 1


# --- Paths, ids, methods --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/projects/abc/",
        "/api/v1/projects/1.5/documents/",
        "/api/v1/nothing/",
        "/api/v1/jobs/-1/",
        "/api/v2/projects/",
        "/api/",
    ],
)
def test_unknown_paths_and_ids_are_json_404s(debug, api, path):
    _error(api.get(path), 404, "not_found")


def test_a_write_without_the_trailing_slash_says_where_to_go(debug, api):
    error = _error(api.post("/api/v1/projects", {"name": "x"}, format="json"), 404, "not_found")
    assert error["details"] == {"path": "/api/v1/projects/"}
    # A read is redirected, as everywhere: nothing is lost.
    assert api.get("/api/v1/projects").status_code == 301


def test_an_unexpected_method_is_a_json_405(debug, api, project):
    response = api.put(f"/api/v1/projects/{project.pk}/documents/", {}, format="json")
    _error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_a_crash_is_a_json_500_without_the_traceback(debug, api, monkeypatch):
    from projects import api as projects_api

    def crash(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(projects_api.ProjectListView, "list", crash)
    response = api.get("/api/v1/projects/")
    error = _error(response, 500, "server_error")
    assert "secret internals" not in response.content.decode()
    assert "logged" in error["message"]


def test_pages_outside_the_api_stay_html(debug, client_logged_in):
    response = client_logged_in.get("/projects/abc/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- CSRF -----------------------------------------------------------------------------


def test_a_session_write_without_the_csrf_token_is_csrf_failed(debug, user):
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username=user.username, password=PASSWORD)
    response = browser.post("/api/v1/projects/", {"name": "x"}, content_type="application/json")
    error = _error(response, 403, "csrf_failed")
    assert "X-CSRFToken" in error["message"]

    browser.get("/projects/")  # a page sets the CSRF cookie, as in the browser
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        "/api/v1/projects/", {"name": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201


# --- Page numbers ---------------------------------------------------------------------


@pytest.fixture
def lists(processed_project) -> list[str]:
    """A paginated list of each kind: DRF's (projects, documents, jobs) and the results'."""
    pk = processed_project.pk
    return [
        "/api/v1/projects/",
        f"/api/v1/projects/{pk}/documents/",
        f"/api/v1/projects/{pk}/jobs/",
        f"/api/v1/projects/{pk}/results/",
    ]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "²", "9" * 30])
def test_a_malformed_page_is_a_400_in_every_list(api, lists, page):
    for url in lists:
        error = _error(api.get(f"{url}?page={page}"), 400, "validation_error")
        assert list(error["details"]) == ["page"], url


@pytest.mark.parametrize("size", ["0", "-3", "many"])
def test_a_malformed_page_size_is_a_400_in_every_list(api, lists, size):
    for url in lists:
        error = _error(api.get(f"{url}?page_size={size}"), 400, "validation_error")
        assert list(error["details"]) == ["page_size"], url


def test_a_page_past_the_end_is_a_404_in_every_list(api, lists):
    for url in lists:
        error = _error(api.get(f"{url}?page=999"), 404, "not_found")
        assert "There is no page 999" in error["message"], url
        assert api.get(f"{url}?page=1").status_code == 200, url


def test_a_large_page_size_is_capped_not_refused(api, processed_project):
    from extractor.api import MAX_PAGE_SIZE, page_size_param

    assert page_size_param("100000") == MAX_PAGE_SIZE == 500
    for url in (
        f"/api/v1/projects/{processed_project.pk}/results/?page_size=100000",
        f"/api/v1/projects/{processed_project.pk}/documents/?page_size=100000",
    ):
        response = api.get(url)
        assert response.status_code == 200, url
        assert len(response.json()["results"]) == processed_project.documents.count()


# --- Strings no database stores, numbers no column holds ------------------------------


def test_half_a_surrogate_pair_is_malformed_json(debug, api, processed_project):
    from processing.models import Extraction

    response = api.post("/api/v1/projects/", '{"name": "\\ud800"}', content_type="application/json")
    error = _error(response, 400, "parse_error")
    assert "surrogate" in error["message"]
    extraction = Extraction.objects.filter(document__project=processed_project).first()
    url = f"/api/v1/extractions/{extraction.pk}/"
    body = '{"human_value": "caf\\udce9"}'
    _error(api.patch(url, body, content_type="application/json"), 400, "parse_error")
    # A whole pair is a character like any other.
    body = '{"name": "\\ud83d\\ude00"}'
    response = api.post("/api/v1/projects/", body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["name"] == "\N{GRINNING FACE}"


def test_a_whole_number_past_a_doubles_range_is_kept_not_a_500(debug, api, processed_project):
    from processing.models import Extraction

    extraction = Extraction.objects.filter(
        document__project=processed_project, variable_key="year"
    ).first()
    url = f"/api/v1/extractions/{extraction.pk}/"
    for value in [10**400, "9" * 400]:
        response = api.patch(url, {"human_value": value}, format="json")
        assert response.status_code == 200, response.content[:200]
        extraction.refresh_from_db()
        assert extraction.human_value == int(value)  # exact, and sorted as its digits
        assert (extraction.sort_number, extraction.sort_text[:3]) == (None, str(value)[:3])


# --- CORS, uploads with a session, services down --------------------------------------


def test_error_answers_keep_their_cors_headers(debug, settings, api):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    origin = {"HTTP_ORIGIN": "https://app.example.org"}
    for response in [
        api.get("/api/v1/nothing/", **origin),
        api.post("/api/v1/projects", {"name": "x"}, format="json", **origin),
        api.get("/api/v1/projects/abc/", **origin),
    ]:
        assert response.status_code == 404
        assert response["Access-Control-Allow-Origin"] == "https://app.example.org"


def test_a_session_upload_over_the_limit_is_refused_before_it_is_read(
    debug, settings, user, project, monkeypatch
):
    from django.http import multipartparser

    parsed = []
    original = multipartparser.MultiPartParser.parse
    monkeypatch.setattr(
        multipartparser.MultiPartParser,
        "parse",
        lambda self: parsed.append(1) or original(self),
    )
    settings.UPLOAD_MAX_REQUEST_BYTES = 1000
    browser = Client(raise_request_exception=False)
    browser.force_login(user)
    upload = SimpleUploadedFile("big.txt", b"word " * 1000, "text/plain")
    response = browser.post(f"/api/v1/projects/{project.pk}/documents/", {"files": [upload]})
    error = _error(response, 413, "file_too_large")
    assert error["details"] == {"limit_bytes": 1000}
    assert parsed == []
    assert not project.documents.exists()


def test_a_database_or_broker_down_is_a_503(debug, api, monkeypatch):
    from django.db import OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError

    from projects import api as projects_api

    for failure in (OperationalError("server closed the connection"), RedisConnectionError()):

        def down(*args, failure=failure, **kwargs):
            raise failure

        monkeypatch.setattr(projects_api.ProjectListView, "list", down)
        _error(api.get("/api/v1/projects/"), 503, "service_unavailable")
