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


# ------------------------------------------------------------------------------------------- practice flows

FLOWS = [
    ("support-delayed-claim", {"prompt": "Draft a reply to [customer]: the contractor's repair estimate is late; "
                               "we chased twice and will appoint another contractor if it is not in by [date]."}),
    ("support-delayed-claim", {"prompt": "Reply to Maria Lopez, card 4111 1111 1111 1111, about her claim."}),
    ("support-final-response-letter", {"flags": {"s2": "The Ombudsman window is six months, not eight weeks."}}),
    ("support-laptop-damaged-abroad", {"decision": "verify", "confidence": 0.8,
                                       "justification": "The limit is not in the schedule; check it first."}),
]


@pytest.fixture
def practice_store(tmp_path):
    from sparring.store.db import Store

    s = Store(tmp_path / "egress.db")
    yield s
    s.close()


@pytest.mark.slow
@pytest.mark.parametrize("sid,answer", FLOWS, ids=["frame-allowed", "frame-blocked", "spot", "trust"])
def test_full_practice_flow_makes_no_outbound_attempt(org, practice_store, sid, answer, egress_recorder):
    from sparring.practice import attempt

    out = attempt(org, practice_store, sid, "egress-learner", answer)
    assert out.attempt_id is not None and out.grade.criteria
    assert egress_recorder.outbound == [], [str(a) for a in egress_recorder.outbound]
    # nothing at all left the process over IP: the scripted assistant and local models need no socket
    assert [a for a in egress_recorder.attempts if a.op != "getaddrinfo"] == []


@pytest.mark.slow
def test_a_configured_model_is_the_only_connection_and_only_to_its_host(org, practice_store, egress_recorder,
                                                                        monkeypatch):
    """Setting a model in sparring.toml opens a connection to that model's host, and nowhere else."""
    import dataclasses

    from gaming.hostile_judge import HostileJudge
    from sparring.config import ModelSettings
    from sparring.practice import attempt

    judge = HostileJudge().start()
    port = judge.port
    try:
        settings = org.settings.model_copy(update={"models": {"default": ModelSettings(
            model="openai/local", api_base=judge.url, api_key_env="SPARRING_TEST_KEY", timeout_s=10, retries=0)}})
        monkeypatch.setenv("SPARRING_TEST_KEY", "sk-test")
        sc = org.scenarios["support-delayed-claim"].model_copy(deep=True)
        sc.assistant.model = "default"
        o = dataclasses.replace(org, settings=settings, scenarios={**org.scenarios, sc.id: sc})
        out = attempt(o, practice_store, sc.id, "egress-learner", FLOWS[0][1])
    finally:
        judge.stop()
    assert out.assistant["status"] == "ok" and out.assistant["text"].startswith("Echo:")
    connects = [a for a in egress_recorder.attempts if a.op.startswith("connect")]
    assert connects and {(a.host, a.port) for a in connects} == {("127.0.0.1", port)}
    assert egress_recorder.outbound == []
