"""HTTP load on the read endpoints, served the way production serves them.

    .venv/bin/python bench/load.py              # 60 s at 10 clients, then 60 s at 100
    .venv/bin/python bench/load.py --quick      # 15 s each
    .venv/bin/python bench/load.py --clients 10,50,100 --think-time 0.5
    .venv/bin/python bench/load.py --floor      # the cheapest authenticated request only

The app runs under gunicorn (``extractor.wsgi``, ``--workers 4 --threads 4``, DEBUG
off, SECRET_KEY set, collected and hashed static files) on a throwaway PostgreSQL
database, with Redis as cache (a key prefix of its own on the shared server). The
database is seeded with ``--users`` users, each owning ``--projects`` projects of
``--documents`` documents, a confirmed 8-variable schema and a completed full job with
one extraction per document and variable. Each user logs in through the login form
(session cookie for the pages) and the token endpoint (token for the API).

Clients are threads in ``--client-processes`` processes, each thread with its own
keep-alive connection, acting as one user and repeating a weighted mix of reads:

    projects_html  GET /projects/                          session   10 %
    projects_api   GET /api/v1/projects/                   token     10 %
    project_api    GET /api/v1/projects/<id>/              token     10 %
    document_html  GET /projects/<id>/documents/<doc>/     session   15 %
    job_api        GET /api/v1/jobs/<id>/  (polling)       token     25 %
    results_html   GET /projects/<id>/results/?page=<n>    session   15 %
    results_api    GET /api/v1/projects/<id>/results/?page=<n> token 15 %

By default there is no pause between a client's requests (a closed loop: the most load
N clients can make). Anything but a 200 is an error (a redirect to the login page
included). The first seconds of each level are a warm-up and are not counted.

Printed per level: throughput, p50/p95/p99/max latency per endpoint and overall as the
client saw it, the server's own time per request (gunicorn access log, so the rest is
queueing), errors by kind, the most database connections seen, the load average, and
the CPU milliseconds per request spent by gunicorn, PostgreSQL and the load clients
(their sum bounds the requests per second the machine's cores can serve).
Then the targets and one JSON line. Targets: zero errors at 100 clients, p95 under
200 ms on every read endpoint, throughput at 100 clients at least 90 % of that at 10.
Without pauses, N clients at X req/s wait N / X seconds per request on average (Little's
law), so the p95 target at 100 clients needs X well above 500 req/s; ``--think-time``
(mean seconds between a client's requests) measures latency at a given offered load
instead. The exit status is 1 when a target is missed.

``--floor`` replaces the mix with one request, ``GET /healthz`` with the session cookie:
Django's login check reads the session and the user (two queries) and the view answers
a constant. No page can cost less, so its figures bound what any real endpoint can reach
on this machine.

Everything started is stopped at the end (Ctrl-C included) and the database dropped.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    DEFAULT_POSTGRES_URL,
    PYTHON,
    Children,
    ThrowawayDatabase,
    cpu_readings,
    cpu_used,
    free_port,
    interruptible,
    load_average,
    load_text,
    percentile,
    wait_http,
)

ENDPOINTS = {
    # name: (weight, authentication)
    "projects_html": (10, "session"),
    "projects_api": (10, "token"),
    "project_api": (10, "token"),
    "document_html": (15, "session"),
    "job_api": (25, "token"),
    "results_html": (15, "session"),
    "results_api": (15, "token"),
}
FLOOR = {"floor": (1, "session")}
TARGET_P95_MS = 200.0
TARGET_SCALING = 0.9
RESULTS_PAGE_SIZE = 50
PASSWORD = "load-bench-" + secrets.token_hex(8)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="15 s per level instead of 60")
    parser.add_argument("--duration", type=float, help="seconds per level (default 60, quick 15)")
    parser.add_argument("--warmup", type=float, help="uncounted seconds first (default 5, quick 3)")
    parser.add_argument("--clients", default="10,100", help="comma-separated client counts")
    parser.add_argument("--think-time", type=float, default=0.0, help="mean pause, seconds")
    parser.add_argument(
        "--floor", action="store_true", help="only the cheapest authenticated request"
    )
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--projects", type=int, default=2, help="projects per user")
    parser.add_argument("--documents", type=int, default=1000, help="documents per project")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="maintenance DB")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="cache and broker; '' for the embedded (file) cache",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the database and folder")
    parser.add_argument("--client", help=argparse.SUPPRESS)  # internal: run one client process
    args = parser.parse_args()
    if args.client:
        return client_process(Path(args.client))
    duration = args.duration or (15.0 if args.quick else 60.0)
    warmup = args.warmup if args.warmup is not None else (3.0 if args.quick else 5.0)
    levels = [int(n) for n in args.clients.split(",") if n.strip()]

    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    database = ThrowawayDatabase("bench_load", args.postgres_url)
    children = Children()
    prefix = f"bench-load-{os.getpid()}-{int(time.time())}"
    try:
        with interruptible():
            env = base_env(args, workdir, database.create(), prefix)
            report = run(args, env, workdir, children, levels, duration, warmup)
        print(json.dumps(report))
        return 0 if report["targets_met"] else 1
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        children.stop_all()
        if not args.keep:
            database.drop()
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept database {database.name} and {workdir}", file=sys.stderr)
        if args.redis_url:
            clear_redis_keys(args.redis_url, prefix)


def base_env(args, workdir: Path, database_url: str, prefix: str) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LLM_", "OPENAI_", "PROCESSING_")) and key != "DATABASE_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="extractor.settings",
        DEBUG="0",
        SECRET_KEY="load-bench-only-" + secrets.token_urlsafe(40),
        DATABASE_URL=database_url,
        DATA_DIR=str(workdir / "data"),
        STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(workdir / "media"),
        STATIC_MANIFEST="1",
        REDIS_URL=args.redis_url,
        CACHE_KEY_PREFIX=prefix,
        CELERY_QUEUE=prefix,  # nothing is queued here; never share a queue by accident
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def django_setup(env: dict) -> None:
    os.environ.update({key: value for key, value in env.items() if key != "PYTHONPATH"})
    import django

    django.setup()


def run(args, env, workdir, children, levels, duration, warmup) -> dict:
    django_setup(env)
    from django.core.management import call_command
    from django.db import connection

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    seeded = seed(users=args.users, projects=args.projects, documents=args.documents)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as autovacuum would gather them
    print(
        f"seeded {seeded['counts']} in {time.monotonic() - started:.0f} s "
        f"(load average {load_text(load_average())})"
    )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    access_log = workdir / "access.log"
    web = children.start(
        "gunicorn",
        [
            PYTHON, "-m", "gunicorn", "extractor.wsgi",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(args.web_workers), "--threads", str(args.web_threads),
            "--timeout", "60", "--keep-alive", "10", "--backlog", "2048",
            "--access-logfile", str(access_log),
            # path, status and the worker's own time (microseconds): time not in here
            # was spent queueing (accept backlog, busy threads) or in the client.
            "--access-logformat", "%(U)s %(s)s %(D)s",
            "--error-logfile", str(workdir / "gunicorn.log"), "--no-control-socket",
        ],
        env=env, log=workdir / "gunicorn.out",
    )  # fmt: skip
    wait_http(f"{base}/healthz", timeout=60, child=web)
    try:
        identities = log_in(base, seeded["users"])
    except Exception:
        print(web.log_tail(), file=sys.stderr)
        raise
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        max_connections = int(cursor.fetchone()[0])
    print(
        f"gunicorn {args.web_workers} workers x {args.web_threads} threads on {base} "
        f"(at most {args.web_workers * args.web_threads} database connections, kept "
        f"{os.environ.get('DB_CONN_MAX_AGE', '60')} s; PostgreSQL max_connections "
        f"{max_connections}); {len(identities)} users logged in (session and token)"
    )

    report = {
        "bench": "load",
        "database": "postgresql",
        "users": args.users,
        "projects": args.users * args.projects,
        "documents_per_project": args.documents,
        "web_workers": args.web_workers,
        "web_threads": args.web_threads,
        "think_time": args.think_time,
        "mix": "floor" if args.floor else "read endpoints",
        "postgres_max_connections": max_connections,
        "duration_seconds": duration,
        "levels": [],
    }
    for clients in levels:
        level = run_level(
            base=base,
            clients=clients,
            identities=identities,
            duration=duration,
            warmup=warmup,
            think=args.think_time,
            mix=FLOOR if args.floor else ENDPOINTS,
            processes=max(1, min(args.client_processes, clients)),
            workdir=workdir,
            children=children,
            access_log=access_log,
            database_name=env["DATABASE_URL"].rsplit("/", 1)[1],
            web_pid=web.pid,
        )
        print_level(level)
        report["levels"].append(level)
        if not web.alive():
            raise RuntimeError(f"gunicorn exited:\n{web.log_tail()}")
    report.update(judge(report["levels"], think_time=args.think_time))
    return report


# --- Seeding --------------------------------------------------------------------------

VARIABLES = [
    # key, type, instructions, allowed values
    ("country", "text", "The country that signed.", []),
    ("year", "integer", "The year of signature.", []),
    ("signed_on", "date", "The date of signature.", []),
    ("parties", "integer", "How many parties signed.", []),
    ("stance", "category", "The country's stance.", ["support", "oppose", "neutral"]),
    ("budget_share", "number", "Share of the budget committed, in percent.", []),
    ("ratified", "boolean", "Whether parliament ratified it.", []),
    ("topics", "multi_category", "Topics covered.", ["trade", "climate", "security", "health"]),
]
COUNTRIES = ["France", "Kenya", "Chile", "Japan", "Canada", "Norway", "India", "Ghana", "Peru"]
FILLER = [
    "The committee reviewed the schedule of concessions after consultation with stakeholders.",
    "Each party monitors the rules of origin subject to a review in 2027.",
    "The secretariat publishes the annual implementation report for sensitive products only.",
    "The working group assesses technical barriers to trade in line with the WTO framework.",
    "Parliament extends safeguard measures unless either party objects.",
    "The central bank confirms the quota for steel imports with immediate effect.",
]


def _document(rng: random.Random, index: int) -> tuple[str, list[int], dict]:
    """A document's text, page starts, and the values (with their quotes) it states."""
    year = rng.randint(1950, 2024)
    facts = {
        "country": rng.choice(COUNTRIES),
        "year": year,
        "signed_on": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "parties": rng.randint(2, 60),
        "stance": rng.choice(["support", "oppose", "neutral"]),
        "budget_share": round(rng.uniform(0.5, 40), 1),
        "ratified": rng.random() < 0.6,
        "topics": sorted(rng.sample(["trade", "climate", "security", "health"], 2)),
    }
    quotes = {
        "country": f"{facts['country']} signed the agreement",
        "year": f"in {year}",
        "signed_on": f"on {facts['signed_on']}",
        "parties": f"{facts['parties']} parties joined",
        "stance": f"said it would {facts['stance']} the reform",
        "budget_share": f"{facts['budget_share']} percent of the budget",
        "ratified": "was ratified by parliament" if facts["ratified"] else "was not ratified",
        "topics": f"covering {' and '.join(facts['topics'])}",
    }
    lead = (
        f"Record {index}. {quotes['country']} {quotes['year']}, {quotes['signed_on']}; "
        f"{quotes['parties']}. The delegation {quotes['stance']}. About "
        f"{quotes['budget_share']} was committed. The treaty {quotes['ratified']}, "
        f"{quotes['topics']}."
    )
    paragraphs = [lead] + [
        f"Section {index}.{n}. " + " ".join(rng.sample(FILLER, 4)) for n in range(1, 9)
    ]
    text, offsets = "", []
    for number, paragraph in enumerate(paragraphs):
        if number % 3 == 0:
            offsets.append(len(text))  # three paragraphs a page
        text += paragraph + "\n\n"
    return text.strip(), offsets, {"facts": facts, "quotes": quotes}


