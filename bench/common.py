"""Helpers shared by the processing, export and page benchmarks.

Every benchmark runs against the database in ``DATABASE_URL`` (PostgreSQL; a throwaway
one is best: ``createdb -h 127.0.0.1 -U postgres bench_helper``), makes its own user and
projects and deletes them at the end. Celery queue and Redis key prefix are unique per
run, so a benchmark never meets another run's tasks or rate-limit windows.

Nothing here is imported by the application.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
RUN_ID = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
BENCH_SECRET_KEY = "bench-only-secret-key-not-for-production-0123456789"  # noqa: S105 - not a secret

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# --- Django and the environment -----------------------------------------------------------


def configure(name: str, *, redis: bool = False, extra: dict[str, str] | None = None) -> Path:
    """Set the environment for a benchmark run and start Django; return a scratch folder.

    ``DATABASE_URL`` must be set (PostgreSQL). With ``redis`` the run gets Redis (broker,
    cache, shared rate limiter) under a queue and key prefix of its own.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database, e.g.\n"
            "  createdb -h 127.0.0.1 -U postgres bench_helper\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_helper "
            f".venv/bin/python bench/{name}.py --migrate"
        )
    scratch = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "extractor.settings")
    os.environ.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    os.environ["DATA_DIR"] = str(scratch / "data")
    os.environ["MEDIA_ROOT"] = str(scratch / "media")
    os.environ.setdefault("STATIC_MANIFEST", "0")  # pages render without collectstatic
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Nothing of a developer's provider configuration leaks into a benchmark.
    for key in [k for k in os.environ if k.startswith(("OPENAI_", "LLM_"))]:
        del os.environ[key]
    os.environ["LLM_SIMULATED"] = "0"
    if redis:
        os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
        os.environ["CELERY_QUEUE"] = f"bench-{name}-{RUN_ID}"
        os.environ["CACHE_KEY_PREFIX"] = f"bench-{name}-{RUN_ID}"
    else:
        os.environ.pop("REDIS_URL", None)
    os.environ.update(extra or {})
    import django

    django.setup()
    return scratch


def migrate(allow: bool) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not pending:
        return
    if not allow:
        sys.exit(f"{len(pending)} migration(s) not applied; run with --migrate to apply them.")
    print(f"applying {len(pending)} migration(s)")
    call_command("migrate", interactive=False, verbosity=0)


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def load_text(load: list[float]) -> str:
    return f"load {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min, {os.cpu_count()} CPUs)"


def emit(figures: dict[str, Any]) -> None:
    """The scenario's one JSON line."""
    print(json.dumps(figures, default=str), flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# --- Realistic documents ------------------------------------------------------------------

COUNTRIES = [
    "Chile", "Peru", "Kenya", "Norway", "Viet Nam", "Morocco", "Canada", "Indonesia",
    "Ghana", "Portugal", "Mexico", "New Zealand", "Senegal", "Poland", "Japan", "Colombia",
    "Tunisia", "Finland", "Bangladesh", "Uruguay",
]  # fmt: skip
TOPICS = [
    ("fisheries", "the management of shared fish stocks"),
    ("trade", "tariff reductions on agricultural goods"),
    ("climate", "emission reduction targets for the energy sector"),
    ("health", "the joint procurement of vaccines"),
    ("migration", "the recognition of professional qualifications"),
    ("water", "the allocation of water from a shared river basin"),
    ("digital", "cross-border data flows and e-commerce"),
    ("labour", "minimum standards for seasonal workers"),
]
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
]  # fmt: skip
ACTORS = [
    "the Ministry of Foreign Affairs", "the national parliament", "the trade union "
    "confederation", "the chamber of commerce", "environmental groups", "the central bank",
    "the opposition party", "regional governments", "the supreme court", "farmers' "
    "associations",
]  # fmt: skip
STANCES = ["supported", "opposed", "welcomed", "criticised", "remained neutral on"]
SENTENCES = [
    "On {day} {month} {year}, {country} signed the agreement on {subject} together with "
    "{parties} other states.",
    "The text entered into force in {year2} after ratification by {ratified} of the "
    "{parties} signatories.",
    "{actor_cap} {stance} the agreement, arguing that it would change {subject} within "
    "{years} years.",
    "According to the implementation report, the programme cost {amount} million euros "
    "in its first phase, of which {share} percent was paid by {country}.",
    "Negotiations lasted {years} years and included {rounds} formal rounds, the last of "
    "them held in {city}.",
    "A review clause requires the parties to assess the results every {years} years and "
    "to publish their findings.",
    "Critics noted that the dispute settlement procedure had been used only {rounds} times "
    "since {year2}.",
    "In a statement of {month} {year2}, {actor} said that the obligations were legally "
    "binding and subject to independent monitoring.",
    "The annex lists {rounds} sectors that are excluded from the commitments, including {subject}.",
    "Observers from {country2} {stance} the final compromise, which {actor} described as balanced.",
    "The secretariat, based in {city}, employs {staff} people and reports to a council "
    "that meets twice a year.",
    "Funding of {amount} million euros was pledged for the period {year}-{year3}, "
    "mostly for technical assistance.",
]
CITIES = ["Geneva", "Nairobi", "Lima", "Oslo", "Hanoi", "Rabat", "Ottawa", "Jakarta", "Accra"]


