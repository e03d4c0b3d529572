"""Upload benchmark: the request's answer time, then the workers' parse, as production runs it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/uploads.py [--documents 1000] [--rows 100000] [--workers 2]

Two scenarios, each on a project of its own:

- ``mixed``: ``--documents`` generated TXT, PDF and DOCX files (``bench/ingest.py``'s),
  uploaded 20 per request through ``documents_ingest(defer=True)`` as the API does;
- ``table``: one CSV of ``--rows`` rows in one request.

For each it prints the longest and the median request (target: under 2 s), then starts
``--workers`` Celery worker processes (``scripts/worker.sh``'s command, concurrency 1
each) and times until every upload is finished (target for ``mixed``: under 60 s), with
the highest peak RSS of any worker process (target: under 500 MB). Needs PostgreSQL and
Redis: the workers are separate processes. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import _django_setup, _migrate, make_files  # noqa: E402

TARGET_ANSWER_SECONDS = 2.0
TARGET_READY_SECONDS = 60.0
TARGET_WORKER_MB = 500.0
BATCH = 20


def _csv(rows: int) -> tuple[str, bytes]:
    lines = "".join(
        f"Row {n}: the parties agreed on clause {n % 97} of annex {n % 13}.\n" for n in range(rows)
    )
    return "rows.csv", ("text\n" + lines).encode()


def _start_workers(count: int, queue: str, work: Path) -> list[subprocess.Popen]:
    env = {**os.environ, "CELERY_QUEUE": queue, "MEDIA_ROOT": str(work / "media")}
    workers = []
    for number in range(count):
        command = [
            str(ROOT / ".venv" / "bin" / "celery"), "-A", "extractor", "worker",
            "--concurrency", "1", "--queues", queue, "--loglevel", "WARNING",
            "--hostname", f"bench-uploads-{number}@%h", "--without-heartbeat",
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        log = open(work / f"worker-{number}.log", "w")  # noqa: SIM115 - closed with the process
        workers.append(
            subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
            )
        )
    return workers


def _peak_rss_mb(workers: list[subprocess.Popen]) -> float:
    """The highest VmHWM of the workers and their pool children, from /proc."""
    peak = 0
    pids = {str(w.pid) for w in workers}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if entry.name in pids or fields.get("PPid", "").strip() in pids:
            peak = max(peak, int(fields.get("VmHWM", "0 kB").split()[0]))
    return peak / 1024


def _scenario(name: str, files: list[tuple[str, bytes]], workers: int, work: Path) -> dict:
    from django.contrib.auth import get_user_model

    from projects.models import Document, Project, Upload
    from projects.services import documents_ingest, project_delete

    user = get_user_model().objects.create_user(f"bench-uploads-{os.getpid()}-{time.time_ns()}")
    project = Project.objects.create(owner=user, name=f"Upload benchmark: {name}")
    processes = _start_workers(workers, os.environ["CELERY_QUEUE"], work)
    try:
        answers = []
        started = time.perf_counter()
        for start in range(0, len(files), BATCH):
            asked = time.perf_counter()
            documents_ingest(project=project, files=files[start : start + BATCH], defer=True)
            answers.append(time.perf_counter() - asked)
        uploads = Upload.objects.filter(project=project)
        peak = 0.0
        while uploads.filter(status__in=["queued", "processing"]).exists():
            peak = max(peak, _peak_rss_mb(processes))
            if time.perf_counter() - started > 900:
                raise SystemExit(f"{name}: uploads still being read after 15 minutes")
            time.sleep(0.5)
        ready_seconds = time.perf_counter() - started
        peak = max(peak, _peak_rss_mb(processes))
        result = {
            "scenario": name,
            "files": len(files),
            "requests": len(answers),
            "answer_seconds_max": round(max(answers), 3),
            "answer_seconds_median": round(sorted(answers)[len(answers) // 2], 3),
            "all_ready_seconds": round(ready_seconds, 1),
            "uploads": uploads.count(),
            "uploads_failed": uploads.filter(status="failed").count(),
            "documents_ready": Document.objects.filter(project=project, status="ready").count(),
            "workers": workers,
            "worker_peak_rss_mb": round(peak, 1),
        }
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
        project_delete(project=project)
        user.delete()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--migrate", action="store_true", help="apply missing migrations")
    args = parser.parse_args()
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: the workers are other processes.")
    work = Path(tempfile.mkdtemp(prefix="bench-uploads-"))
    # The requests queue parses on this queue, and only the benchmark's workers read it.
    os.environ["CELERY_QUEUE"] = f"bench-uploads-{os.getpid()}"
    _django_setup(work)
    _migrate(args.migrate)
    results = [
        _scenario("mixed", make_files(args.documents, seed=7), args.workers, work),
        _scenario("table", [_csv(args.rows)], args.workers, work),
    ]
    for r in results:
        answer_ok = r["answer_seconds_max"] < TARGET_ANSWER_SECONDS
        memory_ok = r["worker_peak_rss_mb"] < TARGET_WORKER_MB
        print(
            f"{r['scenario']:6} {r['files']:5} file(s) in {r['requests']} request(s): answer max "
            f"{r['answer_seconds_max']} s (median {r['answer_seconds_median']} s, target < 2 s: "
            f"{'PASS' if answer_ok else 'MISS'}); all read in {r['all_ready_seconds']} s by "
            f"{r['workers']} workers; {r['documents_ready']:,} documents ready, "
            f"{r['uploads_failed']} upload(s) failed; worker peak RSS "
            f"{r['worker_peak_rss_mb']} MB (target < 500: {'PASS' if memory_ok else 'MISS'})"
        )
    print(json.dumps({"bench": "uploads", "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
