"""The simulated provider's HTTP server: standard library only, a thread per connection.

Endpoints: ``POST /v1/chat/completions``, ``GET /v1/models``, the Files and Batch APIs
(``/v1/files``, ``/v1/batches``: see ``files.py`` and ``batches.py``; 404 with
``no_batch``, like a provider without them), and for tests and benchmarks
``GET /_simulator/log`` (every chat request with its arrival time, status and fault,
and every batch created) and ``POST /_simulator/reset`` (also forgets files and batches).
"""

from __future__ import annotations

import json
import logging
import random
import re
import socket
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from extractor.llm.client import SIMULATED_HEADER
from extractor.simulator.batches import BatchStore
from extractor.simulator.chat import Reply, auth_reply, chat_reply, error_reply
from extractor.simulator.config import FAULT_RATES, SimulatorConfig
from extractor.simulator.files import (
    MAX_UPLOAD_BYTES,
    FileStore,
    file_content_reply,
    file_delete_reply,
    file_list_reply,
    file_reply,
    file_upload_reply,
)
from extractor.simulator.limits import PromptCache, ProviderLimits

logger = logging.getLogger("extractor.simulator")

DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano")
MAX_BODY_BYTES = 32 * 1024**2
LOG_LIMIT = 200_000
# /v1/files, /v1/files/{id}, /v1/files/{id}/content, /v1/batches, /v1/batches/{id}[/cancel]
BATCH_API = re.compile(r"/v1/(files|batches)(?:/([^/]+)(?:/(content|cancel))?)?")


class SimulatorState:
    """Everything the request threads share; each part has its own lock."""

    def __init__(self, config: SimulatorConfig):
        self.config = config
        self.limits = ProviderLimits(rpm=config.rpm, tpm=config.tpm, window=config.window)
        self.prompt_cache = PromptCache()
        self.stopping = threading.Event()
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()
        self._script = deque(config.fault_script)
        # Bounded: a dev simulator may run for days.
        self._log: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
        self.files = FileStore()
        self.batches = BatchStore(self)

    def next_fault(self) -> str:
        """The scripted fault for this request if any are left, else a random draw."""
        with self._lock:
            if self._script:
                return self._script.popleft()
            draw = self._rng.random()
        threshold = 0.0
        for option, kind in FAULT_RATES:
            threshold += getattr(self.config, option)
            if draw < threshold:
                return kind
        return "ok"

    def latency(self) -> float:
        with self._lock:
            spread = self._rng.uniform(-self.config.jitter, self.config.jitter)
        return max(self.config.latency + spread, 0.0)

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._log.append(entry)

    def log(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._log)

    def reset(self) -> None:
        with self._lock:
            self._log.clear()
        self.files.clear()
        self.batches.clear()


class SimulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real API behind a load balancer
    server_version = "SimulatedLLM/1.0"
    timeout = 300  # idle keep-alive connections end eventually
    server: SimulatorServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without NODELAY, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        if path == "/v1/models":
            models = self.server.state.config.models or DEFAULT_MODELS
            data = [
                {"id": m, "object": "model", "created": 0, "owned_by": "simulator"} for m in models
            ]
            self._send(Reply(body={"object": "list", "data": data}))
        elif path == "/_simulator/log":
            state = self.server.state
            self._send(Reply(body={"requests": state.log(), "batches": state.batches.log()}))
        else:
            self._send(self._batch_api("GET", path, b"") or _invalid_url("GET", path))

    def do_DELETE(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        self._send(self._batch_api("DELETE", path, b"") or _invalid_url("DELETE", path))

    def do_POST(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        raw = self._read_body(MAX_UPLOAD_BYTES if path == "/v1/files" else MAX_BODY_BYTES)
        if raw is None:
            return
        reply = self._batch_api("POST", path, raw)
        if reply is not None:
            self._send(reply)
            return
        if path == "/_simulator/reset":
            self.server.state.reset()
            self._send(Reply(body={"ok": True}))
            return
        if path != "/v1/chat/completions":
            self._send(_invalid_url("POST", path))
            return
        arrived = time.time()
        try:
            body = json.loads(raw or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        reply = chat_reply(
            self.server.state, body, authorization=self.headers.get("Authorization", "")
        )
        self._log(reply, body, arrived)
        self._carry_out(reply)

    def _batch_api(self, method: str, path: str, raw: bytes) -> Reply | None:
        """The Files and Batch APIs' answer, or None for a path that is not theirs."""
        match = BATCH_API.fullmatch(path)
        if match is None:
            return None
        state = self.server.state
        if state.config.no_batch:
            return _invalid_url(method, path)
        denied = auth_reply(state, self.headers.get("Authorization", ""))
        if denied:
            return denied
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        kind, item, action = match.groups()
        files, batches = state.files, state.batches
        route = (method, kind, item is not None, action)
        if route == ("POST", "files", False, None):
            content_type = self.headers.get("Content-Type", "")
            return file_upload_reply(files, content_type=content_type, raw=raw)
        if route == ("GET", "files", False, None):
            return file_list_reply(files, query)
        if route == ("GET", "files", True, None):
            return file_reply(files, item)
        if route == ("GET", "files", True, "content"):
            return file_content_reply(files, item)
        if route == ("DELETE", "files", True, None):
            return file_delete_reply(files, item)
        if route == ("POST", "batches", False, None):
            return batches.create_reply(_json_or_none(raw))
        if route == ("GET", "batches", False, None):
            return batches.list_reply(query)
        if route == ("GET", "batches", True, None):
            return batches.retrieve_reply(item)
        if route == ("POST", "batches", True, "cancel"):
            return batches.cancel_reply(item)
        return _invalid_url(method, path)

    def _carry_out(self, reply: Reply) -> None:
        stopping = self.server.state.stopping
        if reply.action == "hang":
            stopping.wait(self.server.state.config.hang_seconds)
            self.close_connection = True
            return
        if reply.delay:
            stopping.wait(reply.delay)
        if reply.action == "disconnect":
            self.close_connection = True
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        payload = reply.raw
        if payload is None:
            payload = json.dumps(reply.body if reply.body is not None else {}).encode()
        try:
            self.send_response(reply.status)
            if "Content-Type" not in reply.headers:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header(SIMULATED_HEADER, "true")
            self.send_header("x-request-id", f"req_sim_{id(reply):x}")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up first (its timeout)

    def _read_body(self, limit: int) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            self._too_large()
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self, limit: int) -> bytes | None:
        """A body sent without a length (an upload streamed from a file object)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk_size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if chunk_size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            size += chunk_size
            if size > limit:
                self._too_large()
                return None
            chunks.append(self.rfile.read(chunk_size))
            self.rfile.readline()

    def _too_large(self) -> None:
        self._send(error_reply(413, "The request body is too large.", code="too_large"))
        self.close_connection = True

    def _log(self, reply: Reply, body: Any, arrived: float) -> None:
        model = body.get("model") if isinstance(body, dict) else None
        status = {"hang": 0, "disconnect": 0}.get(reply.action, reply.status)
        entry = {
            "t": arrived,
            "status": status,
            "fault": reply.fault,
            "model": model,
            "schema_keys": _schema_keys(body),
            **reply.usage,
        }
        self.server.state.record(entry)
        if self.server.state.config.verbose:
            logger.info("%s %s %s", status, reply.fault or "-", model)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.state.config.verbose:
            logger.debug(format, *args)


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a hanging "timeout" request must not block shutdown
    request_queue_size = 512  # bursts of concurrent connects from many workers
    allow_reuse_address = True

    def __init__(self, config: SimulatorConfig):
        self.state = SimulatorState(config)
        super().__init__((config.host, config.port), SimulatorHandler)


def _schema_keys(body: Any) -> list[str]:
    """The top-level keys of a request's JSON Schema answer format (what it asked for:
    the variables of an extraction call), or [] without one."""
    response_format = body.get("response_format") if isinstance(body, dict) else None
    if not isinstance(response_format, dict):
        return []
    schema = (response_format.get("json_schema") or {}).get("schema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return list(properties) if isinstance(properties, dict) else []


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _invalid_url(method: str, path: str) -> Reply:
    return error_reply(404, f"Invalid URL ({method} {path})", code=None)


class Simulator:
    """A simulator running in a background thread (tests, the dev stack)."""

    def __init__(self, **options: Any):
        self.config = SimulatorConfig.from_options(**options)
        self.server = SimulatorServer(self.config)
        host, port = self.server.server_address[:2]
        self.base_url = f"http://{host}:{port}/v1"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    @property
    def state(self) -> SimulatorState:
        return self.server.state

    def requests(self) -> list[dict[str, Any]]:
        """The chat requests received so far (arrival time, status, fault, usage)."""
        return self.state.log()

    def batches(self) -> list[dict[str, Any]]:
        """The batches created so far (time, id, input file, requests, model, faults)."""
        return self.state.batches.log()

    def stop(self) -> None:
        self.state.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


def start_simulator(**options: Any) -> tuple[str, Any]:
    """Start a simulator in a thread; return its base URL (ends in /v1) and a stop
    function. Options are ``SimulatorConfig`` fields; port 0 (default) picks a free one."""
    simulator = Simulator(**options)
    return simulator.base_url, simulator.stop


def serve(config: SimulatorConfig, *, out=None) -> None:
    """Run in the foreground until interrupted (the command-line entry points)."""
    server = SimulatorServer(config)
    host, port = server.server_address[:2]
    message = (
        f"Simulated LLM on http://{host}:{port}/v1 - set OPENAI_BASE_URL to this "
        f"(latency {config.latency}s, rpm {config.rpm or 'unlimited'}). Ctrl-C stops it."
    )
    out = out or sys.stdout
    out.write(message + "\n")
    out.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.state.stopping.set()
        server.server_close()
