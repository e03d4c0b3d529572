"""The replication package: one ZIP with the dataset and everything needed to say how
it was made (README.md lists the members; ``write_package`` writes them).

The data are read from the database once, into a JSON-lines spool on disk, and every
data file (CSV, Parquet, and on request Stata and SPSS) is written from that spool: the
files agree with each other even while people keep reviewing, and memory stays flat.
Each data file goes through a temporary file into the archive; the responses and texts
are streamed into their members row by row. Nothing here holds the dataset in memory
(the Stata and SPSS writers build one data frame: pyreadstat writes nothing else).

Nothing secret leaves: the provider's address is stripped of user, password, query and
fragment, the API key is never read, and no document text beyond the model's quotes is
written unless the export asks for the texts.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from exports.dataset import export_table
from exports.layout import Column
from exports.methods import methods_text
from exports.parquet import write_parquet
from exports.results import project_agreement
from exports.statistics import (
    file_fields,
    renamed,
    spss_names,
    stata_names,
    write_dta,
    write_sav,
)
from exports.writers import CODEBOOK_FIELDS, ExportTable, write_csv
from extractor.llm.client import provider_config
from extractor.llm.errors import LLMConfigurationError
from extractor.llm.models import LLMCall
from processing.models import Extraction, ProcessingJob
from projects.models import Document
from schemas.models import SchemaVersion
from schemas.planning import group_variables
from schemas.prompts import build_messages, build_prompt

NAME_PLACEHOLDER = "{document_name}"
TEXT_PLACEHOLDER = "{document_text}"
STATISTICS_FORMATS = ("dta", "sav")
TEXT_CHUNK = 50  # documents read at a time for texts/: their texts can be long
CALL_CHUNK = 500
JOB_FIELDS = (
    "id", "schema_version__number", "kind", "mode", "model", "status", "sample_size", "seed",
    "simulated", "total", "succeeded", "failed", "llm_calls", "input_tokens", "cached_tokens",
    "output_tokens", "cost_usd", "created_at", "started_at", "finished_at",
)  # fmt: skip

Writer = Callable[[ExportTable, IO[bytes]], int]


# --- small helpers ---------------------------------------------------------------------


def _json(value: Any) -> str:
    """Indented UTF-8 JSON for the small members people read."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} cannot be written to JSON.")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def public_url(url: str) -> str:
    """``url`` without user, password, query or fragment: where a key could hide."""
    if not url:
        return ""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


# --- the data, read once -----------------------------------------------------------------


def _spool(rows: Iterator[Sequence[Any]], path: Path) -> int:
    """Write the rows to ``path`` as JSON lines (ASCII: any text survives); their count."""
    count = 0
    with path.open("w", encoding="ascii") as handle:
        for row in rows:
            handle.write(json.dumps(list(row)) + "\n")
            count += 1
    return count


def _replay(path: Path) -> Iterator[list[Any]]:
    with path.open(encoding="ascii") as handle:
        for line in handle:
            yield json.loads(line)


def _data_writers(options: Mapping[str, Any]) -> list[tuple[str, Writer]]:
    """(member name, writer) of every data file the options ask for."""
    booleans = options.get("booleans") or "true_false"
    bom = bool(options.get("bom"))

    def csv_writer(table: ExportTable, handle: IO[bytes]) -> int:
        return write_csv(table, handle, bom=bom, booleans=booleans)

    writers: list[tuple[str, Writer]] = [
        ("data/dataset.csv", csv_writer),
        ("data/dataset.parquet", write_parquet),
    ]
    chosen = set(options.get("package_formats") or [])
    by_format = {"dta": write_dta, "sav": write_sav}
    writers += [
        (f"data/dataset.{fmt}", by_format[fmt]) for fmt in STATISTICS_FORMATS if fmt in chosen
    ]
    return writers


def _write_data(
    archive: zipfile.ZipFile, table: ExportTable, spool: Path, writers: list[tuple[str, Writer]]
) -> int:
    """Each data file written from the spool to a temporary file, then archived; the
    CSV's row count is the package's."""
    counts = []
    for name, writer in writers:
        replayed = ExportTable(
            metadata=table.metadata,
            codebook=table.codebook,
            columns=table.columns,
            rows=_replay(spool),
        )
        path = spool.with_name(Path(name).name)
        with path.open("w+b") as handle:
            counts.append(writer(replayed, handle))
        archive.write(path, name)
        path.unlink()
    return counts[0]


