"""Values flagged for their evidence: the stored check, the job's counter, its API field
and its page."""

from __future__ import annotations

import pytest

from processing import jobs
from processing.answers import FLAGGED_STATUSES, validate_answer
from processing.engine import job_run
from processing.lifecycle import item_claim
from processing.models import Extraction, ProcessingJob
from processing.outcomes import item_complete
from processing.tests.conftest import TEXTS, make_project

pytestmark = pytest.mark.django_db

# TEXTS[0]: "The Treaty of Lisbon was signed on 13 December 2007 by 27 member states.
# France supported the reform. The treaty entered into force in 2009."
ANSWER = {
    "country": {"value": "France", "evidence": "France supported the reform"},
    "year": {"value": 2023, "evidence": "The treaty entered into force in 2009"},
    "signed_on": {"value": "2007-12-13", "evidence": "signed on 13 December 2007"},
    "parties": {"value": 7, "evidence": "7 member states"},  # cut out of "27"
    "stance": {"value": "support", "evidence": "France supported the reform"},
}


def _claimed(user):
    project = make_project(user, documents=TEXTS[:1])
    job = jobs.job_create(project=project, user=user, kind="full")
    ProcessingJob.objects.filter(pk=job.pk).update(status=ProcessingJob.Status.RUNNING)
    return job, item_claim(job_id=job.pk, worker="w")


def test_a_completed_item_stores_the_checks_and_counts_its_flagged_values(user):
    job, item = _claimed(user)
    version = job.schema_version
    values = validate_answer(variables=version.variables, answer=ANSWER, text=TEXTS[0])

    assert item_complete(job=job, version=version, item=item, worker="w", values=values)

    job.refresh_from_db()
    assert job.flagged == 2
    rows = {row.variable_key: row for row in Extraction.objects.filter(job=job)}
    assert {key: (row.status, row.evidence_check) for key, row in rows.items()} == {
        "country": ("ok", "passed"),
        "year": ("evidence_mismatch", "failed"),
        "signed_on": ("ok", "passed"),
        "parties": ("unsupported_evidence", ""),
        "stance": ("ok", "passed"),
    }
    assert rows["year"].message == "the quote does not contain 2023"
    assert rows["year"].value == 2023  # kept for the reviewer


def test_a_run_counts_what_it_flagged(engine_settings, llm_simulator, treaty_project, user):
    job = jobs.job_create(project=treaty_project, user=user, kind="full")
    job_run(job_id=job.pk, hostname="test")
    job.refresh_from_db()

    flagged = Extraction.objects.filter(job=job, status__in=FLAGGED_STATUSES).count()
    assert job.status == ProcessingJob.Status.COMPLETED
    assert job.flagged == flagged
    located = Extraction.objects.filter(job=job, evidence_start__isnull=False)
    assert located.exists()
    assert not located.filter(evidence_check="").exclude(status="invalid").exists()


def test_the_job_api_and_page_show_the_flagged_count(api, client_logged_in, user):
    job, item = _claimed(user)
    version = job.schema_version
    values = validate_answer(variables=version.variables, answer=ANSWER, text=TEXTS[0])
    item_complete(job=job, version=version, item=item, worker="w", values=values)

    assert api.get(f"/api/v1/jobs/{job.pk}/").json()["flagged"] == 2
    page = client_logged_in.get(f"/projects/{job.project_id}/processing/jobs/{job.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "values flagged" in html
    assert f"?job={job.pk}&amp;status=flagged" in html
