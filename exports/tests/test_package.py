"""The replication package (exports.package), written from a project the engine coded
against the simulator and people then checked: every member, read back and compared
with the database; the figures of METHODS.md computed again here from the rows."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import Counter, defaultdict

import pandas as pd
import pytest
from django.db.models import Q

from exports import rounds
from exports.cells import join_list
from exports.models import CodingItem, Export
from exports.package import public_url, response_line
from exports.review import extraction_review
from exports.services import export_create
from extractor.llm import records
from extractor.llm.models import LLMCall
from processing import jobs
from processing.engine import job_run
from processing.models import Extraction, ProcessingJob
from projects.models import Document
from schemas.calls import document_calls
from schemas.models import SchemaVersion, Variable
from schemas.prompts import build_messages, build_prompt
from schemas.versions import current_version, schema_confirm

pytestmark = pytest.mark.django_db
LINE_KEYS = {
    "call_id", "job_id", "document_id", "request_hash", "model", "created_at", "finished_at",
    "prompt_tokens", "cached_tokens", "completion_tokens", "cost_usd", "finish_reason",
    "batch_id", "simulated", "served_from_cache", "response",
}  # fmt: skip
DATA_FILES = {"data/dataset.csv", "data/dataset.parquet"}


# --- set-up --------------------------------------------------------------------------------


@pytest.fixture
def reviewed(processed_project, user):
    """Every country verified; two stances and one year corrected to other values, two
    more stances verified: 5 + 4 + 1 values checked, 3 of them disagreeing."""
    version = current_version(processed_project)
    values = Extraction.objects.filter(schema_version=version).order_by("document_id")
    for extraction in values.filter(variable_key="country"):
        extraction_review(extraction=extraction, user=user, verified=True)
    stances = list(values.filter(variable_key="stance"))
    for extraction in stances[:2]:
        other = "neutral" if extraction.value != "neutral" else "oppose"
        extraction_review(extraction=extraction, user=user, human_value=other)
    for extraction in stances[2:4]:
        extraction_review(extraction=extraction, user=user, verified=True)
    year = values.filter(variable_key="year").last()
    extraction_review(extraction=year, user=user, human_value=(year.value or 2000) + 1)
    return version


def package(export: Export) -> dict[str, bytes]:
    assert export.status == Export.Status.COMPLETED, export.error
    with export.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def export_package(project, user, version, **options) -> Export:
    return export_create(project=project, user=user, format="package", version=version, **options)


# --- what the test computes itself from the database ------------------------------------------


def final_values(version) -> dict[int, dict[str, object]]:
    rows: dict[int, dict[str, object]] = defaultdict(dict)
    for extraction in Extraction.objects.filter(schema_version=version):
        rows[extraction.document_id][extraction.variable_key] = extraction.final_value
    return rows


def kappa(pairs: list[tuple]) -> float | None:
    """Cohen's kappa from the textbook formula, independent of exports.agreement."""
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[label] * second[label] for label in first) / (n * n)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def checked_pairs(version) -> dict[str, list[tuple]]:
    """(model, person) per variable over the values a person checked, schema order."""
    pairs: dict[str, list[tuple]] = {key: [] for key in version.variable_keys}
    reviewed = Extraction.objects.filter(schema_version=version).filter(
        Q(verified=True) | Q(corrected=True)
    )
    for extraction in reviewed:
        human = extraction.human_value if extraction.corrected else extraction.value
        pairs[extraction.variable_key].append((extraction.value, human))
    return pairs


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, list):
        return join_list(value)
    return str(value)


def parquet_cell(value):
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


# --- the package of the service ---------------------------------------------------------------


@pytest.fixture
def exported(reviewed, processed_project, user):
    export = export_package(processed_project, user, reviewed)
    return export, package(export)


