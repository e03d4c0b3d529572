"""Step 5 fixtures: a project whose schema has been run (values written by the engine)."""

from __future__ import annotations

import pytest

from processing import jobs
from processing.engine import job_run
from processing.tests.conftest import make_project


@pytest.fixture
def processed_project(llm_settings, llm_simulator, user):
    llm_settings.PROCESSING_THREADS_PER_TASK = 1
    project = make_project(user)
    job = jobs.job_create(project=project, user=user, kind="full")
    job_run(job_id=job.pk, hostname="test")
    return project