def _sentence(rng: random.Random, facts: dict[str, Any]) -> str:
    template = rng.choice(SENTENCES)
    actor = rng.choice(ACTORS)
    values = {
        **facts,
        "actor": actor,
        "actor_cap": actor[0].upper() + actor[1:],
        "stance": rng.choice(STANCES),
        "years": rng.randint(2, 12),
        "rounds": rng.randint(3, 19),
        "amount": f"{rng.randint(2, 900)}.{rng.randint(0, 9)}",
        "share": rng.randint(5, 80),
        "staff": rng.randint(12, 400),
        "country2": rng.choice(COUNTRIES),
        "city": rng.choice(CITIES),
    }
    return template.format(**values)


def document_text(rng: random.Random, index: int, *, min_words: int, max_words: int) -> str:
    """A report of a few paragraphs about one (made-up) agreement; between ``min_words``
    and ``max_words`` words (about 1.3 tokens a word)."""
    topic, subject = rng.choice(TOPICS)
    year = rng.randint(1975, 2022)
    facts = {
        "country": rng.choice(COUNTRIES),
        "subject": subject,
        "day": rng.randint(1, 28),
        "month": rng.choice(MONTHS),
        "year": year,
        "year2": year + rng.randint(1, 3),
        "year3": year + rng.randint(4, 10),
        "parties": rng.randint(2, 40),
        "ratified": rng.randint(2, 20),
    }
    target = rng.randint(min_words, max_words)
    title = f"Report {index:05d}: the {topic} agreement of {year} ({facts['country']})"
    paragraphs, words = [], len(title.split())
    while words < target:
        sentences = [_sentence(rng, facts) for _ in range(rng.randint(3, 6))]
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        words += len(paragraph.split())
    return title + "\n\n" + "\n\n".join(paragraphs)


def make_texts(
    count: int, *, seed: int = 11, min_words: int = 230, max_words: int = 1500
) -> list[str]:
    """``count`` documents of a few hundred to ~2,000 tokens each."""
    rng = random.Random(seed)
    return [
        document_text(rng, index, min_words=min_words, max_words=max_words)
        for index in range(count)
    ]


# --- Realistic codebooks ------------------------------------------------------------------

