"""Processing benchmark: calls per document, and how fast jobs run against a simulated
provider (PostgreSQL, Redis, real Celery worker processes).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_helper \\
        .venv/bin/python bench/processing.py [--quick] [--scenario a,b,c,d] [--migrate]

Scenarios (each prints readable figures, then one JSON line):

A "calls"        in-process ``job_run`` against the simulator at zero latency, at 5, 25
                 and 50 variables: calls per document (expect 1, 1, 2) and input tokens
                 per document within 10% of document + prompt tokens per call, next to
                 the naive plan of one call per variable per document.
B "rate-limited" 1,000 documents x 10 variables, simulator at 1 s latency limited to
                 600 requests/min, the gateway's shared limit 600/min in Redis, 2 worker
                 processes. Target: wall time within 1.15 x the floor (calls / limit).
C "engine bound" 1,000 documents x 50 variables, instant simulator, no limit, 2 worker
                 processes. Target: under 60 s.
D "sample"       a sample of 20 documents x 5 variables at 2 s latency, from the API
                 request that creates the job to the job completed, 2 running workers
                 with the default processing settings. Target: under 15 s.

The floor is max(calls / requests-per-minute, input tokens / tokens-per-minute) in
seconds, where a limit applies. The naive plan is computed from the same prompts, one
variable per call (``build_prompt`` on a one-variable list).

B, C and D: 2 ``celery -A extractor worker`` processes (prefork, concurrency 2, as in
docker-compose), 4 runner tasks x 8 threads (the application's defaults; ``--threads``
and ``--tasks`` change them for B and C), the simulator in its own process. Before the
clock starts, a small job answered from the gateway's cache warms the fresh workers up
(its cold-start figures are printed); the wall time runs from job creation to the job
row's final status. Besides wall time: where the time went (queueing, first call, pacing
at the provider) and the CPU seconds per document of workers, simulator and PostgreSQL,
which say more than wall time on a shared machine.

``--quick``: 8 documents per variable count in A, 300 documents in B and C (the same
rates, so the same ratios), D unchanged. ``--check`` exits 1 when a target is missed.
Documents are generated reports of ~300-2,100 tokens, uploaded as TXT files through
``documents_ingest``. The benchmark's user, projects and LLM ledger rows are deleted at
the end; its Celery queue and Redis keys too.
"""

from __future__ import annotations

import argparse
import bisect
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

FINISHED = {"completed", "completed_with_errors", "failed", "cancelled", "paused"}
SEEDS = {"B_rate_limited": 202, "C_engine_bound": 303, "D_sample": 404}
DEFAULT_THREADS, DEFAULT_TASKS = 8, 4  # the application's defaults (settings.py)
# B and C: 4 runner tasks x 8 threads = 32 documents in hand at once (--threads, --tasks).
RUNNER_ENV = {"PROCESSING_THREADS_PER_TASK": "8", "PROCESSING_PARALLEL_TASKS": "4"}
TARGET_B_RATIO = 1.15
TARGET_C_SECONDS = 60.0
TARGET_D_SECONDS = 15.0


# --- Plans: the real calls and the naive one-call-per-variable plan -------------------------


