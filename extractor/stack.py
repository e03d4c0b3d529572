"""``make run``: the whole product on one machine with one command.

Migrates, makes sure a demo account exists, then starts and supervises three processes:
the simulated model (only when no real provider is configured), a Celery worker with
an embedded beat, and the web server. Ctrl-C (or SIGTERM) stops all of them; if one
dies, the others are stopped too, so nothing is left running half-configured.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 15


def _log(message: str) -> None:
    # The terminal or pipe may be gone (Ctrl-C on `make run | tee`): keep stopping.
    with contextlib.suppress(OSError):
        print(f"[run] {message}", flush=True)


def _die_with_parent() -> None:
    """In each child, before exec: its own session (the terminal's Ctrl-C reaches only
    the supervisor, which stops the children in order) and, on Linux, SIGTERM when the
    supervisor dies, however it dies, so nothing is left running."""
    os.setsid()
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _prepare() -> dict[str, str]:
    """Migrate, collect static files, create the demo user; return the children's env."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "extractor.settings")
    env = dict(os.environ)
    web_port = env.get("PORT", "8000")
    if not web_port.isascii() or not web_port.isdecimal() or not 0 < int(web_port) < 65536:
        raise SystemExit(f"[run] PORT={web_port!r} is not a port number (1-65535)")
    if not _port_free(env.get("HOST", "127.0.0.1"), web_port):
        raise SystemExit(f"[run] port {web_port} is in use; choose another with PORT=...")
    if not (env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL")):
        port = env.get("SIMULATOR_PORT") or _simulator_port(web_port)
        env.update(
            OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1",
            OPENAI_API_KEY="simulated",
            LLM_SIMULATED="1",
        )
        # The simulator's batches end in SIMULATOR_BATCH_DELAY seconds: a demo batch
        # run is followed every few seconds, not every minute.
        env.setdefault("BATCH_POLL_SECONDS", "5")
    os.environ.update(env)

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)
    _ensure_demo_user(settings.DATA_DIR)
    return env


def _port_free(host: str, port: str) -> bool:
    """Whether gunicorn could bind there (IPv4 or IPv6 host, "[::]" as gunicorn takes it)."""
    host = host.strip("[]")
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)[
            0
        ]
    except socket.gaierror:
        return True  # an unknown host is gunicorn's error to report, with its own words
    with contextlib.closing(socket.socket(family, kind)) as probe:
        # As gunicorn binds: a port left in TIME_WAIT by the last run counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError:
            return False
    return True


def _simulator_port(web_port: str) -> str:
    """8765 when it is free, else any free port: a second checkout running, or PORT set
    to 8765, must not stop the simulator from starting."""
    if web_port != "8765" and _port_free("127.0.0.1", "8765"):
        return "8765"
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def _ensure_demo_user(data_dir: Path) -> None:
    from django.contrib.auth import get_user_model

    username = os.environ.get("DEMO_USERNAME", "demo")
    password_file = data_dir / "demo_password"
    if not password_file.exists():
        password_file.write_text(os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12))
        password_file.chmod(0o600)
    password = password_file.read_text().strip()
    user, created = get_user_model().objects.get_or_create(username=username)
    if created or not user.check_password(password):
        user.set_password(password)
        user.save()
    _log(f"demo account: username {username!r}, password {password!r}")


def _commands(env: dict[str, str]) -> list[tuple[str, list[str]]]:
    python = sys.executable
    port = env.get("PORT", "8000")
    commands = []
    if env.get("LLM_SIMULATED") == "1":
        sim_port = env["OPENAI_BASE_URL"].rsplit(":", 1)[1].split("/")[0]
        latency = env.get("SIMULATOR_LATENCY", "0.4")
        batch_delay = env.get("SIMULATOR_BATCH_DELAY", "20")
        commands.append(
            (
                "simulator",
                [
                    python, "manage.py", "simulate_llm", "--port", sim_port,
                    "--latency", latency, "--batch-delay-seconds", batch_delay,
                ],
            )
        )  # fmt: skip
    commands.append(
        (
            "worker",
            [
                python,
                "-m",
                "celery",
                "-A",
                "extractor",
                "worker",
                "--beat",
                "--loglevel",
                "INFO",
                "--concurrency",
                env.get("WORKER_CONCURRENCY", "2"),
                "--queues",
                env.get("CELERY_QUEUE", "extractor"),
            ],
        )
    )
    # The production command line (scripts/web.sh), bound to HOST:PORT, with this
    # virtualenv's gunicorn first on the PATH.
    env["WEB_BIND"] = f"{env.get('HOST', '127.0.0.1')}:{port}"
    env.setdefault("WEB_CONCURRENCY", "2")
    env["PATH"] = f"{Path(python).parent}{os.pathsep}{env.get('PATH', '')}"
    commands.append(("web", ["sh", str(BASE_DIR / "scripts" / "web.sh")]))
    return commands


def _stop(children: dict[str, subprocess.Popen]) -> None:
    for process in children.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, process in children.items():
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            _log(f"{name} did not stop in {STOP_GRACE_SECONDS}s; killing it")
            process.kill()
            process.wait()


def _supervise(children: dict[str, subprocess.Popen], stop_requested) -> int:
    """Wait until asked to stop (0) or until a child exits on its own (1)."""
    while not stop_requested():
        dead = [name for name, process in children.items() if process.poll() is not None]
        if dead:
            _log(f"{', '.join(dead)} exited; stopping everything")
            return 1
        time.sleep(0.5)
    return 0


def main() -> int:
    os.chdir(BASE_DIR)
    env = _prepare()
    children: dict[str, subprocess.Popen] = {}
    stopping = False

    def request_stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGHUP, request_stop)
    exit_code = 1
    try:
        for name, command in _commands(env):
            _log(f"starting {name}")
            children[name] = subprocess.Popen(
                command, env=env, cwd=BASE_DIR, preexec_fn=_die_with_parent
            )
        url = f"http://{env.get('HOST', '127.0.0.1')}:{env.get('PORT', '8000')}/"
        simulated = " with the simulated model" if env.get("LLM_SIMULATED") == "1" else ""
        _log(f"serving {url}{simulated}; press Ctrl-C to stop")
        exit_code = _supervise(children, lambda: stopping)
    finally:
        _log("stopping")
        _stop(children)
        _log("stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
