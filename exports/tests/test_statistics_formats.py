"""Stata and SPSS exports read back with pyreadstat and compared with the database:
every cell, type, value label, variable label and measurement level, wide and long;
and the name rules, the dummies and text a format cannot hold, on their own."""

from __future__ import annotations

import datetime as dt
import io
import math
import re

import pandas as pd
import pyreadstat
import pytest
from django.db import connection

from exports.cells import join_list
from exports.dataset import export_table
from exports.layout import Column, wide_columns, wide_row
from exports.models import Export
from exports.services import export_create
from exports.statistics import (
    renamed,
    spss_names,
    stata_names,
    write_dta,
    write_sav,
)
from exports.writers import ExportTable
from extractor.text import without_nul
from processing.models import Extraction
from projects.models import Document, Project
from schemas.models import SchemaVersion

LONG_LABEL = (
    "Le pays principal dont parle le document, tel que le texte le nomme "
    "(Côte d'Ivoire, États-Unis, 日本...) : un libellé bien trop long pour Stata"
)
LONG_KEY = "a_key_long_enough_to_need_a_shorter_name_in_stata"
COUNTRIES = ['Côte d\'Ivoire, "Nord"', "France", "日本"]
TOPICS = ["Trade", "climate; energy", "Sécurité"]
DUMMIES = {"Trade": "topics__trade", "climate; energy": "topics__climate_energy",
           "Sécurité": "topics__securite"}  # fmt: skip
VARIABLES = [
    {"key": "country", "label": LONG_LABEL, "type": "category", "instructions": "c",
     "allowed_values": COUNTRIES, "required": False},
    {"key": "topics", "label": "Topics", "type": "multi_category", "instructions": "t",
     "allowed_values": TOPICS, "required": False},
    {"key": "ratified", "label": "Ratified", "type": "boolean", "instructions": "r",
     "allowed_values": [], "required": False},
    {"key": "signed", "label": "Signing date", "type": "date", "instructions": "s",
     "allowed_values": [], "required": False},
    {"key": "in_force", "label": "Entry into force", "type": "date", "instructions": "f",
     "allowed_values": [], "required": False},
    {"key": "parties", "label": "Parties", "type": "integer", "instructions": "p",
     "allowed_values": [], "required": False},
    {"key": "share", "label": "Share", "type": "number", "instructions": "s",
     "allowed_values": [], "required": False},
    {"key": "summary", "label": "Summary", "type": "text", "instructions": "s",
     "allowed_values": [], "required": False},
    {"key": "names", "label": "Names", "type": "list", "instructions": "n",
     "allowed_values": [], "required": False},
    {"key": LONG_KEY, "label": "Long key", "type": "integer", "instructions": "l",
     "allowed_values": [], "required": False},
]  # fmt: skip
KEYS = [variable["key"] for variable in VARIABLES]
TYPES_BY_KEY = {variable["key"]: variable["type"] for variable in VARIABLES}
LONG_TEXT = ('Résumé du traité « accord » — 東京, "quoted"; line\nbreak. ' * 120)[:5000]
NUL_TEXT = "NUL\x00inside, “quoted”, naïve — 東京"

# The model's values per document; doc-d has none (not processed).
MODEL = {
    "doc-a": dict(country=COUNTRIES[0], topics=["Trade", "climate; energy"], ratified=True,
                  signed="2007-12-13", in_force="2009", parties=27, share=0.5,
                  summary=LONG_TEXT, names=["Ana", "a;b"], **{LONG_KEY: 123456}),
    "doc-b": dict(country="日本", topics=[], ratified=False, signed=None, in_force="2015-06",
                  parties=None, share=-1.25, summary=NUL_TEXT, names=None, **{LONG_KEY: None}),
    "doc-c": dict(country=None, topics=None, ratified=None, signed="2020-02-29",
                  in_force="2016-11-04", parties=175, share=None, summary=None, names=["x"],
                  **{LONG_KEY: -7}),
}  # fmt: skip
# A person's corrections (None: "there is no value"), which the final values must show.
CORRECTIONS = {
    ("doc-a", "parties"): 28,
    ("doc-a", "topics"): ["Sécurité"],
    ("doc-b", "country"): "France",
    ("doc-b", "in_force"): "2015-06-01",
    ("doc-c", "ratified"): True,
    ("doc-c", "share"): None,
}
METADATA = {
    "doc-a": {"source_row": 2, "Sample size (n)": 120, "if": "oui"},
    "doc-b": {"source_row": 3, "Sample size (n)": 80.5},
}
STATA_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
SPSS_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


