"""Benchmark of the LLM gateway against the simulated provider (over real HTTP).

    .venv/bin/python bench/gateway.py            # both scenarios, full length (~4 min)
    .venv/bin/python bench/gateway.py --quick    # shorter (~1.5 min)

(a) shared rate limit: 4 worker processes share one 600 requests/min budget in Redis
    against a simulator that enforces 600/min itself; work is always waiting. Reports
    requests, 429s seen and surfaced, the busiest 60 s window and the utilisation.
(b) faults: 500 calls while 20% of requests fail in mixed ways (5xx, 429, timeouts,
    dropped connections, malformed and truncated answers). Every call must end in a
    success or a recorded, bounded failure.

Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/0). The database is a fresh
SQLite file in a temporary folder unless --database-url is given. Each scenario prints
readable figures, then one JSON line.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, same rates")
    parser.add_argument("--scenario", choices=["a", "b", "all"], default="all")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    )
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    env = base_env(args, workdir)
    try:
        run(["-m", "extractor.simulator.loadgen", "--migrate-only"], env)
        setup_django(env)
        if args.scenario in ("a", "all"):
            scenario_rate_limit(env, workdir, quick=args.quick)
        if args.scenario in ("b", "all"):
            scenario_faults(env, workdir, quick=args.quick)
    finally:
        clear_redis(args.redis_url, env["CACHE_KEY_PREFIX"])
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


# --- scenario (a) -------------------------------------------------------------------


def scenario_rate_limit(env: dict, workdir: Path, *, quick: bool) -> None:
    # --quick keeps the rate (10 requests/s) and shortens window and run.
    window, limit, duration = (15.0, 150, 45.0) if quick else (60.0, 600, 120.0)
    workers, threads = 4, 3
    sim_args = ["--latency", "0.2", "--jitter", "0.1", "--rpm", str(limit), "--window", str(window)]
    settings = {
        "LLM_REQUESTS_PER_MINUTE": str(limit),
        "LLM_RATE_WINDOW_SECONDS": str(window),
        "LLM_MAX_ATTEMPTS": "6",
        "LLM_TOTAL_TIMEOUT": "600",
    }
    print(f"\n(a) {workers} processes x {threads} threads share {limit} requests / {window:.0f} s")
    print(f"    for {duration:.0f} s against a simulator limited to {limit} / {window:.0f} s")
    with simulator(sim_args) as base_url:
        records = run_workers(
            {**env, **settings, "OPENAI_BASE_URL": base_url},
            workdir / "a",
            workers=workers,
            options=["--threads", str(threads), "--duration", str(duration)],
        )
        seen = simulator_log(base_url)

    arrivals = sorted(r["t"] for r in seen)
    accepted = sorted(r["t"] for r in seen if r["status"] == 200)
    busiest = max_in_window(arrivals, window)
    minutes = duration / window
    surfaced = [r for r in records if not r["ok"] and r.get("error") == "RateLimitedError"]
    figures = {
        "scenario": "shared_rate_limit",
        "workers": workers,
        "threads_per_worker": threads,
        "limit": limit,
        "window_seconds": window,
        "duration_seconds": duration,
        "calls": len(records),
        "calls_failed": sum(not r["ok"] for r in records),
        "requests": len(arrivals),
        "requests_ok": len(accepted),
        "http_429_seen": sum(r["status"] == 429 for r in seen),
        "http_429_surfaced_as_failures": len(surfaced),
        "max_requests_in_any_window": busiest,
        "max_accepted_in_any_window": max_in_window(accepted, window),
        "utilisation": round(len(accepted) / (limit * minutes), 4),
    }
    print(
        f"    calls made                 {figures['calls']:>8} ({figures['calls_failed']} failed)"
    )
    print(f"    requests at the provider   {figures['requests']:>8}")
    print(f"    429s seen / surfaced       {figures['http_429_seen']:>8} / {len(surfaced)}")
    print(f"    busiest {window:.0f} s window        {busiest:>8} (limit {limit})")
    print(f"    utilisation                {figures['utilisation']:>8.1%} of {limit} x {minutes:g}")
    print(json.dumps(figures))


# --- scenario (b) -------------------------------------------------------------------

FAULTS = {
    "--fail-500": 0.05,
    "--fail-503": 0.04,
    "--fail-429": 0.01,
    "--timeout-rate": 0.03,
    "--disconnect-rate": 0.02,
    "--malformed-rate": 0.03,
    "--truncate-rate": 0.02,
}


def scenario_faults(env: dict, workdir: Path, *, quick: bool) -> None:
    calls = 200 if quick else 500
    workers, threads = 4, 5
    total_timeout = 30.0
    sim_args = ["--latency", "0.2", "--jitter", "0.1", "--hang-seconds", "60", "--seed", "7"]
    for flag, rate in FAULTS.items():
        sim_args += [flag, str(rate)]
    settings = {
        "LLM_REQUESTS_PER_MINUTE": "0",
        "LLM_MAX_ATTEMPTS": "6",
        "LLM_REQUEST_TIMEOUT": "2",
        "LLM_TOTAL_TIMEOUT": str(total_timeout),
        "LLM_BACKOFF_BASE": "0.2",
        "LLM_BACKOFF_MAX": "2",
    }
    share = sum(FAULTS.values())
    print(
        f"\n(b) {calls} calls, {share:.0%} of requests faulty (mixed kinds), {workers} x {threads}"
    )
    with simulator(sim_args) as base_url:
        records = run_workers(
            {**env, **settings, "OPENAI_BASE_URL": base_url},
            workdir / "b",
            workers=workers,
            options=["--threads", str(threads), "--calls", str(calls // (workers * threads))],
            duration=3600,
        )
        seen = simulator_log(base_url)

    from extractor.llm.models import LLMCall

    ids = [r["call_id"] for r in records if r.get("call_id")]
    rows = LLMCall.objects.filter(pk__in=ids)
    outcomes = collections.Counter(rows.values_list("outcome", flat=True))
    errors = collections.Counter(r.get("error", "success") for r in records)
    walls = [r["end"] - r["start"] for r in records]
    faults = collections.Counter(r["fault"] for r in seen if r["fault"])
    figures = {
        "scenario": "faults",
        "calls": len(records),
        "requests": len(seen),
        "faults_injected": dict(faults),
        "succeeded": errors.pop("success", 0),
        "failed": dict(errors),
        "recorded": dict(outcomes),
        "unrecorded": len(records) - len(ids),
        "pending_rows": outcomes.get("pending", 0),
        "attempts_max": max(r.get("attempts") or 0 for r in records),
        "wall_seconds_max": round(max(walls), 2),
        "wall_seconds_mean": round(sum(walls) / len(walls), 3),
        "total_timeout_seconds": total_timeout,
        "past_total_timeout": sum(w > total_timeout for w in walls),
    }
    print(f"    requests at the provider   {len(seen):>8} ({sum(faults.values())} faulty)")
    print(f"    faults injected            {dict(faults)}")
    print(f"    calls succeeded            {figures['succeeded']:>8} of {len(records)}")
    print(f"    calls failed, by type      {figures['failed']}")
    print(
        f"    LLMCall rows by outcome    {figures['recorded']} (unrecorded {figures['unrecorded']})"
    )
    print(f"    max attempts of a call     {figures['attempts_max']:>8}")
    longest = figures["wall_seconds_max"]
    print(f"    max wall time of a call    {longest:>8} s (budget {total_timeout:g} s)")
    print(json.dumps(figures))


# --- plumbing -----------------------------------------------------------------------


def base_env(args: argparse.Namespace, workdir: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LLM_", "OPENAI_")) and key != "DATABASE_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="extractor.settings",
        DATA_DIR=str(workdir / "data"),
        SECRET_KEY=env.get("SECRET_KEY") or "bench-only-secret-key-0123456789-abcdefghij",
        REDIS_URL=args.redis_url,
        CACHE_KEY_PREFIX=f"bench-gateway-{os.getpid()}-{int(time.time())}",
        OPENAI_API_KEY="sk-bench",
        LOG_LEVEL="ERROR",  # failures are counted below, not logged one by one
        PYTHONPATH=str(ROOT),
    )
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    return env


def setup_django(env: dict) -> None:
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def run(arguments: list[str], env: dict) -> None:
    subprocess.run([PYTHON, *arguments], env=env, cwd=ROOT, check=True)


class simulator:  # noqa: N801 - used as a context manager, reads like a function
    """The simulator as a subprocess on a free port, for the length of a ``with``."""

    def __init__(self, arguments: list[str]):
        self.arguments = arguments

    def __enter__(self) -> str:
        port = free_port()
        self.process = subprocess.Popen(
            [PYTHON, "-m", "extractor.simulator", "--port", str(port), *self.arguments],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base_url}/models", timeout=2).close()
                return base_url
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the simulator did not start") from None
                time.sleep(0.1)

    def __exit__(self, *exc_info) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def run_workers(
    env: dict, folder: Path, *, workers: int, options: list[str], duration: float | None = None
) -> list[dict]:
    """Start the worker processes, let them warm up, start them together, collect."""
    folder.mkdir(parents=True)
    go = folder / "go"
    processes = []
    for number in range(workers):
        command = ["-m", "extractor.simulator.loadgen", "--name", f"w{number}", *options]
        command += ["--ready-file", str(folder / f"ready-{number}"), "--go-file", str(go)]
        command += ["--out", str(folder / f"w{number}.jsonl")]
        if duration is not None:
            command += ["--duration", str(duration)]
        processes.append(subprocess.Popen([PYTHON, *command], env=env, cwd=ROOT))
    while not all((folder / f"ready-{n}").exists() for n in range(workers)):
        if any(p.poll() not in (None, 0) for p in processes):
            raise RuntimeError("a worker failed to start")
        time.sleep(0.1)
    go.touch()
    for process in processes:
        if process.wait() != 0:
            raise RuntimeError("a worker failed")
    return [
        json.loads(line)
        for number in range(workers)
        for line in (folder / f"w{number}.jsonl").read_text().splitlines()
    ]


def simulator_log(base_url: str) -> list[dict]:
    root = base_url.removesuffix("/v1")
    with urllib.request.urlopen(f"{root}/_simulator/log", timeout=30) as response:
        return json.loads(response.read())["requests"]


def max_in_window(times: list[float], window: float) -> int:
    """The most requests in any sliding window of ``window`` seconds."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)), default=0
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clear_redis(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)


if __name__ == "__main__":
    main()
