"""Reliability benchmark: how long ``variable_reliability`` takes for a coding round.

    .venv/bin/python bench/reliability.py [--units 200] [--variables 50] [--coders 3]
        [--draws 1000] [--runs 3] [--check]

No database: the module takes plain dicts. The round is made up (seeded): ``--units``
documents x the bench codebook's ``--variables`` variables (``common.make_variables``:
text, integer, number, date, category, multi-category, yes/no and list), each value
coded by ``--coders`` people who give the true value about 85 % of the time (often in
another spelling: case, spaces, end punctuation, item order) and otherwise a near miss,
another value or "absent"; the model agrees about 80 % of the time, the adjudicated
value is the true one.

Timed: ``variable_reliability`` for every variable (alpha, its bootstrap interval with
``--draws`` draws, percent agreement, kappas, alpha with the model, model against the
adjudicated values), the median of ``--runs`` runs. Target: under 2 s for the whole
round, since it runs in a web request. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from exports.reliability import level_for, variable_reliability  # noqa: E402

TARGET_SECONDS = 2.0
HUMAN_AGREEMENT = 0.85
MODEL_AGREEMENT = 0.80
ABSENT_SHARE = 0.05  # true values that are "absent": the document gives none
WORDS = [
    "Geneva", "Nairobi", "Lima", "Oslo", "Hanoi", "Rabat", "Ottawa", "Jakarta", "Accra",
    "fisheries", "trade", "climate", "health", "migration", "water", "labour", "digital",
]  # fmt: skip


def true_value(rng: random.Random, variable: dict[str, Any], unit: int) -> Any:
    if rng.random() < ABSENT_SHARE:
        return None
    kind = variable["type"]
    if kind == "text":
        return f"{rng.choice(WORDS)} {rng.choice(WORDS)} {unit}"
    if kind == "integer":
        return rng.randint(1975, 2022)
    if kind == "number":
        return round(rng.uniform(2, 900), 1)
    if kind == "date":
        return (dt.date(1975, 1, 1) + dt.timedelta(days=rng.randint(0, 17000))).isoformat()
    if kind == "category":
        return rng.choice(variable["allowed_values"])
    if kind == "multi_category":
        return rng.sample(variable["allowed_values"], rng.randint(1, 3))
    if kind == "boolean":
        return rng.random() < 0.6
    return rng.sample(WORDS, rng.randint(1, 3))  # list


def respelled(rng: random.Random, value: Any) -> Any:
    """The same value as a person might type it."""
    if isinstance(value, str) and not value[:1].isdigit():
        return rng.choice([value, value.upper(), f"  {value}.", value.lower()])
    if isinstance(value, list):
        return rng.sample(value, len(value))
    return value


def other_value(rng: random.Random, variable: dict[str, Any], truth: Any, unit: int) -> Any:
    """A disagreement: absent now and then, a near miss for numbers, else another value."""
    if truth is not None and rng.random() < 0.15:
        return None
    if isinstance(truth, bool):
        return not truth
    if isinstance(truth, int):
        return truth + rng.choice([-2, -1, 1, 2])
    if isinstance(truth, float):
        return round(truth * rng.uniform(0.8, 1.2), 1)
    while (value := true_value(rng, variable, unit)) == truth:
        pass
    return value


def make_round(*, units: int, variables: int, coders: int, seed: int = 19) -> list[dict[str, Any]]:
    """Per variable: its type and the coders', the model's and the adjudicated values."""
    rng = random.Random(seed)
    names = [f"coder-{index + 1}" for index in range(coders)]
    rounds = []
    for variable in common.make_variables(variables):
        truth = {unit: true_value(rng, variable, unit) for unit in range(units)}

        def answer(unit: int, agreement: float, variable=variable, truth=truth) -> Any:
            if rng.random() < agreement:
                return respelled(rng, truth[unit])
            return other_value(rng, variable, truth[unit], unit)

        rounds.append(
            {
                "key": variable["key"],
                "var_type": variable["type"],
                "coders": {
                    name: {unit: answer(unit, HUMAN_AGREEMENT) for unit in range(units)}
                    for name in names
                },
                "model": {unit: answer(unit, MODEL_AGREEMENT) for unit in range(units)},
                "adjudicated": truth,
            }
        )
    return rounds


def run(rounds: list[dict[str, Any]], draws: int) -> tuple[float, list[dict[str, Any]]]:
    started = time.perf_counter()
    results = [
        variable_reliability(
            var_type=item["var_type"],
            coders=item["coders"],
            model=item["model"],
            adjudicated=item["adjudicated"],
            draws=draws,
        )
        for item in rounds
    ]
    return time.perf_counter() - started, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--variables", type=int, default=50)
    parser.add_argument("--coders", type=int, default=3)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()

    rounds = make_round(units=args.units, variables=args.variables, coders=args.coders)
    load = common.load_average()
    timings, results = [], []
    for _ in range(args.runs):
        seconds, results = run(rounds, args.draws)
        timings.append(seconds)
    median = statistics.median(timings)

    print(
        f"Reliability: {args.units} units x {args.variables} variables x {args.coders} "
        f"coders, {args.draws} draws; {common.load_text(load)}"
    )
    by_type: dict[str, list[dict[str, Any]]] = {}
    for item, result in zip(rounds, results, strict=True):
        by_type.setdefault(item["var_type"], []).append(result)
    for kind, items in sorted(by_type.items()):
        alphas = [item["alpha"] for item in items if item["alpha"] is not None]
        widths = [
            hi - lo for lo, hi in (item["alpha_ci95"] for item in items if item["alpha_ci95"])
        ]
        agreement = statistics.fmean(item["percent_agreement"] for item in items)
        print(
            f"  {kind:<15} {level_for(kind):<9} {len(items):>2} variables  "
            f"alpha {statistics.fmean(alphas):.3f}  CI width {statistics.fmean(widths):.3f}  "
            f"agreement {agreement:.3f}"
        )
    ok = median < TARGET_SECONDS
    print(
        f"  runs: {', '.join(f'{value:.2f}' for value in timings)} s; "
        f"median {median:.2f} s (target < {TARGET_SECONDS:.0f} s): {common.verdict(ok)}"
    )
    common.emit(
        {
            "benchmark": "reliability",
            "units": args.units,
            "variables": args.variables,
            "coders": args.coders,
            "draws": args.draws,
            "runs_seconds": [round(value, 3) for value in timings],
            "median_seconds": round(median, 3),
            "target_seconds": TARGET_SECONDS,
            "load": load,
            "ok": ok,
        }
    )
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
