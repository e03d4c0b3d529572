"""The served OpenAPI document against the binding contract in docs/API.md.

(a) The document generates without a single drf-spectacular warning and validates as
    OpenAPI 3 (what ``manage.py spectacular --validate --fail-on-warn`` does).
(b) Every method and path in API.md's tables is in the document, with the same path
    once API.md's placeholders (``{id}``) are put in place of the document's parameter
    names by position, the query parameters API.md names, and the status codes it names.

docs/API.md is a copy of the contract kept in the repository; when the contract changes,
copy it again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

API_MD = Path(settings.BASE_DIR) / "docs" / "API.md"
BASE_PATH = "/api/v1"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class ContractRow:
    methods: tuple[str, ...]
    path: str  # as written in API.md, without the query string
    query: tuple[str, ...]  # query parameters API.md names for its GETs
    answer: str

    def __str__(self) -> str:
        return f"{'/'.join(self.methods)} {self.path}"


_CELL = re.compile(r"`([^`]*)`")


SECOND_ROUND = "## Second round of the contract"


# Sections of the second round that have been built, by their bold title.
LANDED = (
    "Documents parsed by workers.",
    "Members",
    "Schema iteration.",
    "Processing.",
    "Review.",
    "Coding rounds.",
    "Exports.",
)


def first_round(text: str) -> str:
    """API.md's binding text for what is built: the first round, and the sections of
    the second round in ``LANDED`` (each is added once the issue that builds it lands)."""
    first, _, second = text.partition(SECOND_ROUND)
    sections = re.split(r"\n(?=\*\*)", second)
    built = [
        section for section in sections if section.startswith(tuple(f"**{t}**" for t in LANDED))
    ]
    return "\n".join([first, *built])


def contract_rows(text: str) -> list[ContractRow]:
    """The rows of API.md's method-and-path tables."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        first, body, answer = _split_row(line)[:3]
        match = _CELL.fullmatch(first)
        if not match:
            continue
        methods_text, _, target = match.group(1).partition(" ")
        methods = tuple(methods_text.split("/"))
        if not set(methods) <= METHODS:
            continue
        path, _, query_text = target.partition("?")
        query = re.findall(r"[?&]([a-z_]+)=", "?" + query_text) if query_text else []
        if "GET" in methods:
            query += re.findall(r"`\?([a-z_]+)=", body)
        rows.append(ContractRow(methods, path, tuple(dict.fromkeys(query)), answer))
    return rows


