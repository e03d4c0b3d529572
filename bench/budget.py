"""Budget benchmark: does a job with a small budget stop within it, however many calls
run at once (PostgreSQL, Redis, real Celery worker processes, a simulator over HTTP)?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_helper \\
        .venv/bin/python bench/budget.py [--runs 3] [--documents 200] [--budget 0.005] \\
        [--latency 0.5] [--migrate]

Each run: a full job of ``--documents`` generated reports (~300-2,100 tokens) x 5
variables with ``budget_usd`` = ``--budget``, priced as gpt-4o-mini, worked by 2
``celery -A extractor worker`` processes (prefork, concurrency 2) with the
application's default 4 runner tasks x 8 threads, against a simulator answering after
``--latency`` seconds. Every run has its own instructions, so no answer comes from the
gateway's cache. Once the job has paused (or finished) and its last call in flight has
ended, the benchmark reads the spend recorded on the job row and in the LLM ledger.

Printed per run and over all runs: the budget, the recorded spend, the overshoot (spend
over budget, in percent; the target is 0 in every run), the share of the budget used,
documents done, calls, and how many calls were open at once. Then one JSON line.
``--check`` exits 1 when any run spent more than its budget. The benchmark's user,
projects, ledger rows, queue and Redis keys are deleted at the end.
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

FINISHED = {"completed", "completed_with_errors", "failed", "cancelled", "paused"}
VARIABLES = 5
SEED = 505


def wait_until_settled(job_id: int, *, timeout: float, workers) -> Any:
    """The job once it has stopped and nothing of it is in flight any more: items still
    running when a job pauses finish their calls and record them after the pause."""
    from extractor.llm.models import LLMCall
    from processing.models import JobDocument, ProcessingJob

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ProcessingJob.objects.get(pk=job_id)
        if (
            job.status in FINISHED
            and not JobDocument.objects.filter(job_id=job_id, status="running").exists()
            and not LLMCall.objects.filter(job_id=job_id, outcome="pending").exists()
        ):
            return job
        time.sleep(0.2)
    raise RuntimeError(f"job {job_id} not settled: {job.status}\n{workers.tail()}")


def calls_open_at_once(job_id: int) -> int:
    """Most LLM calls of the job open at the same moment, from the ledger's timestamps."""
    from extractor.llm.models import LLMCall

    events = []
    for started, finished in LLMCall.objects.filter(job_id=job_id).values_list(
        "created_at", "finished_at"
    ):
        if finished:
            events += [(started.timestamp(), 1), (finished.timestamp(), -1)]
    open_now = most = 0
    for _, delta in sorted(events):
        open_now += delta
        most = max(most, open_now)
    return most


def one_run(user, *, number: int, texts: list[str], budget: Decimal, workers) -> dict[str, Any]:
    from django.db.models import Sum

    from extractor.llm.models import LLMCall
    from processing.jobs import job_create

    project = common.make_project(
        user,
        name=f"bench budget {number}",
        texts=texts,
        variables=common.make_variables(VARIABLES),
        batch=100,
        instructions=f"Code each report about an international agreement (run {number}). "
        "Use only what the report states.",
    )
    try:
        started = time.perf_counter()
        job = job_create(project=project, user=user, kind="full", budget_usd=budget)
        job = wait_until_settled(job.pk, timeout=600, workers=workers)
        seconds = time.perf_counter() - started
        ledger = LLMCall.objects.filter(job_id=job.pk).aggregate(cost=Sum("cost_usd"))["cost"]
        spent = job.cost_usd
        return {
            "run": number,
            "status": job.status,
            "budget_usd": float(budget),
            "spent_usd": float(spent),
            "ledger_usd": float(ledger or 0),
            "overshoot_pct": round(float(max(spent - budget, 0) / budget * 100), 2),
            "budget_used_pct": round(float(spent / budget * 100), 1),
            "documents_done": job.succeeded,
            "documents_failed": job.failed,
            "documents": job.total,
            "llm_calls": job.llm_calls,
            "max_calls_open": calls_open_at_once(job.pk),
            "reserved_left_usd": float(getattr(job, "reserved_usd", 0)),
            "wall_seconds": round(seconds, 1),
        }
    finally:
        common.delete_project(project)


