"""Coding-round benchmark on PostgreSQL: the reliability report of a real round.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_helper \\
        .venv/bin/python bench/rounds.py [--documents 200] [--runs 3] [--migrate] [--check]

Setup (not timed): ``--documents`` generated reports (one CSV upload), a 50-variable
schema confirmed as version 1, its 10,000 model values written with ``bulk_create``
(``bench/export.py``'s generator), two coder members, and a round of every document and
variable coded by three people (the owner and the two members): 30,000 items, each
coder giving the model's value 85 % of the time and another value otherwise.

Timed: ``exports.rounds.round_reliability`` (reading the items, the model values and the
adjudications, then per variable alpha with its 1,000-draw bootstrap interval, percent
agreement, kappas, alpha with the model), median of ``--runs``; and the same report
through ``GET /api/v1/rounds/<id>/reliability/`` (logged in, Django's test Client).
Target: under 2 s. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

TARGET_SECONDS = 2.0
AGREEMENT = 0.85


def code_items(coding_round, seed: int = 23) -> int:
    """Every item coded: the model's value 85 % of the time, else a value of another
    document (a plausible disagreement of the same type)."""
    from django.utils import timezone

    from exports.models import CodingItem
    from processing.models import Extraction

    rng = random.Random(seed)
    model = {
        (document_id, key): value
        for document_id, key, value in Extraction.objects.filter(
            schema_version=coding_round.schema_version
        ).values_list("document_id", "variable_key", "value")
    }
    by_key: dict[str, list] = {}
    for (_document, key), value in model.items():
        by_key.setdefault(key, []).append(value)
    items = list(CodingItem.objects.filter(round=coding_round))
    now = timezone.now()
    for item in items:
        value = model.get((item.document_id, item.variable_key))
        if rng.random() > AGREEMENT:
            value = rng.choice(by_key[item.variable_key])
        item.value, item.coded, item.coded_at = value, True, now
    CodingItem.objects.bulk_update(items, ["value", "coded", "coded_at"], batch_size=2000)
    return len(items)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--migrate", action="store_true", help="apply missing migrations")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    scratch = common.configure("rounds")
    common.migrate(args.migrate)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.export import make_extractions
    from exports.rounds import round_create, round_reliability
    from projects.models import ProjectMember
    from schemas.versions import current_version

    user = common.make_user("rounds")
    coders = [common.make_user(f"rounds-coder-{n}") for n in (1, 2)]
    try:
        print(
            f"rounds benchmark on {settings.DATABASES['default']['NAME']}; "
            f"{common.load_text(common.load_average())}"
        )
        project = common.make_project(
            user,
            name="bench rounds",
            texts=common.make_texts(args.documents, seed=53),
            variables=common.make_variables(50),
            as_table=True,
        )
        version = current_version(project)
        make_extractions(project, version, user)
        for coder in coders:
            ProjectMember.objects.create(project=project, user=coder, role="coder")
        coding_round = round_create(
            project=project,
            user=user,
            coders=[user.get_username(), *(c.get_username() for c in coders)],
            sample_size=args.documents,
            seed=5,
        )
        items = code_items(coding_round)
        common.analyze("exports_codingitem", "processing_extraction")
        print(f"  round: {len(coding_round.documents)} documents x 50 variables x 3 coders "
              f"= {items:,} items (not timed)")  # fmt: skip
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            report = round_reliability(coding_round)
            times.append(time.perf_counter() - started)
        client = Client()
        client.force_login(user)
        api_times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(f"/api/v1/rounds/{coding_round.pk}/reliability/")
            api_times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        seconds, api_seconds = statistics.median(times), statistics.median(api_times)
        defined = sum(row["alpha"] is not None for row in report)
        ok = api_seconds < TARGET_SECONDS
        print(
            f"  round_reliability: {seconds:.2f} s median of {args.runs}; the API: "
            f"{api_seconds:.2f} s; {defined} of {len(report)} variables with an alpha "
            f"-> {common.verdict(ok)}"
        )
        common.emit(
            {
                "bench": "rounds",
                "documents": len(coding_round.documents),
                "variables": 50,
                "coders": 3,
                "items": items,
                "draws": 1000,
                "reliability_seconds": round(seconds, 3),
                "api_seconds": round(api_seconds, 3),
                "target_met": ok,
            }
        )
    finally:
        common.delete_user_data(user, scratch)
        get_user_model().objects.filter(pk__in=[c.pk for c in coders]).delete()
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