BASE_VARIABLES: list[dict[str, Any]] = [
    {"key": "country", "type": "text", "instructions": "The country the report is mainly about."},
    {
        "key": "signing_year",
        "type": "integer",
        "instructions": "The year the agreement was signed.",
    },
    {"key": "signed_on", "type": "date", "instructions": "The full signing date, if given."},
    {"key": "parties", "type": "integer", "instructions": "How many states signed, in total."},
    {
        "key": "stance",
        "type": "category",
        "instructions": "The stance of the main domestic actor towards the agreement.",
        "allowed_values": ["support", "oppose", "neutral", "mixed"],
    },
    {
        "key": "policy_area",
        "type": "multi_category",
        "instructions": "Every policy area the agreement covers.",
        "allowed_values": ["trade", "climate", "health", "fisheries", "migration", "water"],
    },
    {"key": "binding", "type": "boolean", "instructions": "Are the obligations legally binding?"},
    {"key": "cost_meur", "type": "number", "instructions": "First-phase cost in million euros."},
    {"key": "actors", "type": "list", "instructions": "Domestic actors named in the report."},
    {"key": "secretariat_city", "type": "text", "instructions": "Where the secretariat sits."},
    {"key": "in_force_year", "type": "integer", "instructions": "The year it entered into force."},
    {"key": "review_years", "type": "integer", "instructions": "Years between two reviews."},
    {
        "key": "dispute_settlement",
        "type": "boolean",
        "instructions": "Does the agreement have a dispute settlement procedure?",
    },
    {"key": "funding_meur", "type": "number", "instructions": "Funding pledged, million euros."},
    {"key": "negotiation_rounds", "type": "integer", "instructions": "Formal rounds held."},
    {
        "key": "critics",
        "type": "list",
        "instructions": "Who criticised or opposed the agreement, as named.",
    },
    {
        "key": "monitoring",
        "type": "category",
        "instructions": "How implementation is monitored.",
        "allowed_values": ["independent", "self_reporting", "peer_review", "none_stated"],
    },
    {"key": "excluded_sectors", "type": "list", "instructions": "Sectors excluded by the annex."},
    {"key": "staff", "type": "integer", "instructions": "Staff of the secretariat."},
    {"key": "main_subject", "type": "text", "instructions": "What the agreement regulates."},
    {"key": "ratifications", "type": "integer", "instructions": "How many states ratified it."},
    {"key": "statement_date", "type": "date", "instructions": "Date of the ministry statement."},
    {
        "key": "assessment",
        "type": "category",
        "instructions": "The report's overall assessment of the results so far.",
        "allowed_values": ["positive", "negative", "mixed", "too_early"],
    },
    {"key": "cost_share_pct", "type": "number", "instructions": "Share of cost paid, percent."},
    {"key": "summary", "type": "text", "instructions": "One sentence on what the report finds."},
]
FOLLOW_UP = " Code the value for the follow-up period described in the report, if any."


def make_variables(count: int) -> list[dict[str, Any]]:
    """``count`` variables of every type (50 max), as the wizard would send them."""
    if count > 2 * len(BASE_VARIABLES):
        raise ValueError("at most 50 variables")
    result = []
    for index in range(count):
        base = BASE_VARIABLES[index % len(BASE_VARIABLES)]
        variable = {
            "label": base["key"].replace("_", " ").capitalize(),
            "allowed_values": [],
            "required": index % 4 == 0,
            **base,
        }
        if index >= len(BASE_VARIABLES):
            variable["key"] = f"{base['key']}_followup"
            variable["label"] += " (follow-up)"
            variable["instructions"] = base["instructions"] + FOLLOW_UP
        result.append(variable)
    return result


# --- Users and projects ---------------------------------------------------------------------


def make_user(name: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(f"bench-{name}-{RUN_ID}", password=uuid.uuid4().hex)


def make_project(
    user,
    *,
    name: str,
    texts: list[str],
    variables: list[dict[str, Any]] | None = None,
    confirm: bool = True,
    batch: int = 50,
    instructions: str = "Code each report about an international agreement. "
    "Use only what the report states.",
    as_table: bool = False,
):
    """A project with ``texts`` ingested as TXT uploads (token counts set by ingestion)
    and, when given, ``variables`` defined (and confirmed as version 1).

    ``as_table``: one CSV upload instead, a row per text with a few more columns, which
    become each document's metadata (as a researcher's spreadsheet would)."""
    from projects.models import Project
    from projects.services import documents_ingest
    from schemas.variables import variable_create
    from schemas.versions import schema_confirm

    # The run id in the instructions makes every prompt unique, so the gateway's response
    # cache never answers from an earlier run on the same database.
    project = Project.objects.create(
        owner=user,
        name=f"{name} {RUN_ID}",
        description="Benchmark project: generated reports on international agreements.",
        instructions=f"{instructions} (Benchmark run {RUN_ID}.)",
    )
    problems = []
    if as_table:
        report = documents_ingest(
            project=project, files=[("reports.csv", _table(texts))], text_column="text"
        )
        problems += report.errors + report.duplicates
    else:
        files = [(f"report-{index:05d}.txt", text.encode()) for index, text in enumerate(texts)]
        for start in range(0, len(files), batch):
            report = documents_ingest(project=project, files=files[start : start + batch])
            problems += report.errors + report.duplicates
    if problems:
        raise RuntimeError(f"ingestion problems: {problems[:3]}")
    for variable in variables or []:
        variable_create(project=project, data=variable)
    if variables and confirm:
        schema_confirm(project=project, user=user)
    return project


def _table(texts: list[str]) -> bytes:
    import csv
    import io

    rng = random.Random(len(texts))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["report_id", "country", "year", "source", "text"])
    for index, text in enumerate(texts):
        source = rng.choice(["ministry", "press", "ngo", "parliament"])
        writer.writerow(
            [f"R-{index:05d}", rng.choice(COUNTRIES), rng.randint(1975, 2024), source, text]
        )
    return buffer.getvalue().encode()