def seed(*, users: int, projects: int, documents: int) -> dict:
    """Users, projects, documents, a confirmed schema and a completed job with its
    extractions, written in bulk (the ingestion and the engine have benches of their own)."""
    import hashlib
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from extractor.llm.tokens import count_text
    from processing.models import Extraction, JobDocument, ProcessingJob, ProcessingLog
    from projects.models import Document, Project
    from schemas.models import Variable
    from schemas.versions import schema_confirm

    rng = random.Random(20240601)
    now = timezone.now()
    seeded_users, counts = [], collections.Counter()
    for u in range(users):
        user = get_user_model().objects.create_user(f"load{u}", f"load{u}@example.org", PASSWORD)
        entry = {"username": user.username, "projects": []}
        for p in range(projects):
            project = Project.objects.create(
                owner=user,
                name=f"Treaty corpus {u}.{p}",
                description="Bilateral and multilateral agreements, 1950-2024.",
                instructions="Values must come from the document text.",
            )
            for position, (key, kind, instructions, allowed) in enumerate(VARIABLES):
                Variable.objects.create(
                    project=project,
                    key=key,
                    label=key.replace("_", " ").capitalize(),
                    type=kind,
                    instructions=instructions,
                    allowed_values=allowed,
                    position=position,
                )
            version = schema_confirm(project=project, user=user)
            rows, stated = [], []
            for d in range(documents):
                text, offsets, facts = _document(rng, d)
                data = text.encode()
                rows.append(
                    Document(
                        project=project,
                        name=f"agreement-{d:04d}.txt",
                        source_type=Document.SourceType.TXT,
                        size_bytes=len(data),
                        sha256=hashlib.sha256(data).hexdigest(),
                        text=text,
                        page_offsets=offsets,
                        page_count=len(offsets),
                        char_count=len(text),
                        token_count=count_text(text, "gpt-4o-mini"),
                    )
                )
                stated.append(facts)
            created = Document.objects.bulk_create(rows, batch_size=500)
            job = ProcessingJob.objects.create(
                project=project,
                schema_version=version,
                kind=ProcessingJob.Kind.FULL,
                status=ProcessingJob.Status.COMPLETED,
                model=project.model_name,
                total=documents,
                processed=documents,
                succeeded=documents,
                llm_calls=documents,
                input_tokens=sum(doc.token_count + 900 for doc in created),
                output_tokens=documents * 420,
                cost_usd=Decimal("0.000380") * documents,
                simulated=True,
                created_by=user,
                started_at=now,
                finished_at=now,
                heartbeat_at=now,
            )
            JobDocument.objects.bulk_create(
                [
                    JobDocument(
                        job=job,
                        document=doc,
                        status=JobDocument.Status.DONE,
                        attempts=1,
                        llm_calls=1,
                        input_tokens=doc.token_count + 900,
                        output_tokens=420,
                        cost_usd=Decimal("0.000380"),
                        started_at=now,
                        finished_at=now,
                    )
                    for doc in created
                ],
                batch_size=1000,
            )
            extractions = []
            for doc, facts in zip(created, stated, strict=True):
                for key, *_ in VARIABLES:
                    extractions.append(_extraction(rng, job, version, doc, key, facts))
            Extraction.objects.bulk_create(extractions, batch_size=2000)
            # A run that finished an hour ago, as the clients find it (bulk_create stamps
            # the values now, and the results cache waits for writes to settle).
            Extraction.objects.filter(job=job).update(updated_at=now - timedelta(hours=1))
            for event, message in (
                ("job_created", "Full run of version 1 created."),
                ("job_started", "Processing started."),
                ("job_completed", f"Completed: {documents} documents."),
            ):
                ProcessingLog.objects.create(project=project, job=job, event=event, message=message)
            entry["projects"].append(
                {"id": project.pk, "job_id": job.pk, "documents": [doc.pk for doc in created]}
            )
            counts.update(projects=1, documents=len(created), extractions=len(extractions))
        counts.update(users=1)
        seeded_users.append(entry)
    return {"users": seeded_users, "counts": dict(counts)}


