#!/usr/bin/env python3
"""Smoke test of a running deployment: one short pass through the five steps, by API.

    python3 scripts/smoke.py https://extractor.example.org smoke-user
    SMOKE_BASE_URL=... SMOKE_USERNAME=... SMOKE_PASSWORD=... python3 scripts/smoke.py

The password comes from SMOKE_PASSWORD (or the third argument: visible in `ps`). On a
project of its own it uploads a TXT file, defines a variable, confirms the schema, runs
a one-document sample through the workers and the model, exports XLSX and downloads it.
Each step prints its time; the first failure stops the run with a message and exit
status 1. The project is deleted at the end, or kept after a failure (and with --keep)
for a look in the wizard or the admin.

Standard library only, so any Python 3.9+ runs it, on the server or anywhere else.
Behind a TLS proxy, either point it at the https:// address or, talking to the app
server directly, pass --forwarded-proto https as the proxy would.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from email.message import Message

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JOB_FAILED = {"failed", "completed_with_errors", "cancelled", "paused"}
DOCUMENT_TEXT = (
    "The Treaty of Lisbon was signed in Lisbon, Portugal, on 13 December 2007 by the "
    "member states of the European Union. It amended the Maastricht Treaty and the "
    "Treaty of Rome, and entered into force on 1 December 2009.\n"
)


class SmokeFailure(Exception):
    """A step went wrong: the message says what and, where it can, why."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect here is a finding, not something to follow: urllib would turn a POST
    # into a GET, and an HTTPS redirect means the TLS settings and the address disagree.
    def redirect_request(self, *args, **kwargs):
        return None


class Api:
    """The deployment's REST API, with the token once there is one."""

    def __init__(self, base_url: str, *, forwarded_proto: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Accept": "application/json", "User-Agent": "extractor-smoke/1"}
        if forwarded_proto:
            self.headers["X-Forwarded-Proto"] = forwarded_proto
        self.timeout = timeout
        self.opener = urllib.request.build_opener(_NoRedirect)

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: dict | None = None,
        data: bytes | None = None,
        content_type: str = "",
        expect: int = 200,
    ) -> tuple[Message, bytes]:
        """Send one request; anything but the ``expect`` status is a SmokeFailure."""
        headers = dict(self.headers)
        if json_body is not None:
            data = json.dumps(json_body).encode()
            content_type = "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        url = path if path.startswith("http") else self.base_url + path
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status, answer, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, answer, body = exc.code, exc.headers, exc.read()
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SmokeFailure(f"{method} {url}: no answer ({reason})") from None
        if status != expect:
            why = _why(status, answer, body)
            raise SmokeFailure(f"{method} {path}: HTTP {status}, expected {expect}. {why}")
        return answer, body

    def json(self, method: str, path: str, **kwargs) -> dict:
        _, body = self.call(method, path, **kwargs)
        try:
            return json.loads(body)
        except ValueError:
            raise SmokeFailure(f"{method} {path}: not JSON: {body[:200]!r}") from None


def _why(status: int, headers: Message, body: bytes) -> str:
    if 300 <= status < 400:
        hint = ""
        if (headers.get("Location") or "").startswith("https:"):
            hint = " (an HTTPS redirect: use the https:// address, or --forwarded-proto https)"
        return f"Redirected to {headers.get('Location')}{hint}."
    try:
        error = json.loads(body)["error"]
        return f"{error['code']}: {error['message']} {error.get('details') or ''}".strip()
    except (ValueError, KeyError, TypeError):
        return f"Body: {body[:300]!r}"


def _multipart(field: str, filename: str, content: bytes, media_type: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        f"Content-Type: {media_type}\r\n\r\n"
    )
    tail = f"\r\n--{boundary}--\r\n"
    return head.encode() + content + tail.encode(), f"multipart/form-data; boundary={boundary}"


