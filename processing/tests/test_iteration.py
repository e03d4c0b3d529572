"""Changing the schema pays only for what changed: carry-over and partial runs, on the
simulator over HTTP."""

from __future__ import annotations

import pytest

from exports.dataset import document_counts, export_metadata
from exports.review import extraction_review
from processing import jobs
from processing.carry import carry_unchanged
from processing.engine import job_run
from processing.estimates import draft_estimate, job_estimate
from processing.models import Extraction, JobDocument, ProcessingJob
from processing.tests.conftest import TEXTS, make_project
from projects.selectors import project_get_for_user, project_step
from schemas.models import SchemaVersion, Variable
from schemas.versions import schema_confirm, schema_restore

pytestmark = pytest.mark.django_db

NINE = [
    ("country", "text", "The main country discussed.", [], False),
    ("year", "integer", "The year the agreement was signed.", [], False),
    ("signed_on", "date", "The signing date.", [], False),
    ("parties", "integer", "How many parties signed.", [], False),
    ("stance", "category", "The stance of the main country.", ["support", "oppose"], False),
    ("city", "text", "The city where it was signed.", [], False),
    ("topic", "text", "What the agreement is about.", [], False),
    ("members", "integer", "How many members an organisation has.", [], False),
    ("withdrew", "boolean", "Whether a party withdrew.", [], False),
]


def _run(project, user, kind="full", **options) -> ProcessingJob:
    job = jobs.job_create(project=project, user=user, kind=kind, **options)
    job_run(job_id=job.pk, hostname="test")
    job.refresh_from_db()
    return job


def _reword(project, key: str, instructions: str) -> None:
    Variable.objects.filter(project=project, key=key).update(instructions=instructions)


@pytest.fixture
def nine(user):
    return make_project(user, variables=NINE)


def test_one_changed_instruction_costs_one_variable_per_document(
    engine_settings, llm_simulator, api, nine, user
):
    first = _run(nine, user)
    assert first.status == ProcessingJob.Status.COMPLETED
    assert len(llm_simulator.requests()) == len(TEXTS)
    v1 = SchemaVersion.objects.get(project=nine, number=1)
    country = Extraction.objects.get(
        schema_version=v1, variable_key="country", document__name="doc-000"
    )
    extraction_review(extraction=country, user=user, human_value="European Union")

    _reword(nine, "year", "The year the agreement was signed, as four digits.")
    before = draft_estimate(project=nine, kind="full")
    # The estimate says so before anything is confirmed or run.
    assert (before.documents, before.llm_calls, before.carried_values) == (5, 5, 5 * 8)
    whole = job_estimate(project=nine, version=v1, kind="full", document_ids=[])
    assert whole.llm_calls == 0

    v2 = schema_confirm(project=nine, user=user)
    assert v2.number == 2 and v2.based_on == 1
    carried = Extraction.objects.filter(schema_version=v2)
    assert carried.count() == 5 * 8 and set(carried.values_list("carried_from", flat=True)) == {1}
    assert "year" not in set(carried.values_list("variable_key", flat=True))
    planned = job_estimate(project=nine, version=v2, kind="full")
    assert (planned.llm_calls, planned.carried_values) == (5, 5 * 8)
    assert planned.input_tokens < before.input_tokens * 2

    asked_before = len(llm_simulator.requests())
    second = _run(nine, user)
    assert second.status == ProcessingJob.Status.COMPLETED
    assert float(second.estimated_cost_usd) == pytest.approx(planned.cost_usd, abs=1e-6)
    requests = llm_simulator.requests()[asked_before:]
    assert len(requests) == len(TEXTS) == second.llm_calls
    assert all(request["schema_keys"] == ["year"] for request in requests)
    asked = JobDocument.objects.filter(job=second).values_list("asked", flat=True)
    assert list(asked) == [["year"]] * 5

    values = Extraction.objects.filter(schema_version=v2)
    assert values.count() == 5 * 9
    year = values.filter(variable_key="year")
    assert set(year.values_list("carried_from", flat=True)) == {None}
    assert set(year.values_list("job_id", flat=True)) == {second.pk}
    corrected = values.get(variable_key="country", document__name="doc-000")
    assert (corrected.corrected, corrected.human_value) == (True, "European Union")
    assert corrected.carried_from == 1 and corrected.reviewed_by == user

    rows = api.get(f"/api/v1/projects/{nine.pk}/agreement/?schema_version=2").json()
    assert next(row for row in rows if row["key"] == "country")["n_verified"] == 1
    results = api.get(f"/api/v1/projects/{nine.pk}/results/?schema_version=2").json()
    assert all(len(row["values"]) == 9 for row in results["results"])
    cells = [cell for row in results["results"] for cell in row["values"].values()]
    assert sorted({cell["carried_from"] for cell in cells}, key=str) == [1, None]
    items = api.get(f"/api/v1/jobs/{second.pk}/documents/").json()["results"]
    assert [item["asked"] for item in items] == [["year"]] * 5

    # The dataset says where its values came from: both runs, and what was carried.
    metadata = export_metadata(v2)
    assert (metadata["values"], metadata["values_carried"]) == (45, 40)
    assert metadata["carried_from_versions"] == [1] and metadata["carried_note"]
    assert metadata["job_ids"] == [first.pk, second.pk]
    assert metadata["simulated"] is True