def _stored(value):
    if isinstance(value, str) and connection.vendor == "postgresql":
        return without_nul(value)  # PostgreSQL cannot store NUL; SQLite can
    return value


@pytest.fixture
def dataset(user):
    return make_dataset(user)


def make_dataset(user) -> SchemaVersion:
    """A version with every variable type over four documents (see MODEL)."""
    project = Project.objects.create(owner=user, name="Traités & accords")
    version = SchemaVersion.objects.create(
        project=project,
        number=1,
        variables=VARIABLES,
        system_prompt="s",
        user_template="u",
        json_schema={},
        prompt_hash="h" * 64,
    )
    for index, name in enumerate(["doc-a", "doc-b", "doc-c", "doc-d"]):
        document = Document.objects.create(
            project=project,
            name=name,
            source_type="csv" if name in METADATA else "text",
            sha256=f"{index:064d}",
            text="text",
            status="ready",
            metadata=METADATA.get(name, {"title": "A PDF's title"}),
        )
        for position, (key, value) in enumerate(MODEL.get(name, {}).items()):
            extraction = Extraction(
                document=document,
                schema_version=version,
                variable_key=key,
                value=_stored(value),
                status="ok" if value is not None else "missing",
                confidence=0.5 + position / 100,
                evidence=f"quote for {key} «{index}»",
                evidence_start=10 * position,
                evidence_end=10 * position + 5,
                verified=position % 3 == 0,
            )
            if (name, key) in CORRECTIONS:
                extraction.human_value = CORRECTIONS[name, key]
                extraction.corrected = True
            extraction.refresh_sort_keys()
            extraction.save()
    return version


def by_document(version) -> dict[int, dict[str, Extraction]]:
    cells: dict[int, dict[str, Extraction]] = {}
    for extraction in Extraction.objects.filter(schema_version=version):
        cells.setdefault(extraction.document_id, {})[extraction.variable_key] = extraction
    return cells


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def as_text(value) -> str | None:
    """A value as the long layout writes it: CSV's text (lists joined, TRUE/FALSE)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, list):
        return join_list(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def stat_text(value) -> str:
    """What a Stata or SPSS string holds: no NUL, empty for no value."""
    return (as_text(value) or "").replace("\x00", "")


def _export(user, version, fmt, **options) -> tuple[Export, str]:
    export = export_create(
        project=version.project, user=user, format=fmt, version=version, **options
    )
    assert export.status == Export.Status.COMPLETED, export.error
    return export, export.file.path


def _read(fmt: str, path: str):
    reader = pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav
    return reader(path)


def _columns(version, **options) -> list[Column]:
    return export_table(version, include_evidence=False, **options).columns


# --- wide -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_wide_file_matches_the_database_cell_by_cell(user, dataset, fmt):
    export, path = _export(user, dataset, fmt, include_audit=True)
    frame, meta = _read(fmt, path)
    columns = _columns(dataset, include_audit=True)
    names = (stata_names if fmt == "dta" else spss_names)(columns, VARIABLES)
    assert list(frame.columns) == list(names.values())
    assert export.row_count == len(frame) == 4
    cells = by_document(dataset)
    documents = dict(Document.objects.filter(project=dataset.project).values_list("id", "name"))
    rows = {int(row[names["document_id"]]): row for row in frame.to_dict("records")}
    assert set(rows) == set(documents)
    for document_id, row in rows.items():
        assert row["document_name"] == documents[document_id]
        held = cells.get(document_id, {})
        status = "ready" if held else "not_processed"
        assert row["document_status"] == status
        for key in KEYS:
            extraction = held.get(key)
            final = extraction.final_value if extraction else None
            _check_value(row, meta, names, key, final)
            if extraction is not None:
                _check_audit(row, meta, names, key, extraction)


def _check_value(row, meta, names, key, value):
    """One variable's final value (and its derived columns) in a Stata or SPSS row."""
    kind = TYPES_BY_KEY[key]
    got = row[names[key]]
    if kind in ("text", "list", "multi_category"):
        assert got == stat_text(value), key
    elif value is None:
        assert missing(got), (key, got)
    elif kind == "category":
        assert meta.variable_value_labels[names[key]][int(got)] == value
    elif kind == "boolean":
        assert int(got) == int(value)
    elif kind == "date":
        expected = dt.date.fromisoformat(value) if len(value) == 10 else None
        assert got == expected if expected else missing(got), (key, value, got)
    elif kind == "number":
        assert got == pytest.approx(value)
    else:
        assert int(got) == value
    if kind == "date":
        assert row[names[f"{key}__text"]] == (value or ""), key
    if kind == "multi_category":
        for option, dummy in DUMMIES.items():
            got = row[names[dummy]]
            assert missing(got) if value is None else int(got) == int(option in value), dummy