def _wait(what: str, timeout: float, poll):
    """Call ``poll`` until it returns something other than None, for ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = poll()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise SmokeFailure(f"{what} after {timeout:.0f} s")
        time.sleep(0.5)


class Smoke:
    """The steps, in order; each returns a short note for the report line."""

    def __init__(self, api: Api, username: str, password: str, wait_seconds: float) -> None:
        self.api = api
        self.username = username
        self.password = password
        self.wait_seconds = wait_seconds
        self.project_id: int | None = None
        self.export_done: dict = {}

    def ready(self) -> str:
        answer = self.api.json("GET", "/readyz")
        if answer.get("status") != "ok":
            raise SmokeFailure(f"/readyz says {answer}")
        return "database and broker answer"

    def token(self) -> str:
        answer = self.api.json(
            "POST",
            "/api/v1/auth/token/",
            json_body={"username": self.username, "password": self.password},
        )
        self.api.headers["Authorization"] = f"Token {answer['token']}"
        return f"as {self.username}"

    def project(self) -> str:
        name = f"Smoke test {time.strftime('%Y-%m-%d %H:%M:%S')}"
        answer = self.api.json(
            "POST",
            "/api/v1/projects/",
            json_body={"name": name, "description": "Made and deleted by scripts/smoke.py."},
            expect=201,
        )
        self.project_id = answer["id"]
        return f"project {self.project_id}"

    def upload(self) -> str:
        body, content_type = _multipart(
            "files", "lisbon-treaty.txt", DOCUMENT_TEXT.encode(), "text/plain"
        )
        report = self.api.json(
            "POST",
            f"/api/v1/projects/{self.project_id}/documents/",
            data=body,
            content_type=content_type,
            expect=201,
        )
        if report.get("errors"):
            raise SmokeFailure(f"the file was refused: {report['errors']}")
        # Parsed in the request (the document comes back ready) or handed to a worker
        # (it shows up in the list once parsed): wait for it either way.
        document = _wait("no ready document", self.wait_seconds, self._document_ready)
        return f"document {document['id']}, {document['char_count']} characters"

    def _document_ready(self) -> dict | None:
        page = self.api.json("GET", f"/api/v1/projects/{self.project_id}/documents/")
        for document in page["results"]:
            if document["status"] == "failed":
                raise SmokeFailure(f"the document failed to parse: {document['error']}")
            if document["status"] == "ready":
                return document
        return None

    def variable(self) -> str:
        answer = self.api.json(
            "POST",
            f"/api/v1/projects/{self.project_id}/variables/",
            json_body={
                "key": "country",
                "label": "Country",
                "type": "text",
                "instructions": "The country where the treaty was signed.",
            },
            expect=201,
        )
        return f"variable {answer['key']!r}"

    def confirm(self) -> str:
        answer = self.api.json(
            "POST",
            f"/api/v1/projects/{self.project_id}/schema/versions/",
            json_body={"note": "smoke test"},
            expect=201,
        )
        return f"schema version {answer['number']}"

    def sample(self) -> str:
        job = self.api.json(
            "POST",
            f"/api/v1/projects/{self.project_id}/jobs/",
            json_body={"kind": "sample", "sample_size": 1},
            expect=201,
        )

        def finished() -> dict | None:
            current = self.api.json("GET", f"/api/v1/jobs/{job['id']}/")
            if current["status"] == "completed":
                return current
            if current["status"] in JOB_FAILED:
                raise SmokeFailure(f"job {job['id']} ended {current['status']}: {current['error']}")
            return None

        done = _wait(
            f"job {job['id']} not completed (is a worker reading the queue?)",
            self.wait_seconds,
            finished,
        )
        if done["succeeded"] < 1:
            raise SmokeFailure(f"job {job['id']} completed without a value: {done}")
        return f"job {done['id']}: {done['succeeded']} document, {done['llm_calls']} LLM call(s)"

    def export(self) -> str:
        export = self.api.json(
            "POST",
            f"/api/v1/projects/{self.project_id}/exports/",
            json_body={"format": "xlsx"},
            expect=201,
        )

        def finished() -> dict | None:
            current = self.api.json("GET", f"/api/v1/exports/{export['id']}/")
            if current["status"] == "failed":
                raise SmokeFailure(f"export {export['id']} failed: {current.get('error')}")
            return current if current["status"] == "completed" else None

        what = f"export {export['id']} not completed"
        self.export_done = _wait(what, self.wait_seconds, finished)
        return f"export {export['id']}, {self.export_done['row_count']} row(s)"

    def download(self) -> str:
        # The URL is absolute, built from what the app believes its address is (https
        # behind a TLS proxy): keep its path, ask the address we were given.
        path = urllib.parse.urlsplit(self.export_done["download_url"]).path
        headers, body = self.api.call("GET", path)
        media_type = headers.get("Content-Type") or ""
        if not media_type.startswith(XLSX_MEDIA_TYPE):
            raise SmokeFailure(f"the download is {media_type!r}, not XLSX")
        if not body.startswith(b"PK\x03\x04"):
            raise SmokeFailure(f"the download is not a ZIP file: {body[:40]!r}")
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                damaged = archive.testzip()
                names = archive.namelist()
        except zipfile.BadZipFile as exc:
            raise SmokeFailure(f"the download is a damaged ZIP file: {exc}") from None
        if damaged or "xl/workbook.xml" not in names:
            raise SmokeFailure(f"the download is not a workbook (damaged: {damaged}, {names})")
        return f"{len(body):,} bytes of XLSX"

    def delete(self) -> str:
        self.api.call("DELETE", f"/api/v1/projects/{self.project_id}/", expect=204)
        return f"project {self.project_id} deleted"


def run(smoke: Smoke, *, keep: bool) -> int:
    steps = [
        ("ready", smoke.ready),
        ("token", smoke.token),
        ("create a project", smoke.project),
        ("upload a TXT file", smoke.upload),
        ("create a variable", smoke.variable),
        ("confirm the schema", smoke.confirm),
        ("run a sample job", smoke.sample),
        ("export XLSX", smoke.export),
        ("download the export", smoke.download),
    ]
    if not keep:
        steps.append(("delete the project", smoke.delete))
    started = time.monotonic()
    print(f"smoke: {smoke.api.base_url} as {smoke.username}", flush=True)
    for title, step in steps:
        step_started = time.monotonic()
        try:
            note = step()
        except (SmokeFailure, KeyError, TypeError) as exc:
            # KeyError, TypeError: an answer without a field the API contract promises.
            reason = exc if isinstance(exc, SmokeFailure) else f"unexpected answer ({exc!r})"
            print(f"  FAIL {time.monotonic() - step_started:6.2f} s  {title}: {reason}", flush=True)
            left = f"; project {smoke.project_id} kept" if smoke.project_id else ""
            print(f"smoke: FAILED at {title!r}{left}", file=sys.stderr, flush=True)
            return 1
        print(f"  ok   {time.monotonic() - step_started:6.2f} s  {title}: {note}", flush=True)
    print(f"smoke: passed in {time.monotonic() - started:.1f} s", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", nargs="?", default=os.environ.get("SMOKE_BASE_URL"))
    parser.add_argument("username", nargs="?", default=os.environ.get("SMOKE_USERNAME"))
    parser.add_argument("password", nargs="?", default=os.environ.get("SMOKE_PASSWORD"))
    parser.add_argument(
        "--forwarded-proto",
        default=os.environ.get("SMOKE_FORWARDED_PROTO", ""),
        help="send X-Forwarded-Proto (https when talking to the app server behind a TLS proxy)",
    )
    parser.add_argument(
        "--wait", type=float, default=180.0, help="seconds to wait for parsing, the job, the export"
    )
    parser.add_argument("--keep", action="store_true", help="keep the project at the end")
    options = parser.parse_args(argv)
    missing = [name for name in ("base_url", "username", "password") if not getattr(options, name)]
    if missing:
        parser.error(f"missing {', '.join(missing)} (arguments, or SMOKE_* in the environment)")
    api = Api(options.base_url, forwarded_proto=options.forwarded_proto, timeout=60)
    smoke = Smoke(api, options.username, options.password, options.wait)
    return run(smoke, keep=options.keep)


if __name__ == "__main__":
    sys.exit(main())
