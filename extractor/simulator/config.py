"""The simulator's options: one dataclass, one argparse definition shared by
``manage.py simulate_llm`` and ``python -m extractor.simulator``."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields

FAULT_KINDS = (
    "ok",
    "500",
    "503",
    "429",
    "timeout",
    "disconnect",
    "malformed",
    "invalid",
    "truncate",
    "refusal",
)

# How a batch ends, unless its metadata says otherwise (``{"simulate": "expired"}``).
BATCH_OUTCOMES = ("completed", "failed", "expired", "cancelled")

# (option, fault kind): the random fault rates, drawn in this order.
FAULT_RATES = (
    ("fail_500", "500"),
    ("fail_503", "503"),
    ("fail_429", "429"),
    ("timeout_rate", "timeout"),
    ("disconnect_rate", "disconnect"),
    ("malformed_rate", "malformed"),
    ("invalid_rate", "invalid"),
    ("truncate_rate", "truncate"),
    ("refusal_rate", "refusal"),
)


@dataclass(frozen=True)
class SimulatorConfig:
    """Defaults: no latency, no faults, no limits (what a test wants)."""

    host: str = "127.0.0.1"
    port: int = 0
    latency: float = 0.0
    jitter: float = 0.0
    rpm: int = 0
    tpm: int = 0
    window: float = 60.0
    fail_500: float = 0.0
    fail_503: float = 0.0
    fail_429: float = 0.0
    timeout_rate: float = 0.0
    disconnect_rate: float = 0.0
    malformed_rate: float = 0.0
    invalid_rate: float = 0.0
    truncate_rate: float = 0.0
    refusal_rate: float = 0.0
    fault_script: tuple[str, ...] = ()
    hang_seconds: float = 600.0
    retry_after: float = 1.0
    seed: int = 1
    models: tuple[str, ...] = ()
    require_key: bool = False
    api_key: str = ""
    verbose: bool = False
    # The Batch API: seconds from creation to the end state, the end state, every
    # n-th request an error line (0 = none), OpenAI's input limits, or no batch
    # endpoints at all (404, like Ollama or vLLM).
    batch_delay_seconds: float = 2.0
    batch_outcome: str = "completed"
    batch_error_every: int = 0
    batch_max_requests: int = 50_000
    batch_max_bytes: int = 200 * 1024**2
    no_batch: bool = False

    @classmethod
    def from_options(cls, **options) -> SimulatorConfig:
        """Build from keyword options; lists may be given as comma-separated text."""
        known = {f.name for f in fields(cls)}
        unknown = set(options) - known
        if unknown:
            raise TypeError(f"unknown simulator option(s): {', '.join(sorted(unknown))}")
        for name in ("fault_script", "models"):
            if isinstance(options.get(name), str):
                options[name] = tuple(p.strip() for p in options[name].split(",") if p.strip())
            elif options.get(name) is not None:
                options[name] = tuple(options[name])
        bad = [k for k in options.get("fault_script", ()) if k not in FAULT_KINDS]
        if bad:
            raise ValueError(f"unknown fault kind(s) {bad}; choose from {', '.join(FAULT_KINDS)}")
        total = sum(options.get(rate, 0.0) for rate, _ in FAULT_RATES)
        if total > 1.0:
            raise ValueError(f"fault rates add up to {total:.2f}, more than 1")
        outcome = options.get("batch_outcome")
        if outcome is not None and outcome not in BATCH_OUTCOMES:
            raise ValueError(
                f"unknown batch outcome {outcome!r}; choose from {', '.join(BATCH_OUTCOMES)}"
            )
        for name in ("batch_delay_seconds", "batch_error_every"):
            if (options.get(name) or 0) < 0:
                raise ValueError(f"{name} must not be negative")
        return cls(**{k: v for k, v in options.items() if v is not None})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command-line options (realistic latency by default)."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per answer")
    parser.add_argument("--jitter", type=float, default=0.1, help="+/- seconds on latency")
    parser.add_argument("--rpm", type=int, default=0, help="requests per window (0 = no limit)")
    parser.add_argument("--tpm", type=int, default=0, help="tokens per window (0 = no limit)")
    parser.add_argument("--window", type=float, default=60.0, help="rate window in seconds")
    for option, kind in FAULT_RATES:
        flag = "--" + option.replace("_", "-")
        parser.add_argument(flag, type=float, default=0.0, help=f"share of {kind} faults")
    parser.add_argument(
        "--fault-script",
        default="",
        help="faults for the first requests, in order, e.g. 500,timeout,ok "
        f"(kinds: {', '.join(FAULT_KINDS)})",
    )
    parser.add_argument(
        "--hang-seconds", type=float, default=600.0, help="how long a timeout fault hangs"
    )
    parser.add_argument(
        "--retry-after", type=float, default=1.0, help="Retry-After of injected 429s"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--models", default="", help="comma-separated; others get 404")
    parser.add_argument("--require-key", action="store_true", help="401 without a key")
    parser.add_argument("--api-key", default="", help="401 for any other key")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument(
        "--batch-delay-seconds",
        type=float,
        default=10.0,
        help="seconds from a batch's creation to its end state",
    )
    parser.add_argument(
        "--batch-outcome",
        choices=BATCH_OUTCOMES,
        default="completed",
        help='how batches end (a batch\'s metadata {"simulate": ...} overrides it)',
    )
    parser.add_argument(
        "--batch-error-every",
        type=int,
        default=0,
        help="every n-th batch request is an error line (0 = none)",
    )
    parser.add_argument(
        "--batch-max-requests", type=int, default=50_000, help="requests per batch file"
    )
    parser.add_argument(
        "--batch-max-bytes", type=int, default=200 * 1024**2, help="bytes per batch file"
    )
    parser.add_argument(
        "--no-batch",
        action="store_true",
        help="no Files or Batch API (404), like Ollama or vLLM",
    )


def config_from_arguments(options: dict) -> SimulatorConfig:
    names = {f.name for f in fields(SimulatorConfig)}
    return SimulatorConfig.from_options(**{k: v for k, v in options.items() if k in names})