# --- codebook ---------------------------------------------------------------------------------

COLUMN_NOTES = {
    "id": "The document's id in the workbench (texts/<id>.txt, responses.jsonl).",
    "metadata": "A metadata field of the document's table row.",
    "evidence": "The quote that supports the value.",
    "status": "How the checks judged the model's value (see notes.value_source).",
    "review": "unchecked, verified or corrected.",
    "confidence": "The model's confidence, 0 to 1.",
}
DOCUMENT_NOTES = {
    "document_status": "Whether the document was coded (see notes.document_status).",
    "document_error": "Why the document could not be read or coded.",
    "document_metadata": "The document's own metadata, as a JSON object.",
}


def _column_entry(column: Column, labels: Mapping[str, str]) -> dict[str, Any]:
    """One column of the data files, said in words."""
    label = labels.get(column.source or "")
    if column.name == "document_name":
        note = "The document's name (its file name, or its table row)."
    elif column.kind == "document":
        note = DOCUMENT_NOTES.get(column.source or "", "About the document.")
    elif column.kind in COLUMN_NOTES:
        note = COLUMN_NOTES[column.kind]
    elif column.field == "value":
        note = f"The final value of {column.source}" + (f" ({label})." if label else ".")
    else:
        note = f"The {column.field} value of {column.source}."
    return {"name": column.name, "kind": column.kind, "source": column.source, "note": note}


NAMES_OF = {"dta": ("stata", stata_names), "sav": ("spss", spss_names)}
PACKAGE_NAMES = {"stata": "Stata", "spss": "SPSS"}


def _derived_columns(table: ExportTable) -> list[dict[str, str]]:
    """The columns the Parquet, Stata and SPSS files add to the CSV's: a date's
    ``<key>__text`` and a multi-category's 0/1 dummies, each with the column it reads."""
    names = set(table.column_names)
    return [
        {"name": field.name, "from": table.columns[field.index].name, "label": field.label}
        for field in file_fields(table.columns, table.codebook)
        if field.name not in names
    ]


def _renames(table: ExportTable, formats: Sequence[str]) -> dict[str, dict[str, str]]:
    """The column names the Stata and SPSS files of the package had to change:
    ``{"stata": {column: name in the file}, "spss": {...}}``, renamed columns only."""
    found = {}
    for fmt in formats:
        package, names_of = NAMES_OF[fmt]
        found[package] = renamed(names_of(table.columns, table.codebook))
    return found


def codebook(table: ExportTable, formats: Sequence[str] = ()) -> dict[str, Any]:
    """codebook.json: variables, columns, how missing values are written, the notes;
    ``formats`` the statistics files (``dta``, ``sav``) whose renames it lists."""
    metadata = table.metadata
    labels = {variable["key"]: variable.get("label") or "" for variable in table.codebook}
    return {
        "schema_version": metadata["schema_version"],
        "prompt_hash": metadata["prompt_hash"],
        "variables": [
            {field: variable.get(field) for field in CODEBOOK_FIELDS} for variable in table.codebook
        ],
        "columns": [_column_entry(column, labels) for column in table.columns],
        "derived_columns": _derived_columns(table),
        "missing_values": metadata["missing_values"],
        "renamed_columns": _renames(table, formats),
        "notes": {
            "value_source": metadata["value_source"],
            "review": metadata["review_note"],
            "document_status": metadata["document_status_note"],
            "document_metadata": metadata["document_metadata_note"],
            "carried": metadata["carried_note"],
            "simulated": metadata["simulated_note"],
        },
    }