def plan_figures(project, version, *, check_naive: bool = False) -> dict[str, Any]:
    """Calls and input tokens of the real plan (``document_calls``) and of the naive plan,
    per document and in total. Input tokens here are what the provider reports (the
    chat messages); ``*_with_schema`` adds the JSON Schema, which OpenAI bills too."""
    from extractor.llm.tokens import REPLY_PRIMING_TOKENS, count_messages
    from schemas.calls import document_calls
    from schemas.planning import group_variables
    from schemas.prompts import build_messages, build_prompt

    model = project.model_name
    variables = version.variables
    instructions = version.instructions
    group_bundles = [
        build_prompt(instructions=instructions, variables=group)
        for group in group_variables(variables)
    ]
    group_schema = [schema_tokens(bundle, model) for bundle in group_bundles]
    singles = [
        build_prompt(instructions=instructions, variables=[variable]) for variable in variables
    ]
    # count_messages is a sum over the messages plus the reply priming, so a naive call's
    # count is its system message's count plus the user message's (the same for every
    # variable). ``check_naive`` verifies this against the direct count.
    single_system = [
        count_messages([{"role": "system", "content": bundle.system}], model) for bundle in singles
    ]
    single_schema = sum(schema_tokens(bundle, model) for bundle in singles)
    per_document = {}
    for document in project.documents.ready().order_by("id"):
        calls = document_calls(
            project=project, variables=variables, instructions=instructions, document=document
        )
        # The prompt of each call without the document: the fixed cost a call adds.
        prompt_tokens = [
            count_messages(
                build_messages(
                    group_bundles[call["group"] - 1], document_name=document.name, text=""
                ),
                model,
            )
            for call in calls
        ]
        user = build_messages(singles[0], document_name=document.name, text=document.text)[1]
        user_tokens = count_messages([user], model) - REPLY_PRIMING_TOKENS
        naive = sum(system + user_tokens for system in single_system)
        if check_naive:
            direct = sum(
                count_messages(
                    build_messages(bundle, document_name=document.name, text=document.text),
                    model,
                )
                for bundle in singles
            )
            assert direct == naive, (direct, naive)
        chunks = len({call["chunk"] for call in calls})
        per_document[document.pk] = {
            "document_tokens": document.token_count,
            "calls": len(calls),
            "input_tokens": sum(
                call["input_tokens"] - group_schema[call["group"] - 1] for call in calls
            ),
            "input_tokens_with_schema": sum(call["input_tokens"] for call in calls),
            "expected_input_tokens": len(calls) * document.token_count + sum(prompt_tokens),
            "naive_calls": len(variables) * chunks,
            "naive_input_tokens": naive,
            "naive_input_tokens_with_schema": naive + single_schema,
        }
    totals = {
        key: sum(row[key] for row in per_document.values())
        for key in (
            "document_tokens",
            "calls",
            "input_tokens",
            "input_tokens_with_schema",
            "naive_calls",
            "naive_input_tokens",
            "naive_input_tokens_with_schema",
        )
    }
    return {"per_document": per_document, "totals": totals}


def schema_tokens(bundle, model: str) -> int:
    from extractor.llm.tokens import count_text

    return count_text(json.dumps(bundle.json_schema, separators=(",", ":")), model)


def floor_seconds(*, calls: int, input_tokens: int, rpm: int, tpm: int) -> float | None:
    """The shortest possible wall time under the limits; None without any limit."""
    parts = []
    if rpm:
        parts.append(calls / rpm * 60)
    if tpm:
        parts.append(input_tokens / tpm * 60)
    return round(max(parts), 1) if parts else None


# --- Job helpers ------------------------------------------------------------------------------


def wait_for(job_id: int, *, timeout: float, workers=None):
    from processing.models import ProcessingJob

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ProcessingJob.objects.get(pk=job_id)
        if job.status in FINISHED:
            return job
        time.sleep(0.1)
    tail = workers.tail() if workers else ""
    raise RuntimeError(f"job {job_id} stuck at {job.status} {job.processed}/{job.total}\n{tail}")


def ledger_figures(job) -> dict[str, Any]:
    """From the LLM ledger: calls by outcome, 429s met, and how many calls were open at
    once (from the row written before a call to its end, limiter wait included)."""
    from django.db.models import Count, Sum

    from extractor.llm.models import LLMCall

    rows = LLMCall.objects.filter(job_id=job.pk)
    outcomes = dict(rows.values_list("outcome").annotate(n=Count("id")))
    events = []
    for started, finished in rows.values_list("created_at", "finished_at"):
        if finished:
            events += [(started.timestamp(), 1), (finished.timestamp(), -1)]
    open_now = most = 0
    for _, delta in sorted(events):
        open_now += delta
        most = max(most, open_now)
    figures = {
        "ledger_outcomes": outcomes,
        "rate_limited_429": rows.aggregate(n=Sum("rate_limited"))["n"] or 0,
        "max_calls_open": most,
    }
    if events and job.started_at and job.finished_at:
        # Where the job's time went: before the first call, calls, after the last one.
        first = min(t for t, delta in events if delta == 1)
        last = max(t for t, delta in events if delta == -1)
        figures["first_call_after_start_s"] = round(first - job.started_at.timestamp(), 2)
        figures["finish_after_last_call_s"] = round(job.finished_at.timestamp() - last, 2)
        latencies = sorted(rows.values_list("latency_ms", flat=True))
        figures["call_ms_median"] = latencies[len(latencies) // 2]
        figures["call_ms_max"] = latencies[-1]
    return figures


def max_in_window(times: list[float], window: float) -> int:
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)), default=0
    )


