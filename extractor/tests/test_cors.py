"""CORS for the Next.js frontend: its origin may call the API from the browser (a
preflight is answered), any other origin gets no CORS header, and only the API is
open to it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import Client

FRONTEND = "http://localhost:3000"


def _preflight(client: Client, path: str, origin: str):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


@pytest.fixture
def frontend_allowed(settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]
    return settings


def test_a_preflight_from_the_frontend_origin_is_allowed(frontend_allowed, db):
    response = _preflight(Client(), "/api/v1/projects/", FRONTEND)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed_headers = response["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    assert response["Access-Control-Allow-Credentials"] == "true"


def test_a_preflight_from_another_origin_gets_no_cors_headers(frontend_allowed, db):
    response = _preflight(Client(), "/api/v1/projects/", "https://evil.example")
    assert not [name for name in response.headers if name.lower().startswith("access-control")]


def test_the_frontend_reads_the_api_answers_and_their_file_names(frontend_allowed, api):
    response = api.get("/api/v1/projects/", HTTP_ORIGIN=FRONTEND)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    exposed = response["Access-Control-Expose-Headers"]
    assert "Content-Disposition" in exposed and "Retry-After" in exposed


def test_only_the_api_is_open_to_the_frontend(frontend_allowed, db):
    for path in ["/projects/", "/admin/", "/accounts/login/"]:
        response = Client().get(path, HTTP_ORIGIN=FRONTEND)
        assert "Access-Control-Allow-Origin" not in response, path


def _origins_in_a_fresh_process(**env: str) -> list[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "CORS_ALLOWED_ORIGINS"}
    }
    environment.update(env, DATA_DIR=str(django_settings.DATA_DIR))
    # The settings module alone, as Django reads it at start-up (no app is loaded).
    code = "import json, extractor.settings as s; print(json.dumps(s.CORS_ALLOWED_ORIGINS))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**environment, "DJANGO_SETTINGS_MODULE": "extractor.settings"},
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.BASE_DIR,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_dev_server_origin_is_the_default_only_with_debug():
    assert _origins_in_a_fresh_process(DEBUG="1") == [FRONTEND]
    assert _origins_in_a_fresh_process(DEBUG="0", SECRET_KEY="x" * 50) == []
    configured = "https://app.example.org, https://staging.example.org"
    assert _origins_in_a_fresh_process(DEBUG="1", CORS_ALLOWED_ORIGINS=configured) == [
        "https://app.example.org",
        "https://staging.example.org",
    ]