def codebook_markdown(book: Mapping[str, Any]) -> str:
    """codebook.md: the same as codebook.json, for reading."""
    lines = [f"# Codebook (schema version {book['schema_version']})", ""]
    for variable in book["variables"]:
        lines += [f"## `{variable['key']}`: {variable.get('label') or ''}".rstrip(": "), ""]
        lines.append(f"- Type: {variable['type']}")
        lines.append(f"- Required: {'yes' if variable.get('required') else 'no'}")
        if variable.get("allowed_values"):
            allowed = ", ".join(f"`{value}`" for value in variable["allowed_values"])
            lines.append(f"- Allowed values: {allowed}")
        if variable.get("instructions"):
            lines.append(f"- Instructions: {' '.join(variable['instructions'].split())}")
        lines.append("")
    lines += ["## Columns", "", "| column | kind | note |", "| --- | --- | --- |"]
    lines += [f"| `{c['name']}` | {c['kind']} | {c['note']} |" for c in book["columns"]]
    if book["derived_columns"]:
        lines += ["", "Parquet, Stata and SPSS files add these columns after the one they read:"]
        lines += [""] + [
            f"- `{c['name']}` (from `{c['from']}`): {c['label']}" for c in book["derived_columns"]
        ]
    lines += ["", "## Missing values", "", book["missing_values"], ""]
    for package, changes in book["renamed_columns"].items():
        lines += [f"## Column names in the {PACKAGE_NAMES[package]} file", ""]
        lines += [f"- `{old}` is `{new}`" for old, new in changes.items()] or ["- none renamed"]
        lines.append("")
    lines += ["## Notes", ""]
    lines += [f"- **{key}**: {text}" for key, text in book["notes"].items() if text]
    return "\n".join(lines) + "\n"


# --- prompts ----------------------------------------------------------------------------------


def prompt_versions(version: SchemaVersion) -> list[SchemaVersion]:
    """The versions whose prompts produced the dataset's values: this one, those its
    carried values were copied from, and those of the runs that answered them."""
    values = Extraction.objects.filter(schema_version=version)
    numbers = {version.number}
    numbers |= set(
        values.filter(carried_from__isnull=False)
        .order_by()
        .values_list("carried_from", flat=True)
        .distinct()
    )
    numbers |= set(
        ProcessingJob.objects.filter(pk__in=values.values("job_id"))
        .values_list("schema_version__number", flat=True)
        .distinct()
    )
    return list(
        SchemaVersion.objects.filter(project_id=version.project_id, number__in=numbers).order_by(
            "number"
        )
    )


def prompt_files(version: SchemaVersion) -> dict[str, str]:
    """``prompts/v<N>/...`` of one version: its exact system message, the user message
    with placeholders, the JSON Schema and the hash. With more variables than one call
    takes, the system message and schema of each call's group as well."""
    base = f"prompts/v{version.number}/"
    user = build_messages(version, document_name=NAME_PLACEHOLDER, text=TEXT_PLACEHOLDER)[1]
    files = {
        base + "system.txt": version.system_prompt,
        base + "user_template.txt": user["content"],
        base + "schema.json": _json(version.json_schema),
        base + "prompt_hash.txt": version.prompt_hash + "\n",
    }
    groups = group_variables(version.variables)
    if len(groups) > 1:
        for number, group in enumerate(groups, start=1):
            bundle = build_prompt(instructions=version.instructions, variables=group)
            files[f"{base}group{number}_system.txt"] = bundle.system
            files[f"{base}group{number}_schema.json"] = _json(bundle.json_schema)
    return files


# --- runs, calls ----------------------------------------------------------------------------


def _jobs(job_ids: Sequence[int]) -> list[dict[str, Any]]:
    rows = ProcessingJob.objects.filter(pk__in=job_ids).order_by("id").values(*JOB_FIELDS)
    jobs = []
    for row in rows:
        row["schema_version"] = row.pop("schema_version__number")
        row["cost_usd"] = float(row["cost_usd"])
        jobs.append(row)
    return jobs


def _max_tokens_param() -> str:
    """The name the output limit is sent under (never the key of the configuration)."""
    try:
        return provider_config().max_tokens_param
    except LLMConfigurationError:
        return settings.LLM_MAX_TOKENS_PARAM


def _base_urls(job_ids: Sequence[int]) -> list[str]:
    """Where the runs' calls went, as recorded on each call, stripped of secrets; the
    configured endpoint when no call recorded one."""
    recorded = (
        LLMCall.objects.filter(job_id__in=job_ids)
        .exclude(base_url="")
        .order_by()
        .values_list("base_url", flat=True)
        .distinct()
    )
    urls = sorted({public_url(url) for url in recorded})
    if urls:
        return urls
    try:
        return [public_url(provider_config().base_url)]
    except LLMConfigurationError:
        return []