def job_row_figures(job) -> dict[str, Any]:
    return {
        "status": job.status,
        "documents": job.total,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "llm_calls": job.llm_calls,
        "input_tokens": job.input_tokens,
        "cached_tokens": job.cached_tokens,
        "output_tokens": job.output_tokens,
        "queue_seconds": round((job.started_at - job.created_at).total_seconds(), 2)
        if job.started_at
        else None,
        "db_seconds": round((job.finished_at - job.created_at).total_seconds(), 2)
        if job.finished_at
        else None,
    }


def print_plan(label: str, figures: dict[str, Any], *, rpm: int = 0, tpm: int = 0) -> None:
    calls, tokens = figures["llm_calls"], figures["input_tokens"]
    naive_calls, naive_tokens = figures["naive_calls"], figures["naive_input_tokens"]
    floor = figures.get("floor_seconds")
    naive_floor = figures.get("naive_floor_seconds")
    print(f"  {label}")
    print(f"    documents                 {figures['documents']:>12,}")
    print(f"    LLM calls                 {calls:>12,}   naive (1 per variable) {naive_calls:>12,}")
    print(
        f"    input tokens              {tokens:>12,}   naive                  {naive_tokens:>12,}"
        f"   ({naive_tokens / max(tokens, 1):.1f}x)"
    )
    print(f"    output tokens             {figures['output_tokens']:>12,}")
    if floor is not None:
        limits = ", ".join(
            part
            for part in (f"{rpm} req/min" if rpm else "", f"{tpm} tok/min" if tpm else "")
            if part
        )
        print(
            f"    floor ({limits})  {floor:>8.1f} s   naive floor            {naive_floor:>10.1f} s"
        )
    else:
        print("    floor                         n/a (no rate limit applies)")


# --- Scenario A -------------------------------------------------------------------------------


def scenario_calls(user, *, quick: bool) -> list[dict[str, Any]]:
    from django.test.utils import override_settings

    from extractor import celery_app
    from extractor.simulator import Simulator
    from processing.engine import job_run
    from processing.jobs import job_create
    from processing.models import JobDocument
    from schemas.versions import current_version

    documents = 8 if quick else 24
    texts = common.make_texts(documents, seed=101)
    print(f"\nA. calls: {documents} documents at 5, 25 and 50 variables, in-process job_run, "
          "simulator at 0 s latency")  # fmt: skip
    results = []
    simulator = Simulator(latency=0)
    try:
        with override_settings(
            OPENAI_BASE_URL=simulator.base_url,
            OPENAI_API_KEY="sk-bench",
            LLM_SIMULATED=False,
            PROCESSING_THREADS_PER_TASK=4,
        ):
            for count, expected_calls in ((5, 1), (25, 1), (50, 2)):
                project = common.make_project(
                    user,
                    name=f"bench A {count}",
                    texts=texts,
                    variables=common.make_variables(count),
                )
                try:
                    version = current_version(project)
                    plan = plan_figures(project, version, check_naive=True)
                    load_before = common.load_average()
                    started = time.perf_counter()
                    job = job_create(project=project, user=user, kind="full")
                    job_run(job_id=job.pk, hostname="bench-a")
                    seconds = time.perf_counter() - started
                    job.refresh_from_db()
                    items = JobDocument.objects.filter(job=job).values_list(
                        "document_id", "llm_calls", "input_tokens"
                    )
                    per_doc_calls, deviations = set(), []
                    naive_ratio = []
                    for document_id, calls, input_tokens in items:
                        planned = plan["per_document"][document_id]
                        per_doc_calls.add(calls)
                        expected = planned["expected_input_tokens"]
                        deviations.append((input_tokens - expected) / expected)
                        naive_ratio.append(planned["naive_input_tokens"] / max(input_tokens, 1))
                    worst = max(deviations, key=abs)
                    totals = plan["totals"]
                    figures = {
                        "scenario": "A_calls",
                        "variables": count,
                        "documents": job.total,
                        "wall_seconds": round(seconds, 2),
                        **{k: v for k, v in job_row_figures(job).items() if k != "documents"},
                        "calls_per_document": sorted(per_doc_calls),
                        "expected_calls_per_document": expected_calls,
                        "planned_calls": totals["calls"],
                        "planned_input_tokens": totals["input_tokens"],
                        "planned_input_tokens_with_schema": totals["input_tokens_with_schema"],
                        "document_tokens": totals["document_tokens"],
                        "input_tokens_per_document": round(job.input_tokens / job.total),
                        "worst_deviation_from_doc_plus_prompt": round(worst, 4),
                        "naive_calls": totals["naive_calls"],
                        "naive_input_tokens": totals["naive_input_tokens"],
                        "naive_input_tokens_with_schema": totals["naive_input_tokens_with_schema"],
                        "naive_over_actual_tokens": round(
                            totals["naive_input_tokens"] / max(job.input_tokens, 1), 2
                        ),
                        "floor_seconds": None,
                        "naive_floor_seconds": None,
                        "load_before": load_before,
                        "load_after": common.load_average(),
                    }
                    ok = (
                        job.status == "completed"
                        and figures["calls_per_document"] == [expected_calls]
                        and abs(worst) <= 0.10
                        and job.llm_calls == totals["calls"]
                    )
                    figures["target_met"] = ok
                    print_plan(f"{count} variables ({verdict_word(ok)})", figures)
                    print(
                        f"    calls per document        {figures['calls_per_document']} "
                        f"(expected [{expected_calls}])"
                    )
                    print(
                        f"    input tokens / document   {figures['input_tokens_per_document']:>12,}"
                        f"   worst deviation from document + prompt per call: {worst:+.2%}"
                        " (limit 10%)"
                    )
                    print(
                        f"    naive / actual tokens     {min(naive_ratio):.1f}x .. "
                        f"{max(naive_ratio):.1f}x per document"
                    )
                    print(
                        f"    wall time                 {seconds:>10.2f} s   "
                        f"{common.load_text(figures['load_after'])}"
                    )
                    common.emit(figures)
                    results.append(figures)
                finally:
                    purge_queue(celery_app)
                    common.delete_project(project)
    finally:
        simulator.stop()
    return results


