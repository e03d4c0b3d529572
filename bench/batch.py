"""Batch-mode benchmark: a full run through the provider's Batch API against a standard one.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_batch \\
        .venv/bin/python bench/batch.py [--documents N] [--delay 30] [--poll 1] \\
        [--latency 0] [--migrate]

Setup: two projects of 1,000 generated reports (one CSV upload each, the same texts) and
the same 50-variable schema confirmed as version 1, with the project's default model. The
second project's documents are renamed ("reports.csv ..." -> "batches.csv ...", same
length): the document name is part of every prompt, so the response cache filled by
the first run cannot answer the second. One simulator (``python -m extractor.simulator``
as a subprocess, so its CPU is not this process's) answers both over HTTP: live calls
after ``--latency`` seconds, batches ``--delay`` seconds after their creation.

1. Standard full run of project 1: ``job_create`` then the real engine in this process
   (``job_run``, ``PROCESSING_THREADS_PER_TASK`` threads; run again if a runner's time
   is up before the job is done), as ``iteration.py`` does.
2. Batch full run of project 2 (``mode="batch"``): ``job_batch_step`` called here every
   ``--poll`` seconds, as beat calls it, until the job has finished; documents a batch
   sends back to the live path are run by ``job_run`` in between, as the step's runners
   would be.

Reported for each run: wall time (job creation to completion), LLM calls (ledger rows),
input and output tokens, cost, and the engine's CPU seconds per document
(``time.process_time()`` of this process: for the standard run over ``job_run``, for the
batch run over its submitting and collecting steps; the idle polls in between are
reported on their own). For the batch run also: the submitting and collecting steps'
times, provider batches, requests and input bytes per batch, and what the run's tokens
cost against what the same tokens cost at the standard price
(``pricing.cost_usd(..., batch=False)`` of every ledger row). One JSON line at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

VARIABLES = 50
SEED = 53
MAX_RUNNERS = 50  # job_run calls for one standard job before giving up
TIMEOUT_EXTRA_SECONDS = 600  # how long past the batch delay the batch run may take


def simulator_batches(simulator: common.SimulatorProcess) -> list[dict[str, Any]]:
    """The batches the simulator subprocess was given (``SimulatorProcess`` reads only
    the chat requests of the same log)."""
    import json
    import urllib.request

    root = simulator.base_url.removesuffix("/v1")
    with urllib.request.urlopen(f"{root}/_simulator/log", timeout=60) as response:
        return json.loads(response.read())["batches"]


def _finished(job_id: int) -> bool:
    from processing.models import ProcessingJob

    status = ProcessingJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
    return status in ProcessingJob.FINISHED


def _live_pending(job) -> bool:
    """Items of the job live runners may take now (a batch's leftovers, in batch mode)."""
    from processing import lifecycle
    from processing.models import JobDocument

    return JobDocument.objects.filter(
        lifecycle.live_items(job), job_id=job.pk, status=JobDocument.Status.PENDING
    ).exists()


def ledger(job) -> dict[str, Any]:
    """The job's ``LLMCall`` rows: calls, tokens, recorded cost, and what the same rows
    cost at the standard and at the batch price."""
    from extractor.llm.models import LLMCall
    from extractor.llm.pricing import cost_usd

    rows = LLMCall.objects.filter(job_id=job.pk).values_list(
        "model", "prompt_tokens", "cached_tokens", "completion_tokens", "cost_usd", "batch_id"
    )
    figures = {"calls": 0, "prompt": 0, "cached": 0, "completion": 0, "batch_calls": 0}
    recorded = standard = batch = Decimal(0)
    for model, prompt, cached, completion, cost, batch_id in rows.iterator(chunk_size=2000):
        tokens = {"prompt_tokens": prompt, "cached_tokens": cached, "completion_tokens": completion}
        figures["calls"] += 1
        figures["batch_calls"] += bool(batch_id)
        figures["prompt"] += prompt
        figures["cached"] += cached
        figures["completion"] += completion
        recorded += cost
        standard += cost_usd(model, **tokens, batch=False)
        batch += cost_usd(model, **tokens, batch=True)
    return {
        "llm_calls": figures["calls"],
        "calls_through_batches": figures["batch_calls"],
        "input_tokens": figures["prompt"],
        "cached_input_tokens": figures["cached"],
        "output_tokens": figures["completion"],
        "cost_usd": float(recorded),
        "standard_price_usd": float(standard),
        "batch_price_usd": float(batch),
    }


def job_figures(job) -> dict[str, Any]:
    return {
        "job": job.pk,
        "status": job.status,
        "model": job.model,
        "documents": job.total,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "job_llm_calls": job.llm_calls,
        "job_input_tokens": job.input_tokens,
        "job_output_tokens": job.output_tokens,
        "job_cost_usd": float(job.cost_usd),
        "estimated_cost_usd": float(job.estimated_cost_usd or 0),
        "simulated": job.simulated,
    }


def standard_run(project, user) -> dict[str, Any]:
    """A full run through the live engine in this process, timed and CPU-measured."""
    from processing.engine import job_run
    from processing.jobs import job_create

    started, cpu = time.perf_counter(), time.process_time()
    job = job_create(project=project, user=user, kind="full")
    create = (time.perf_counter() - started, time.process_time() - cpu)
    engine_cpu, runners = 0.0, 0
    while not _finished(job.pk):
        if runners >= MAX_RUNNERS:
            raise RuntimeError(f"standard job {job.pk} not finished after {runners} runners")
        cpu = time.process_time()
        job_run(job_id=job.pk, hostname="bench-batch")
        engine_cpu += time.process_time() - cpu
        runners += 1
    wall = time.perf_counter() - started
    job.refresh_from_db()
    return {
        **job_figures(job),
        **ledger(job),
        "wall_seconds": round(wall, 2),
        "create_seconds": round(create[0], 2),
        "create_cpu_seconds": round(create[1], 2),
        "runners": runners,
        "engine_cpu_seconds": round(engine_cpu, 2),
        "cpu_ms_per_document": round(engine_cpu * 1000 / max(job.total, 1), 2),
    }


def batch_run(project, user, *, poll: float, timeout: float) -> dict[str, Any]:
    """A full run in batch mode: the batch step every ``poll`` seconds (as beat) until
    the job has finished; each step's time and CPU recorded."""
    from processing.batches import job_batch_step
    from processing.engine import job_run
    from processing.jobs import job_create
    from processing.models import ProviderBatch

    started, cpu = time.perf_counter(), time.process_time()
    job = job_create(project=project, user=user, kind="full", mode="batch")
    create = (time.perf_counter() - started, time.process_time() - cpu)
    collected = ProviderBatch.objects.filter(job=job, collected_at__isnull=False)
    steps: list[dict[str, Any]] = []
    live = {"runs": 0, "seconds": 0.0, "cpu_seconds": 0.0}
    deadline = time.monotonic() + timeout
    while True:
        before = collected.count()
        step_started, cpu = time.perf_counter(), time.process_time()
        job_batch_step(job_id=job.pk)
        steps.append(
            {
                "at": round(step_started - started, 2),
                "seconds": time.perf_counter() - step_started,
                "cpu_seconds": time.process_time() - cpu,
                "collected": collected.count() - before,
            }
        )
        job.refresh_from_db()
        if job.status == job.Status.RUNNING and _live_pending(job):
            # What a batch sent back goes to live runners (the step queued them).
            live_started, cpu = time.perf_counter(), time.process_time()
            job_run(job_id=job.pk, hostname="bench-batch-live")
            live["runs"] += 1
            live["seconds"] += time.perf_counter() - live_started
            live["cpu_seconds"] += time.process_time() - cpu
        if _finished(job.pk):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"batch job {job.pk} not finished: {job.status}")
        time.sleep(max(0.0, step_started + poll - time.perf_counter()))
    wall = time.perf_counter() - started
    job.refresh_from_db()
    batches = list(ProviderBatch.objects.filter(job=job).order_by("id"))
    submit = steps[0]
    # The steps that collected a batch (the first too when the batch was answered
    # within it: every request cached, or a very short delay); the others only polled.
    collect = [step for step in steps if step["collected"]]
    idle = [step for step in steps[1:] if not step["collected"]]
    engine = [submit, *(step for step in collect if step is not submit)]
    engine_cpu = sum(step["cpu_seconds"] for step in engine)
    return {
        **job_figures(job),
        **ledger(job),
        "wall_seconds": round(wall, 2),
        "create_seconds": round(create[0], 2),
        "create_cpu_seconds": round(create[1], 2),
        "steps": len(steps),
        "submit_seconds": round(submit["seconds"], 2),
        "submit_cpu_seconds": round(submit["cpu_seconds"], 2),
        "collect_seconds": round(sum(step["seconds"] for step in collect), 2),
        "collect_cpu_seconds": round(sum(step["cpu_seconds"] for step in collect), 2),
        "collected_at_seconds": [step["at"] for step in collect],
        "idle_polls": len(idle),
        "idle_poll_seconds": round(sum(step["seconds"] for step in idle), 2),
        "idle_poll_cpu_seconds": round(sum(step["cpu_seconds"] for step in idle), 2),
        "live_fallback_runs": live["runs"],
        "live_fallback_seconds": round(live["seconds"], 2),
        "live_fallback_cpu_seconds": round(live["cpu_seconds"], 2),
        "engine_cpu_seconds": round(engine_cpu, 2),
        "cpu_ms_per_document": round(engine_cpu * 1000 / max(job.total, 1), 2),
        "provider_batches": len(batches),
        "batch_statuses": [batch.status for batch in batches],
        "requests_per_batch": [batch.requests for batch in batches],
        "input_bytes_per_batch": [batch.bytes for batch in batches],
        "request_counts": [batch.request_counts for batch in batches],
        "step_timeline": [
            {
                key: round(value, 2) if isinstance(value, float) else value
                for key, value in step.items()
            }
            for step in steps
        ],
    }


