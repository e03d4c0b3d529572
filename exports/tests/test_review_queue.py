"""The review queue: values one at a time, blind by default, agreement on blind entries."""

from __future__ import annotations

import pytest

from exports.results import project_agreement
from processing.models import Extraction
from schemas.versions import current_version

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _url(project, **query) -> str:
    tail = "&".join(f"{key}={value}" for key, value in query.items())
    return f"/api/v1/projects/{project.pk}/review-queue/next/" + (f"?{tail}" if tail else "")


def _values(project, key: str):
    return Extraction.objects.filter(
        schema_version=current_version(project), variable_key=key
    ).order_by("document_id")


def test_blind_by_default_the_queue_hides_the_models_answer(api, processed_project):
    body = api.get(_url(processed_project)).json()
    assert body["blind"] is True
    assert {"model_value", "evidence", "evidence_start", "confidence"}.isdisjoint(body)
    assert set(body) >= {"extraction_id", "document", "variable", "progress"}
    assert body["progress"]["checked"] == 0 and body["progress"]["total"] > 0


def test_outside_blind_mode_the_queue_shows_value_and_evidence(api, processed_project):
    processed_project.blind_review = False
    processed_project.save()
    body = api.get(_url(processed_project)).json()
    extraction = Extraction.objects.get(pk=body["extraction_id"])
    assert body["blind"] is False
    assert body["model_value"] == extraction.value and body["evidence"] == extraction.evidence
    blind = api.get(_url(processed_project, blind=1)).json()  # the request overrides it
    assert "model_value" not in blind


def test_flagged_values_come_first_and_the_queue_moves_both_ways(api, processed_project):
    year = list(_values(processed_project, "year"))
    _values(processed_project, "year").update(status="ok")
    Extraction.objects.filter(pk=year[2].pk).update(status="evidence_mismatch")
    first = api.get(_url(processed_project, variable="year")).json()
    assert first["extraction_id"] == year[2].pk  # flagged first
    second = api.get(_url(processed_project, variable="year", after=year[2].pk)).json()
    assert second["extraction_id"] == year[0].pk
    back = api.get(_url(processed_project, variable="year", before=second["extraction_id"]))
    assert back.json()["extraction_id"] == year[2].pk
    flagged = api.get(_url(processed_project, variable="year", status="flagged")).json()
    assert flagged["extraction_id"] == year[2].pk and flagged["progress"]["total"] == 1


def test_a_blind_entry_counts_for_agreement_whatever_is_decided_after(api, processed_project):
    first, second = list(_values(processed_project, "year"))[:2]
    url = "/api/v1/extractions/{}/"
    # Same as the model: verified at once.
    same = api.patch(url.format(first.pk), {"blind_value": first.value}, format="json").json()
    assert (same["review_status"], same["blind_entered"]) == ("verified", True)
    # Different: the person's answer becomes a correction they may drop.
    other = second.value + 1 if isinstance(second.value, int) else 1900
    answer = api.patch(url.format(second.pk), {"blind_value": other}, format="json").json()
    assert answer["review_status"] == "corrected" and answer["human_value"] == other
    again = api.patch(url.format(second.pk), {"blind_value": other}, format="json")
    assert again.status_code == 400 and "already checked" in again.json()["error"]["message"]
    took_model = api.patch(
        url.format(second.pk), {"corrected": False, "verified": True}, format="json"
    ).json()
    assert took_model["review_status"] == "verified" and took_model["final_value"] == second.value
    year = next(
        row
        for row in project_agreement(processed_project, current_version(processed_project))
        if row["key"] == "year"
    )
    # The blind entries count: one agreed, one did not (even though the model's was taken).
    assert (year["n_verified"], year["n_agree"]) == (2, 1)
    done = api.get(_url(processed_project, variable="year")).json()
    assert done["progress"]["checked"] == 2


def test_the_queue_answers_204_when_nothing_is_left(api, processed_project):
    Extraction.objects.filter(schema_version=current_version(processed_project)).update(
        verified=True
    )
    response = api.get(_url(processed_project))
    assert response.status_code == 204


def test_another_users_queue_is_404(other_api, processed_project):
    assert other_api.get(_url(processed_project)).status_code == 404


def test_the_blind_page_shows_no_model_value_until_the_entry_is_saved(
    client_logged_in, processed_project
):
    extraction = _values(processed_project, "country").first()
    Extraction.objects.filter(pk=extraction.pk).update(value="Atlantis-of-the-model")
    base = f"/projects/{processed_project.pk}/review-queue/"
    page = client_logged_in.get(base + "?variable=country").content.decode()
    assert "Your answer" in page and "Atlantis-of-the-model" not in page
    assert f"review-queue/{extraction.pk}/" in page

    saved = client_logged_in.post(
        f"{base}{extraction.pk}/",
        {"action": "blind", "human_value": "Portugal", "variable": "country", "blind": "1"},
        **HTMX,
    )
    content = saved.content.decode()
    assert saved.status_code == 200 and "Atlantis-of-the-model" in content
    assert "Keep my answer" in content and saved["HX-Trigger"] == "results-changed"
    extraction.refresh_from_db()
    assert (extraction.blind_value, extraction.human_value, extraction.corrected) == (
        "Portugal",
        "Portugal",
        True,
    )

    following = client_logged_in.post(
        f"{base}{extraction.pk}/", {"action": "agree", "variable": "country", "blind": "1"}, **HTMX
    ).content.decode()
    extraction.refresh_from_db()
    assert extraction.final_value == "Atlantis-of-the-model" and extraction.verified
    assert "1 of" in following  # progress moved, and the next value is shown


def test_the_correction_field_is_not_filled_with_the_models_answer(
    client_logged_in, processed_project
):
    extraction = _values(processed_project, "country").first()
    Extraction.objects.filter(pk=extraction.pk).update(value="Atlantis-of-the-model")
    page = client_logged_in.get(
        f"/projects/{processed_project.pk}/results/values/{extraction.pk}/"
    ).content.decode()
    field = page[page.index("Correct the value") :]
    assert "Atlantis-of-the-model" not in field[: field.index("</fieldset>")]


def test_a_correction_can_carry_the_persons_quote(api, processed_project):
    extraction = _values(processed_project, "year").first()
    url = f"/api/v1/extractions/{extraction.pk}/"
    quote = "ratified in 1999 by parliament"
    body = api.patch(url, {"human_value": 1999, "human_evidence": quote}, format="json").json()
    assert (body["human_value"], body["human_evidence"]) == (1999, quote)
    alone = api.patch(url, {"human_evidence": "just a quote"}, format="json")
    assert alone.status_code == 400 and "human_evidence" in alone.json()["error"]["details"]
    removed = api.patch(url, {"corrected": False}, format="json").json()
    assert removed["human_evidence"] == "" and removed["final_value"] == extraction.value


@pytest.mark.parametrize(
    "query", ["after=abc", "before=-1", "blind=maybe", "after=99999999999999999999"]
)
def test_a_malformed_queue_query_is_a_400_in_the_error_shape(api, processed_project, query):
    response = api.get(f"/api/v1/projects/{processed_project.pk}/review-queue/next/?{query}")
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_a_blind_value_with_other_fields_is_refused_and_nothing_changes(api, processed_project):
    extraction = _values(processed_project, "year").first()
    response = api.patch(
        f"/api/v1/extractions/{extraction.pk}/",
        {"blind_value": 1999, "verified": True},
        format="json",
    )
    assert response.status_code == 400
    extraction.refresh_from_db()
    assert not (extraction.blind_entered or extraction.verified or extraction.corrected)
