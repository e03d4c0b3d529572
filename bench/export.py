"""Export benchmark: ``export_build`` over 1,000 documents x 50 variables, and the first
page of the results table, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_helper \\
        .venv/bin/python bench/export.py [--quick] [--repeat 3] [--migrate] [--check]

Setup (not timed): 1,000 documents uploaded as one CSV (the other columns become
metadata), a confirmed 50-variable schema, one finished job, and 50,000 typed
extractions made with ``bulk_create``: values per type, evidence quoted from the
document with its offsets, statuses, about 2% corrected by a person and 3% verified;
then VACUUM (ANALYZE), as autovacuum would have done after a real job.

Exports: CSV, XLSX and JSON, each plain, with evidence columns, and with the audit
columns (``include_audit``: model and human values, review, status, confidence,
evidence per variable, the default of XLSX and JSON); DTA, SAV and Parquet plain, with
the audit columns and in the long layout (a row per document and variable); the
replication package with its dataset as CSV, Parquet, DTA and SAV. Each build runs in
a fresh process (``--child``), twice: once timed (wall time, peak RSS above the RSS just
before the build) and once under tracemalloc (Python heap peak; tracemalloc slows the
code down, so that run's time is not reported). ``--repeat N`` times each build N
times and reports the median.

Results page: ``GET /projects/<id>/results/`` (HTML, first page: 50 rows x 50 variables)
and ``GET /api/v1/projects/<id>/results/``, logged in through Django's test Client,
median of 20 requests after 2 untimed ones, with the queries per request: once with the
values unchanged (served from the results cache) and once with an unreviewed value
rewritten before each request, as a running job does (the table is read and drawn
afresh; the agreement figures, cached on the reviewed values, are not recomputed).

Targets: CSV and JSON under 2 s, XLSX under 8 s, DTA, SAV and Parquet under 4 s, the
package under 10 s, peak memory under 300 MB; results page
under 150 ms. ``--quick``: 300 documents (targets scaled to the rows), 10 requests.
Everything the benchmark makes is deleted at the end. The last line of each part is
one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

TARGET_SECONDS = {
    "csv": 2.0,
    "json": 2.0,
    "xlsx": 8.0,
    "dta": 4.0,
    "sav": 4.0,
    "parquet": 4.0,
    "package": 10.0,
}
TARGET_PEAK_MB = 300.0
TARGET_PAGE_MS = 150.0
CORRECTED_SHARE = 0.02
VERIFIED_SHARE = 0.03


# --- Data ---------------------------------------------------------------------------------


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, for evidence quotes with offsets."""
    spans, start = [], 0
    for index, char in enumerate(text):
        if char in ".\n" and index - start > 30:
            spans.append((start, index + 1))
            start = index + 2
    return spans or [(0, min(len(text), 120))]


def _value(rng: random.Random, variable: dict, quote: str) -> Any:
    kind = variable["type"]
    if kind == "text":
        return " ".join(quote.split()[:6])
    if kind == "integer":
        return rng.randint(1, 2024)
    if kind == "number":
        return round(rng.uniform(0.5, 950.0), 1)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "date":
        return (dt.date(1975, 1, 1) + dt.timedelta(days=rng.randint(0, 17000))).isoformat()
    if kind == "category":
        return rng.choice(variable["allowed_values"])
    if kind == "multi_category":
        return rng.sample(variable["allowed_values"], rng.randint(1, 3))
    return [" ".join(quote.split()[i : i + 3]) for i in range(0, 9, 3)]  # list