def rename_documents(project) -> int:
    """Give the project's documents names no other project has (same length, so the
    prompts keep their size): the name is in the prompt, so in the request hash."""
    from django.db.models import F, Value
    from django.db.models.functions import Replace

    return project.documents.update(
        name=Replace(F("name"), Value("reports.csv"), Value("batches.csv"))
    )


def print_run(title: str, run: dict[str, Any]) -> None:
    print(
        f"  {title}: {run['status']}, {run['succeeded']:,}/{run['documents']:,} documents in "
        f"{run['wall_seconds']:.1f} s; {run['llm_calls']:,} calls, "
        f"{run['input_tokens']:,} input + {run['output_tokens']:,} output tokens, "
        f"${run['cost_usd']:.4f} (estimated ${run['estimated_cost_usd']:.4f}); engine CPU "
        f"{run['engine_cpu_seconds']:.1f} s = {run['cpu_ms_per_document']:.1f} ms/document"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1000, help="per project (1,000)")
    parser.add_argument(
        "--delay", type=float, default=30.0, help="simulator's batch completion delay, seconds"
    )
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between batch steps")
    parser.add_argument("--latency", type=float, default=0.0, help="simulator's live latency")
    parser.add_argument("--migrate", action="store_true", help="apply missing migrations")
    args = parser.parse_args()
    scratch = common.configure("batch")
    common.migrate(args.migrate)
    from django.conf import settings
    from django.test.utils import override_settings

    user = common.make_user("batch")
    texts = common.make_texts(args.documents, seed=SEED)
    variables = common.make_variables(VARIABLES)
    try:
        with common.SimulatorProcess(
            "--latency", str(args.latency), "--batch-delay-seconds", str(args.delay)
        ) as simulator:
            print(
                f"batch benchmark on {settings.DATABASES['default']['NAME']}; "
                f"{args.documents:,} documents x {VARIABLES} variables per run, simulator "
                f"subprocess: live latency {args.latency} s, batch delay {args.delay} s; "
                f"poll every {args.poll} s; {common.load_text(common.load_average())}"
            )
            projects = []
            for name in ("standard", "batch"):
                started = time.perf_counter()
                projects.append(
                    common.make_project(
                        user,
                        name=f"bench batch {name}",
                        texts=texts,
                        variables=variables,
                        as_table=True,
                    )
                )
                print(f"  project {name!r} built in {time.perf_counter() - started:.1f} s")
            renamed = rename_documents(projects[1])
            with override_settings(
                OPENAI_BASE_URL=simulator.base_url,
                OPENAI_API_KEY="sk-bench",
                LLM_SIMULATED=False,
            ):
                print(
                    f"  model {projects[0].model_name}, {settings.PROCESSING_THREADS_PER_TASK} "
                    f"threads per runner, {settings.PROCESSING_TASK_SECONDS} s per runner, "
                    f"batch fallback {settings.BATCH_FALLBACK!r}, cache "
                    f"{'on' if settings.LLM_CACHE_ENABLED else 'off'}"
                )
                standard = standard_run(projects[0], user)
                print_run("standard", standard)
                live_before = len(simulator.requests())
                batch = batch_run(
                    projects[1], user, poll=args.poll, timeout=args.delay + TIMEOUT_EXTRA_SECONDS
                )
                print_run("batch   ", batch)
            live_requests = {
                "standard": live_before,
                "batch": len(simulator.requests()) - live_before,
                "batches_created": len(simulator_batches(simulator)),
            }
    finally:
        common.delete_user_data(user, scratch)

    share = batch["cost_usd"] / batch["standard_price_usd"] if batch["standard_price_usd"] else 0
    against_run = batch["cost_usd"] / standard["cost_usd"] if standard["cost_usd"] else 0
    tokens_ratio = batch["input_tokens"] / max(standard["input_tokens"], 1)
    cpu_ratio = batch["cpu_ms_per_document"] / max(standard["cpu_ms_per_document"], 1e-9)
    sizes = ", ".join(
        f"{size:,} bytes ({size / 1024**2:.1f} MiB)" for size in batch["input_bytes_per_batch"]
    )
    print(
        f"  batch: {batch['provider_batches']} provider batch(es) of "
        f"{batch['requests_per_batch']} requests, input {sizes}; {batch['steps']} steps, "
        f"{batch['idle_polls']} idle polls ({batch['idle_poll_cpu_seconds']:.2f} CPU s), "
        f"live fallback runs {batch['live_fallback_runs']}"
    )
    print(
        f"  batch: submitting {batch['submit_seconds']:.1f} s ({batch['submit_cpu_seconds']:.1f} "
        f"CPU s), collecting {batch['collect_seconds']:.1f} s "
        f"({batch['collect_cpu_seconds']:.1f} CPU s) at {batch['collected_at_seconds']} s after "
        f"creation; job creation {batch['create_seconds']:.1f} s"
    )
    print(
        f"  batch cost ${batch['cost_usd']:.4f} = {share:.1%} of ${batch['standard_price_usd']:.4f}"
        f" (the same tokens at the standard price); {against_run:.1%} of the standard run's "
        f"${standard['cost_usd']:.4f} (input tokens {tokens_ratio:.2%} of its)"
    )
    print(
        f"  engine CPU per document: batch {batch['cpu_ms_per_document']:.1f} ms vs standard "
        f"{standard['cpu_ms_per_document']:.1f} ms ({cpu_ratio:.2f}x); wall "
        f"{batch['wall_seconds']:.1f} s vs {standard['wall_seconds']:.1f} s; "
        f"{renamed:,} documents renamed; live requests at the simulator: standard run "
        f"{live_requests['standard']:,}, batch run {live_requests['batch']:,}"
    )
    common.emit(
        {
            "bench": "batch",
            "documents": args.documents,
            "variables": VARIABLES,
            "batch_delay_seconds": args.delay,
            "poll_seconds": args.poll,
            "latency": args.latency,
            "standard": standard,
            "batch": batch,
            "batch_cost_share_of_standard_price": round(share, 4),
            "batch_cost_share_of_standard_run": round(against_run, 4),
            "input_tokens_ratio": round(tokens_ratio, 4),
            "cpu_per_document_ratio": round(cpu_ratio, 3),
            "simulator": live_requests,
            "load_after": common.load_average(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