def analyze(*tables: str) -> None:
    """VACUUM (ANALYZE) ``tables``, as autovacuum does within a minute of a large write:
    rows inserted a second ago would otherwise be planned with a smaller table's
    statistics and read without a visibility map (no index-only scans)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")


def delete_project(project) -> None:
    """Delete the project and everything the benchmark made for it.

    ``project_delete`` alone refuses a project with a confirmed schema version (the
    schema head and the jobs PROTECT their version, see the report), so the rows that
    hold the protection go first.
    """
    from extractor.llm.models import LLMCall
    from processing.models import ProcessingJob
    from projects.services import project_delete
    from schemas.models import SchemaHead

    LLMCall.objects.filter(project_id=project.pk).delete()
    ProcessingJob.objects.filter(project=project).delete()
    SchemaHead.objects.filter(project=project).delete()
    project_delete(project=project)


def delete_user_data(user, scratch: Path) -> None:
    """What a benchmark leaves behind: the user's projects (with their jobs and ledger
    rows), the user, this run's Redis keys and the scratch folder."""
    from projects.models import Project

    for project in Project.objects.filter(owner=user):
        delete_project(project)
    user.delete()
    clear_redis([RUN_ID])
    remove(scratch)


# --- Timing -----------------------------------------------------------------------------------


def median_ms(
    request: Callable[[], Any],
    *,
    count: int = 20,
    warmup: int = 2,
    before: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """Median, min and max of ``count`` calls in ms, after ``warmup`` untimed ones;
    ``before`` (untimed) runs ahead of each timed call."""
    for _ in range(warmup):
        request()
    times = []
    for _ in range(count):
        if before is not None:
            before()
        started = time.perf_counter()
        request()
        times.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        "requests": count,
    }