def model_info(metadata: Mapping[str, Any], jobs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """model.json: provider, structured-output mode, models, parameters, runs."""
    job_ids = [job["id"] for job in jobs]
    sent = (
        LLMCall.objects.filter(job_id__in=job_ids, max_output_tokens__isnull=False)
        .order_by()
        .values_list("max_output_tokens", flat=True)
        .distinct()
    )
    starts = [job["started_at"] for job in jobs if job["started_at"]]
    ends = [job["finished_at"] for job in jobs if job["finished_at"]]
    return {
        "provider": {"api": "OpenAI-compatible chat completions", "base_urls": _base_urls(job_ids)},
        "structured_output": settings.LLM_STRUCTURED_OUTPUT,
        "models": metadata["models"],
        "parameters": {
            "max_output_tokens_setting": settings.LLM_MAX_OUTPUT_TOKENS,
            "max_output_tokens_sent": sorted(sent),
            "max_tokens_param": _max_tokens_param(),
            "temperature": None,
            "temperature_note": "not sent: the provider's default",
            "max_variables_per_call": settings.PROCESSING_MAX_VARIABLES_PER_CALL,
            "max_chunk_tokens": settings.PROCESSING_MAX_CHUNK_TOKENS,
            "response_cache": settings.LLM_CACHE_ENABLED,
        },
        "settings_note": "structured_output and parameters are the settings at export; "
        "max_output_tokens_sent is what the calls recorded.",
        "runs": {
            "first_started_at": _iso(min(starts, default=None)),
            "last_finished_at": _iso(max(ends, default=None)),
        },
        "jobs": list(jobs),
        "simulated": metadata["simulated"],
    }


def value_calls(version: SchemaVersion, job_ids: Sequence[int]):
    """The calls whose answers became the dataset's values: the successful and cached
    extraction calls of each (job, document) that wrote a value of the version."""
    wrote = Extraction.objects.filter(
        schema_version=version, job_id=OuterRef("job_id"), document_id=OuterRef("document_id")
    )
    return (
        LLMCall.objects.filter(
            job_id__in=job_ids,
            purpose="extraction",
            outcome__in=[LLMCall.Outcome.SUCCESS, LLMCall.Outcome.CACHED],
        )
        .filter(Exists(wrote))
        .select_related("cached_from")
        .order_by("id")
    )


def response_line(call: LLMCall) -> dict[str, Any]:
    """One line of responses.jsonl: the answer and what it cost when it was made (a
    cache hit shows the original call it was served from)."""
    source = call.cached_from or call
    served = call.outcome == LLMCall.Outcome.CACHED
    return {
        "call_id": source.pk,
        "job_id": call.job_id,
        "document_id": call.document_id,
        "request_hash": source.request_hash,
        "model": source.model,
        "created_at": _iso(source.created_at),
        "finished_at": _iso(source.finished_at),
        "prompt_tokens": source.prompt_tokens,
        "cached_tokens": source.cached_tokens,
        "completion_tokens": source.completion_tokens,
        "cost_usd": float(source.cost_usd),
        "finish_reason": source.finish_reason,
        "batch_id": source.batch_id or None,
        "simulated": source.simulated,
        "served_from_cache": {"cache_call_id": call.pk, "served_at": _iso(call.created_at)}
        if served
        else None,
        "response": source.response,
    }


def _member(name: str) -> zipfile.ZipInfo:
    """A streamed member's entry: compressed, dated now (``ZipInfo`` defaults to 1980)."""
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _write_responses(archive: zipfile.ZipFile, calls) -> int:
    count = 0
    with archive.open(_member("responses.jsonl"), "w", force_zip64=True) as member:
        for call in calls.iterator(chunk_size=CALL_CHUNK):
            line = json.dumps(response_line(call), ensure_ascii=False, default=_json_default)
            member.write((line + "\n").encode("utf-8", "surrogatepass"))
            count += 1
    return count


def _write_texts(archive: zipfile.ZipFile, version: SchemaVersion) -> None:
    documents = (
        Document.objects.filter(project_id=version.project_id)
        .order_by("id")
        .values_list("id", "text")
    )
    for pk, text in documents.iterator(chunk_size=TEXT_CHUNK):
        with archive.open(_member(f"texts/{pk}.txt"), "w", force_zip64=True) as member:
            member.write(text.encode("utf-8", "surrogatepass"))


# --- METHODS.md ------------------------------------------------------------------------


# Taken from the export's metadata as they are.
METADATA_FACTS = (
    "values", "values_verified", "values_corrected", "values_unchecked", "values_carried",
    "carried_from_versions", "llm_calls", "input_tokens", "cached_input_tokens",
    "output_tokens", "cost_usd", "simulated", "exported_at",
)  # fmt: skip


def methods_facts(
    version: SchemaVersion,
    metadata: Mapping[str, Any],
    jobs: Sequence[Mapping[str, Any]],
    agreement: list[dict],
    versions: Sequence[SchemaVersion],
    info: Mapping[str, Any],
) -> dict[str, Any]:
    """The facts ``exports.methods.methods_text`` writes from, all read from the
    database (JSON-ready: it is the package's record of what the text says)."""
    checked = (
        Extraction.objects.filter(schema_version=version)
        .filter(Q(verified=True) | Q(corrected=True))
        .order_by()
        .values("document_id")
        .distinct()
        .count()
    )
    return {
        "schema_version": version.number,
        "prompt_versions": [v.number for v in versions],
        "prompt_hash": version.prompt_hash,
        "variables": [
            {"key": v["key"], "label": v.get("label") or "", "type": v["type"]}
            for v in version.variables
        ],
        "models": metadata["models"],
        "structured_output": info["structured_output"],
        "jobs": [
            {
                key: _iso(value) if isinstance(value, dt.datetime) else value
                for key, value in job.items()
            }
            for job in jobs
        ],
        **info["runs"],
        "documents": metadata["documents"],
        "documents_coded": metadata["documents_ready"],
        "documents_failed": metadata["documents_failed_total"],
        "documents_not_processed": metadata["documents_not_processed"],
        "documents_pending": metadata["documents_not_ready"],
        "documents_checked": checked,
        **{key: metadata[key] for key in METADATA_FACTS},
        "agreement": agreement,
        "reliability": metadata["reliability"],
    }


# --- README.md -------------------------------------------------------------------------

R_SNIPPETS = {
    "parquet": 'data <- arrow::read_parquet("data/dataset.parquet")',
    "csv": 'data <- readr::read_csv("data/dataset.csv")',
    "dta": 'data <- haven::read_dta("data/dataset.dta")',
    "sav": 'data <- haven::read_sav("data/dataset.sav")',
}
PANDAS_SNIPPETS = {
    "parquet": 'data = pd.read_parquet("data/dataset.parquet")',
    "csv": 'data = pd.read_csv("data/dataset.csv")',
    "dta": 'data = pd.read_stata("data/dataset.dta")',
    "sav": 'data = pd.read_spss("data/dataset.sav")  # needs pyreadstat',
}


PROMPTS_NOTE = (
    "Each document was sent as the system message of its schema version and the user "
    "template with the document's name and text in place. model.json gives the "
    "structured-output mode: with json_schema the schema went as the response format; "
    "with json_object it was appended to the system message between "
    "`===== BEGIN JSON SCHEMA =====` and `===== END JSON SCHEMA =====`. A long document "
    "was sent in chunks, each in the same frame."
)


def readme(
    members: Sequence[tuple[str, str]], *, metadata: Mapping[str, Any], formats: Sequence[str]
) -> str:
    """README.md: what each member is, and how to read the data in R and pandas."""
    title = (
        f"# Replication package: {metadata['project']}, schema version {metadata['schema_version']}"
    )
    lines = [title, ""]
    if metadata["simulated"]:
        lines += [f"**SIMULATED VALUES.** {metadata['simulated_note']}", ""]
    lines += [
        f"Exported {metadata['exported_at']}. Every file was written from the workbench's "
        "database; METHODS.md is a draft methods section built from the same figures.",
        "",
        "## Files",
        "",
    ]
    lines += [f"- `{name}`: {text}" for name, text in members]
    shown = ["parquet", "csv", *formats]
    lines += ["", "## Reading the data", "", "In R (any one of):", "", "```r"]
    lines += [R_SNIPPETS[fmt] for fmt in shown]
    lines += [
        'codebook <- jsonlite::fromJSON("codebook.json")',
        "```",
        "",
        "In Python (pandas, any one of):",
    ]
    lines += ["", "```python", "import pandas as pd", ""]
    lines += [PANDAS_SNIPPETS[fmt] for fmt in shown]
    lines += ['responses = pd.read_json("responses.jsonl", lines=True)', "```", ""]
    if not formats:
        lines += [
            "Stata and SPSS files are not in this package; export it again with them "
            "(`haven::read_dta`, `haven::read_sav`, `pd.read_stata`, `pd.read_spss` read them).",
            "",
        ]
    lines += ["## Missing values", "", metadata["missing_values"], ""]
    lines += ["## Prompts", "", PROMPTS_NOTE, ""]
    return "\n".join(lines)


def _members(
    *,
    data: Sequence[str],
    prompts: Sequence[str],
    reliability: bool,
    texts: bool,
    booleans: str = "true_false",
) -> list[tuple[str, str]]:
    """(name, what it is) of every member, in archive order."""
    truth = "1/0" if booleans == "1_0" else "TRUE/FALSE"
    kinds = {
        ".csv": f"the dataset, one row per document (UTF-8 CSV, booleans as {truth})",
        ".parquet": "the dataset as Parquet, types kept",
        ".dta": "the dataset as a Stata file (see codebook for renamed columns)",
        ".sav": "the dataset as an SPSS file (see codebook for renamed columns)",
    }
    members = [
        ("README.md", "this file"),
        ("METHODS.md", "a draft methods section written from the database's figures"),
    ]
    members += [(name, kinds[Path(name).suffix]) for name in data]
    members += [
        ("codebook.json", "variables, columns, missing values, notes"),
        ("codebook.md", "the codebook, for reading"),
    ]
    members += [(name, _prompt_note(name)) for name in prompts]
    members += [
        ("model.json", "provider address, structured-output mode, models, parameters, runs"),
        (
            "responses.jsonl",
            "every model answer behind a value, one JSON object a line; a line "
            "served_from_cache cost nothing again (its tokens and cost are the original's)",
        ),
        ("agreement.json", "model vs. person agreement per variable, as the API gives it"),
    ]
    if reliability:
        members.append(("reliability.json", "the latest completed coding round's reliability"))
    if texts:
        members.append(("texts/", "each document's text as `texts/<document_id>.txt`"))
    return members


def _prompt_note(name: str) -> str:
    file = Path(name).name
    if file == "system.txt":
        return "the exact system message sent with every document"
    if file == "user_template.txt":
        return "the user message, {document_name} and {document_text} standing for the document"
    if file == "schema.json":
        return "the JSON Schema of the answer"
    if file == "prompt_hash.txt":
        return "the hash of system message, user template and schema together"
    return "the system message or schema of one call's group of variables"


# --- the package ---------------------------------------------------------------------------


def write_package(
    version: SchemaVersion, fileobj: IO[bytes], options: Mapping[str, Any]
) -> tuple[int, bool]:
    """Write the replication package of ``version`` as a ZIP to ``fileobj``; returns
    (data rows written, whether any value was simulated)."""
    table = export_table(
        version,
        include_evidence=bool(options.get("include_evidence")),
        include_audit=bool(options.get("include_audit")),
        layout="wide",  # a package holds the wide dataset (the API refuses long)
    )
    metadata = table.metadata
    jobs = _jobs(metadata["job_ids"])
    versions = prompt_versions(version)
    prompts: dict[str, str] = {}
    for source in versions:
        prompts.update(prompt_files(source))
    agreement = project_agreement(version.project, version)
    writers = _data_writers(options)
    formats = [fmt for fmt in STATISTICS_FORMATS if f"data/dataset.{fmt}" in dict(writers)]
    include_texts = bool(options.get("include_texts"))
    members = _members(
        data=[name for name, _ in writers],
        prompts=list(prompts),
        reliability=metadata["reliability"] is not None,
        texts=include_texts,
        booleans=options.get("booleans") or "true_false",
    )
    book = codebook(table, formats)
    info = model_info(metadata, jobs)
    facts = methods_facts(version, metadata, jobs, agreement, versions, info)
    with (
        tempfile.TemporaryDirectory(dir=settings.DATA_DIR, prefix="package-") as work,
        zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        archive.writestr("README.md", readme(members, metadata=metadata, formats=formats))
        archive.writestr("METHODS.md", methods_text(facts))
        spool = Path(work) / "rows.jsonl"
        _spool(table.rows, spool)
        rows = _write_data(archive, table, spool, writers)
        spool.unlink()
        archive.writestr("codebook.json", _json(book))
        archive.writestr("codebook.md", codebook_markdown(book))
        for name, text in prompts.items():
            archive.writestr(name, text)
        archive.writestr("model.json", _json(info))
        _write_responses(archive, value_calls(version, metadata["job_ids"]))
        archive.writestr(
            "agreement.json", _json({"schema_version": version.number, "variables": agreement})
        )
        if metadata["reliability"] is not None:
            archive.writestr("reliability.json", _json(metadata["reliability"]))
        if include_texts:
            _write_texts(archive, version)
    return rows, bool(metadata["simulated"])
