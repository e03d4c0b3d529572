"""Schema iteration benchmark: one variable of fifty reworded, what the re-run costs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_helper \\
        .venv/bin/python bench/iteration.py [--quick] [--documents N] [--migrate] [--check]

Setup: 1,000 generated reports (one CSV upload) and a 50-variable schema confirmed as
version 1, run in full through the real engine and gateway (``job_run`` in this process,
8 threads) against the simulator over HTTP: that run is the "full re-run" a changed
schema used to need. 5 % of its values are then reviewed (verified or corrected).

Then the instructions of one variable are reworded and:

- the estimate of the next run (``draft_estimate``) is read before confirming;
- version 2 is confirmed: the carry-over of the 49 unchanged variables' values (one
  ``INSERT ... SELECT``) is timed inside the confirmation, and once more on its own
  (the carried rows deleted first, then ANALYZE), median of 3;
- the full run of version 2 is made and its ledger read: calls, input tokens, the keys
  each request's JSON Schema asked for.

Targets: carry-over of 50,000 values under 5 s; the re-run makes one call per document
asking for the one changed variable. ``--quick``: 200 documents. One JSON line at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

CARRY_TARGET_SECONDS = 5.0
REVIEWED_SHARE = 0.05


def run_job(project, user) -> Any:
    from processing.engine import job_run
    from processing.jobs import job_create

    started = time.perf_counter()
    job = job_create(project=project, user=user, kind="full")
    job_run(job_id=job.pk, hostname="bench-iteration")
    job.refresh_from_db()
    return job, time.perf_counter() - started


def review_some(version, user) -> dict[str, int]:
    """Verify or correct 5 % of the values, as a person checking a sample would."""
    from django.db.models import F
    from django.utils import timezone

    from processing.models import Extraction

    ids = list(Extraction.objects.filter(schema_version=version).values_list("pk", flat=True))
    step = round(1 / REVIEWED_SHARE)
    verified, corrected = ids[::step][::2], ids[::step][1::2]
    now = timezone.now()
    Extraction.objects.filter(pk__in=verified).update(
        verified=True, reviewed_by=user, reviewed_at=now
    )
    Extraction.objects.filter(pk__in=corrected).update(
        corrected=True, human_value=F("value"), reviewed_by=user, reviewed_at=now
    )
    return {"verified": len(verified), "corrected": len(corrected)}


def carry_alone(version) -> tuple[float, int]:
    """The carry-over of ``version`` on its own, median of 3 (carried rows removed and
    the table analysed before each)."""
    from processing.carry import carry_unchanged
    from processing.models import Extraction

    times, count = [], 0
    for _ in range(3):
        Extraction.objects.filter(schema_version=version, carried_from__isnull=False).delete()
        common.analyze("processing_extraction")
        started = time.perf_counter()
        count = carry_unchanged(version)
        times.append(time.perf_counter() - started)
    return statistics.median(times), count


def job_figures(job, requests: list[dict]) -> dict[str, Any]:
    asked = sorted({tuple(request.get("schema_keys") or ()) for request in requests})
    return {
        "documents": job.total,
        "llm_calls": job.llm_calls,
        "input_tokens": job.input_tokens,
        "output_tokens": job.output_tokens,
        "cost_usd": float(job.cost_usd),
        "estimated_cost_usd": float(job.estimated_cost_usd or 0),
        "keys_per_request": sorted({len(keys) for keys in asked}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 documents")
    parser.add_argument("--documents", type=int, default=0, help="default 1,000 (200 quick)")
    parser.add_argument("--migrate", action="store_true", help="apply missing migrations")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    documents = args.documents or (200 if args.quick else 1000)
    scratch = common.configure("iteration")
    common.migrate(args.migrate)
    from django.conf import settings
    from django.test.utils import override_settings

    from extractor.simulator import Simulator
    from processing.estimates import draft_estimate
    from processing.models import Extraction
    from schemas.models import Variable
    from schemas.versions import current_version, schema_confirm

    user = common.make_user("iteration")
    simulator = Simulator(latency=0)
    try:
        print(
            f"iteration benchmark on {settings.DATABASES['default']['NAME']}; "
            f"{common.load_text(common.load_average())}"
        )
        project = common.make_project(
            user,
            name="bench iteration",
            texts=common.make_texts(documents, seed=47),
            variables=common.make_variables(50),
            as_table=True,
        )
        with override_settings(
            OPENAI_BASE_URL=simulator.base_url,
            OPENAI_API_KEY="sk-bench",
            LLM_SIMULATED=False,
            PROCESSING_THREADS_PER_TASK=8,
        ):
            first, first_seconds = run_job(project, user)
            v1 = current_version(project)
            reviewed = review_some(v1, user)
            common.analyze("processing_extraction")
            full = job_figures(first, simulator.requests())
            print(
                f"  version 1, full run: {full['llm_calls']:,} calls, "
                f"{full['input_tokens']:,} input tokens, {first_seconds:.0f} s; reviewed "
                f"{reviewed['verified']} verified + {reviewed['corrected']} corrected"
            )

            changed = v1.variables[7]["key"]
            Variable.objects.filter(project=project, key=changed).update(
                instructions=v1.variables[7]["instructions"] + " Quote the sentence you used."
            )
            estimate = draft_estimate(project=project, kind="full")
            started = time.perf_counter()
            v2 = schema_confirm(project=project, user=user)
            confirm_seconds = time.perf_counter() - started
            carried = Extraction.objects.filter(schema_version=v2).count()
            carry_seconds, carry_count = carry_alone(v2)
            print(
                f"  reworded {changed!r}; estimate before confirming: {estimate.llm_calls:,} "
                f"calls, {estimate.input_tokens:,} input tokens, {estimate.carried_values:,} "
                f"values carried"
            )
            print(
                f"  confirm v2 with carry-over: {confirm_seconds:.2f} s ({carried:,} values); "
                f"carry-over alone: {carry_seconds:.2f} s ({carry_count:,} values)"
            )

            before = len(simulator.requests())
            second, second_seconds = run_job(project, user)
            partial = job_figures(second, simulator.requests()[before:])
            print(
                f"  version 2, full run: {partial['llm_calls']:,} calls, "
                f"{partial['input_tokens']:,} input tokens, {second_seconds:.0f} s; keys per "
                f"request {partial['keys_per_request']}"
            )
        values_v2 = Extraction.objects.filter(schema_version=v2).count()
        calls_ratio = partial["llm_calls"] / max(full["llm_calls"], 1)
        tokens_ratio = partial["input_tokens"] / max(full["input_tokens"], 1)
        ok = (
            carry_seconds < CARRY_TARGET_SECONDS
            and partial["llm_calls"] == documents
            and partial["keys_per_request"] == [1]
            and values_v2 == documents * 50
        )
        print(
            f"  re-run against a full re-run: calls {calls_ratio:.1%}, input tokens "
            f"{tokens_ratio:.1%}; version 2 holds {values_v2:,} values -> {common.verdict(ok)}"
        )
        common.emit(
            {
                "bench": "iteration",
                "documents": documents,
                "variables": 50,
                "full_run": full,
                "rerun": partial,
                "estimate_before_confirm": {
                    "llm_calls": estimate.llm_calls,
                    "input_tokens": estimate.input_tokens,
                    "carried_values": estimate.carried_values,
                },
                "confirm_seconds": round(confirm_seconds, 3),
                "carry_seconds": round(carry_seconds, 3),
                "carried_values": carry_count,
                "calls_ratio": round(calls_ratio, 4),
                "input_tokens_ratio": round(tokens_ratio, 4),
                "target_met": ok,
            }
        )
    finally:
        simulator.stop()
        common.delete_user_data(user, scratch)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