# --- Simulator and workers as subprocesses ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SimulatorProcess:
    """``python -m extractor.simulator`` on a free port, in its own process (its own GIL:
    the workers, not the simulator, should be what a benchmark measures)."""

    def __init__(self, *arguments: str, port: int = 0):
        self.arguments = ["--jitter", "0", *arguments]
        self.port = port
        self.process: subprocess.Popen | None = None
        self.base_url = ""

    def __enter__(self) -> SimulatorProcess:
        port = self.port or free_port()
        self.process = subprocess.Popen(
            [PYTHON, "-m", "extractor.simulator", "--port", str(port), *self.arguments],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.base_url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{self.base_url}/models", timeout=2).close()
                return self
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the simulator did not start") from None
                time.sleep(0.1)

    def requests(self) -> list[dict[str, Any]]:
        root = self.base_url.removesuffix("/v1")
        with urllib.request.urlopen(f"{root}/_simulator/log", timeout=60) as response:
            return json.loads(response.read())["requests"]

    def __exit__(self, *exc_info) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Workers:
    """``count`` real ``celery -A extractor worker`` processes (prefork, like production),
    each in its own process group, on this run's queue and database."""

    def __init__(self, count: int, *, env: dict[str, str], log_dir: Path, concurrency: int = 2):
        from django.conf import settings

        self.count = count
        self.concurrency = concurrency
        self.queue = settings.CELERY_TASK_DEFAULT_QUEUE
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", **env}
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start(self, *, timeout: float = 90) -> Workers:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for number in range(self.count):
            log = self.log_dir / f"worker-{number}.log"
            handle = log.open("ab")
            command = [
                PYTHON, "-m", "celery", "-A", "extractor", "worker",
                "--pool", "prefork", "--concurrency", str(self.concurrency),
                "--queues", self.queue, "--hostname", f"bench{number}-{RUN_ID}@%h",
                "--loglevel", "INFO", "--without-gossip", "--without-mingle",
            ]  # fmt: skip
            self.processes.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=self.env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            self.logs.append(log)
        deadline = time.monotonic() + timeout
        while not all("ready." in log.read_text(errors="replace") for log in self.logs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                self.stop()
                raise RuntimeError("a worker did not start:\n" + self.tail())
            time.sleep(0.2)
        return self

    def tail(self, chars: int = 3000) -> str:
        return "\n".join(log.read_text(errors="replace")[-chars:] for log in self.logs)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes = []

    def __enter__(self) -> Workers:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def cpu_readings(
    trees: dict[str, Iterable[int]], *, database: str = ""
) -> dict[tuple[str, int], float]:
    """CPU seconds used so far per (group, pid): the process trees of each group (a root
    pid and its children), and PostgreSQL's backends serving ``database`` under
    "postgres". Keep the last reading of every pid seen (backends come and go with
    connections) and subtract the first: ``cpu_used``."""
    import psutil

    readings: dict[tuple[str, int], float] = {}

    def read(group: str, process) -> None:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            readings[(group, process.pid)] = times.user + times.system

    for group, roots in trees.items():
        for root in roots:
            with contextlib.suppress(psutil.NoSuchProcess):
                parent = psutil.Process(root)
                for process in [parent, *parent.children(recursive=True)]:
                    read(group, process)
    if database:
        for process in psutil.process_iter(["cmdline"]):
            cmdline = " ".join(process.info["cmdline"] or [])
            if cmdline.startswith("postgres:") and f" {database} " in f"{cmdline} ":
                read("postgres", process)
    return readings


def cpu_used(
    first: dict[tuple[str, int], float], last: dict[tuple[str, int], float]
) -> dict[str, float]:
    """CPU seconds per group between two sets of readings; a process first seen after
    ``first`` counts from zero."""
    used: dict[str, float] = {}
    for (group, pid), seconds in last.items():
        used[group] = used.get(group, 0.0) + seconds - first.get((group, pid), 0.0)
    return used


class CpuSampler:
    """CPU seconds used while it runs, per group of processes: the worker process trees,
    the simulator, and PostgreSQL's backends serving this database. On a shared machine
    CPU seconds per document say more than wall time. Sampled twice a second, so a
    backend that lives less than that is missed (the engine's connections live as long
    as a runner task)."""

    def __init__(
        self, *, workers: Workers | None = None, simulator: SimulatorProcess | None = None
    ):
        import threading

        from django.conf import settings

        self.workers = workers
        self.simulator = simulator
        self.database = settings.DATABASES["default"]["NAME"]
        self.seen: dict[tuple[str, int], float] = {}
        self.baseline: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _trees(self) -> dict[str, list[int]]:
        trees: dict[str, list[int]] = {}
        if self.workers:
            trees["workers"] = [process.pid for process in self.workers.processes]
        if self.simulator and self.simulator.process:
            trees["simulator"] = [self.simulator.process.pid]
        return trees

    def _sample(self) -> None:
        self.seen.update(cpu_readings(self._trees(), database=self.database))

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def start(self) -> CpuSampler:
        self._sample()
        self.baseline = dict(self.seen)
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        self._sample()
        self._stop.set()
        self._thread.join(timeout=5)
        used = cpu_used(self.baseline, self.seen)
        return {group: round(max(value, 0.0), 1) for group, value in sorted(used.items())}


def clear_redis(keys_containing: Iterable[str]) -> int:
    """Delete this run's keys (queue, bindings, rate-limit windows)."""
    from django.conf import settings

    if not settings.REDIS_URL:
        return 0
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    deleted = 0
    for part in keys_containing:
        for key in client.scan_iter(match=f"*{part}*", count=1000):
            deleted += client.delete(key)
    return deleted


# --- Process groups, throwaway databases, signals (load.py, faults.py) -----------------------

from contextlib import suppress  # noqa: E402 - this section's own import

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of an already sorted list (``share`` in 0..1); NaN if empty."""
    if not ordered:
        return float("nan")
    rank = max(int(-(-share * len(ordered) // 1)), 1)  # ceil, at least the first
    return ordered[min(rank, len(ordered)) - 1]


class interruptible:  # noqa: N801 - a context manager that reads like a function
    """Within the block, SIGTERM and SIGHUP raise KeyboardInterrupt like Ctrl-C, so the
    caller's ``finally`` runs and stops what it started."""

    SIGNALS = (signal.SIGTERM, signal.SIGHUP)

    def __enter__(self) -> None:
        def handler(signum, frame):
            raise KeyboardInterrupt(f"signal {signum}")

        self.previous = {sig: signal.signal(sig, handler) for sig in self.SIGNALS}

    def __exit__(self, *exc_info) -> None:
        for sig, old in self.previous.items():
            signal.signal(sig, old)


class shielded:  # noqa: N801 - a context manager that reads like a function
    """Ignore Ctrl-C, SIGTERM and SIGHUP while cleaning up: a second Ctrl-C must not
    leave half the processes running."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __enter__(self) -> None:
        self.previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in self.SIGNALS}

    def __exit__(self, *exc_info) -> None:
        for sig, old in self.previous.items():
            signal.signal(sig, old)


class Child:
    """One command in its own session and process group, output appended to ``log``.

    The terminal's Ctrl-C does not reach it (new session): the bench stops it itself,
    group and all (a Celery worker's pool, gunicorn's workers), in ``stop``.
    """

    def __init__(self, name: str, command: list[str], *, env: dict, log: Path):
        self.name = name
        self.command = command
        self.env = env
        self.log = log
        self.process: subprocess.Popen | None = None
        self.pgids: set[int] = set()  # every group it ever had, for the final sweep

    def start(self) -> Child:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pgids.add(self.process.pid)
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal_group(self, sig: int) -> None:
        if self.process is not None:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole group at once: no goodbye, no cleanup."""
        self.signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the group, SIGKILL whatever is left of it after ``grace`` seconds."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.signal_group(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        # The leader may be gone while its children (pool processes) still run.
        for pgid in self.pgids:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class Children:
    """Every child process of a run; ``stop_all`` stops them in reverse order of start."""

    def __init__(self) -> None:
        self.items: list[Child] = []

    def start(self, name: str, command: list[str], *, env: dict, log: Path) -> Child:
        child = Child(name, command, env=env, log=log)
        self.items.append(child)
        return child.start()

    def stop_all(self, grace: float = 15.0) -> None:
        with shielded():
            for child in reversed(self.items):
                child.stop(grace)


def wait_http(url: str, *, timeout: float = 60.0, child: Child | None = None) -> None:
    """Until ``url`` answers (any HTTP status), or raise; fails early if ``child`` died."""
    import urllib.error

    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            if child is not None and not child.alive():
                raise RuntimeError(f"{child.name} exited:\n{child.log_tail()}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout:.0f} s") from None
            time.sleep(0.1)


class ThrowawayDatabase:
    """``CREATE DATABASE`` for one run, ``DROP DATABASE ... WITH (FORCE)`` after it."""

    def __init__(self, prefix: str, admin_url: str = DEFAULT_POSTGRES_URL):
        self.admin_url = admin_url
        self.name = f"{prefix}_{os.getpid()}_{int(time.time())}"
        self.url = f"{admin_url.rsplit('/', 1)[0]}/{self.name}"
        self.created = False

    def _execute(self, statement) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(statement)

    def create(self) -> str:
        from psycopg import sql

        self._execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.created = True
        return self.url

    def drop(self) -> None:
        if not self.created:
            return
        from psycopg import sql

        with suppress(Exception):  # Django not set up: no connection of ours to close
            from django.db import connections

            connections.close_all()
        self._execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
        )
        self.created = False