def test_a_new_run_of_a_version_asks_only_what_it_lacks(engine_settings, llm_simulator, nine, user):
    _run(nine, user, kind="sample", sample_size=2)
    _reword(nine, "topic", "The subject of the agreement, in five words or fewer.")
    Variable.objects.create(project=nine, key="language", type="text", position=20)
    v2 = schema_confirm(project=nine, user=user)
    estimate = job_estimate(project=nine, version=v2, kind="full")
    # Two sampled documents ask for two variables; three others for all ten.
    assert (estimate.documents, estimate.llm_calls, estimate.carried_values) == (5, 5, 2 * 8)
    asked_before = len(llm_simulator.requests())
    _run(nine, user)
    requests = llm_simulator.requests()[asked_before:]
    assert sorted(len(request["schema_keys"]) for request in requests) == [2, 2, 10, 10, 10]
    partial = [request["schema_keys"] for request in requests if len(request["schema_keys"]) == 2]
    assert partial == [["topic", "language"]] * 2
    assert Extraction.objects.filter(schema_version=v2).count() == 5 * 10
    with pytest.raises(jobs.JobConflict, match="already has every value"):
        jobs.job_create(project=nine, user=user, kind="full")


def test_restoring_a_version_reuses_what_it_holds(engine_settings, llm_simulator, nine, user):
    _run(nine, user, kind="sample", sample_size=3)
    v1 = SchemaVersion.objects.get(project=nine, number=1)
    _reword(nine, "city", "The city of signature.")
    schema_confirm(project=nine, user=user)
    schema_restore(project=nine, version=v1)
    estimate = job_estimate(project=nine, version=v1, kind="full")
    assert (estimate.documents, estimate.carried_values) == (2, 0)
    asked_before = len(llm_simulator.requests())
    job = _run(nine, user)
    assert job.total == 2
    assert len(llm_simulator.requests()) - asked_before == 2
    assert Extraction.objects.filter(schema_version=v1).count() == 5 * 9


def test_a_change_every_call_sees_carries_nothing(engine_settings, llm_simulator, nine, user):
    _run(nine, user, kind="sample", sample_size=2)
    nine.instructions = "Only count sovereign states."
    nine.save(update_fields=["instructions"])
    v2 = schema_confirm(project=nine, user=user)
    assert not Extraction.objects.filter(schema_version=v2).exists()
    assert job_estimate(project=nine, version=v2, kind="full").carried_values == 0


def test_a_value_held_with_another_model_is_asked_again(engine_settings, llm_simulator, nine, user):
    _run(nine, user, kind="sample", sample_size=2)
    _reword(nine, "year", "Four digits.")
    v2 = schema_confirm(project=nine, user=user)
    assert Extraction.objects.filter(schema_version=v2).count() == 2 * 8
    nine.model = "gpt-4o"
    nine.save(update_fields=["model"])
    estimate = job_estimate(project=nine, version=v2, kind="full")
    assert (estimate.documents, estimate.llm_calls, estimate.carried_values) == (5, 5, 0)
    _run(nine, user)
    v2_values = Extraction.objects.filter(schema_version=v2)
    assert set(v2_values.values_list("model", flat=True)) == {"gpt-4o"}
    assert set(v2_values.values_list("carried_from", flat=True)) == {None}