def _extraction(rng, job, version, document, key, facts):
    from processing.models import Extraction

    value, quote = facts["facts"][key], facts["quotes"][key]
    status = Extraction.Status.OK
    draw = rng.random()
    if draw < 0.04:
        value, quote, status = None, "", Extraction.Status.MISSING
    elif draw < 0.07:
        quote, status = f"{quote} (paraphrased)", Extraction.Status.UNSUPPORTED_EVIDENCE
    start = document.text.find(quote) if status == Extraction.Status.OK else -1
    row = Extraction(
        document=document,
        schema_version=version,
        job=job,
        variable_key=key,
        value=value,
        raw={key: {"value": value, "evidence": quote, "confidence": 0.9}},
        evidence=quote,
        evidence_start=start if start >= 0 else None,
        evidence_end=start + len(quote) if start >= 0 else None,
        confidence=round(rng.uniform(0.6, 0.99), 2),
        status=status,
        message="" if status == Extraction.Status.OK else "Flagged by validation.",
        model=job.model,
    )
    row.refresh_sort_keys()
    return row


# --- Logging in -------------------------------------------------------------------------


def log_in(base: str, users: list[dict]) -> list[dict]:
    """Each user through the login form (session cookie) and the token endpoint."""
    from urllib.parse import urlencode, urlsplit

    host = urlsplit(base)
    identities = []
    for user in users:
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        connection.request("GET", "/accounts/login/")
        response = connection.getresponse()
        page = response.read().decode()
        csrf_cookie = _cookie(response, "csrftoken")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urlencode(
            {"username": user["username"], "password": PASSWORD, "csrfmiddlewaretoken": token}
        )
        connection.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf_cookie}",
                "Referer": f"{base}/accounts/login/",
            },
        )
        response = connection.getresponse()
        response.read()
        session = _cookie(response, "sessionid")
        if response.status != 302 or not session:
            raise RuntimeError(f"login of {user['username']} failed: HTTP {response.status}")
        connection.request(
            "POST",
            "/api/v1/auth/token/",
            body=json.dumps({"username": user["username"], "password": PASSWORD}),
            headers={"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        api_token = json.loads(response.read())["token"]
        connection.close()
        identities.append({**user, "session": session, "token": api_token})
    return identities


def _cookie(response: http.client.HTTPResponse, name: str) -> str:
    for header in response.headers.get_all("Set-Cookie") or []:
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0].split("=", 1)[1]
    return ""


# --- One level: N clients for a fixed time ----------------------------------------------


def run_level(
    *, base, clients, identities, duration, warmup, think, mix, processes, workdir,
    children, access_log, database_name, web_pid,
) -> dict:  # fmt: skip
    folder = workdir / f"level-{clients}"
    folder.mkdir()
    start_at = time.time() + 3.0  # every client process is up and connected by then
    measure_from = start_at + warmup
    end_at = measure_from + duration
    per_process = [clients // processes + (n < clients % processes) for n in range(processes)]
    started = []
    first = 0
    for number, threads in enumerate(per_process):
        spec = {
            "base": base,
            "start_at": start_at,
            "measure_from": measure_from,
            "end_at": end_at,
            "think": think,
            "mix": mix,
            "seed": clients * 1000 + number,
            "identities": [identities[(first + n) % len(identities)] for n in range(threads)],
            "out": str(folder / f"client-{number}.json"),
        }
        first += threads
        spec_file = folder / f"spec-{number}.json"
        spec_file.write_text(json.dumps(spec))
        started.append(
            children.start(
                f"client-{clients}-{number}",
                [PYTHON, str(Path(__file__).resolve()), "--client", str(spec_file)],
                env=os.environ.copy(),
                log=folder / f"client-{number}.log",
            )
        )
    log_offset_start = None
    load_before = load_text(load_average())
    peak_connections = 0
    trees = {"web": [web_pid], "clients": [child.pid for child in started]}
    cpu_first: dict = {}
    cpu_last: dict = {}
    window = [0.0, 0.0]
    while any(child.alive() for child in started):
        now = time.time()
        if log_offset_start is None and now >= measure_from:
            log_offset_start = access_log.stat().st_size if access_log.exists() else 0
            cpu_first = cpu_readings(trees, database=database_name)
            cpu_last = dict(cpu_first)
            window = [now, now]
        elif measure_from <= now <= end_at:
            peak_connections = max(peak_connections, database_connections(database_name))
            # Read every tick: a backend replaced mid-window keeps its last reading.
            cpu_last.update(cpu_readings(trees, database=database_name))
            window[1] = now
        time.sleep(0.5)
    load_after = load_text(load_average())
    for child in started:
        if child.process.returncode != 0:
            raise RuntimeError(f"{child.name} failed:\n{child.log_tail()}")
    records = []
    for number in range(processes):
        records += json.loads((folder / f"client-{number}.json").read_text())
    server = server_times(access_log, log_offset_start or 0)
    level = summarise(
        records,
        names=list(mix),
        clients=clients,
        duration=duration,
        server=server,
        load_before=load_before,
        load_after=load_after,
        peak_connections=peak_connections,
    )
    requests = level["rps"] * (window[1] - window[0])
    # With every core busy, cores / (the sum of these) is the most requests per second
    # this machine can serve, whatever the number of clients.
    level["cpu_ms_per_request"] = {
        group: round(seconds * 1000 / requests, 1)
        for group, seconds in sorted(cpu_used(cpu_first, cpu_last).items())
    } if requests > 0 else {}  # fmt: skip
    return level


def database_connections(name: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name])
        # Minus this one, the bench's own.
        return cursor.fetchone()[0] - 1


SERVER_PATTERNS = [
    ("floor", re.compile(r"^/healthz$")),
    ("projects_html", re.compile(r"^/projects/$")),
    ("projects_api", re.compile(r"^/api/v1/projects/$")),
    ("project_api", re.compile(r"^/api/v1/projects/\d+/$")),
    ("document_html", re.compile(r"^/projects/\d+/documents/\d+/$")),
    ("job_api", re.compile(r"^/api/v1/jobs/\d+/$")),
    ("results_html", re.compile(r"^/projects/\d+/results/$")),
    ("results_api", re.compile(r"^/api/v1/projects/\d+/results/$")),
]


def server_times(access_log: Path, offset: int) -> dict[str, list[float]]:
    """Per endpoint, the seconds gunicorn's worker spent on each request since
    ``offset`` of the access log (its own time: no queueing, no network)."""
    times: dict[str, list[float]] = collections.defaultdict(list)
    if not access_log.exists():
        return times
    with access_log.open() as handle:
        handle.seek(offset)
        for line in handle:
            parts = line.split()
            if len(parts) != 3 or not parts[2].isdigit():
                continue
            for name, pattern in SERVER_PATTERNS:
                if pattern.match(parts[0]):
                    times[name].append(int(parts[2]) / 1e6)
                    break
    return times


def summarise(
    records, *, names, clients, duration, server, load_before, load_after, peak_connections
):
    by_endpoint: dict[str, list] = collections.defaultdict(list)
    for record in records:
        by_endpoint[record[0]].append(record)
    endpoints = {}
    for name in [*names, "all"]:
        rows = records if name == "all" else by_endpoint.get(name, [])
        latencies = sorted(row[2] for row in rows)
        errors = collections.Counter(row[4] for row in rows if row[4])
        served = sorted(t for key, values in server.items() if name in ("all", key) for t in values)
        endpoints[name] = {
            "requests": len(rows),
            "rps": round(len(rows) / duration, 1),
            "p50_ms": _ms(percentile(latencies, 0.50)),
            "p95_ms": _ms(percentile(latencies, 0.95)),
            "p99_ms": _ms(percentile(latencies, 0.99)),
            "max_ms": _ms(latencies[-1] if latencies else float("nan")),
            "server_p50_ms": _ms(percentile(served, 0.50)),
            "server_p95_ms": _ms(percentile(served, 0.95)),
            "errors": sum(errors.values()),
            "error_kinds": dict(errors),
        }
    reconnects = sum(1 for row in records if row[5])
    return {
        "clients": clients,
        "duration_seconds": duration,
        "requests": len(records),
        "rps": endpoints["all"]["rps"],
        "errors": endpoints["all"]["errors"],
        "error_kinds": endpoints["all"]["error_kinds"],
        "stale_keepalive_retries": reconnects,
        "peak_db_connections": peak_connections,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "endpoints": endpoints,
    }


def _ms(seconds: float) -> float | None:
    return None if seconds != seconds else round(seconds * 1000, 1)  # NaN: no data


def print_level(level: dict) -> None:
    print(
        f"\n{level['clients']} clients, {level['duration_seconds']:.0f} s: "
        f"{level['requests']} requests, {level['rps']} req/s, {level['errors']} errors "
        f"(load average before {level['load_average_before']}, "
        f"after {level['load_average_after']})"
    )
    header = f"    {'endpoint':<14}{'requests':>9}{'req/s':>8}"
    header += f"{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}{'srv p50':>9}{'srv p95':>9}{'errors':>8}"
    print(header + "    (ms)")
    for name, row in level["endpoints"].items():
        cells = [row[k] for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")]
        cells += [row["server_p50_ms"], row["server_p95_ms"]]
        shown = [f"{c:>8.1f}" if c is not None else f"{'-':>8}" for c in cells]
        print(
            f"    {name:<14}{row['requests']:>9}{row['rps']:>8.1f}"
            + "".join(shown[:4])
            + " "
            + " ".join(shown[4:])
            + f"{row['errors']:>8}"
        )
    if level["error_kinds"]:
        print(f"    errors by kind: {level['error_kinds']}")
    print(
        f"    database connections (peak): {level['peak_db_connections']}; "
        f"stale keep-alive reconnects: {level['stale_keepalive_retries']}"
    )
    cpu = level.get("cpu_ms_per_request")
    if cpu:
        total = sum(cpu.values())
        cores = os.cpu_count() or 1
        print(
            "    CPU per request: "
            + ", ".join(f"{group} {ms:.1f} ms" for group, ms in cpu.items())
            + f"; {total:.1f} ms in all, so {cores} cores serve at most "
            f"~{cores * 1000 / total:.0f} req/s"
        )


def judge(levels: list[dict], *, think_time: float) -> dict:
    by_clients = {level["clients"]: level for level in levels}
    top = by_clients.get(100) or levels[-1]
    low = by_clients.get(10) or levels[0]
    slow = {
        name: row["p95_ms"]
        for name, row in top["endpoints"].items()
        if name != "all" and (row["p95_ms"] is None or row["p95_ms"] >= TARGET_P95_MS)
    }
    targets = {
        f"zero_errors_at_{top['clients']}": top["errors"] == 0,
        f"p95_under_{TARGET_P95_MS:.0f}ms_at_{top['clients']}": not slow,
    }
    print("\ntargets")
    print(f"    errors at {top['clients']} clients: {top['errors']}")
    print(
        f"    p95 at {top['clients']} clients: "
        + (f"all under {TARGET_P95_MS:.0f} ms" if not slow else f"over on {slow}")
    )
    scaling = None
    if top is not low:
        scaling = round(top["rps"] / low["rps"], 3) if low["rps"] else 0.0
        name = f"throughput_{top['clients']}_vs_{low['clients']}_at_least_{TARGET_SCALING}"
        targets[name] = scaling >= TARGET_SCALING
        print(
            f"    throughput {top['clients']} vs {low['clients']} clients: "
            f"{top['rps']} / {low['rps']} req/s = {scaling:.0%} (target {TARGET_SCALING:.0%})"
        )
    if slow and top["rps"] and not think_time:
        # Little's law: in a closed loop, mean latency = clients / throughput.
        print(
            f"    note: {top['clients']} clients without pauses at {top['rps']} req/s wait "
            f"{top['clients'] / top['rps'] * 1000:.0f} ms per request on average "
            "(Little's law); see the server columns for the time the app itself spends"
        )
    for name, met in targets.items():
        print(f"    {'PASS' if met else 'MISS'}  {name}")
    return {"targets": targets, "targets_met": all(targets.values()), "scaling": scaling}


# --- The client process -----------------------------------------------------------------


def client_process(spec_path: Path) -> int:
    """Run the spec's clients (one thread and one connection each); write the records
    ``[endpoint, start, seconds, status, error, reconnected]`` of the measured period."""
    spec = json.loads(spec_path.read_text())
    outputs: list[list] = []
    threads = [
        threading.Thread(
            target=_client_loop, args=(spec, identity, spec["seed"] * 1000 + n, outputs)
        )
        for n, identity in enumerate(spec["identities"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    Path(spec["out"]).write_text(json.dumps(outputs))
    return 0


def _requests(identity: dict, rng: random.Random, mix: dict):
    names = list(mix)
    weights = [mix[name][0] for name in names]
    session = {"Cookie": f"sessionid={identity['session']}"}
    token = {"Authorization": f"Token {identity['token']}", "Accept": "application/json"}
    while True:
        name = rng.choices(names, weights)[0]
        project = rng.choice(identity["projects"])
        pages = max(1, -(-len(project["documents"]) // RESULTS_PAGE_SIZE))
        page = rng.randint(1, pages)
        path = {
            "floor": "/healthz",
            "projects_html": "/projects/",
            "projects_api": "/api/v1/projects/",
            "project_api": f"/api/v1/projects/{project['id']}/",
            "document_html": (
                f"/projects/{project['id']}/documents/{rng.choice(project['documents'])}/"
            ),
            "job_api": f"/api/v1/jobs/{project['job_id']}/",
            "results_html": f"/projects/{project['id']}/results/?page={page}",
            "results_api": f"/api/v1/projects/{project['id']}/results/?page={page}",
        }[name]
        yield name, path, session if mix[name][1] == "session" else token


def _client_loop(spec: dict, identity: dict, seed: int, outputs: list) -> None:
    from urllib.parse import urlsplit

    rng = random.Random(seed)
    target = urlsplit(spec["base"])
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    served_on_connection = 0
    records = []
    time.sleep(max(spec["start_at"] - time.time(), 0))
    for name, path, headers in _requests(identity, rng, spec["mix"]):
        began = time.time()
        if began >= spec["end_at"]:
            break
        clock = time.perf_counter()
        status, error, reconnected = 0, "", False
        for attempt in range(2):
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
                error = "" if status == 200 else f"HTTP {status}"
                served_on_connection += 1
                break
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                stale = attempt == 0 and served_on_connection > 0 and isinstance(
                    exc, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError
                )  # fmt: skip
                served_on_connection = 0
                if stale:
                    # The server closed an idle keep-alive connection as we reused it:
                    # browsers and HTTP libraries send again on a new one, so do we.
                    reconnected = True
                    continue
                error = type(exc).__name__
                break
        seconds = time.perf_counter() - clock
        if began >= spec["measure_from"]:
            records.append([name, round(began, 4), round(seconds, 5), status, error, reconnected])
        if spec["think"]:
            time.sleep(rng.expovariate(1 / spec["think"]))
    connection.close()
    outputs.extend(records)  # list.extend is atomic under the GIL


def clear_redis_keys(url: str, prefix: str) -> None:
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
    except Exception as exc:  # cleanup must not hide the run's own outcome
        print(f"could not clear Redis keys {prefix}*: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
