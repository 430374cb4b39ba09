"""Egress guard: a pytest plugin that records every outbound socket attempt and refuses any that leaves the machine.

Sparring promises that, with no model configured, no byte leaves the machine. The guard makes the whole test suite
the proof: `install()` wraps `socket.connect`, `connect_ex`, `sendto`, `sendmsg` and `getaddrinfo` for the whole
process (tests/conftest.py calls it before anything else is imported). Every attempt is *recorded* (loopback ones
too, so a test can assert that a configured model was reached on its own host and nowhere else); an attempt to a
non-loopback address or name is refused with `EgressBlocked` (an OSError, so libraries take their "network down"
path as they would inside `unshare -n`) and the test that was running fails at teardown, loudly, even when the
library swallowed the error. A background thread's attempt fails the session at the end.

Use it in a subprocess too (the crash test's server): `python -c "import egress; egress.install(); ..."` with
SPARRING_EGRESS_LOG=FILE, and every refused attempt is appended to FILE for the parent test to read.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import traceback
from dataclasses import dataclass, field

import pytest

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", ""}


class EgressBlocked(ConnectionRefusedError):
    """Raised instead of opening a connection that would leave the machine."""


@dataclass
class Attempt:
    op: str  # connect | connect_ex | sendto | sendmsg | getaddrinfo
    host: str
    port: int | None
    allowed: bool
    where: str = field(default="", repr=False)  # the innermost frames outside the socket module, for the report

    def __str__(self) -> str:
        verdict = "allowed (loopback)" if self.allowed else "BLOCKED"
        return f"{self.op} {self.host}:{self.port} {verdict}\n{self.where}"


_lock = threading.Lock()
ATTEMPTS: list[Attempt] = []
_installed = False
_orig: dict[str, object] = {}


def is_loopback(host: object) -> bool:
    """True for addresses and names that never leave this machine (127.0.0.0/8, ::1, 0.0.0.0, localhost)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    h = host.strip("[]").split("%")[0].lower()
    if h in LOOPBACK_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def _record(op: str, host: object, port: object) -> None:
    allowed = is_loopback(host)
    where = "".join(traceback.format_stack(limit=12)[:-2])
    a = Attempt(op, str(host), port if isinstance(port, int) else None, allowed, where)
    with _lock:
        ATTEMPTS.append(a)
    if not allowed and os.environ.get("SPARRING_EGRESS_LOG"):  # a guarded subprocess reports through a file
        with open(os.environ["SPARRING_EGRESS_LOG"], "a", encoding="utf-8") as f:
            f.write(f"{a.op} {a.host}:{a.port}\n{a.where}\n")
    if not allowed:
        raise EgressBlocked(f"egress guard: {op} to {host}:{port} refused; tests must not leave this machine "
                            "(serve fakes on 127.0.0.1)")


def _inet(sock: socket.socket) -> bool:
    return sock.family in (socket.AF_INET, socket.AF_INET6)


def _split(address: object) -> tuple[object, object]:
    if isinstance(address, tuple) and len(address) >= 2:
        return address[0], address[1]
    return address, None


def install() -> None:
    """Patch the socket module for the whole process. Idempotent."""
    global _installed
    if _installed:
        return
    S = socket.socket
    _orig.update(connect=S.connect, connect_ex=S.connect_ex, sendto=S.sendto, sendmsg=S.sendmsg,
                 getaddrinfo=socket.getaddrinfo)

    def connect(self, address):
        if _inet(self):
            _record("connect", *_split(address))
        return _orig["connect"](self, address)

    def connect_ex(self, address):
        if _inet(self):
            _record("connect_ex", *_split(address))
        return _orig["connect_ex"](self, address)

    def sendto(self, data, *args):
        if _inet(self) and args:
            _record("sendto", *_split(args[-1]))
        return _orig["sendto"](self, data, *args)

    def sendmsg(self, buffers, *args):
        if _inet(self) and len(args) >= 3 and args[2] is not None:
            _record("sendmsg", *_split(args[2]))
        return _orig["sendmsg"](self, buffers, *args)

    def getaddrinfo(host, port, *args, **kwargs):
        # Resolving a name is itself traffic (DNS). Literal addresses resolve locally and are checked at connect.
        h = host.decode() if isinstance(host, bytes) else host
        if h is not None and not is_loopback(h):
            try:
                ipaddress.ip_address(str(h).strip("[]").split("%")[0])
            except ValueError:
                _record("getaddrinfo", h, port)
        return _orig["getaddrinfo"](host, port, *args, **kwargs)

    S.connect, S.connect_ex, S.sendto, S.sendmsg = connect, connect_ex, sendto, sendmsg
    socket.getaddrinfo = getaddrinfo
    _installed = True


def installed() -> bool:
    return _installed and socket.getaddrinfo is not _orig.get("getaddrinfo")


def blocked() -> list[Attempt]:
    with _lock:
        return [a for a in ATTEMPTS if not a.allowed]


class Recorder:
    """The attempts made while a `with` block (or a fixture) was active."""

    def __init__(self) -> None:
        self.start = 0

    def __enter__(self) -> "Recorder":
        with _lock:
            self.start = len(ATTEMPTS)
        return self

    def __exit__(self, *exc) -> None:
        return None

    @property
    def attempts(self) -> list[Attempt]:
        with _lock:
            return list(ATTEMPTS[self.start:])

    @property
    def outbound(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.allowed]

    def forget(self) -> None:
        """Drop this block's attempts from the global record (for tests that trip the guard on purpose)."""
        with _lock:
            del ATTEMPTS[self.start:]


# ---- pytest plugin hooks (registered by tests/conftest.py)

@pytest.fixture
def egress_recorder():
    """Attempts made during the test; `.outbound` are the refused, non-loopback ones."""
    with Recorder() as r:
        yield r


@pytest.fixture(autouse=True)
def _egress_check():
    with Recorder() as r:
        yield
    bad = r.outbound
    if bad:
        r.forget()  # report once, here, not again at session end
        pytest.fail("outbound network attempt(s) during this test:\n" + "\n".join(map(str, bad)), pytrace=False)


def pytest_configure(config):
    install()  # when used as `-p egress` without tests/conftest.py


def pytest_sessionfinish(session, exitstatus):
    bad = blocked()
    if bad:
        print("\negress guard: outbound network attempt(s) outside any test:\n" + "\n".join(map(str, bad)))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_report_header(config):
    return f"egress guard: {'active' if installed() else 'NOT active'} (non-loopback connections fail)"
