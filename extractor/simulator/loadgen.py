"""A worker process that keeps the gateway busy, for the benchmark and the
multi-process tests: ``python -m extractor.simulator.loadgen --duration 10 --threads 2``.

Settings come from the environment as usual (``OPENAI_BASE_URL``, ``REDIS_URL``,
``LLM_*``). Each thread starts a new call as soon as the last one ends (work is always
waiting) until the duration or the number of calls is reached, then one JSON line per
call goes to ``--out`` (or stdout): start, end, outcome, attempts, 429s met.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import zlib
from typing import Any

WORDS = [
    "treaty",
    "trade",
    "tariff",
    "port",
    "harbour",
    "ship",
    "cargo",
    "minister",
    "council",
    "parliament",
    "vote",
    "agreement",
    "customs",
    "border",
    "union",
    "market",
    "export",
    "import",
    "fishery",
    "quota",
    "court",
]
SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["country", "year", "stance", "evidence", "confidence"],
    "properties": {
        "country": {"type": ["string", "null"]},
        "year": {"type": ["integer", "null"]},
        "stance": {"type": "string", "enum": ["for", "against", "neutral"]},
        "evidence": {"type": "string"},
        "confidence": {"type": "number"},
    },
}


def make_document(seed: int, words: int) -> str:
    """A made-up document, different for every seed."""
    text = []
    for i in range(words):
        text.append(WORDS[(seed * 7 + i * 13 + i * i) % len(WORDS)])
        if i % 12 == 11:
            text[-1] += f" in {1950 + (seed + i) % 70}."
    return f"Report {seed}. " + " ".join(text) + "."


def run_call(index: str, *, words: int) -> dict[str, Any]:
    from extractor.llm.errors import LLMError
    from extractor.llm.gateway import CallContext, complete_json
    from extractor.simulator.answers import DOCUMENT_BEGIN, DOCUMENT_END

    seed = zlib.crc32(index.encode()) % 10_000_000
    messages = [
        {"role": "system", "content": "Extract the variables from the document."},
        {
            "role": "user",
            "content": f"{DOCUMENT_BEGIN}\n{make_document(seed, words)}\n{DOCUMENT_END}",
        },
    ]
    started = time.time()
    record: dict[str, Any] = {"call": index, "start": started}
    try:
        result = complete_json(
            messages=messages,
            schema_name="extraction",
            json_schema=SCHEMA,
            context=CallContext(purpose="loadgen"),
            use_cache=False,
        )
        record.update(ok=True, attempts=result.attempts, call_id=result.call_id)
    except LLMError as exc:
        record.update(ok=False, error=type(exc).__name__, attempts=exc.attempts)
        record["call_id"] = exc.call_id
    record["end"] = time.time()
    return record


def warm_up() -> None:
    """Load what the first call would load (SDK, tokenizer, HTTP client), so the
    measured run starts with a ready worker."""
    from django.conf import settings

    from extractor.llm import gateway  # noqa: F401 - the import is the warm-up
    from extractor.llm.client import client_for, provider_config
    from extractor.llm.tokens import count_text

    count_text("warm up", settings.EXTRACTOR_MODEL)
    assert client_for(provider_config()).chat.completions  # imported lazily by the SDK


def wait_for_go(ready_file: str | None, go_file: str | None) -> None:
    """Start together with the other workers: Django setup takes seconds, and a
    worker still importing would make the shared limit look under-used."""
    if ready_file:
        with open(ready_file, "w") as ready:
            ready.write(str(os.getpid()))
    while go_file and not os.path.exists(go_file):
        time.sleep(0.02)


def worker_thread(name: str, *, until: float, calls: int, words: int, out: list) -> None:
    from django.db import connection

    try:
        number = 0
        while time.time() < until and (not calls or number < calls):
            out.append(run_call(f"{name}-{number}", words=words))
            number += 1
    finally:
        connection.close()  # each thread has its own database connection


def rate_limited_counts(records: list[dict[str, Any]]) -> None:
    """Add the 429s each call met, from its ledger row."""
    from extractor.llm.models import LLMCall

    ids = [r["call_id"] for r in records if r.get("call_id")]
    counts = dict(LLMCall.objects.filter(pk__in=ids).values_list("pk", "rate_limited"))
    for record in records:
        record["rate_limited"] = counts.get(record.get("call_id"), 0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", default=f"w{os.getpid()}")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of calls")
    parser.add_argument("--calls", type=int, default=0, help="calls per thread (0 = no cap)")
    parser.add_argument("--words", type=int, default=120, help="document length")
    parser.add_argument("--ready-file", help="created once this worker is ready")
    parser.add_argument("--go-file", help="wait for this file to exist before starting")
    parser.add_argument("--migrate", action="store_true", help="create the llm tables first")
    parser.add_argument("--migrate-only", action="store_true")
    parser.add_argument("--out", default="-")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "extractor.settings")
    import django

    django.setup()
    if args.migrate or args.migrate_only:
        from django.core.management import call_command

        # Only the gateway's own tables: this worker never touches the workflow apps.
        call_command("migrate", "llm", verbosity=0, skip_checks=True)
        if args.migrate_only:
            return
    warm_up()
    wait_for_go(args.ready_file, args.go_file)
    until = time.time() + args.duration
    records: list[dict[str, Any]] = []
    threads = [
        threading.Thread(
            target=worker_thread,
            args=(f"{args.name}-t{i}",),
            kwargs={"until": until, "calls": args.calls, "words": args.words, "out": records},
        )
        for i in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate_limited_counts(records)
    lines = "".join(json.dumps(record) + "\n" for record in records)
    if args.out == "-":
        sys.stdout.write(lines)
    else:
        with open(args.out, "w") as out:
            out.write(lines)


if __name__ == "__main__":
    main()
