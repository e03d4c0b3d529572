"""Abuse protection and security headers: failed log-ins slowed down per address and per
account from one address (page and token endpoint), DRF rate limits on the expensive endpoints, the
Content-Security-Policy and friends, and ``check --deploy`` with production settings."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory
from rest_framework.test import APIClient

from conftest import PASSWORD
from extractor import throttling

BASE_DIR = Path(django_settings.BASE_DIR)
TOKEN_URL = "/api/v1/auth/token/"
LOGIN_URL = "/accounts/login/"


@pytest.fixture(autouse=True)
def _own_login_counters(monkeypatch):
    """Counters of this test only: the cache outlives a test (a file, or Redis)."""
    monkeypatch.setattr(throttling, "KEY_PREFIX", f"test-login-{uuid.uuid4().hex}")


def _address(n: int = 0) -> str:
    return f"203.0.113.{n}"


def _login(client, username: str, password: str, address: str = "198.51.100.7"):
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=address)


def _token(username: str, password: str, address: str = "198.51.100.7"):
    return APIClient().post(
        TOKEN_URL,
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
    )


# --- Log-in page ---------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_blocks_an_account_from_the_address_that_failed_five_times(client, user):
    guesser = _address(66)
    for _ in range(5):
        response = _login(client, "alice", "wrong", address=guesser)
        assert response.status_code == 200  # the form again, with its error

    # The right password from the guessing address: refused, without checking it.
    response = _login(client, "alice", PASSWORD, address=guesser)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 900
    assert b"Too many failed log-in attempts" in response.content
    assert b'name="username"' in response.content  # the page, re-rendered
    assert "_auth_user_id" not in client.session

    # The owner, from their own address, is not locked out by a stranger's guesses.
    response = _login(client, "alice", PASSWORD, address=_address(99))
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_guesses_spread_over_addresses_block_no_one(client, user):
    for attempt in range(12):
        assert _login(client, "alice", "wrong", address=_address(attempt)).status_code == 200
    assert _login(client, "alice", PASSWORD, address=_address(99)).status_code == 302


@pytest.mark.django_db
def test_login_page_blocks_an_address_after_twenty_failures(client, user):
    for n in range(20):
        assert _login(client, f"nobody-{n}", "wrong").status_code == 200
    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 429
    # Another address is not affected.
    assert _login(client, "alice", PASSWORD, address=_address(1)).status_code == 302


@pytest.mark.django_db
def test_a_success_resets_the_account_counter(client, user):
    for _ in range(4):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_usernames_differing_in_case_share_a_counter(client, user):
    for name in ["alice", "ALICE", "Alice", "aLiCe", "alicE"]:
        _login(client, name, "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_the_block_ends_with_the_window(client, user, settings):
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 1
    for _ in range(5):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 429
    time.sleep(1.2)
    assert _login(client, "alice", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_an_empty_password_is_not_counted(client, user):
    for _ in range(10):
        assert _login(client, "alice", "").status_code == 200
    assert _login(client, "alice", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_admin_login_goes_through_the_throttled_page(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"


# --- Token endpoint ------------------------------------------------------------------


@pytest.mark.django_db
def test_token_endpoint_blocks_an_account_from_one_address_in_the_error_format(user):
    guesser = _address(66)
    for _ in range(5):
        assert _token("alice", "wrong", address=guesser).status_code == 400
    response = _token("alice", PASSWORD, address=guesser)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 900
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert "Too many failed log-in attempts" in error["message"]
    assert error["details"] == {}
    # The owner elsewhere still gets a token.
    assert _token("alice", PASSWORD, address=_address(50)).status_code == 200


@pytest.mark.django_db
def test_token_endpoint_blocks_an_address(user):
    for n in range(20):
        _token(f"nobody-{n}", "wrong")
    assert _token("alice", PASSWORD).status_code == 429
    assert _token("alice", PASSWORD, address=_address(2)).status_code == 200


@pytest.mark.django_db
def test_page_and_token_endpoint_share_the_counters(client, user):
    for _ in range(3):
        _login(client, "alice", "wrong")
    for _ in range(2):
        _token("alice", "wrong")
    assert _token("alice", PASSWORD).status_code == 429
    assert _login(client, "alice", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_token_success_resets_the_account_counter(user):
    for _ in range(4):
        _token("alice", "wrong")
    assert _token("alice", PASSWORD).status_code == 200
    for _ in range(4):
        _token("alice", "wrong")
    assert _token("alice", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_token_endpoint_answers_400_for_a_body_that_is_not_an_object():
    response = APIClient().post(TOKEN_URL, [1, 2], format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


# --- Client address ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "10.0.0.1"),  # no trusted proxy: the header is ignored
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client wrote the first entry
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (2, "198.51.100.1", "198.51.100.1"),  # shorter than the chain: its first entry
        (1, "not-an-address", "10.0.0.1"),
        (1, "", "10.0.0.1"),
    ],
)
def test_client_address(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert throttling.client_address(request) == expected


@pytest.mark.django_db
def test_ipv6_addresses_of_one_network_share_a_counter(client, user):
    for host in range(20):
        _login(client, f"nobody-{host}", "wrong", address=f"2001:db8:1:2::{host + 1:x}")
    assert _login(client, "alice", PASSWORD, address="2001:db8:1:2::ffff").status_code == 429
    assert _login(client, "alice", PASSWORD, address="2001:db8:1:3::1").status_code == 302


# --- DRF rate limits on the expensive endpoints --------------------------------------


@pytest.fixture
def project_urls(project):
    base = f"/api/v1/projects/{project.pk}"
    return {
        "upload": f"{base}/documents/",
        "suggest": f"{base}/variables/suggest/",
        "job": f"{base}/jobs/",
        "export": f"{base}/exports/",
    }


EXPENSIVE = [
    ("upload", {"name": "note", "text": "Some text."}),
    ("suggest", {}),
    ("job", {"kind": "sample"}),
    ("export", {"format": "csv"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("scope", "body"), EXPENSIVE)
def test_expensive_posts_answer_429_in_the_error_format(
    api, project_urls, throttle_rates, scope, body
):
    throttle_rates(**{scope: "0/hour"})
    response = api.post(project_urls[scope], body, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert error["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("scope", ["upload", "job", "export"])
def test_reads_of_throttled_endpoints_are_not_limited(api, project_urls, throttle_rates, scope):
    throttle_rates(**{scope: "0/hour"})
    for _ in range(3):
        assert api.get(project_urls[scope]).status_code == 200
    assert api.options(project_urls[scope]).status_code == 200


@pytest.mark.django_db
def test_suggest_options_is_not_limited(api, project_urls, throttle_rates):
    throttle_rates(suggest="0/hour")
    assert api.options(project_urls["suggest"]).status_code == 200


@pytest.mark.django_db
def test_upload_rate_counts_per_user(api, other_api, project, other_user, throttle_rates):
    from projects.models import Project

    throttle_rates(upload="2/hour")
    url = f"/api/v1/projects/{project.pk}/documents/"
    for n in range(2):
        response = api.post(url, {"name": f"n{n}", "text": f"Text {n}."}, format="json")
        assert response.status_code == 201
    assert api.post(url, {"name": "n3", "text": "Text 3."}, format="json").status_code == 429
    # Another user has a budget of their own.
    theirs = Project.objects.create(owner=other_user, name="Theirs")
    response = other_api.post(
        f"/api/v1/projects/{theirs.pk}/documents/", {"name": "a", "text": "b"}, format="json"
    )
    assert response.status_code == 201


# --- Security headers and the Content-Security-Policy --------------------------------


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client_logged_in, project):
    for url in ["/projects/", f"/projects/{project.pk}/", LOGIN_URL]:
        response = client_logged_in.get(url, follow=True)
        assert response.status_code == 200, url
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        policy = response["Content-Security-Policy"]
        assert policy == django_settings.CONTENT_SECURITY_POLICY
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe" not in policy


@pytest.mark.django_db
def test_api_answers_carry_the_policy_too(api):
    response = api.get("/api/v1/projects/")
    assert response["Content-Security-Policy"] == django_settings.CONTENT_SECURITY_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"


def test_hsts_is_sent_over_https_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/accounts/login/")


def test_https_redirect_and_host_check_spare_the_health_probes(db, client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["extractor.example.org"]
    for probe in ("/healthz", "/readyz"):
        # As a container probe asks: plain HTTP, the container's own address as Host.
        response = client.get(probe, HTTP_HOST="127.0.0.1:8000")
        assert response.status_code == 200, probe
        assert response.json()["status"] == "ok"
    # Any other page is held to both.
    assert client.get("/accounts/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    response = client.get("/accounts/login/", HTTP_HOST="extractor.example.org")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_api_docs_pass_the_site_policy(client):
    """Swagger UI's init script and drf-spectacular's styles are served as files (the
    split view and templates/drf_spectacular/swagger_ui.html): no relaxed policy."""
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == django_settings.CONTENT_SECURITY_POLICY
    html = response.content.decode()
    for name in ["inline <script>", "<style> block", "style attribute", "on* handler"]:
        assert not INLINE_PATTERNS[name].search(html), f"{name} on /api/docs/"
    assert "css/api-docs.css" in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


INLINE_PATTERNS = {
    "inline <script>": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "<style> block": re.compile(r"<style[\s>]", re.IGNORECASE),
    "on* handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    # hx-on and js: values are evaluated by htmx, which the policy forbids.
    "hx-on attribute": re.compile(r"\shx-on", re.IGNORECASE),
    "htmx js: value": re.compile(r"hx-(vals|vars)\s*=\s*['\"]js:", re.IGNORECASE),
}


def test_templates_need_no_inline_script_or_style():
    found = []
    for path in sorted((BASE_DIR / "templates").rglob("*.html")):
        text = path.read_text()
        for name, pattern in INLINE_PATTERNS.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(BASE_DIR)}:{line}: {name}")
    assert not found, "\n".join(found)


def test_htmx_config_keeps_eval_and_injected_styles_off():
    base = (BASE_DIR / "templates" / "base.html").read_text()
    assert '"allowEval": false' in base
    assert '"includeIndicatorStyles": false' in base


# --- check --deploy ------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DATA_DIR": str(tmp_path / "data"),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "BEHIND_TLS": "1",
        "ALLOWED_HOSTS": "extractor.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://extractor.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scope", "path", "data"),
    [
        ("upload", "documents/upload/", {}),
        ("job", "processing/start/", {"kind": "sample"}),
        ("export", "exports/new/", {"format": "csv"}),
    ],
)
def test_wizard_actions_share_the_api_rates(
    client_logged_in, project, throttle_rates, scope, path, data
):
    throttle_rates(**{scope: "2/hour"})
    url = f"/projects/{project.pk}/{path}"
    for _ in range(2):
        assert client_logged_in.post(url, data).status_code != 429
    response = client_logged_in.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"Too many requests" in response.content


@pytest.mark.django_db
def test_signup_is_rate_limited_per_address(client, throttle_rates):
    throttle_rates(signup="2/hour")
    for index in range(2):
        client.post("/accounts/signup/", {"username": f"u{index}", "password1": "x"})
    response = client.post("/accounts/signup/", {"username": "u9", "password1": "x"})
    assert response.status_code == 429
    assert b"Slow down" in response.content
