"""Fixtures shared by every app's tests: three users (owner, outsider, staff) and
clients logged in as them, for the browser session and for the token API."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytest_plugins = ["extractor.tests.llm_fixtures"]

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher costs ~1 s a user on this machine; tests check access, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("alice", "alice@example.org", PASSWORD)


@pytest.fixture
def other_user(db):
    return get_user_model().objects.create_user("mallory", "mallory@example.org", PASSWORD)


@pytest.fixture
def client_logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def api(user):
    """An API client authenticated with the owner's token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def other_api(other_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=other_user).key}")
    return client


@pytest.fixture
def project(user):
    from projects.models import Project

    return Project.objects.create(owner=user, name="Trade agreements", description="Treaties")