def _check_audit(row, meta, names, key, extraction):
    kind = TYPES_BY_KEY[key]
    for suffix, value in (("__model", extraction.value), ("__human", _human(extraction))):
        name = names[key + suffix]
        got = row[name]
        if kind == "category" and value is not None:
            assert meta.variable_value_labels[name][int(got)] == value
        elif kind == "date" or kind in ("text", "list", "multi_category"):
            assert got == stat_text(value), (name, got)  # a date's trail is its ISO text
        elif value is None:
            assert missing(got), name
        else:
            assert float(got) == pytest.approx(float(value)), name
    assert row[names[key + "__review"]] == str(extraction.review_status)
    assert row[names[key + "__status"]] == extraction.status
    assert row[names[key + "__confidence"]] == pytest.approx(extraction.confidence)
    assert row[names[key + "__evidence"]] == extraction.evidence


def _human(extraction):
    return extraction.human_value if extraction.corrected else None


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_wide_file_carries_value_labels_variable_labels_and_types(user, dataset, fmt):
    _, path = _export(user, dataset, fmt, include_audit=True)
    frame, meta = _read(fmt, path)
    names = (stata_names if fmt == "dta" else spss_names)(
        _columns(dataset, include_audit=True), VARIABLES
    )
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    yes_no = {0: "no", 1: "yes"}
    countries = dict(enumerate(COUNTRIES, start=1))
    assert meta.variable_value_labels[names["country"]] == countries
    assert meta.variable_value_labels[names["country__model"]] == countries
    assert meta.variable_value_labels[names["ratified"]] == yes_no
    for dummy in DUMMIES.values():
        assert meta.variable_value_labels[names[dummy]] == yes_no
    for key in ("parties", "share", "signed", "summary", "topics", "names"):
        assert names[key] not in meta.variable_value_labels
    # Variable labels: the variable's own, cut to 80 characters for Stata only.
    if fmt == "dta":
        assert labels[names["country"]] == LONG_LABEL[:79] + "…"
        assert all(len(label) <= 80 for label in meta.column_labels)
    else:
        assert labels[names["country"]] == LONG_LABEL
    assert labels[names["parties"]] == "Parties"
    assert labels[names["parties__human"]] == "Parties (person's correction)"
    assert labels[names["topics__securite"]] == "Topics: Sécurité"
    assert labels[names["signed__text"]].startswith("Signing date (as stored")
    assert labels[names["Sample size (n)"]] == "Sample size (n)"
    assert meta.readstat_variable_types[names["summary"]] == "string"
    for key in ("country", "ratified", "parties", "share", "signed", LONG_KEY):
        assert meta.readstat_variable_types[names[key]] != "string", key
    date_format = "%td" if fmt == "dta" else "DATE11"
    assert meta.original_variable_types[names["signed"]] == date_format
    # Table-row fields are typed by their values: integers, numbers, text.
    metadata = frame.set_index(names["document_name"])
    assert metadata.loc["doc-a", names["source_row"]] == 2
    assert metadata.loc["doc-b", names["Sample size (n)"]] == pytest.approx(80.5)
    assert metadata.loc["doc-a", names["if"]] == "oui"
    assert metadata.loc["doc-c", names["if"]] == ""
    if fmt == "sav":
        measures = meta.variable_measure
        for key in ("country", "ratified", "summary", "names", "topics__trade", "if"):
            assert measures[names[key]] == "nominal", key
        for key in ("parties", "share", "signed", "parties__confidence", "Sample size (n)"):
            assert measures[names[key]] == "scale", key


def test_stata_names_are_valid_and_the_renames_are_listed(user, dataset):
    columns = _columns(dataset, include_audit=True)
    stata = stata_names(columns, VARIABLES)
    spss = spss_names(columns, VARIABLES)
    assert all(STATA_NAME.fullmatch(name) for name in stata.values())
    assert all(SPSS_NAME.fullmatch(name) for name in spss.values())
    assert len({name.lower() for name in stata.values()}) == len(stata)
    assert renamed(stata) == {
        "Sample size (n)": "Sample_size_n",
        "if": "v_if",
        # 83 columns: 30 characters, room for a value-label set's counter.
        LONG_KEY: LONG_KEY[:30],
        f"{LONG_KEY}__model": "a_key_long_enough_to_ne__model",
        f"{LONG_KEY}__human": "a_key_long_enough_to_ne__human",
        f"{LONG_KEY}__review": "a_key_long_enough_to_n__review",
        f"{LONG_KEY}__status": "a_key_long_enough_to_n__status",
        f"{LONG_KEY}__confidence": "a_key_long_enough__confidence",
        f"{LONG_KEY}__evidence": "a_key_long_enough_to__evidence",
    }
    assert renamed(spss) == {"Sample size (n)": "Sample_size_n"}
    assert stata == stata_names(columns, VARIABLES)  # deterministic
    _, path = _export(user, dataset, "dta", include_audit=True)
    frame, _ = _read("dta", path)
    assert list(frame.columns) == list(stata.values())


