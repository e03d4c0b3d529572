"""Values whose quote does not support them are flagged in the results like values whose
quote was not found: the ``flagged`` filter (page and API) and the table's badge."""

from __future__ import annotations

import pytest

from processing.models import Extraction

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_mismatch(processed_project):
    """Every value OK but one ``evidence_mismatch`` and one ``unsupported_evidence``."""
    values = Extraction.objects.filter(document__project=processed_project)
    values.update(status=Extraction.Status.OK, verified=False, corrected=False)
    first, second = values.filter(variable_key="year").order_by("document_id")[:2]
    first.status, first.message = (
        Extraction.Status.EVIDENCE_MISMATCH,
        "the quote does not contain 2023",
    )
    first.save()
    second.status = Extraction.Status.UNSUPPORTED_EVIDENCE
    second.save()
    return processed_project, first, second


def test_the_flagged_filter_finds_mismatched_and_unfound_evidence(api, one_mismatch):
    project, mismatch, unfound = one_mismatch
    base = f"/api/v1/projects/{project.pk}/results/"

    flagged = api.get(base + "?status=flagged").json()
    assert {row["document"]["id"] for row in flagged["results"]} == {
        mismatch.document_id,
        unfound.document_id,
    }
    only = api.get(base + "?status=evidence_mismatch").json()
    assert [row["document"]["id"] for row in only["results"]] == [mismatch.document_id]
    assert only["results"][0]["values"]["year"]["status"] == "evidence_mismatch"


def test_a_reviewed_mismatch_is_no_longer_flagged(api, one_mismatch):
    project, mismatch, unfound = one_mismatch
    Extraction.objects.filter(pk=mismatch.pk).update(verified=True)
    flagged = api.get(f"/api/v1/projects/{project.pk}/results/?status=flagged").json()
    assert [row["document"]["id"] for row in flagged["results"]] == [unfound.document_id]


def test_the_table_shows_a_mismatch_like_unfound_evidence(client_logged_in, one_mismatch):
    project, mismatch, _ = one_mismatch
    page = client_logged_in.get(f"/projects/{project.pk}/results/?status=flagged")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="cell cell-evidence_mismatch"' in html
    assert 'class="badge badge-evidence_mismatch"' in html
    assert 'class="cell cell-unsupported_evidence"' in html
    assert '<option value="evidence_mismatch"' in html  # the status filter offers it
