"""Exports read back and compared with the database, cell by cell, for hostile data:
unicode, newlines, commas, quotes, formula-like text, NUL and control characters,
nulls, lists and multi-categories, with human corrections that must win."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest
from django.db import connection

from exports.cells import join_list, sanitise_text
from exports.models import Export
from exports.services import export_build
from extractor.text import without_nul
from processing.models import Extraction
from projects.models import Document, Project
from schemas.models import SchemaVersion

pytestmark = pytest.mark.django_db

VARIABLES = [
    {"key": "title", "label": "Title", "type": "text", "instructions": "t",
     "allowed_values": [], "required": False},
    {"key": "count", "label": "Count", "type": "integer", "instructions": "c",
     "allowed_values": [], "required": False},
    {"key": "share", "label": "Share", "type": "number", "instructions": "s",
     "allowed_values": [], "required": False},
    {"key": "ratified", "label": "Ratified", "type": "boolean", "instructions": "r",
     "allowed_values": [], "required": False},
    {"key": "signed", "label": "Signed", "type": "date", "instructions": "d",
     "allowed_values": [], "required": False},
    {"key": "stance", "label": "Stance", "type": "category", "instructions": "s",
     "allowed_values": ["for", "against", "=neutral"], "required": False},
    {"key": "topics", "label": "Topics", "type": "multi_category", "instructions": "t",
     "allowed_values": ["trade", "climate; energy", "security"], "required": False},
    {"key": "names", "label": "Names", "type": "list", "instructions": "n",
     "allowed_values": [], "required": False},
]  # fmt: skip

HOSTILE_TEXT = [
    "Zürich, “quoted”, naïve — 東京 — שלום — مرحبا 🎉",
    'line one\nline two, with "quotes", commas; and semicolons',
    "=SUM(A1:A9)",
    "+33 1 23 45",
    "-minus first",
    "@cmd|' /C calc'!A0",
    "\tleading tab",
    "\rleading CR",
    "NUL\x00inside and bell\x07 and vertical\x0btab",
    None,
]

ROWS = [
    # title, count, share, ratified, signed, stance, topics, names
    (HOSTILE_TEXT[0], 12, 0.5, True, "2007-12-13", "for", ["trade"], ["Ana", "Bo"]),
    (HOSTILE_TEXT[1], -5, -1.25, False, "2001", "against", [], []),
    (HOSTILE_TEXT[2], None, None, None, None, "=neutral", ["climate; energy"], ["=x", "a;b"]),
    (HOSTILE_TEXT[3], 0, 3.0, True, "1994-04", None, ["trade", "security"], None),
    (HOSTILE_TEXT[4], 7, 1e-3, False, "2016-11-04", "for", None, ["back\\slash"]),
    (HOSTILE_TEXT[5], 1, 2.5, True, "1957-03-25", "against", ["security"], ["x"]),
    (HOSTILE_TEXT[6], 2, 0.0, None, "1999-01-01", "for", ["trade"], ["y"]),
    (HOSTILE_TEXT[7], 3, 10.0, True, "2020-02-29", "for", ["trade"], ["z"]),
    (HOSTILE_TEXT[8], 4, 4.5, False, "2010-10-10", "against", ["climate; energy"], ["w"]),
    (HOSTILE_TEXT[9], 5, 5.5, True, None, None, None, None),
]
KEYS = [variable["key"] for variable in VARIABLES]


@pytest.fixture
def version(user):
    project = Project.objects.create(owner=user, name="Hostile")
    version = SchemaVersion.objects.create(
        project=project,
        number=1,
        variables=VARIABLES,
        system_prompt="s",
        user_template="u",
        json_schema={},
        prompt_hash="h" * 64,
    )
    for index, row in enumerate(ROWS):
        document = Document.objects.create(
            project=project,
            name=f"=doc {index}, “n”",
            source_type="csv",
            sha256=f"{index:064d}",
            text="text",
            status="ready",
            metadata={"source": "=cmd()", "row": index, "note": "a,b\nc"},
        )
        for key, value in zip(KEYS, row, strict=True):
            if connection.vendor == "postgresql":
                value = without_nul(value)  # PostgreSQL cannot store NUL; SQLite can
            extraction = Extraction(
                document=document,
                schema_version=version,
                variable_key=key,
                value=value,
                status="ok" if value is not None else "missing",
                evidence=f"evidence for {key}: =quote\n“{index}”",
            )
            extraction.refresh_sort_keys()
            extraction.save()
    # A human correction must win over the model's value in every format.
    corrected = Extraction.objects.get(document__name="=doc 0, “n”", variable_key="count")
    corrected.human_value, corrected.corrected = 99, True
    corrected.save()
    return version


def _expected_rows(version):
    rows = {}
    for extraction in Extraction.objects.filter(schema_version=version):
        rows.setdefault(extraction.document_id, {})[extraction.variable_key] = extraction
    return rows


def _build(version, fmt, **options) -> Export:
    export = Export.objects.create(
        project=version.project, schema_version=version, format=fmt, options=options
    )
    export = export_build(export)
    assert export.status == Export.Status.COMPLETED, export.error
    assert export.row_count == len(ROWS)
    return export


def _csv_text(value, var_type) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, list):
        return sanitise_text(join_list(value)) if value else ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value != int(value) else str(value)
    return sanitise_text(str(value))


def test_csv_matches_the_database_cell_by_cell(version):
    export = _build(version, "csv", include_evidence=True, bom=True)
    raw = export.file.open("rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\x00" not in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    expected = _expected_rows(version)
    assert len(rows) == len(ROWS)
    for row in rows:
        cells = expected[int(row["document_id"])]
        for key in KEYS:
            extraction = cells[key]
            var_type = next(v["type"] for v in VARIABLES if v["key"] == key)
            got = row[key]
            if var_type == "number" and extraction.final_value is not None:
                assert float(got) == pytest.approx(extraction.final_value)
            else:
                assert got == _csv_text(extraction.final_value, var_type), (key, got)
            status = "corrected" if extraction.corrected else extraction.status
            assert row[f"{key}__status"] == status
            assert row[f"{key}__evidence"] == sanitise_text(extraction.evidence)
        assert row["source"] == "'=cmd()"
        assert row["note"] == "a,b\nc"
        assert row["document_name"].startswith("'=doc")
    first = next(r for r in rows if r["document_name"] == "'=doc 0, “n”")
    assert first["count"] == "99"  # the correction, not the model's 12
    assert first["count__status"] == "corrected"  # not the model's verdict on its 12


def test_xlsx_matches_the_database_with_typed_cells(version):
    export = _build(version, "xlsx")
    workbook = openpyxl.load_workbook(export.file.open("rb"))
    sheet = workbook["data"]
    header = [cell.value for cell in sheet[1]]
    expected = _expected_rows(version)
    for values in sheet.iter_rows(min_row=2, values_only=True):
        row = dict(zip(header, values, strict=True))
        cells = expected[row["document_id"]]
        for key in KEYS:
            value = cells[key].final_value
            got = row[key]
            if value is None or value == []:
                assert got in (None, ""), (key, got)
            elif isinstance(value, bool):
                assert got is value
            elif isinstance(value, int | float):
                assert got == pytest.approx(value)
            elif key == "signed" and len(value) == 10:
                assert got.date() == dt.date.fromisoformat(value)
            elif isinstance(value, list):
                assert got == sanitise_text(join_list(value))
            else:
                assert got == sanitise_text(value), (key, got)
    codebook = list(workbook["codebook"].iter_rows(values_only=True))
    assert [row[0] for row in codebook[1:]] == KEYS
    metadata = dict(workbook["metadata"].iter_rows(values_only=True))
    assert metadata["prompt_hash"] == "h" * 64
    assert metadata["simulated"] in (False, "FALSE", 0)


def test_json_keeps_values_exactly(version):
    export = _build(version, "json", include_evidence=True)
    document = json.loads(export.file.open("rb").read().decode("utf-8"))
    expected = _expected_rows(version)
    assert [entry["key"] for entry in document["codebook"]] == KEYS
    assert document["metadata"]["schema_version"] == 1
    for row in document["rows"]:
        cells = expected[row["document_id"]]
        for key in KEYS:
            value = cells[key].final_value
            if isinstance(value, str):
                # JSON is data: text comes back as stored (only unpaired surrogates would
                # be replaced, and there are none here).
                assert row[key] == value
            else:
                assert row[key] == value
        assert row["source"] == "=cmd()"