def test_a_5000_character_text_survives_stata_as_strl(user, dataset):
    _, path = _export(user, dataset, "dta")
    document = Document.objects.get(project=dataset.project, name="doc-a")
    frame, _ = pyreadstat.read_dta(path)
    assert frame.loc[frame["document_id"] == document.pk, "summary"].item() == LONG_TEXT
    # Another reader of strL agrees (pandas' own Stata reader).
    other = pd.read_stata(path, convert_categoricals=False)
    assert other.loc[other["document_id"] == document.pk, "summary"].item() == LONG_TEXT


def test_the_api_exports_stata_and_spss(api, user, dataset):
    for fmt in ("dta", "sav"):
        answer = api.post(
            f"/api/v1/projects/{dataset.project.pk}/exports/", {"format": fmt}, format="json"
        )
        assert answer.status_code == 201, answer.content
        export = Export.objects.get(pk=answer.json()["id"])
        assert export.status == Export.Status.COMPLETED, export.error
        assert export.file.name.endswith(f".{fmt}")
        frame, meta = _read(fmt, export.file.path)
        assert len(frame) == 4
        assert meta.variable_value_labels["ratified"] == {0: "no", 1: "yes"}


# --- long -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_long_file_matches_the_database(user, dataset, fmt):
    export, path = _export(user, dataset, fmt, layout="long")
    frame, meta = _read(fmt, path)
    cells = by_document(dataset)
    assert export.row_count == len(frame) == sum(len(held) for held in cells.values()) == 30
    assert list(frame.columns) == [
        "document_id", "document_name", "variable", "value", "model_value", "human_value",
        "review_status", "status", "confidence", "evidence", "evidence_start", "evidence_end",
    ]  # fmt: skip
    for row in frame.to_dict("records"):
        extraction = cells[int(row["document_id"])][row["variable"]]
        assert row["value"] == stat_text(extraction.final_value)
        assert row["model_value"] == stat_text(extraction.value)
        assert row["human_value"] == stat_text(_human(extraction))
        assert row["review_status"] == str(extraction.review_status)
        assert row["status"] == extraction.status
        assert row["confidence"] == pytest.approx(extraction.confidence)
        assert row["evidence"] == extraction.evidence
        assert int(row["evidence_start"]) == extraction.evidence_start
        assert int(row["evidence_end"]) == extraction.evidence_end
    summary = frame[(frame["variable"] == "summary") & (frame["document_name"] == "doc-a")]
    assert summary["value"].item() == LONG_TEXT
    assert meta.readstat_variable_types["confidence"] == "double"
    assert meta.readstat_variable_types["value"] == "string"
    if fmt == "sav":
        assert meta.variable_measure["confidence"] == "scale"
        assert meta.variable_measure["review_status"] == "nominal"


# --- the rules on their own -------------------------------------------------------------


def test_names_are_made_valid_deterministically():
    names = ["1st wave", "if", "BY", "Sample size (n)", "sample_size_n", "ID", "id", "x" * 40,
             "Côte", "日本", "_private", "str12", "with"]  # fmt: skip
    stata = stata_names(names)
    spss = spss_names(names)
    assert stata == {
        "1st wave": "v_1st_wave",
        "if": "v_if",
        "BY": "BY",  # reserved in SPSS only
        "Sample size (n)": "Sample_size_n_2",  # the valid "sample_size_n" keeps its name
        "sample_size_n": "sample_size_n",
        "ID": "ID",
        "id": "id_2",  # the same name as "ID" to SPSS, so to both
        "x" * 40: "x" * 30,  # 13 columns: room for a two-digit label-set counter
        "Côte": "Cote",
        "日本": "var",
        "_private": "private",
        "str12": "v_str12",
        "with": "v_with",
    }
    assert spss["BY"] == "v_BY" and spss["if"] == "if" and spss["x" * 40] == "x" * 40
    assert spss["str12"] == "str12" and spss["with"] == "v_with"
    assert stata_names(list(reversed(names)))["id"] == "id"  # first come, first served