def purge_queue(app) -> None:
    """job_create queued runner messages that the in-process run made pointless."""
    from django.conf import settings

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)


def verdict_word(ok: bool) -> str:
    return "target met" if ok else "TARGET MISSED"


# --- Scenarios B, C, D: real workers ----------------------------------------------------------


def run_with_workers(
    user,
    *,
    label: str,
    scenario: str,
    documents: int,
    variables: int,
    latency: float,
    rpm: int,
    worker_env: dict[str, str],
    scratch: Path,
    sample: int | None = None,
    timeout: float = 900,
) -> dict[str, Any]:
    from django.test import Client

    from schemas.versions import current_version

    texts = common.make_texts(documents, seed=SEEDS[scenario])
    print(f"\n{label}")
    prepared = time.perf_counter()
    project = common.make_project(
        user,
        name=f"bench {scenario}",
        texts=texts,
        variables=common.make_variables(variables),
        batch=100,
    )
    try:
        version = current_version(project)
        plan = plan_figures(project, version) if sample is None else None
        print(
            f"  prepared {documents:,} documents x {variables} variables in "
            f"{time.perf_counter() - prepared:.0f} s (not timed)"
        )
        sim_args = ["--latency", str(latency)]
        if rpm:
            sim_args += ["--rpm", str(rpm)]
        env = {"OPENAI_API_KEY": "sk-bench", "LLM_SIMULATED": "0", **worker_env}
        if rpm:
            env["LLM_REQUESTS_PER_MINUTE"] = str(rpm)
        threads = int(worker_env.get("PROCESSING_THREADS_PER_TASK", DEFAULT_THREADS))
        tasks = int(worker_env.get("PROCESSING_PARALLEL_TASKS", DEFAULT_TASKS))
        port = common.free_port()
        warm = warm_up_prepare(user, documents=threads * tasks, port=port)
        with common.SimulatorProcess(*sim_args, port=port) as simulator:
            env["OPENAI_BASE_URL"] = simulator.base_url
            workers = common.Workers(2, env=env, log_dir=scratch / scenario)
            with workers:
                cold = warm_up_run(user, warm, workers)
                print(
                    f"  workers warmed up: a {cold['documents']}-document job answered from the "
                    f"gateway's cache ran {cold['db_seconds']} s (queued {cold['queue_seconds']} "
                    "s) on the fresh workers; not timed"
                )
                load_before = common.load_average()
                sampler = common.CpuSampler(workers=workers, simulator=simulator).start()
                started = time.perf_counter()
                api_seconds = None
                if sample is None:
                    from processing.jobs import job_create

                    job = job_create(project=project, user=user, kind="full")
                    job_id = job.pk
                else:
                    client = Client()
                    client.force_login(user)
                    # A web process that has served a page before (URLs, tokenizer loaded).
                    client.get(f"/api/v1/projects/{project.pk}/estimate/?kind=sample")
                    started = time.perf_counter()
                    response = client.post(
                        f"/api/v1/projects/{project.pk}/jobs/",
                        {"kind": "sample", "sample_size": sample},
                        content_type="application/json",
                    )
                    if response.status_code != 201:
                        raise RuntimeError(f"job not created: {response.status_code} "
                                           f"{response.content[:500]!r}")  # fmt: skip
                    job_id = response.json()["id"]
                    api_seconds = time.perf_counter() - started
                job = wait_for(job_id, timeout=timeout, workers=workers)
                seconds = time.perf_counter() - started
                load_after = common.load_average()
                cpu = sampler.stop()
            seen = simulator.requests()
        figures = {
            "scenario": scenario,
            "variables": variables,
            "wall_seconds": round(seconds, 2),
            "create_request_seconds": round(api_seconds, 2) if api_seconds else None,
            **job_row_figures(job),
            **ledger_figures(job),
            "provider_requests": len(seen),
            "provider_429": sum(r["status"] == 429 for r in seen),
            "simulator_latency": latency,
            "rpm_limit": rpm,
            "workers": 2,
            "worker_concurrency": 2,
            "threads_per_task": threads,
            "parallel_tasks": tasks,
            "cpu_seconds": cpu,
            "cpu_ms_per_document": {
                group: round(value * 1000 / max(job.total, 1)) for group, value in cpu.items()
            },
            "load_before": load_before,
            "load_after": load_after,
            "cold_start_job": cold,
        }
        if rpm:
            accepted = sorted(r["t"] for r in seen if r["status"] == 200)
            figures["busiest_60s_accepted"] = max_in_window(accepted, 60.0)
            gaps = sorted(b - a for a, b in zip(accepted, accepted[1:], strict=False))
            if gaps:
                spacing = 60.0 / rpm
                # Time the provider could have taken a request but got none: gaps longer
                # than the pacing interval, beyond that interval.
                figures["provider_gap_ms_median"] = round(gaps[len(gaps) // 2] * 1000)
                figures["provider_gap_ms_p90"] = round(gaps[int(len(gaps) * 0.9)] * 1000)
                figures["provider_idle_seconds"] = round(
                    sum(gap - spacing for gap in gaps if gap > spacing * 1.5), 1
                )
                figures["provider_first_to_last_s"] = round(accepted[-1] - accepted[0], 1)
        if plan is not None:
            totals = plan["totals"]
            figures |= {
                "planned_calls": totals["calls"],
                "planned_input_tokens": totals["input_tokens"],
                "naive_calls": totals["naive_calls"],
                "naive_input_tokens": totals["naive_input_tokens"],
                "naive_input_tokens_with_schema": totals["naive_input_tokens_with_schema"],
            }
        else:
            figures |= sample_naive(project, version, job)
        figures["floor_seconds"] = floor_seconds(
            calls=job.llm_calls, input_tokens=job.input_tokens, rpm=rpm, tpm=0
        )
        figures["naive_floor_seconds"] = floor_seconds(
            calls=figures["naive_calls"], input_tokens=figures["naive_input_tokens"], rpm=rpm, tpm=0
        )
        return figures
    finally:
        common.delete_project(project)


def warm_up_prepare(user, *, documents: int, port: int):
    """A small project whose answers are already in the gateway's cache: its job warms up
    fresh workers (message pickup, tokenizer, connections in every pool process) without
    a request to the scenario's provider or a place in its rate window. The answers come
    from an in-process simulator on the port the scenario's simulator will use next (the
    cache serves a simulated answer only to the endpoint that made it)."""
    from django.test.utils import override_settings

    from extractor import celery_app
    from extractor.simulator import Simulator
    from processing.engine import job_run
    from processing.jobs import job_create

    project = common.make_project(
        user,
        name="bench warm-up",
        texts=common.make_texts(documents, seed=7, min_words=60, max_words=150),
        variables=common.make_variables(3),
    )
    simulator = Simulator(latency=0, port=port)
    try:
        with override_settings(
            OPENAI_BASE_URL=simulator.base_url, OPENAI_API_KEY="sk-bench", LLM_SIMULATED=False
        ):
            job = job_create(project=project, user=user, kind="full")
            job_run(job_id=job.pk, hostname="bench-warm-up")
    finally:
        simulator.stop()
        purge_queue(celery_app)
    return project


def warm_up_run(user, project, workers) -> dict[str, Any]:
    from processing.jobs import job_create

    try:
        # A sample of every document: a full run would skip them all (they have results).
        total = project.documents.count()
        job = job_create(project=project, user=user, kind="sample", sample_size=total)
        job = wait_for(job.pk, timeout=300, workers=workers)
        if job.status != "completed" or job.llm_calls:
            raise RuntimeError(f"warm-up job {job.status}, {job.llm_calls} paid calls")
        return job_row_figures(job)
    finally:
        common.delete_project(project)


def sample_naive(project, version, job) -> dict[str, Any]:
    """The naive plan over the documents the sample chose."""
    from processing.models import JobDocument

    chosen = set(JobDocument.objects.filter(job=job).values_list("document_id", flat=True))
    plan = plan_figures(project, version)
    rows = [row for pk, row in plan["per_document"].items() if pk in chosen]
    return {
        "planned_calls": sum(r["calls"] for r in rows),
        "planned_input_tokens": sum(r["input_tokens"] for r in rows),
        "naive_calls": sum(r["naive_calls"] for r in rows),
        "naive_input_tokens": sum(r["naive_input_tokens"] for r in rows),
        "naive_input_tokens_with_schema": sum(r["naive_input_tokens_with_schema"] for r in rows),
    }


def report(figures: dict[str, Any], *, ok: bool, target: str) -> None:
    print_plan(f"result ({verdict_word(ok)}; target {target})", figures, rpm=figures["rpm_limit"])
    wall = figures["wall_seconds"]
    line = f"    wall time                 {wall:>10.2f} s"
    if figures.get("floor_seconds"):
        line += f"   wall / floor = {wall / figures['floor_seconds']:.3f}"
    print(line)
    if figures.get("create_request_seconds"):
        print(f"    POST .../jobs/ took       {figures['create_request_seconds']:>10.2f} s")
    if "first_call_after_start_s" in figures:
        print(
            f"    timeline: first call {figures['first_call_after_start_s']} s after the job "
            f"started, job closed {figures['finish_after_last_call_s']} s after the last call; "
            f"call latency median {figures['call_ms_median']} ms, max {figures['call_ms_max']} ms"
        )
    print(
        f"    job: {figures['succeeded']} succeeded, {figures['failed']} failed; queued "
        f"{figures['queue_seconds']} s before a runner started; calls open at once (max) "
        f"{figures['max_calls_open']}"
    )
    print(
        f"    provider: {figures['provider_requests']:,} requests, {figures['provider_429']} "
        f"answered 429" + (
            f"; busiest 60 s: {figures['busiest_60s_accepted']} accepted"
            if "busiest_60s_accepted" in figures else ""
        )
    )  # fmt: skip
    cpu = ", ".join(
        f"{group} {seconds:.1f} s ({figures['cpu_ms_per_document'][group]} ms/doc)"
        for group, seconds in figures["cpu_seconds"].items()
    )
    print(f"    CPU used: {cpu}")
    if "provider_gap_ms_median" in figures:
        print(
            f"    pacing at the provider: first to last request "
            f"{figures['provider_first_to_last_s']} s, gap median "
            f"{figures['provider_gap_ms_median']} ms, p90 {figures['provider_gap_ms_p90']} ms, "
            f"idle beyond pacing {figures['provider_idle_seconds']} s"
        )
    print(
        f"    workers: 2 x prefork 2, {figures['parallel_tasks']} runner tasks x "
        f"{figures['threads_per_task']} threads; {common.load_text(figures['load_after'])}"
    )
    figures["target_met"] = ok
    common.emit(figures)


def scenario_rate_limited(user, scratch: Path, *, quick: bool) -> dict[str, Any]:
    documents = 300 if quick else 1000
    rpm = 600
    figures = run_with_workers(
        user,
        label=f"B. rate-limited: {documents:,} documents x 10 variables, simulator 1 s latency "
        f"and {rpm}/min, gateway limit {rpm}/min shared in Redis, 2 workers",
        scenario="B_rate_limited",
        documents=documents,
        variables=10,
        latency=1.0,
        rpm=rpm,
        worker_env=RUNNER_ENV,
        scratch=scratch,
    )
    figures["wall_over_floor"] = round(figures["wall_seconds"] / figures["floor_seconds"], 3)
    ok = (
        figures["status"] == "completed"
        and figures["wall_over_floor"] <= TARGET_B_RATIO
        and figures["llm_calls"] == documents
    )
    report(figures, ok=ok, target=f"wall <= {TARGET_B_RATIO} x floor")
    return figures


def scenario_engine_bound(user, scratch: Path, *, quick: bool) -> dict[str, Any]:
    documents = 300 if quick else 1000
    figures = run_with_workers(
        user,
        label=f"C. engine bound: {documents:,} documents x 50 variables, instant simulator, "
        "no rate limit, 2 workers",
        scenario="C_engine_bound",
        documents=documents,
        variables=50,
        latency=0.0,
        rpm=0,
        worker_env=RUNNER_ENV,
        scratch=scratch,
    )
    target = TARGET_C_SECONDS * documents / 1000
    ok = figures["status"] == "completed" and figures["wall_seconds"] < target
    report(figures, ok=ok, target=f"< {target:.0f} s")
    return figures


def scenario_sample(user, scratch: Path) -> dict[str, Any]:
    figures = run_with_workers(
        user,
        label="D. sample: 20 of 100 documents x 5 variables at 2 s latency, API request to "
        "job completed, 2 running workers, default processing settings",
        scenario="D_sample",
        documents=100,
        variables=5,
        latency=2.0,
        rpm=0,
        worker_env={},
        scratch=scratch,
        sample=20,
    )
    ok = figures["status"] == "completed" and figures["wall_seconds"] < TARGET_D_SECONDS
    report(figures, ok=ok, target=f"< {TARGET_D_SECONDS:.0f} s")
    return figures


# --- Main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer documents, same rates")
    parser.add_argument("--scenario", default="a,b,c,d", help="comma-separated: a,b,c,d")
    parser.add_argument("--migrate", action="store_true", help="apply missing migrations")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="per runner (B, C)")
    parser.add_argument("--tasks", type=int, default=DEFAULT_TASKS, help="runners per job (B, C)")
    args = parser.parse_args()
    RUNNER_ENV["PROCESSING_THREADS_PER_TASK"] = str(args.threads)
    RUNNER_ENV["PROCESSING_PARALLEL_TASKS"] = str(args.tasks)
    chosen = {part.strip().lower() for part in args.scenario.split(",") if part.strip()}

    scratch = common.configure("processing", redis=True)
    common.migrate(args.migrate)
    from django.conf import settings

    user = common.make_user("processing")
    results = []
    try:
        print(
            f"processing benchmark on {settings.DATABASES['default']['ENGINE'].split('.')[-1]} "
            f"'{settings.DATABASES['default']['NAME']}', Redis {settings.REDIS_URL}, "
            f"queue {settings.CELERY_TASK_DEFAULT_QUEUE}; {common.load_text(common.load_average())}"
        )
        if "a" in chosen:
            results += scenario_calls(user, quick=args.quick)
        if "b" in chosen:
            results.append(scenario_rate_limited(user, scratch, quick=args.quick))
        if "c" in chosen:
            results.append(scenario_engine_bound(user, scratch, quick=args.quick))
        if "d" in chosen:
            results.append(scenario_sample(user, scratch))
    finally:
        common.delete_user_data(user, scratch)
    missed = [r["scenario"] + (f"/{r['variables']}" if "A" in r["scenario"] else "")
              for r in results if not r["target_met"]]  # fmt: skip
    print(f"\ntargets: {'all met' if not missed else 'MISSED: ' + ', '.join(missed)}")
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
