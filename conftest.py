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


def token_client(user, *, raise_errors: bool = True) -> APIClient:
    """An API client authenticated with ``user``'s token (made once per user)."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    client.raise_request_exception = raise_errors
    return client


@pytest.fixture
def api(user):
    """An API client authenticated with the owner's token."""
    return token_client(user)


@pytest.fixture
def other_api(other_user):
    return token_client(other_user)


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

    def start(simulator, name: str, **options):
        worker = Worker(simulator, name, tmp_path / "worker.log", **options).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def team(processed_project, user):
    """The processed project's members: carol and dave code, victor only reads."""
    from projects.models import ProjectMember

    make = get_user_model().objects.create_user
    people = {"alice": user}
    for name, role in (("carol", "coder"), ("dave", "coder"), ("victor", "viewer")):
        people[name] = make(name, f"{name}@example.org", PASSWORD)
        ProjectMember.objects.create(project=processed_project, user=people[name], role=role)
    return people


@pytest.fixture
def contract_ids(processed_project, user, team) -> dict[str, int]:
    """API.md's placeholders, filled with the owner's objects of the processed project
    (its members included, a coding round of the owner and carol among them)."""
    from exports.rounds import round_create
    from exports.services import export_create
    from processing.models import Extraction
    from projects.models import ProjectMember, Upload
    from schemas.versions import current_version

    project = processed_project
    version = current_version(project)
    coding_round = round_create(  # not blind: its coders still read the version's values
        project=project,
        user=user,
        coders=[user.username, "carol"],
        sample_size=2,
        seed=1,
        blind=False,
    )
    return {
        "id": project.pk,
        "doc_id": project.documents.first().pk,
        "var_id": project.variables.first().pk,
        "number": version.number,
        "job_id": project.jobs.first().pk,
        "ext_id": Extraction.objects.filter(schema_version=version).first().pk,
        "export_id": export_create(project=project, user=user, format="csv", version=version).pk,
        "upload_id": Upload.objects.create(
            project=project, filename="scan.pdf", sha256="0" * 64, source_type="pdf"
        ).pk,
        "member_id": ProjectMember.objects.get(project=project, user=team["victor"]).pk,
        "round_id": coding_round.pk,
        "item_id": coding_round.items.filter(coder=user).first().pk,
    }