def print_run(figures: dict[str, Any]) -> None:
    print(
        f"  run {figures['run']}: {figures['status']} after {figures['wall_seconds']} s; "
        f"{figures['documents_done']} of {figures['documents']} documents done "
        f"({figures['documents_failed']} failed), {figures['llm_calls']} calls, "
        f"at most {figures['max_calls_open']} open at once"
    )
    print(
        f"    budget ${figures['budget_usd']:.6f}   spent ${figures['spent_usd']:.6f} "
        f"(ledger ${figures['ledger_usd']:.6f})   overshoot {figures['overshoot_pct']:.2f} %   "
        f"budget used {figures['budget_used_pct']:.1f} %   reserved left "
        f"${figures['reserved_left_usd']:.6f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions")
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--budget", type=Decimal, default=Decimal("0.005"), help="USD")
    parser.add_argument("--latency", type=float, default=0.5, help="simulator seconds/answer")
    parser.add_argument("--migrate", action="store_true", help="apply missing migrations")
    parser.add_argument("--check", action="store_true", help="exit 1 on any overshoot")
    args = parser.parse_args()

    scratch = common.configure("budget", redis=True)
    common.migrate(args.migrate)
    from django.conf import settings

    user = common.make_user("budget")
    texts = common.make_texts(args.documents, seed=SEED)
    runs: list[dict[str, Any]] = []
    try:
        print(
            f"budget benchmark on {settings.DATABASES['default']['ENGINE'].split('.')[-1]} "
            f"'{settings.DATABASES['default']['NAME']}', Redis {settings.REDIS_URL}; "
            f"{args.runs} run(s) of {args.documents} documents x {VARIABLES} variables, budget "
            f"${args.budget}, simulator {args.latency} s latency, 2 workers x prefork 2, "
            f"{common.load_text(common.load_average())}"
        )
        with common.SimulatorProcess("--latency", str(args.latency)) as simulator:
            env = {
                "OPENAI_API_KEY": "sk-bench",
                "OPENAI_BASE_URL": simulator.base_url,
                "LLM_SIMULATED": "0",
                "EXTRACTOR_MODEL": "gpt-4o-mini",
            }
            with common.Workers(2, env=env, log_dir=scratch / "workers") as workers:
                for number in range(1, args.runs + 1):
                    figures = one_run(
                        user, number=number, texts=texts, budget=args.budget, workers=workers
                    )
                    print_run(figures)
                    runs.append(figures)
    finally:
        common.delete_user_data(user, scratch)
    worst = max(run["overshoot_pct"] for run in runs)
    # The job row agrees with the ledger, and nothing is left held against the budget.
    books_agree = all(
        run["spent_usd"] == run["ledger_usd"] and run["reserved_left_usd"] == 0 for run in runs
    )
    met = worst == 0 and books_agree
    summary = {
        "scenario": "budget",
        "runs": runs,
        "budget_usd": float(args.budget),
        "documents": args.documents,
        "latency": args.latency,
        "max_overshoot_pct": worst,
        "spent_usd_range": [min(r["spent_usd"] for r in runs), max(r["spent_usd"] for r in runs)],
        "documents_done_range": [
            min(r["documents_done"] for r in runs),
            max(r["documents_done"] for r in runs),
        ],
        "books_agree": books_agree,
        "target_met": met,
        "load_after": common.load_average(),
    }
    print(
        f"\nover {len(runs)} run(s): spent ${summary['spent_usd_range'][0]:.6f} .. "
        f"${summary['spent_usd_range'][1]:.6f} of ${args.budget}; overshoot at most "
        f"{worst:.2f} % (target 0: {common.verdict(worst == 0)}); job row = ledger and "
        f"nothing left reserved: {common.verdict(books_agree)}; documents done "
        f"{summary['documents_done_range'][0]} .. {summary['documents_done_range'][1]}"
    )
    common.emit(summary)
    return 1 if not met and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