def _split_row(line: str) -> list[str]:
    """A table row's cells; a ``|`` inside backticks (``?kind=sample|full``) stays."""
    cells, current, in_code = [], "", False
    for char in line.strip().strip("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(current.strip())
            current = ""
        else:
            current += char
    cells.append(current.strip())
    return cells


def expected_statuses(row: ContractRow, method: str) -> set[str]:
    """Status codes API.md names for this method: 201 belongs to POST, 204 to DELETE,
    any other code to every method of its row; a GET answers 200."""
    codes = set(re.findall(r"\b([1-5]\d\d)\b", row.answer))
    expected = {code for code in codes if code not in {"201", "204"}}
    if method == "POST" and "201" in codes:
        expected.add("201")
    if method == "DELETE" and "204" in codes:
        expected.add("204")
    if method == "GET":
        expected.add("200")
    return expected


def openapi_path_for(document: dict, contract_path: str) -> str | None:
    """The document's path matching API.md's, placeholders compared by position."""
    pattern = re.sub(r"\\\{[^}]*\\\}", r"\\{[a-z_]+\\}", re.escape(BASE_PATH + contract_path))
    matches = [path for path in document["paths"] if re.fullmatch(pattern, path)]
    assert len(matches) <= 1, f"{contract_path} matches {matches}"
    return matches[0] if matches else None


ROWS = contract_rows(first_round(API_MD.read_text()))
CASES = [(row, method) for row in ROWS for method in row.methods]


@pytest.fixture(scope="module")
def document(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_api_md_tables_were_read():
    # The rows of the four step tables and of the landed sections: a guard for the parser.
    assert len(ROWS) == 42
    assert len(CASES) == 50
    assert ContractRow(("GET",), "/projects/{id}/estimate/", ("kind", "sample_size"), "") in [
        ContractRow(row.methods, row.path, row.query, "") for row in ROWS
    ]


def test_openapi_document_generates_without_warnings_and_validates(tmp_path, capsys):
    GENERATOR_STATS.reset()  # warnings are counted per process
    output = tmp_path / "schema.yaml"
    try:
        call_command("spectacular", validate=True, fail_on_warn=True, file=str(output))
    except Exception as exc:  # SchemaGenerationError or SchemaValidationError
        pytest.fail(f"{type(exc).__name__}: {exc}\n{capsys.readouterr().err}")
    assert output.stat().st_size > 10_000


@pytest.mark.parametrize(("row", "method"), CASES, ids=[f"{m} {r.path}" for r, m in CASES])
def test_contract_operation_is_documented(document, row, method):
    path = openapi_path_for(document, row.path)
    assert path, f"{method} {row.path} of API.md is not in the OpenAPI document"
    assert len(re.findall(r"\{", path)) == len(re.findall(r"\{", row.path))
    operation = document["paths"][path].get(method.lower())
    assert operation, f"{method} {path} is not documented"

    path_parameters = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
    assert path_parameters == set(re.findall(r"\{([a-z_]+)\}", path))

    query_parameters = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    if method == "GET":
        missing = set(row.query) - query_parameters
        assert not missing, f"{method} {path}: query parameters {missing} not documented"

    documented = set(operation["responses"])
    missing = expected_statuses(row, method) - documented
    assert not missing, f"{method} {path}: API.md names {missing}, the document has {documented}"


def test_error_responses_have_the_error_format(document):
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "details"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status == "default" or status[0] in "45":
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_paginated_lists_have_the_page_shape(document):
    for row, method in CASES:
        if method != "GET" or "page of" not in row.answer:
            continue
        operation = document["paths"][openapi_path_for(document, row.path)]["get"]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        assert {"count", "next", "previous", "results"} <= set(schema["properties"]), row
        names = {p["name"] for p in operation.get("parameters", [])}
        assert {"page", "page_size"} <= names, row


def test_throttled_creates_document_429_with_retry_after(document):
    for path, method in [
        ("/projects/{project_id}/documents/", "post"),
        ("/projects/{project_id}/variables/suggest/", "post"),
        ("/projects/{project_id}/jobs/", "post"),
        ("/projects/{project_id}/exports/", "post"),
        ("/auth/token/", "post"),
    ]:
        response = document["paths"][BASE_PATH + path][method]["responses"]["429"]
        assert "Retry-After" in response["headers"], path


def contract_objects(text: str) -> dict[str, list[str]]:
    """The field lists API.md gives for its objects (``Project: `{id, name, ...}```)."""
    found = {}
    for name, fields in re.findall(r"\b([A-Z][a-z]+): `\{([^`]*)\}`", text):
        if name in {"Row", "Errors"}:
            continue  # Row is nested (checked below); Errors is the error format (tested above)
        found[name] = [field.strip() for field in fields.split(",")]
    return found


def _properties(document: dict, component: str) -> set[str]:
    return set(document["components"]["schemas"][component]["properties"])


def test_contract_fields_are_in_the_document(document):
    objects = contract_objects(first_round(API_MD.read_text()))
    assert set(objects) == {"Project", "Document", "Variable", "Version", "Job", "Export"}
    for name, fields in objects.items():
        missing = set(fields) - _properties(document, name)
        assert not missing, f"{name} lacks {missing}"
    assert "text" in _properties(document, "DocumentDetail")
    # Row: {document: {id, name, metadata}, values: {<key>: {extraction_id, ...}}}
    assert {"document", "values"} <= _properties(document, "ResultRow")
    assert {"id", "name", "metadata"} <= _properties(document, "ResultDocument")
    row = re.search(r"Row: `(\{.*?\})`", API_MD.read_text(), re.DOTALL).group(1)
    cell = re.search(r"<key>: \{([^}]*)\}", row).group(1)
    assert {field.strip() for field in cell.split(",")} <= _properties(document, "ResultCell")


def test_schema_iteration_is_in_the_document(document):
    # The "Schema iteration" section of the second round: a version's changes, the
    # estimate's carried values and mode, the comparison of two versions.
    version = _properties(document, "Version")
    assert "changes" in version
    assert {"carried_values", "mode"} <= _properties(document, "Estimate")
    estimate = document["paths"][BASE_PATH + "/projects/{project_id}/estimate/"]["get"]
    mode = next(p for p in estimate["parameters"] if p["name"] == "mode")
    assert _enum(document, mode["schema"]) == ["standard", "batch"]
    compare = document["paths"][BASE_PATH + "/projects/{project_id}/schema/compare/"]["get"]
    assert {p["name"] for p in compare["parameters"] if p["in"] == "query"} >= {"a", "b"}
    assert {"key", "a", "b", "changed_values"} <= _properties(document, "CompareVariable")
    assert {"agreement", "kappa", "n"} <= _properties(document, "CompareSide")


def test_batch_mode_is_in_the_document(document):
    # The "Processing" section: a job's mode, simulated flag and provider batch.
    job = document["components"]["schemas"]["Job"]["properties"]
    assert {"mode", "simulated", "provider_batch"} <= set(job)
    assert _enum(document, job["mode"]) == ["standard", "batch"]
    batch = _ref(document, job["provider_batch"])
    assert {"id", "status", "request_counts"} <= set(batch["properties"])
    create = document["components"]["schemas"]["JobCreateRequest"]["properties"]
    assert _enum(document, create["mode"]) == ["standard", "batch"]


def test_research_exports_are_in_the_document(document):
    # The "Exports" section: the formats and the options every format shares.
    create = document["components"]["schemas"]["ExportCreateRequest"]["properties"]
    assert set(_enum(document, create["format"])) >= {"dta", "sav", "parquet", "package"}
    assert _enum(document, create["layout"]) == ["wide", "long"]
    assert _enum(document, create["booleans"]) == ["true_false", "1_0"]
    assert {"layout", "booleans", "include_audit"} <= _properties(document, "Export")
    download = document["paths"][BASE_PATH + "/exports/{export_id}/download/"]["get"]
    assert {"application/zip", "application/x-stata-dta"} <= set(
        download["responses"]["200"]["content"]
    )


def _ref(document: dict, schema: dict) -> dict:
    """The component a property points at (``$ref``, or the first of ``allOf``/``oneOf``)."""
    ref = schema.get("$ref") or next(
        (
            part["$ref"]
            for key in ("allOf", "oneOf")
            for part in schema.get(key, [])
            if "$ref" in part
        ),
        None,
    )
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def _enum(document: dict, schema: dict) -> list[str]:
    return _ref(document, schema)["enum"]


def _enum_values(document: dict, component: str, field: str) -> list[str]:
    schema = document["components"]["schemas"][component]["properties"][field]
    ref = schema.get("$ref") or schema.get("allOf", [{}])[0].get("$ref")
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"]


def test_contract_enumerations_match(document):
    # In API.md's order: a variable's type, a job's status, an export's status, then the
    # landed sections': a document's status.
    listed = re.findall(r"`(\w+)` is one of\s+`([^`]*)`", first_round(API_MD.read_text()))
    owners = ["Variable", "Job", "Export", "Document"]
    assert [field for field, _ in listed] == ["type", "status", "status", "status"]
    for owner, (field, values) in zip(owners, listed, strict=True):
        assert _enum_values(document, owner, field) == values.split(), (owner, field)


# --- What a generated client reads (clients/typescript) ---------------------------------

CLIENT_DOCUMENT = Path(settings.BASE_DIR) / "clients" / "typescript" / "openapi.json"
# Answers of model serializers: every field is in every object, so every one is required.
MODEL_ANSWERS = [
    "Project",
    "Document",
    "DocumentDetail",
    "UploadStatus",
    "Member",
    "Variable",
    "Version",
    "Job",
    "JobItem",
    "JobLog",
    "ProviderBatch",
    "Extraction",
    "Export",
    "Round",
]
# Any JSON at all, on purpose: the model's raw answer as it came.
UNTYPED_ON_PURPOSE = {("Extraction", "raw")}


def _differing(committed: dict, served: dict) -> list[str]:
    """The paths and components whose description differs between two documents."""
    sections = {
        "path": (committed["paths"], served["paths"]),
        "component": (committed["components"]["schemas"], served["components"]["schemas"]),
    }
    return [
        f"{label} {name}"
        for label, (before, after) in sections.items()
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    ]


def test_the_typescript_clients_document_is_the_served_one(document):
    committed = json.loads(CLIENT_DOCUMENT.read_text())
    changed = _differing(committed, document)
    assert committed == document, (
        f"clients/typescript/openapi.json is out of date ({', '.join(changed[:10]) or 'other'}):"
        " run `make client` and commit openapi.json and src/schema.ts"
    )


def test_model_answers_list_every_field_as_required(document):
    schemas = document["components"]["schemas"]
    for name in MODEL_ANSWERS:
        assert set(schemas[name].get("required", [])) == set(schemas[name]["properties"]), name


def test_every_page_has_next_and_previous(document):
    pages = [name for name in document["components"]["schemas"] if name.startswith("Paginated")]
    assert len(pages) >= 10
    for name in pages:
        page = document["components"]["schemas"][name]
        assert set(page["required"]) == {"count", "next", "previous", "results"}, name


def _untyped(schema: dict) -> bool:
    keys = {"type", "$ref", "anyOf", "oneOf", "allOf", "enum"}
    return not keys & set(schema)


def test_answers_say_the_type_of_every_field(document):
    """No answer field is "any JSON" (a client's `unknown`) but the raw model answer:
    values are the Value union, metadata objects, lists lists of their items."""
    untyped = []
    for name, component in document["components"]["schemas"].items():
        if name.endswith("Request"):
            continue
        for field, schema in component.get("properties", {}).items():
            inner = schema.get("items", schema) if schema.get("type") == "array" else schema
            if (_untyped(schema) or _untyped(inner)) and (name, field) not in UNTYPED_ON_PURPOSE:
                untyped.append(f"{name}.{field}")
    assert untyped == []


def test_values_and_money_have_their_types(document):
    schemas = document["components"]["schemas"]
    value = schemas["Value"]
    for component, field in [
        ("ResultCell", "final_value"),
        ("Extraction", "value"),
        ("PatchedReviewRequest", "human_value"),
        ("RoundItemValueRequest", "value"),
    ]:
        assert _ref(document, schemas[component]["properties"][field]) == value, component
    assert [each["type"] for each in value["anyOf"]] == ["string", "number", "boolean", "array"]
    assert value["nullable"] is True
    assert schemas["JobCreateRequest"]["properties"]["budget_usd"]["type"] == "number"
    assert _enum(document, schemas["Export"]["properties"]["layout"]) == ["wide", "long"]
    assert _enum(document, schemas["Export"]["properties"]["booleans"]) == ["true_false", "1_0"]


def test_the_readmes_typescript_example_is_the_one_the_client_test_runs():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    shown = re.search(r"```ts\n(.*?)```", readme, re.S).group(1)
    example = CLIENT_DOCUMENT.parent / "examples" / "quickstart.ts"
    ran = example.read_text().replace('from "../src/index.js"', 'from "@extractor/client"')
    assert shown == ran
    assert len(shown.strip().splitlines()) <= 11
