"""No egress: the guard itself works, and a full practice flow of every kind makes no outbound attempt.

The guard (tests/egress.py) is active for the whole suite; these tests prove it would catch a leak (it records and
refuses, without sending a packet) and then run real practice flows while recording every socket attempt.
"""

from __future__ import annotations

import socket

import pytest

import egress

# TEST-NET-1 (RFC 5737): documentation-only, never routed. The guard refuses before any packet is sent anyway.
NOWHERE = ("192.0.2.1", 9)


def test_guard_is_installed_for_the_whole_suite():
    assert egress.installed()
    assert socket.socket.connect.__module__ == "egress"


@pytest.mark.parametrize("op", ["connect", "connect_ex", "sendto"])
def test_non_loopback_attempt_is_refused_and_recorded(op):
    with egress.Recorder() as r:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if op == "sendto" else socket.SOCK_STREAM)
        try:
            with pytest.raises(egress.EgressBlocked, match="192.0.2.1"):
                if op == "sendto":
                    s.sendto(b"x", NOWHERE)
                else:
                    getattr(s, op)(NOWHERE)
        finally:
            s.close()
        assert [(a.op, a.host, a.allowed) for a in r.attempts] == [(op, "192.0.2.1", False)]
        r.forget()


def test_name_resolution_is_refused_before_any_dns_query():
    with egress.Recorder() as r:
        with pytest.raises(egress.EgressBlocked):
            socket.getaddrinfo("pypi.org", 443)
        assert r.outbound and r.outbound[0].op == "getaddrinfo"
        r.forget()


def test_an_http_client_sees_network_down_not_a_hang():
    import urllib.request

    with egress.Recorder() as r:
        with pytest.raises(OSError):
            urllib.request.urlopen("http://192.0.2.1:9/", timeout=2)
        assert r.outbound
        r.forget()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost", "0.0.0.0", "::ffff:127.0.0.1"])
def test_loopback_is_allowed(host):
    assert egress.is_loopback(host)


@pytest.mark.parametrize("host", ["10.0.0.1", "192.168.1.1", "8.8.8.8", "2001:db8::1", "example.com",
                                  "localhost.example.com", "::ffff:10.0.0.1"])
def test_other_addresses_are_not_loopback(host):
    assert not egress.is_loopback(host)


def test_loopback_connections_are_recorded_not_refused():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    try:
        with egress.Recorder() as r:
            c = socket.create_connection(srv.getsockname(), timeout=2)
            c.close()
        assert [(a.op, a.allowed) for a in r.attempts if a.op == "connect"] == [("connect", True)]
        assert not r.outbound
    finally:
        srv.close()


def test_a_swallowed_attempt_still_fails_the_test(tmp_path):
    """Libraries catch OSError; the guard must fail the test anyway (and a background thread fails the session)."""
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "test_leaky.py").write_text(
        "import socket, threading\n"
        "def test_swallowed():\n"
        "    try:\n"
        "        socket.create_connection(('192.0.2.1', 9), timeout=1)\n"
        "    except OSError:\n"
        "        pass\n"
        "def test_clean():\n"
        "    assert True\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(egress.__file__).parent)}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "egress", "-p", "no:cacheprovider",
                          str(tmp_path / "test_leaky.py")], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=120)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "outbound network attempt" in out.stdout and "192.0.2.1" in out.stdout
    assert "ERROR test_leaky.py::test_swallowed" in out.stdout and "test_clean" not in out.stdout.split("short test summary")[-1]