def test_every_member_the_readme_lists_exists_and_none_is_unlisted(exported):
    _, files = exported
    readme = files["README.md"].decode()
    listed = re.findall(r"^- `([^`]+)`", readme, flags=re.MULTILINE)
    assert set(listed) == set(files), set(listed) ^ set(files)
    for name in (
        "METHODS.md", "data/dataset.csv", "data/dataset.parquet", "codebook.json",
        "codebook.md", "prompts/v1/system.txt", "prompts/v1/user_template.txt",
        "prompts/v1/schema.json", "prompts/v1/prompt_hash.txt", "model.json",
        "responses.jsonl", "agreement.json",
    ):  # fmt: skip
        assert name in files
    assert "data/dataset.dta" not in files and "reliability.json" not in files
    assert not any(name.startswith("texts/") for name in files)
    for snippet in ("arrow::read_parquet", "pd.read_parquet", "haven::read_dta", "pd.read_spss"):
        assert snippet in readme


def test_csv_and_parquet_rows_are_the_final_values(exported, reviewed):
    export, files = exported
    expected = final_values(reviewed)
    documents = Document.objects.filter(project=reviewed.project).count()
    rows = list(csv.DictReader(io.StringIO(files["data/dataset.csv"].decode("utf-8"))))
    assert export.row_count == len(rows) == documents
    frame = pd.read_parquet(io.BytesIO(files["data/dataset.parquet"]))
    assert len(frame) == documents
    parquet_rows = {int(row["document_id"]): row for row in frame.to_dict("records")}
    by_document = {int(row["document_id"]): row for row in rows}
    for document_id, values in expected.items():
        for key in reviewed.variable_keys:
            value = values.get(key)
            assert by_document[document_id][key] == csv_cell(value), (document_id, key)
            assert parquet_cell(parquet_rows[document_id][key]) == value, (document_id, key)
    corrections = Extraction.objects.filter(schema_version=reviewed, corrected=True)
    assert corrections.count() == 3
    for extraction in corrections:  # the person's value, not the model's
        assert extraction.human_value != extraction.value
        cell = by_document[extraction.document_id][extraction.variable_key]
        assert cell == csv_cell(extraction.human_value)


def test_methods_names_model_version_documents_and_agreement(exported, reviewed):
    export, files = exported
    methods = files["METHODS.md"].decode()
    version = reviewed
    models = set(
        ProcessingJob.objects.filter(project=version.project).values_list("model", flat=True)
    )
    for model in models:
        assert f"`{model}`" in methods
    assert "schema version 1" in methods
    documents = Document.objects.filter(project=version.project).count()
    assert f"Of the project's {documents} documents, {documents} (100.0%) were coded" in methods
    pairs = checked_pairs(version)
    checked_documents = (
        Extraction.objects.filter(schema_version=version)
        .filter(Q(verified=True) | Q(corrected=True))
        .values("document_id")
        .distinct()
        .count()
    )
    assert f"In n = {checked_documents} documents checked by a person" in methods
    n = sum(len(p) for p in pairs.values())
    agree = sum(model == human for p in pairs.values() for model, human in p)
    assert (n, agree) == (10, 7)
    assert f"Overall, {agree} of {n} checked values agreed ({100 * agree / n:.1f}%)" in methods
    for key, reviewed_pairs in pairs.items():
        if not reviewed_pairs:
            assert f"`{key}` n/a" not in methods and f"`{key}` 0.0%" not in methods
            continue
        share = 100 * sum(a == b for a, b in reviewed_pairs) / len(reviewed_pairs)
        assert f"`{key}` {share:.1f}% (n = {len(reviewed_pairs)}" in methods
    stance_kappa = kappa(pairs["stance"])
    if stance_kappa is not None:
        assert f"`stance` 50.0% (n = 4, Cohen's κ = {stance_kappa:.2f})" in methods
    assert f"{n} of the dataset's" in methods
    # The simulator's answers are said to be simulated, prominently.
    assert export.options["simulated"] is True
    assert methods.split("\n\n")[1].startswith("> **Simulated values.**")