def make_extractions(project, version, user, *, seed: int = 5) -> dict[str, int]:
    """Every (document, variable) value of ``version``, written with bulk_create."""
    from django.utils import timezone

    from processing.models import Extraction, ProcessingJob

    rng = random.Random(seed)
    documents = list(project.documents.order_by("id").values_list("id", "text"))
    variables = version.variables
    job = ProcessingJob.objects.create(
        project=project,
        schema_version=version,
        kind=ProcessingJob.Kind.FULL,
        status=ProcessingJob.Status.COMPLETED,
        model=project.model_name,
        total=len(documents),
        processed=len(documents),
        succeeded=len(documents),
        llm_calls=len(documents) * 2,
        input_tokens=len(documents) * 7000,
        output_tokens=len(documents) * 2000,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    now = timezone.now()
    rows, counts = [], {"values": 0, "corrected": 0, "verified": 0, "flagged": 0}
    for document_id, text in documents:
        spans = _sentences(text)
        for variable in variables:
            start, end = rng.choice(spans)
            quote = text[start:end]
            value = _value(rng, variable, quote)
            draw = rng.random()
            status = "ok"
            if draw < 0.06:
                status, value, quote, start, end = "missing", None, "", None, None
            elif draw < 0.08:
                status = "unsupported_evidence"
            elif draw < 0.09:
                status = "invalid"
            extraction = Extraction(
                document_id=document_id,
                schema_version=version,
                job=job,
                variable_key=variable["key"],
                value=value,
                raw={"value": value, "evidence": quote or None, "confidence": 0.8},
                evidence=quote,
                evidence_start=start,
                evidence_end=end,
                confidence=round(rng.uniform(0.3, 1.0), 2) if status != "missing" else None,
                status=status,
                message="" if status == "ok" else f"Flagged: {status.replace('_', ' ')}.",
                model=project.model_name,
            )
            review = rng.random()
            if review < CORRECTED_SHARE:
                extraction.human_value = _value(rng, variable, quote or "corrected by hand")
                extraction.human_evidence = quote[:60] if rng.random() < 0.5 else ""
                extraction.corrected = True
                extraction.reviewed_by = user
                extraction.reviewed_at = now
                counts["corrected"] += 1
            elif review < CORRECTED_SHARE + VERIFIED_SHARE:
                extraction.verified = True
                extraction.reviewed_by = user
                extraction.reviewed_at = now
                counts["verified"] += 1
            counts["flagged"] += status != "ok"
            extraction.refresh_sort_keys()
            rows.append(extraction)
        if len(rows) >= 5000:
            Extraction.objects.bulk_create(rows, batch_size=2500)
            counts["values"] += len(rows)
            rows = []
    Extraction.objects.bulk_create(rows, batch_size=2500)
    counts["values"] += len(rows)
    # A run that finished an hour ago (bulk_create stamps the values now, and the
    # results cache waits for writes to settle).
    Extraction.objects.filter(job=job).update(updated_at=now - dt.timedelta(hours=1))
    return counts


# --- One export in a fresh process --------------------------------------------------------


def child(export_id: int, traced: bool) -> None:
    """Build one export; print one JSON line (run by the parent in a fresh process)."""
    scratch = common.configure("export-child")
    try:
        import psutil
        from django.db import connection

        from exports.models import Export
        from exports.services import export_build

        export = Export.objects.get(pk=export_id)
        connection.ensure_connection()
        if traced:
            import tracemalloc

            tracemalloc.start()
        rss_before = psutil.Process().memory_info().rss
        started = time.perf_counter()
        export = export_build(export)
        seconds = time.perf_counter() - started
        peak_rss = peak_rss_bytes()
        figures = {
            "status": export.status,
            "error": export.error,
            "rows": export.row_count,
            "size_bytes": export.size_bytes,
            "seconds": round(seconds, 3),
            "rss_before_mb": round(rss_before / 1024**2, 1),
            "peak_rss_mb": round(peak_rss / 1024**2, 1),
            "rss_delta_mb": round((peak_rss - rss_before) / 1024**2, 1),
        }
        if traced:
            figures["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1024**2, 1)
        print(json.dumps(figures))
    finally:
        common.remove(scratch)


def peak_rss_bytes() -> int:
    """This process's peak RSS (VmHWM). Not ``ru_maxrss``: Linux carries that over from
    the parent through fork and exec, so a child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # not Linux


def run_child(export_id: int, *, traced: bool) -> dict[str, Any]:
    command = [common.PYTHON, __file__, "--child", str(export_id)]
    if traced:
        command.append("--traced")
    done = subprocess.run(command, capture_output=True, text=True, cwd=common.ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"export child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# (label, include_evidence, include_audit)
# (name, include_evidence, include_audit, layout) per format.
VARIANTS = (
    ("plain", False, False, "wide"),
    ("evidence", True, False, "wide"),
    ("audit", False, True, "wide"),
)
STATISTICS_VARIANTS = (
    ("plain", False, False, "wide"),
    ("audit", False, True, "wide"),
    ("long", False, False, "long"),
)
FORMAT_VARIANTS = {
    "csv": VARIANTS,
    "xlsx": VARIANTS,
    "json": VARIANTS,
    "dta": STATISTICS_VARIANTS,
    "sav": STATISTICS_VARIANTS,
    "parquet": STATISTICS_VARIANTS,
    # The package with everything it can hold: CSV, Parquet, DTA and SAV.
    "package": (("dta+sav", False, False, "wide"),),
}


def _options(export_format: str, evidence: bool, audit: bool, layout: str) -> dict[str, Any]:
    options = {"include_evidence": evidence, "include_audit": audit, "bom": False}
    options |= {"layout": layout, "booleans": "true_false", "include_texts": False}
    if export_format == "package":
        options["package_formats"] = ["dta", "sav"]
    return options


def bench_exports(project, version, user, *, documents: int, repeat: int) -> list[dict]:
    from exports.models import Export

    scale = documents / 1000
    results = []
    print(
        f"\nexport_build, {documents:,} documents x {len(version.variables)} variables "
        f"(each build in a fresh process; time: median of {repeat})"
    )
    print(
        f"  {'format':<8} {'columns':<9} {'seconds':>8} {'target':>7} {'RSS +MB':>8} "
        f"{'peak RSS':>9} {'heap MB':>8} {'size MB':>8}  result"
    )
    for export_format, variants in FORMAT_VARIANTS.items():
        for columns, evidence, audit, layout in variants:
            options = _options(export_format, evidence, audit, layout)
            # A long file has a row per document and variable.
            expected_rows = documents * len(version.variables) if layout == "long" else documents
            timed = []
            for _ in range(repeat):
                export = Export.objects.create(
                    project=project,
                    schema_version=version,
                    format=export_format,
                    options=options,
                    created_by=user,
                )
                timed.append(run_child(export.pk, traced=False))
            export = Export.objects.create(
                project=project,
                schema_version=version,
                format=export_format,
                options=options,
                created_by=user,
            )
            traced = run_child(export.pk, traced=True)
            seconds = statistics.median(run["seconds"] for run in timed)
            worst = max(timed, key=lambda run: run["rss_delta_mb"])
            target = TARGET_SECONDS[export_format] * max(scale, 0.001)
            peak_mb = max(worst["rss_delta_mb"], traced["tracemalloc_peak_mb"])
            ok = (
                all(run["status"] == "completed" and run["rows"] == expected_rows for run in timed)
                and seconds < target
                and peak_mb < TARGET_PEAK_MB
            )
            figures = {
                "part": "export_build",
                "format": export_format,
                "include_evidence": evidence,
                "include_audit": audit,
                "layout": layout,
                "documents": documents,
                "variables": len(version.variables),
                "seconds": seconds,
                "seconds_runs": [run["seconds"] for run in timed],
                "target_seconds": round(target, 2),
                "rss_delta_mb": worst["rss_delta_mb"],
                "peak_rss_mb": worst["peak_rss_mb"],
                "tracemalloc_peak_mb": traced["tracemalloc_peak_mb"],
                "size_mb": round(timed[0]["size_bytes"] / 1024**2, 2),
                "rows": timed[0]["rows"],
                "status": timed[0]["status"],
                "load": common.load_average(),
                "target_met": ok,
            }
            results.append(figures)
            print(
                f"  {export_format:<8} {columns:<9} {seconds:>8.2f} "
                f"{target:>6.1f}s {figures['rss_delta_mb']:>8.1f} {figures['peak_rss_mb']:>9.1f} "
                f"{figures['tracemalloc_peak_mb']:>8.1f} {figures['size_mb']:>8.2f}  "
                f"{'PASS' if ok else 'MISS'}   {common.load_text(figures['load'])}"
            )
    for figures in results:
        common.emit(figures)
    return results


# --- The results page ---------------------------------------------------------------------


def bench_results_page(project, user, *, documents: int, count: int) -> list[dict]:
    """Each URL twice: unchanged values (the page comes from the results cache) and with
    one value rewritten before every request (the table is read and drawn again)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from processing.models import Extraction

    client = Client()
    client.force_login(user)
    # A value nobody reviewed, rewritten as a running job does: the table is drawn
    # again; the agreement figures rest on reviewed values only and stay cached.
    changed = Extraction.objects.filter(
        document__project=project, verified=False, corrected=False
    ).order_by("pk")[:1]

    def change_a_value():
        Extraction.objects.filter(pk__in=changed.values("pk")).update(updated_at=timezone.now())

    results = []
    print(f"\nresults table, first page (50 rows x 50 variables) of {documents:,} documents")
    urls = (
        ("results_page_html", f"/projects/{project.pk}/results/"),
        ("results_api", f"/api/v1/projects/{project.pk}/results/"),
    )
    for _name, url in urls:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
    # Every unchanged case first: a change keeps pages from being cached for a while.
    for values, before in (("unchanged", None), ("changed", change_a_value)):
        for name, url in urls:
            if before is not None:
                before()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            # Counted now: the next request's request_started signal clears the query log.
            queries = len(captured)
            size = len(response.content)
            timing = common.median_ms(lambda url=url: client.get(url), count=count, before=before)
            ok = timing["median_ms"] < TARGET_PAGE_MS
            figures = {
                "part": f"{name}_{values}",
                "url": url,
                "values": values,
                "documents": documents,
                **timing,
                "queries": queries,
                "response_kb": round(size / 1024, 1),
                "target_ms": TARGET_PAGE_MS,
                "load": common.load_average(),
                "target_met": ok,
            }
            results.append(figures)
            print(
                f"  {name:<18} {values:<9} median {timing['median_ms']:>7.1f} ms "
                f"(min {timing['min_ms']:.1f}, max {timing['max_ms']:.1f}) over {count}; "
                f"{queries} queries; {figures['response_kb']:.0f} KB; "
                f"target < {TARGET_PAGE_MS:.0f} ms: {'PASS' if ok else 'MISS'}; "
                f"{common.load_text(figures['load'])}"
            )
    for figures in results:
        common.emit(figures)
    return results


# --- Main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 documents, 10 requests")
    parser.add_argument("--documents", type=int, default=0, help="default 1,000 (300 quick)")
    parser.add_argument("--repeat", type=int, default=1, help="timed builds per export")
    parser.add_argument("--requests", type=int, default=0, help="default 20 (10 quick)")
    parser.add_argument("--migrate", action="store_true", help="apply missing migrations")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.traced)
        return 0

    documents = args.documents or (300 if args.quick else 1000)
    requests = args.requests or (10 if args.quick else 20)
    scratch = common.configure("export")
    common.migrate(args.migrate)
    from django.conf import settings

    from schemas.versions import current_version

    user = common.make_user("export")
    results = []
    try:
        print(
            f"export benchmark on {settings.DATABASES['default']['NAME']}; "
            f"{common.load_text(common.load_average())}"
        )
        started = time.perf_counter()
        project = common.make_project(
            user,
            name="bench export",
            texts=common.make_texts(documents, seed=31),
            variables=common.make_variables(50),
            as_table=True,
        )
        version = current_version(project)
        counts = make_extractions(project, version, user)
        common.analyze("projects_document", "processing_extraction", "processing_processingjob")
        print(
            f"  prepared {documents:,} documents and {counts['values']:,} values "
            f"({counts['corrected']} corrected, {counts['verified']} verified, "
            f"{counts['flagged']} flagged) in {time.perf_counter() - started:.0f} s (not timed)"
        )
        results += bench_exports(project, version, user, documents=documents, repeat=args.repeat)
        results += bench_results_page(project, user, documents=documents, count=requests)
    finally:
        from projects.models import Project

        for project in Project.objects.filter(owner=user):
            common.delete_project(project)
        user.delete()
        common.remove(scratch)
    missed = [
        f"{r['part']}:{r.get('format', '')}{'+evidence' if r.get('include_evidence') else ''}"
        f"{'+audit' if r.get('include_audit') else ''}"
        f"{'+long' if r.get('layout') == 'long' else ''}"
        for r in results
        if not r["target_met"]
    ]
    print(f"\ntargets: {'all met' if not missed else 'MISSED: ' + ', '.join(missed)}")
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "extractor.settings")
    sys.exit(main())