def test_dummy_names_are_slugged_and_never_take_another_columns_name():
    allowed = ["A-B", "a b", "model", "日本", "Évaluation d'impact"]
    variable = {
        "key": "topics",
        "label": "Topics",
        "type": "multi_category",
        "allowed_values": allowed,
    }
    columns = wide_columns([variable], [], include_audit=True)
    names = stata_names(columns, [variable])
    dummies = [name for name in names if name.startswith("topics__")]
    assert dummies[:5] == [
        "topics__a_b", "topics__a_b_2", "topics__model_2", "topics__4",
        "topics__evaluation_d_impact",
    ]  # fmt: skip
    assert "topics__model" in names  # the audit column keeps its name


def _table(columns, codebook, rows) -> ExportTable:
    return ExportTable(
        metadata={"project": "P" * 200, "schema_version": 3},
        codebook=codebook,
        columns=columns,
        rows=iter(rows),
    )


def test_text_a_format_cannot_hold_does_not_fail_the_export(tmp_path):
    variables = [
        {"key": "note", "label": "Note\x00 " + "é" * 300, "type": "text"},
        {"key": "size", "label": "Size", "type": "integer"},
        {"key": "share", "label": "Share", "type": "number"},
        {"key": "when", "label": "When", "type": "date"},
        {"key": "kind", "label": "Kind", "type": "category", "allowed_values": ["é" * 100, "b"]},
    ]
    columns = wide_columns(variables, [])
    huge = "ü" * 20_000  # 40,000 bytes: more than an SPSS string holds
    values = [
        {
            "note": "a\x00b\ud800c",
            "size": 2**40,
            "share": math.inf,
            "when": "2023-02-30",
            "kind": "é" * 100,
        },
        {"note": huge, "size": 2**70, "share": math.nan, "when": "1999-12", "kind": "other"},
    ]
    rows = [
        wide_row(columns, document_id=i, document_name=f"d{i}", metadata={},
                 values={key: {"value": value} for key, value in entry.items()})
        for i, entry in enumerate(values)
    ]  # fmt: skip
    for writer, fmt in ((write_dta, "dta"), (write_sav, "sav")):
        handle = io.BytesIO()
        assert writer(_table(columns, variables, rows), handle) == 2
        path = tmp_path / f"file.{fmt}"
        path.write_bytes(handle.getvalue())
        frame, meta = _read(fmt, path)
        assert frame["note"][0] == "ab\ufffdc"
        assert float(frame["size"][0]) == 2**40
        assert missing(frame["share"][0]) and missing(frame["share"][1])
        assert missing(frame["when"][0]) and frame["when__text"][0] == "2023-02-30"
        assert frame["when__text"][1] == "1999-12"
        # A value outside the allowed ones gets the next code, labelled with its text.
        assert [int(code) for code in frame["kind"]] == [1, 3]
        kinds = meta.variable_value_labels["kind"]
        assert (kinds[2], kinds[3]) == ("b", "other")
        if fmt == "sav":
            assert len(frame["note"][1].encode()) <= 32_767
            assert frame["note"][1].endswith(
                "[truncated: 20,000 characters in full, see the CSV or JSON export]"
            )
            assert len(meta.column_labels[2].encode()) <= 256
            assert kinds[1] == "é" * 58 + "…"  # SPSS value labels hold 120 bytes
        else:
            assert frame["note"][1] == huge
            assert len(meta.column_labels[2]) == 80
            assert kinds[1] == "é" * 100
        assert "\x00" not in meta.column_labels[2]


def test_many_labelled_variables_with_long_keys_make_a_stata_file(user):
    """pyreadstat names each value-label set after its variable plus a counter: with
    12 categories keyed in 31 characters, ``<key>11`` would pass Stata's 32."""
    from processing.tests.conftest import make_project

    keys = [f"policy_area_followup_number_{n:03d}" for n in range(12)]
    assert {len(key) for key in keys} == {31}
    project = make_project(
        user,
        documents=["One text.", "Another text."],
        variables=[(key, "category", "Which?", ["yes", "no"], False) for key in keys],
    )
    version = SchemaVersion.objects.get(project=project)
    for document in project.documents.all():
        for key in keys:
            Extraction.objects.create(
                document=document, schema_version=version, variable_key=key, value="no",
                status="ok",
            )  # fmt: skip
    export, path = _export(user, version, "dta")

    frame, meta = pyreadstat.read_dta(path)
    names = stata_names(export_table(version, include_evidence=False, include_audit=False).columns)
    assert all(len(name) <= 30 for name in meta.column_names)
    for key in keys:
        assert meta.variable_value_labels[names[key]] == {1: "yes", 2: "no"}
        assert frame[names[key]].tolist() == [2, 2]