def test_responses_one_line_per_value_producing_call_and_no_secrets(exported, reviewed):
    _, files = exported
    lines = [json.loads(line) for line in files["responses.jsonl"].decode().splitlines()]
    pairs = set(
        Extraction.objects.filter(schema_version=reviewed).values_list("job_id", "document_id")
    )
    calls = [
        call
        for call in LLMCall.objects.filter(outcome__in=["success", "cached"])
        if (call.job_id, call.document_id) in pairs
    ]
    assert len(lines) == len(calls) >= Document.objects.filter(project=reviewed.project).count()
    by_id = {call.pk: call for call in calls}
    for line in lines:
        source = by_id[line["call_id"]]
        assert line["response"] == source.response
        assert line["request_hash"] == source.request_hash
        assert line["completion_tokens"] == source.completion_tokens
        assert "document_id" in line and "batch_id" in line and "cost_usd" in line
    assert {key for line in lines for key in line} == LINE_KEYS  # no messages, no text
    # A document's text is there only as far as the model quoted it: a short document
    # may be quoted whole, and be a text value. Elsewhere it is nowhere.
    quotes = {
        entry.get("evidence")
        for line in lines
        for entry in (line["response"] or {}).values()
        if isinstance(entry, dict)
    }
    texts = Document.objects.filter(project=reviewed.project).values_list("text", flat=True)
    for text in texts:
        assert text.encode() not in files["responses.jsonl"] or text in quotes
        holding = [name for name, data in files.items() if text.encode() in data]
        assert set(holding) <= {"responses.jsonl", *DATA_FILES}, holding
    for name, data in files.items():
        assert b"sk-" not in data, name
    model = json.loads(files["model.json"])
    assert model["structured_output"] == "json_schema"
    assert model["parameters"]["max_output_tokens_setting"] > 0
    assert model["provider"]["base_urls"] and all(
        url.startswith("http://127.0.0.1") for url in model["provider"]["base_urls"]
    )
    jobs = ProcessingJob.objects.filter(project=reviewed.project)
    assert [job["id"] for job in model["jobs"]] == sorted(jobs.values_list("pk", flat=True))
    assert model["runs"]["first_started_at"] and model["runs"]["last_finished_at"]


def test_prompts_are_what_the_engine_sends(exported, reviewed):
    _, files = exported
    version = reviewed
    bundle = build_prompt(instructions=version.instructions, variables=version.variables)
    system = files["prompts/v1/system.txt"].decode()
    assert system == bundle.system
    document = Document.objects.filter(project=version.project).first()
    sent = document_calls(
        project=version.project,
        variables=version.variables,
        instructions=version.instructions,
        document=document,
        count_tokens=False,
    )
    assert system == sent[0]["messages"][0]["content"]
    template = files["prompts/v1/user_template.txt"].decode()
    rendered = build_messages(bundle, document_name=document.name, text=document.text)[1]
    assert (
        template.replace("{document_name}", document.name).replace("{document_text}", document.text)
        == rendered["content"]
    )
    assert json.loads(files["prompts/v1/schema.json"]) == bundle.json_schema
    assert files["prompts/v1/prompt_hash.txt"].decode().strip() == version.prompt_hash


def test_codebook_and_agreement_members(exported, reviewed):
    _, files = exported
    book = json.loads(files["codebook.json"])
    assert [v["key"] for v in book["variables"]] == reviewed.variable_keys
    assert set(book["variables"][0]) == {
        "key", "label", "type", "instructions", "allowed_values", "required"
    }  # fmt: skip
    header = files["data/dataset.csv"].decode().splitlines()[0].split(",")
    assert [column["name"] for column in book["columns"]] == header
    assert "system-missing" in book["missing_values"]
    assert "system-missing" in files["codebook.md"].decode()
    agreement = json.loads(files["agreement.json"])
    stance = next(row for row in agreement["variables"] if row["key"] == "stance")
    assert (stance["n_verified"], stance["n_agree"]) == (4, 2)


def test_texts_only_when_asked(reviewed, processed_project, user):
    files = package(export_package(processed_project, user, reviewed, include_texts=True))
    for document in Document.objects.filter(project=processed_project):
        assert files[f"texts/{document.pk}.txt"].decode() == document.text
    assert "- `texts/`" in files["README.md"].decode()


def test_a_completed_round_gives_reliability(reviewed, processed_project, team):
    coding_round = rounds.round_create(
        project=processed_project,
        user=team["alice"],
        coders=["carol", "dave"],
        variables=["stance", "country"],
        seed=3,
    )
    model = {(e.document_id, e.variable_key): e.value for e in reviewed.extractions.all()}
    for item in CodingItem.objects.filter(round=coding_round).select_related("round", "coder"):
        rounds.item_code(
            item=item, user=item.coder, value=model[item.document_id, item.variable_key]
        )
    files = package(export_package(processed_project, team["alice"], reviewed))
    reliability = json.loads(files["reliability.json"])
    assert reliability["coders"] == ["carol", "dave"]
    methods = files["METHODS.md"].decode()
    assert "Krippendorff's alpha" in methods
    assert "2 coders (carol and dave)" in methods
    assert f"coded the same {reliability['units']} documents independently" in methods


