"""``make run``'s supervisor picks its ports before starting anything."""

from __future__ import annotations

import socket

import pytest

from extractor import stack


@pytest.fixture
def busy_port():
    """A port some other program is listening on."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield str(holder.getsockname()[1])
    holder.close()


def test_a_busy_port_is_not_free(busy_port):
    assert not stack._port_free("127.0.0.1", busy_port)


def test_the_simulator_moves_off_the_web_servers_port():
    port = stack._simulator_port("8765")
    assert port != "8765"
    assert stack._port_free("127.0.0.1", port)


def test_a_busy_web_port_stops_start_up_with_a_message(busy_port, monkeypatch):
    monkeypatch.setenv("PORT", busy_port)
    with pytest.raises(SystemExit, match=f"port {busy_port} is in use"):
        stack._prepare()


def test_an_ipv6_host_is_probed_as_ipv6():
    assert stack._port_free("[::1]", "0") or not socket.has_ipv6


@pytest.mark.parametrize("port", ["http", "0", "70000", "²"])
def test_a_port_that_is_not_a_number_stops_start_up_with_a_message(port, monkeypatch):
    monkeypatch.setenv("PORT", port)
    with pytest.raises(SystemExit, match="is not a port number"):
        stack._prepare()
