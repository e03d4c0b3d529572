"""A full job through the API while things break: a worker killed, Redis and the web
server restarted, ~10% of model requests failing.

    .venv/bin/python bench/faults.py                  # 500 documents, 8 variables
    .venv/bin/python bench/faults.py --documents 200  # shorter

Started here, each in its own process group: a throwaway PostgreSQL database, a Redis
of our own on a free port (never the shared one: we restart it), the simulated model
(``python -m extractor.simulator``, ~10 % faults: 500, 503, timeouts of
``--hang-seconds``, malformed JSON), two Celery workers with distinct hostnames (beat
embedded in the second), and gunicorn. Processing uses short leases
(``PROCESSING_LEASE_SECONDS=10``) and a quick sweeper (``SWEEP_INTERVAL_SECONDS=5``).

The scenario: a project of ``--documents`` documents (ingested like uploads) with a
confirmed schema of ``--variables`` variables; a token from ``/api/v1/auth/token/``; a
full job started with ``POST /api/v1/projects/<id>/jobs/``; then, as progress passes
20 %, 45 % and 65 %: SIGKILL the first worker (group and all) and start it again a few
seconds later under the same name; shut Redis down (nosave) and start it again, empty;
stop gunicorn and start it again. The job is polled through the API all along
(connection errors while the web server is down are counted, not fatal).

Checked and printed at the end: the job's final status (completed; or
completed_with_errors only for documents whose failure was a permanent injected fault,
listed), exactly one extraction per variable for every finished document and none for
a failed one, nothing lost (processed == succeeded + failed == total, no item left
pending or running), no worker exited on its own, and the provider requests beyond one
per document (the simulator's log minus the documents), split with the ``LLMCall``
ledger into retries after injected faults (by the gateway inside a call, or a new call
for a given-back item) and repeats caused by the kill (one per call the killed worker
had in flight, whose ledger row stays ``pending``), the latter compared with the items
in flight on that worker at the kill. Then a timeline and one JSON line. Exit status 1
if a check fails.

Everything started is stopped at the end (Ctrl-C included), the database dropped.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    DEFAULT_POSTGRES_URL,
    PYTHON,
    RUN_ID,
    Children,
    ThrowawayDatabase,
    configure,
    free_port,
    interruptible,
    load_average,
    load_text,
    make_project,
    make_texts,
    make_user,
    make_variables,
    wait_http,
)

FAULTS = {"--fail-500": 0.03, "--fail-503": 0.03, "--timeout-rate": 0.02, "--malformed-rate": 0.02}
INJECTED = {"500", "503", "timeout", "malformed"}
FINISHED = {"completed", "completed_with_errors", "failed", "cancelled", "paused"}
KILLED_WORKER = f"faults-w1-{RUN_ID}@localhost"
OTHER_WORKER = f"faults-w2-{RUN_ID}@localhost"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--variables", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.3, help="simulated answer time, s")
    parser.add_argument("--hang-seconds", type=float, default=3.0, help="a timeout fault's hang")
    parser.add_argument("--restart-after", type=float, default=3.0, help="seconds down")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after, seconds")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="maintenance DB")
    parser.add_argument("--keep", action="store_true", help="keep the database and logs")
    args = parser.parse_args()

    database = ThrowawayDatabase("bench_faults", args.postgres_url)
    children = Children()
    scratch: Path | None = None
    try:
        with interruptible():
            os.environ["DATABASE_URL"] = database.create()
            redis_port = free_port()
            os.environ["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
            scratch = configure("faults", redis=True, extra=app_settings(args))
            report = Scenario(args, children, scratch, redis_port).run()
        print(json.dumps(report, default=str))
        return 0 if report["checks_passed"] else 1
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        # Workers (and their beat) first: they must not spend their last seconds
        # reconnecting to a Redis that was stopped before them.
        workers = [child for child in children.items if child.name.startswith("faults-w")]
        for child in workers:
            children.items.remove(child)
        children.items += workers
        children.stop_all()
        if args.keep:
            print(f"kept database {database.name} and {scratch}", file=sys.stderr)
        else:
            database.drop()
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)


def app_settings(args) -> dict[str, str]:
    """What the web server and the workers run with (besides database and Redis)."""
    return {
        "DEBUG": "0",
        "PROCESSING_LEASE_SECONDS": "10",
        "SWEEP_INTERVAL_SECONDS": "5",
        "PROCESSING_TASK_SECONDS": "20",  # short runner tasks: successors go through Redis
        "PROCESSING_PARALLEL_TASKS": "4",
        "PROCESSING_THREADS_PER_TASK": "4",
        "LLM_REQUEST_TIMEOUT": str(max(args.hang_seconds - 1, 1)),  # a hang is a timeout
        "LLM_TOTAL_TIMEOUT": "60",
        "LLM_MAX_ATTEMPTS": "6",
        "LLM_BACKOFF_BASE": "0.2",
        "LLM_BACKOFF_MAX": "2",
        "OPENAI_API_KEY": "sk-bench",
        "THROTTLE_JOB": "1000/hour",
    }


class Scenario:
    def __init__(self, args, children: Children, scratch: Path, redis_port: int):
        self.args = args
        self.children = children
        self.scratch = scratch
        self.logs = scratch / "logs"
        self.redis_port = redis_port
        self.events: list[tuple[float, str]] = []
        self.t0 = time.monotonic()
        self.web_port = free_port()
        self.base = f"http://127.0.0.1:{self.web_port}"
        self.sim_port = free_port()
        self.watchers: list[tuple] = []  # (predicate, event message once it holds)
        self.unexpected_exits: list[dict] = []
        self.in_flight_on_killed = self.in_flight_total = 0
        self.kill_time: float | None = None

    # --- plumbing ---------------------------------------------------------------------

    def event(self, message: str) -> None:
        elapsed = time.monotonic() - self.t0
        self.events.append((round(elapsed, 1), message))
        print(f"    {elapsed:7.1f}  {message}", flush=True)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "OPENAI_BASE_URL": f"http://127.0.0.1:{self.sim_port}/v1",
            "LOG_LEVEL": "INFO",
        }

    def start_redis(self):
        return self.children.start(
            "redis",
            [
                "redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.scratch),
            ],
            env=self.env(), log=self.logs / "redis.log",
        )  # fmt: skip

    def wait_redis(self, timeout: float = 30) -> None:
        import redis

        client = redis.Redis(port=self.redis_port, socket_connect_timeout=1)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise RuntimeError("our Redis did not start") from None
                time.sleep(0.1)

    def start_worker(self, name: str, *, beat: bool = False, log_name: str):
        from django.conf import settings

        command = [
            PYTHON, "-m", "celery", "-A", "extractor", "worker",
            "--pool", "prefork", "--concurrency", "2",
            "--queues", settings.CELERY_TASK_DEFAULT_QUEUE,
            "--hostname", name, "--loglevel", "INFO",
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        if beat:
            command += ["--beat", "--schedule", str(self.scratch / "celerybeat-schedule")]
        return self.children.start(name, command, env=self.env(), log=self.logs / log_name)

    @staticmethod
    def wait_ready(worker, *, since: int = 0, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while "ready." not in worker.log.read_text(errors="replace")[since:]:
            if not worker.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{worker.name} did not start:\n{worker.log_tail()}")
            time.sleep(0.2)

    def start_web(self):
        web = self.children.start(
            "gunicorn",
            [
                PYTHON, "-m", "gunicorn", "extractor.wsgi",
                "--bind", f"127.0.0.1:{self.web_port}", "--workers", "2", "--threads", "4",
                "--timeout", "60", "--no-control-socket",
            ],
            env=self.env(), log=self.logs / "gunicorn.log",
        )  # fmt: skip
        wait_http(f"{self.base}/healthz", timeout=90, child=web)
        return web

    def api(self, method: str, path: str, body: dict | None = None, token: str = "") -> dict:
        connection = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=30)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        connection.request(method, path, body=json.dumps(body) if body else None, headers=headers)
        response = connection.getresponse()
        data = json.loads(response.read() or b"{}")
        connection.close()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {response.status} {data}")
        return data

    def simulator_log(self) -> list[dict]:
        url = f"http://127.0.0.1:{self.sim_port}/_simulator/log"
        with urllib.request.urlopen(url, timeout=60) as response:
            return json.loads(response.read())["requests"]

    # --- the run --------------------------------------------------------------------

    def run(self) -> dict:
        from django.core.management import call_command

        args = self.args
        call_command("migrate", interactive=False, verbosity=0)
        started = time.monotonic()
        user = make_user("faults")
        password = "faults-" + RUN_ID
        user.set_password(password)
        user.save()
        project = make_project(
            user,
            name="Fault scenario",
            texts=make_texts(args.documents, seed=29),
            variables=make_variables(args.variables),
        )
        print(
            f"seeded {args.documents} documents, {args.variables} variables in "
            f"{time.monotonic() - started:.0f} s ({load_text(load_average())})"
        )

        sim_args = ["--latency", str(args.latency), "--jitter", "0.1", "--seed", "7"]
        sim_args += ["--hang-seconds", str(args.hang_seconds)]
        for flag, rate in FAULTS.items():
            sim_args += [flag, str(rate)]
        simulator = self.children.start(
            "simulator",
            [PYTHON, "-m", "extractor.simulator", "--port", str(self.sim_port), *sim_args],
            env=self.env(),
            log=self.logs / "simulator.log",
        )
        wait_http(f"http://127.0.0.1:{self.sim_port}/v1/models", timeout=60, child=simulator)
        self.redis = self.start_redis()
        self.wait_redis()
        self.w1 = self.start_worker(KILLED_WORKER, log_name="worker-1.log")
        self.w2 = self.start_worker(OTHER_WORKER, beat=True, log_name="worker-2.log")
        self.web = self.start_web()
        self.wait_ready(self.w1)
        self.wait_ready(self.w2)
        token = self.api(
            "POST", "/api/v1/auth/token/", {"username": user.username, "password": password}
        )["token"]
        print(
            f"simulator :{self.sim_port} ({sum(FAULTS.values()):.0%} faults: "
            f"{ {k.lstrip('-'): v for k, v in FAULTS.items()} }), Redis :{self.redis_port}, "
            f"workers {KILLED_WORKER} and {OTHER_WORKER} (beat), gunicorn :{self.web_port}"
        )

        print("\ntimeline (seconds since the job was created)")
        self.t0 = time.monotonic()
        job = self.api("POST", f"/api/v1/projects/{project.pk}/jobs/", {"kind": "full"}, token)
        self.job_id = job["id"]
        self.event(f"job {self.job_id} created through the API: {job['total']} documents")
        poller = Poller(self, token)
        poller.start()
        try:
            self.drive(job["total"])
        finally:
            poller.stop()
        try:
            final_api = self.api("GET", f"/api/v1/jobs/{self.job_id}/", token=token)
        except (OSError, http.client.HTTPException, RuntimeError) as exc:
            final_api = {"status": None, "processed": None, "error": repr(exc)}
        return self.check(project, final_api, poller)

    def progress(self) -> tuple[str, int, int]:
        from processing.models import ProcessingJob

        job = ProcessingJob.objects.get(pk=self.job_id)
        return job.status, job.processed, job.total

    def drive(self, total: int) -> None:
        """Break things as progress passes each mark, watch the pieces come back, restart
        a worker that exits on its own (as systemd or a restart policy would, and say so),
        and wait for the job to end."""
        marks = [(0.20, self.kill_worker), (0.45, self.restart_redis), (0.65, self.restart_web)]
        deadline = time.monotonic() + self.args.timeout
        running_seen = False
        next_sample = time.monotonic() + 10
        while True:
            status, processed, total = self.progress()
            if time.monotonic() >= next_sample:
                next_sample += 10
                self.event(f"progress {processed}/{total}; {self.parallelism()}")
            if status == "running" and not running_seen:
                running_seen = True
                self.event("job running")
            if marks and processed >= marks[0][0] * total:
                _, action = marks.pop(0)
                action(processed, total)
                continue
            for watcher in list(self.watchers):
                if watcher[0]():
                    self.watchers.remove(watcher)
                    self.event(watcher[1])
            self.supervise()
            if status in FINISHED:
                self.event(f"job {status}: {processed}/{total} processed")
                self.finish_watching()
                return
            if time.monotonic() > deadline:
                self.event(f"gave up waiting: job {status} at {processed}/{total}")
                return
            time.sleep(0.2)

    def parallelism(self) -> str:
        """Items running now and the runners holding them (each runner task has its own
        worker id), per worker: how much of the job's parallelism is alive."""
        from processing.models import JobDocument

        holders = JobDocument.objects.filter(job_id=self.job_id, status="running").values_list(
            "worker", flat=True
        )
        runners = collections.Counter(holder.split(":")[0] for holder in set(holders))
        shown = {name.split("-")[1]: count for name, count in sorted(runners.items())}
        return f"{len(holders)} items running, runners per worker {shown}"

    def finish_watching(self, timeout: float = 180) -> None:
        """Whatever was restarted is back before the verdict (the web server answers the
        final API call)."""
        deadline = time.monotonic() + timeout
        while self.watchers and time.monotonic() < deadline:
            for watcher in list(self.watchers):
                if watcher[0]():
                    self.watchers.remove(watcher)
                    self.event(watcher[1])
            time.sleep(0.2)

    def ready_watcher(self, worker, since: int, message: str) -> None:
        def ready() -> bool:
            return "ready." in worker.log.read_text(errors="replace")[since:]

        self.watchers.append((ready, message))

    def supervise(self) -> None:
        """A worker that exited without being told to is an unexpected exit: record it
        with its last error line, and start it again under the same name."""
        for attribute in ("w1", "w2"):
            worker = getattr(self, attribute)
            if worker.alive():
                continue
            tail = worker.log_tail(20000).splitlines()
            reason = next(
                (line for line in reversed(tail) if "Unrecoverable error" in line),
                next((line for line in reversed(tail) if "Error" in line), "no error logged"),
            )
            self.unexpected_exits.append(
                {"worker": worker.name, "exit_code": worker.process.returncode, "reason": reason}
            )
            self.event(
                f"{worker.name} EXITED on its own (code {worker.process.returncode}): "
                f"{reason[-160:]}; starting it again, as a supervisor would"
            )
            setattr(self, attribute, self.replace_worker(worker))

    def replace_worker(self, old):
        since = old.log.stat().st_size if old.log.exists() else 0
        self.children.items.remove(old)
        new = self.start_worker(old.name, beat=old is self.w2, log_name=old.log.name)
        new.pgids |= old.pgids
        self.ready_watcher(new, since, f"{old.name} ready again")
        return new

    def kill_worker(self, processed: int, total: int) -> None:
        from processing.models import JobDocument

        self.parallelism_before_kill = self.parallelism()
        self.w1.kill()
        running = JobDocument.objects.filter(job_id=self.job_id, status="running")
        self.in_flight_on_killed = running.filter(worker__startswith=f"{KILLED_WORKER}:").count()
        self.in_flight_total = running.count()
        self.kill_time = time.time()
        self.event(
            f"at {processed}/{total}: SIGKILL {KILLED_WORKER} (parent and pool): "
            f"{self.in_flight_on_killed} items in flight on it, {self.in_flight_total} in all "
            f"({self.parallelism_before_kill})"
        )
        time.sleep(self.args.restart_after)
        old = self.w1
        since = old.log.stat().st_size
        self.children.items.remove(old)
        self.w1 = self.start_worker(KILLED_WORKER, log_name=old.log.name)
        self.w1.pgids |= old.pgids
        self.event(f"{KILLED_WORKER} started again under the same name")
        self.ready_watcher(
            self.w1, since, f"{KILLED_WORKER} ready (its start-up sweep puts its old items back)"
        )

    def restart_redis(self, processed: int, total: int) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), "shutdown", "nosave"],
            capture_output=True, timeout=30, check=False,
        )  # fmt: skip
        try:
            self.redis.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.redis.kill()
        self.event(f"at {processed}/{total}: Redis shut down (nosave): queued messages lost")
        time.sleep(self.args.restart_after)
        self.children.items.remove(self.redis)
        self.redis = self.start_redis()
        self.wait_redis()
        self.event("Redis started again, empty")

    def restart_web(self, processed: int, total: int) -> None:
        self.web.stop()
        self.event(f"at {processed}/{total}: gunicorn stopped (SIGTERM)")
        time.sleep(self.args.restart_after)
        self.children.items.remove(self.web)
        self.web = self.children.start(
            "gunicorn", self.web.command, env=self.web.env, log=self.web.log
        )

        def answering() -> bool:
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=1).close()
            except OSError:
                return False
            return True

        self.event("gunicorn started again")
        self.watchers.append((answering, "gunicorn answering again"))

    # --- the verdict ----------------------------------------------------------------

    def check(self, project, final_api: dict, poller: Poller) -> dict:
        from django.db.models import Count, Q, Sum

        from extractor.llm.models import LLMCall
        from processing.models import Extraction, JobDocument, ProcessingJob, ProcessingLog

        job = ProcessingJob.objects.select_related("schema_version").get(pk=self.job_id)
        n_variables = len(job.schema_version.variables)
        items = JobDocument.objects.filter(job=job)
        statuses = collections.Counter(items.values_list("status", flat=True))
        per_document = dict(
            Extraction.objects.filter(schema_version=job.schema_version, document__project=project)
            .values_list("document_id")
            .annotate(n=Count("id"))
        )
        done_ids = set(items.filter(status="done").values_list("document_id", flat=True))
        failed = list(items.filter(status="failed").values("document_id", "attempts", "error"))
        wrong_sets = {
            doc: per_document.get(doc, 0)
            for doc in items.values_list("document_id", flat=True)
            if per_document.get(doc, 0) != (n_variables if doc in done_ids else 0)
        }
        # Why each failed document failed: its calls' errors as the ledger has them.
        for entry in failed:
            entry["call_errors"] = list(
                LLMCall.objects.filter(job_id=job.pk, document_id=entry["document_id"])
                .exclude(error_type="")
                .values_list("error_type", flat=True)
            )
            entry["permanent_injected"] = "InvalidResponseError" in entry["call_errors"]

        calls = LLMCall.objects.filter(job_id=job.pk)
        outcomes = collections.Counter(calls.values_list("outcome", flat=True))
        # Calls cut off by a dead process stay ``pending`` until the sweeper closes them
        # as "Abandoned" errors (after 2 x LLM_TOTAL_TIMEOUT): both are cut calls.
        cut = calls.filter(Q(outcome="pending") | Q(error_type="Abandoned"))
        finished = calls.filter(outcome__in=["success", "error"]).exclude(error_type="Abandoned")
        attempts = finished.aggregate(n=Sum("attempts"))["n"] or 0
        pending = list(cut.values_list("created_at", flat=True))
        successes_per_doc = collections.Counter(
            calls.filter(outcome="success").values_list("document_id", flat=True)
        )
        log = self.simulator_log()
        faults = collections.Counter(entry["fault"] for entry in log if entry["fault"])
        requests = len(log)
        documents = job.total
        gateway_retries = attempts - finished.count()
        new_calls_after_errors = finished.count() - documents
        # Requests of calls the kill cut off (their ledger rows stay pending). Each cut
        # call is one repeat caused by the kill; any further request inside it was a
        # retry after an injected fault, which the fault would have cost anyway.
        cut_requests = requests - attempts
        kill_repeats = min(cut_requests, len(pending))
        fault_retries = gateway_retries + new_calls_after_errors + cut_requests - kill_repeats
        requeued = collections.Counter(
            ProcessingLog.objects.filter(job=job, event="item_requeued").values_list(
                "message", flat=True
            )
        )

        figures = {
            "bench": "faults",
            "documents": documents,
            "variables": n_variables,
            "status": job.status,
            "status_api": final_api["status"],
            "processed": job.processed,
            "succeeded": job.succeeded,
            "failed": job.failed,
            "items": dict(statuses),
            "documents_with_wrong_extraction_count": len(wrong_sets),
            "failed_documents": failed,
            "simulator_requests": requests,
            "faults_injected": dict(faults),
            "extra_requests": requests - documents,
            "requests_with_injected_fault": sum(faults.values()),
            "answered_requests_not_used": requests - sum(faults.values()) - job.succeeded,
            "gateway_retries_in_calls": gateway_retries,
            "new_calls_after_failed_calls": new_calls_after_errors,
            "retries_after_injected_faults": fault_retries,
            "repeats_after_kill": kill_repeats,
            "requests_of_calls_cut_by_kill": cut_requests,
            "calls_cut_by_kill": len(pending),
            "calls_cut_after_kill_moment": sum(
                self.kill_time is None or created.timestamp() > self.kill_time + 1
                for created in pending
            ),
            "answers_reused_from_cache": outcomes.get("cached", 0),
            "documents_with_several_paid_answers": sum(n > 1 for n in successes_per_doc.values()),
            "in_flight_on_killed_worker": self.in_flight_on_killed,
            "in_flight_in_all_at_kill": self.in_flight_total,
            "requeue_reasons": dict(requeued),
            "unexpected_worker_exits": self.unexpected_exits,
            "polls": poller.summary(),
            "timeline": self.events,
            "load_average_end": load_text(load_average()),
        }
        only_injected = all(entry["permanent_injected"] for entry in failed)
        checks = {
            "job_completed": job.status == "completed"
            or (job.status == "completed_with_errors" and only_injected),
            "api_agrees": final_api["status"] == job.status
            and final_api["processed"] == job.processed,
            "nothing_lost": job.processed == documents
            and job.succeeded + job.failed == documents
            and not statuses.get("pending")
            and not statuses.get("running"),
            "one_set_of_extractions_per_document": not wrong_sets,
            "no_document_paid_twice": figures["documents_with_several_paid_answers"] == 0,
            "kill_repeats_within_in_flight": kill_repeats <= self.in_flight_on_killed,
            "no_unexpected_worker_exit": not self.unexpected_exits,
        }  # fmt: skip
        figures["checks"] = checks
        figures["checks_passed"] = all(checks.values())
        self.print_verdict(figures)
        return figures

    def print_verdict(self, f: dict) -> None:
        print("\nresult")
        print(f"    job status               {f['status']} (API says {f['status_api']})")
        print(
            f"    processed                {f['processed']}/{f['documents']} "
            f"({f['succeeded']} succeeded, {f['failed']} failed); items {f['items']}"
        )
        for entry in f["failed_documents"]:
            kind = "permanent injected fault" if entry["permanent_injected"] else "NOT injected"
            print(
                f"    failed document {entry['document_id']}: {kind}: {entry['error'][:120]} "
                f"(calls: {entry['call_errors']})"
            )
        print(
            f"    extractions              {f['variables']} per finished document; "
            f"{f['documents_with_wrong_extraction_count']} documents with another count"
        )
        print(
            f"    provider requests        {f['simulator_requests']} for {f['documents']} documents"
        )
        print(f"    faults injected          {f['faults_injected']}")
        print(
            f"    extra requests           {f['extra_requests']} = "
            f"{f['retries_after_injected_faults']} retries after injected faults + "
            f"{f['repeats_after_kill']} repeats after the kill"
        )
        print(
            f"      simulator's view       {f['requests_with_injected_fault']} requests met an "
            f"injected fault, {f['answered_requests_not_used']} were answered but not used"
        )
        print(
            f"      ledger's view          {f['gateway_retries_in_calls']} gateway retries inside "
            f"calls, {f['new_calls_after_failed_calls']} new calls after failed calls, "
            f"{f['requests_of_calls_cut_by_kill']} requests of {f['calls_cut_by_kill']} calls "
            "cut by the kill"
        )
        print(
            f"    repeats after the kill   {f['repeats_after_kill']} "
            f"(items in flight on the killed worker: {f['in_flight_on_killed_worker']}; "
            f"in the whole job: {f['in_flight_in_all_at_kill']})"
        )
        unexplained = f["retries_after_injected_faults"] - f["requests_with_injected_fault"]
        if unexplained > 0:
            print(
                f"    note: {unexplained} retries more than injected faults: requests our "
                "client gave up on (LLM_REQUEST_TIMEOUT) while the machine was overloaded"
            )
        print(f"    answers from the cache   {f['answers_reused_from_cache']}")
        print(f"    requeued items           {f['requeue_reasons']}")
        for entry in f["unexpected_worker_exits"]:
            print(f"    UNEXPECTED EXIT          {entry['worker']}: {entry['reason'][-200:]}")
        polls = f["polls"]
        print(
            f"    API polls                {polls['ok']} answered, {polls['failed']} failed "
            f"{polls['errors']}, longest gap {polls['longest_gap_seconds']} s"
        )
        print(f"    {f['load_average_end']}")
        for name, met in f["checks"].items():
            print(f"    {'PASS' if met else 'FAIL'}  {name}")