def test_carried_values_bring_their_version_prompts_and_calls(processed_project, user):
    Variable.objects.filter(project=processed_project, key="country").update(
        instructions="The country the document is mostly about."
    )
    v2 = schema_confirm(project=processed_project, user=user)
    job = jobs.job_create(project=processed_project, user=user, kind="full")
    job_run(job_id=job.pk, hostname="test")
    carried = Extraction.objects.filter(schema_version=v2, carried_from=1)
    assert carried.exists()
    files = package(export_package(processed_project, user, v2))
    v1 = SchemaVersion.objects.get(project=processed_project, number=1)
    assert files["prompts/v1/system.txt"].decode() == v1.system_prompt
    assert files["prompts/v2/system.txt"].decode() == v2.system_prompt != v1.system_prompt
    lines = [json.loads(line) for line in files["responses.jsonl"].decode().splitlines()]
    assert {line["job_id"] for line in lines} == set(
        Extraction.objects.filter(schema_version=v2).values_list("job_id", flat=True)
    )
    methods = files["METHODS.md"].decode()
    assert f"{carried.count()} values were carried unchanged from schema version 1," in methods


# --- the API ---------------------------------------------------------------------------------


def test_api_package_with_stata_and_spss(reviewed, processed_project, api, tmp_path):
    body = {"format": "package", "package_formats": ["dta", "sav"]}
    answer = api.post(f"/api/v1/projects/{processed_project.pk}/exports/", body, format="json")
    assert answer.status_code == 201, answer.content
    export = Export.objects.get(pk=answer.json()["id"])
    assert export.options["package_formats"] == ["dta", "sav"]
    files = package(export)
    documents = Document.objects.filter(project=processed_project).count()
    stata = pd.read_stata(io.BytesIO(files["data/dataset.dta"]))
    path = tmp_path / "dataset.sav"
    path.write_bytes(files["data/dataset.sav"])
    spss = pd.read_spss(str(path))
    assert len(stata) == len(spss) == documents
    readme = files["README.md"].decode()
    assert 'haven::read_dta("data/dataset.dta")' in readme
    assert 'pd.read_spss("data/dataset.sav")' in readme
    assert "- `data/dataset.dta`" in readme and "- `data/dataset.sav`" in readme
    book = json.loads(files["codebook.json"])
    assert set(book["renamed_columns"]) == {"stata", "spss"}
    derived = [column["name"] for column in book["derived_columns"]]
    assert "signed_on__text" in derived
    plain = [column["name"] for column in book["columns"]] + derived
    for frame, package_name in ((stata, "stata"), (spss, "spss")):
        renames = book["renamed_columns"][package_name]
        assert sorted(frame.columns) == sorted(renames.get(name, name) for name in plain)


# --- units -----------------------------------------------------------------------------------


def test_public_url_drops_credentials_query_and_fragment():
    url = "https://user:sk-secret@api.example.org:8443/v1?api-key=sk-x#frag"
    assert public_url(url) == "https://api.example.org:8443/v1"
    assert public_url("http://127.0.0.1:9000/v1") == "http://127.0.0.1:9000/v1"
    assert public_url("") == ""


def test_a_cache_hit_shows_the_call_it_was_served_from(processed_project):
    original = LLMCall.objects.filter(outcome="success", purpose="extraction").first()
    hit = records.record_cache_hit(
        source=original,
        context_fields={"purpose": "extraction", "job_id": original.job_id, "document_id": 1},
    )
    line = response_line(LLMCall.objects.select_related("cached_from").get(pk=hit.pk))
    assert line["call_id"] == original.pk
    assert line["served_from_cache"]["cache_call_id"] == hit.pk
    assert line["completion_tokens"] == original.completion_tokens
    assert line["document_id"] == 1
    assert line["response"] == original.response
