"""Page and API latency benchmark on PostgreSQL: a user with a 1,000-document project.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_helper \\
        .venv/bin/python bench/pages.py [--quick] [--requests 20] [--migrate] [--check]

Setup (not timed): one user with five projects; the big one has 1,000 generated reports
uploaded as TXT files through ``documents_ingest`` and a 50-variable schema (confirmed
as version 1), the others a few documents each; then VACUUM (ANALYZE), as autovacuum would.

Each endpoint is requested through Django's test Client (logged in; the full middleware
stack, no network), 2 untimed requests, then ``--requests`` timed ones; the median is
compared with the target. Queries per request are counted with CaptureQueriesContext.

Targets: every page and API read under 50 ms; the estimate of a full run
(``GET /api/v1/projects/<id>/estimate/?kind=full``, 50 variables x 1,000 documents)
under 1 s. ``--quick``: 300 documents, 10 requests. One JSON line per endpoint.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

TARGET_MS = 50.0
TARGET_ESTIMATE_MS = 1000.0


def endpoints(project) -> list[tuple[str, str, float]]:
    """(name, url, target ms); the detail page is a redirect to the step the project is
    at, so the step page it opens is measured too."""
    from projects.selectors import project_get_for_user
    from projects.workflow import step_url

    step = step_url(project_get_for_user(project.owner, project.pk))
    pk = project.pk
    return [
        ("project_list_page", "/projects/", TARGET_MS),
        ("project_detail_page", f"/projects/{pk}/", TARGET_MS),
        ("project_step_page", step, TARGET_MS),
        ("api_projects", "/api/v1/projects/", TARGET_MS),
        ("api_project", f"/api/v1/projects/{pk}/", TARGET_MS),
        ("documents_page_3", f"/projects/{pk}/documents/?page=3", TARGET_MS),
        ("api_documents_page_3", f"/api/v1/projects/{pk}/documents/?page=3", TARGET_MS),
        ("api_estimate_full", f"/api/v1/projects/{pk}/estimate/?kind=full", TARGET_ESTIMATE_MS),
    ]


def measure(client, name: str, url: str, target: float, *, count: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    if response.status_code not in (200, 302):
        raise RuntimeError(f"{url}: HTTP {response.status_code} {response.content[:300]!r}")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    queries = len(captured)  # now: the next request clears the query log
    timing = common.median_ms(lambda: client.get(url), count=count, warmup=1)
    load = common.load_average()
    return {
        "endpoint": name,
        "url": url,
        "status": response.status_code,
        **timing,
        "queries": queries,
        "response_kb": round(len(response.content) / 1024, 1),
        "target_ms": target,
        "load": load,
        "target_met": timing["median_ms"] < target,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 documents, 10 requests")
    parser.add_argument("--documents", type=int, default=0, help="default 1,000 (300 quick)")
    parser.add_argument("--requests", type=int, default=0, help="default 20 (10 quick)")
    parser.add_argument("--migrate", action="store_true", help="apply missing migrations")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    documents = args.documents or (300 if args.quick else 1000)
    count = args.requests or (10 if args.quick else 20)

    scratch = common.configure("pages")
    common.migrate(args.migrate)
    from django.conf import settings
    from django.test import Client

    user = common.make_user("pages")
    results = []
    try:
        print(
            f"pages benchmark on {settings.DATABASES['default']['NAME']}; "
            f"{common.load_text(common.load_average())}"
        )
        started = time.perf_counter()
        project = common.make_project(
            user,
            name="bench pages",
            texts=common.make_texts(documents, seed=41),
            variables=common.make_variables(50),
            batch=100,
        )
        for number in range(4):
            common.make_project(
                user,
                name=f"bench pages small {number}",
                texts=common.make_texts(3, seed=50 + number),
                variables=common.make_variables(5),
            )
        common.analyze("projects_document", "projects_project", "schemas_variable")
        print(
            f"  prepared 5 projects, the big one with {documents:,} documents and 50 variables,"
            f" in {time.perf_counter() - started:.0f} s (not timed)"
        )
        client = Client()
        client.force_login(user)
        print(f"\nmedian of {count} requests (Django test Client, logged in)")
        for name, url, target in endpoints(project):
            figures = measure(client, name, url, target, count=count)
            figures["documents"] = documents
            results.append(figures)
            print(
                f"  {name:<22} {figures['median_ms']:>8.1f} ms (min {figures['min_ms']:.1f}, "
                f"max {figures['max_ms']:.1f}); {figures['queries']:>2} queries; "
                f"HTTP {figures['status']}; target < {target:.0f} ms: "
                f"{'PASS' if figures['target_met'] else 'MISS'}; "
                f"{common.load_text(figures['load'])}"
            )
            print(f"    {url}")
        for figures in results:
            common.emit(figures)
    finally:
        from projects.models import Project

        for project in Project.objects.filter(owner=user):
            common.delete_project(project)
        user.delete()
        common.remove(scratch)
    missed = [r["endpoint"] for r in results if not r["target_met"]]
    print(f"\ntargets: {'all met' if not missed else 'MISSED: ' + ', '.join(missed)}")
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