class Poller(threading.Thread):
    """Polls ``GET /api/v1/jobs/<id>/`` twice a second until stopped; connection errors
    (the web server restarting) are counted, never fatal."""

    def __init__(self, scenario: Scenario, token: str):
        super().__init__(daemon=True)
        self.scenario = scenario
        self.token = token
        self.stopping = threading.Event()
        self.ok = 0
        self.errors: collections.Counter = collections.Counter()
        self.last_ok = time.monotonic()
        self.longest_gap = 0.0

    def run(self) -> None:
        path = f"/api/v1/jobs/{self.scenario.job_id}/"
        while not self.stopping.wait(0.5):
            try:
                self.scenario.api("GET", path, token=self.token)
            except (OSError, http.client.HTTPException, RuntimeError, ValueError) as exc:
                self.errors[type(exc).__name__] += 1
                continue
            now = time.monotonic()
            self.longest_gap = max(self.longest_gap, now - self.last_ok)
            self.last_ok = now
            self.ok += 1

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=35)

    def summary(self) -> dict:
        return {
            "ok": self.ok,
            "failed": sum(self.errors.values()),
            "errors": dict(self.errors),
            "longest_gap_seconds": round(self.longest_gap, 1),
        }


if __name__ == "__main__":
    sys.exit(main())