def test_carrying_again_fills_only_gaps(engine_settings, llm_simulator, nine, user):
    _run(nine, user, kind="sample", sample_size=1)
    _reword(nine, "year", "Four digits.")
    v2 = schema_confirm(project=nine, user=user)
    assert Extraction.objects.filter(schema_version=v2).count() == 8
    # Version 1 receives values after version 2 was confirmed (a run still going then).
    v1 = SchemaVersion.objects.get(project=nine, number=1)
    source = Extraction.objects.filter(schema_version=v1).first()
    other = Extraction.objects.filter(schema_version=v1).exclude(document=source.document)
    assert not other.exists()
    kept = Extraction.objects.get(schema_version=v2, variable_key="country")
    kept.human_value, kept.corrected = "Changed on v2", True
    kept.save()
    assert carry_unchanged(v2) == 0
    kept.refresh_from_db()
    assert kept.human_value == "Changed on v2"
    for row in Extraction.objects.filter(schema_version=v1, document=source.document):
        row.pk, row.document = None, nine.documents.exclude(pk=source.document_id).first()
        row.save()
    assert carry_unchanged(v2) == 8
    assert carry_unchanged(v2) == 0


def test_removing_a_variable_leaves_nothing_to_run(engine_settings, llm_simulator, nine, user):
    _run(nine, user)
    Variable.objects.filter(project=nine, key="withdrew").delete()
    v2 = schema_confirm(project=nine, user=user)
    assert Extraction.objects.filter(schema_version=v2).count() == 5 * 8
    # Every document holds every value of version 2: processing is done, results await.
    assert project_step(project_get_for_user(user, nine.pk)) == 5
    assert document_counts(v2)["ready"] == 5
    with pytest.raises(jobs.JobConflict, match="already has every value"):
        jobs.job_create(project=nine, user=user, kind="sample")


def test_carried_values_alone_leave_a_document_not_processed(
    engine_settings, llm_simulator, nine, user
):
    _run(nine, user)
    _reword(nine, "year", "Four digits.")
    v2 = schema_confirm(project=nine, user=user)
    counts = document_counts(v2)
    assert (counts["ready"], counts["not_processed"]) == (0, 5)
    assert project_step(project_get_for_user(user, nine.pk)) == 4
    _run(nine, user)
    assert document_counts(v2)["ready"] == 5
    assert project_step(project_get_for_user(user, nine.pk)) == 5


def test_a_check_of_a_value_asked_again_does_not_vouch_for_the_new_one(
    engine_settings, llm_simulator, nine, user
):
    _run(nine, user, kind="sample", sample_size=1)
    v1 = SchemaVersion.objects.get(project=nine, number=1)
    checked = Extraction.objects.get(schema_version=v1, variable_key="country")
    extraction_review(extraction=checked, user=user, verified=True)
    corrected = Extraction.objects.get(schema_version=v1, variable_key="city")
    extraction_review(extraction=corrected, user=user, human_value="Lisbon")
    nine.model = "gpt-4o"
    nine.save(update_fields=["model"])
    _run(nine, user, kind="sample", sample_size=1, document_ids=[checked.document_id])
    checked.refresh_from_db()
    corrected.refresh_from_db()
    assert (checked.model, checked.verified, checked.review_status) == (
        "gpt-4o",
        False,
        "unchecked",
    )
    assert (corrected.corrected, corrected.human_value) == (True, "Lisbon")


def test_held_keys_reads_each_document_s_own_set(nine):
    from processing.reuse import held_keys

    v1 = SchemaVersion.objects.get(project=nine, number=1)
    a, b, c, d = nine.documents.order_by("id")[:4]
    model = nine.model_name
    holds = {a: ["country", "year"], b: ["country"], c: v1.variable_keys}
    for document, keys in holds.items():
        for key in keys:
            Extraction.objects.create(
                document=document, schema_version=v1, variable_key=key, status="ok", model=model
            )
    Extraction.objects.create(  # another model's value does not count
        document=d, schema_version=v1, variable_key="city", status="ok", model="other"
    )
    held = held_keys(version_id=v1.pk, model=model, keys=v1.variable_keys)
    assert held == {
        a.pk: frozenset({"country", "year"}),
        b.pk: frozenset({"country"}),
        c.pk: frozenset(v1.variable_keys),
    }
    only = held_keys(version_id=v1.pk, model=model, keys=["year"], document_ids=[a.pk, b.pk])
    assert only == {a.pk: frozenset({"year"})}
