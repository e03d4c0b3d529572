"""Kept database connections (``DB_CONN_MAX_AGE``, health checks on): a page loads after
PostgreSQL ended the connection a web process was keeping, and a healthy one is kept."""

from __future__ import annotations

import select
import time

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's connections"),
    pytest.mark.django_db(transaction=True),
]


def _serve(path: str, cookie: str) -> int:
    """One request the way gunicorn makes it, through the WSGI handler and its
    request_started/finished signals (the test client leaves out their connection checks)."""
    environ = RequestFactory().get(path, HTTP_COOKIE=cookie).environ
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    response = WSGIHandler()(environ, start_response)
    try:
        b"".join(response)
    finally:
        response.close()
    return int(statuses[0].split()[0])


def _end_from_the_server(pid: int) -> None:
    """What a restart or an idle timeout does: the server ends the session and closes."""
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    poller = select.poll()
    poller.register(connection.connection.fileno(), select.POLLIN)
    deadline = time.monotonic() + 5
    while not poller.poll(50) and time.monotonic() < deadline:
        pass


@pytest.fixture
def kept_connections(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    connection.close()


@pytest.fixture
def cookie(client, user) -> str:
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_a_healthy_connection_is_kept_between_requests(kept_connections, cookie):
    assert _serve("/projects/", cookie) == 200
    first = connection.connection.info.backend_pid

    assert _serve("/projects/", cookie) == 200
    assert _serve("/projects/", cookie) == 200

    assert connection.connection.info.backend_pid == first


def test_a_page_loads_after_the_server_ended_the_kept_connection(kept_connections, cookie):
    assert _serve("/projects/", cookie) == 200
    ended = connection.connection.info.backend_pid

    _end_from_the_server(ended)

    assert _serve("/projects/", cookie) == 200
    assert connection.connection.info.backend_pid != ended
