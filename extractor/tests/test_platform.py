"""The platform around the workflow: health probes, auth, the API error format,
and migrations that can be reversed."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "broker": True}


def test_readyz_is_503_when_the_broker_is_unreachable(client, settings, tmp_path):
    if settings.EMBEDDED:
        settings.BROKER_DIR = tmp_path / "missing"
    else:
        settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] is False


def test_pages_require_login(client):
    response = client.get("/projects/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_api_without_credentials_is_401_in_the_error_format():
    response = APIClient().get("/api/v1/projects/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.json()["error"]["message"]


def test_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_token_endpoint_exchanges_credentials(user):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/projects/").status_code == 200


def test_token_endpoint_rejects_a_wrong_password(user):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    assert "non_field_errors" in body["details"]


def test_malformed_json_is_a_400_not_a_500(api):
    response = api.post("/api/v1/projects/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_signup_creates_an_account_and_logs_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newcomer",
            "email": "",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get("/projects/").status_code == 200


def test_signup_shows_field_errors(client):
    response = client.post(
        "/accounts/signup/", {"username": "x", "password1": "short", "password2": "other"}
    )
    assert response.status_code == 200
    assert b"password" in response.content.lower()


def test_signup_can_be_turned_off(client, settings):
    settings.SIGNUP_ENABLED = False
    assert client.get("/accounts/signup/").status_code == 404


def test_login_page_renders_and_logs_in(client, user):
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/projects/").status_code == 200


def test_the_logout_address_asks_to_confirm_and_the_form_logs_out(client, user):
    client.force_login(user)

    page = client.get("/accounts/logout/")

    assert page.status_code == 200
    assert b'action="/accounts/logout/"' in page.content and b"Log out" in page.content
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/projects/")["Location"].startswith("/accounts/login/")
    assert client.get("/accounts/logout/")["Location"] == "/accounts/login/"  # no ?next=


def test_openapi_document_is_served():
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/projects/{project_id}/documents/" in paths


@pytest.mark.django_db(transaction=True)
def test_every_migration_reverses_to_zero_and_back():
    apps = ["exports", "processing", "schemas", "projects", "llm"]
    for app in apps:
        call_command("migrate", app, "zero", verbosity=0)
    executor = MigrationExecutor(connection)
    applied = {key for key in executor.loader.applied_migrations if key[0] in apps}
    assert applied == set()
    call_command("migrate", verbosity=0)
    executor = MigrationExecutor(connection)
    assert not executor.migration_plan(executor.loader.graph.leaf_nodes())
