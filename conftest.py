"""Fixtures shared by every app's tests: users (owner, outsider) and clients logged in
as them, for the browser session and for the token API; a project, and one whose
schema has been run."""

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


@pytest.fixture
def processed_project(llm_settings, llm_simulator, user):
    """A project whose confirmed schema has been run over its five documents by the
    engine, against the simulator: values written as a real full run writes them."""
    from processing import jobs
    from processing.engine import job_run
    from processing.tests.conftest import make_project

    llm_settings.PROCESSING_THREADS_PER_TASK = 1
    project = make_project(user)
    job = jobs.job_create(project=project, user=user, kind="full")
    job_run(job_id=job.pk, hostname="test")
    return project


@pytest.fixture
def workers(tmp_path):
    """Start real Celery workers (``processing.tests.workers.Worker``) by name against a
    simulator; each is stopped at the end of the test. Logs go to ``worker.log``."""
    from processing.tests.workers import Worker

    started = []

    def start(simulator, name: str):
        worker = Worker(simulator, name, tmp_path / "worker.log").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
