"""Shared by tests/test_security_server.py and bench/security_bench.py: start the real app (`python app.py`) on a
free loopback port with a fresh database, under the egress guard, and drive it through its JSON API."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "security-test-password"

# The app under the egress guard: any non-loopback attempt is refused and written to SPARRING_EGRESS_LOG.
BOOT = ("import sys, runpy; sys.path.insert(0, {tests!r}); import egress; egress.install(); "
        "sys.argv = ['app.py']; runpy.run_path({app!r}, run_name='__main__')")

# One answer of each kind, clean of personal data: what the load threads submit.
TASKS = [
    ("support-delayed-claim", {"prompt": "Draft a reply to [customer] about claim [claim reference]: we are waiting "
                               "for the contractor's repair estimate, chased twice; if it is not in by [date] the "
                               "adjuster appoints a second contractor. Apologise, keep it short and warm."}),
    ("support-laptop-damaged-abroad", {"decision": "verify", "confidence": 0.8, "justification":
                                       "The limit quoted is not in the policy schedule, so I would check the "
                                       "schedule before telling the customer."}),
    ("support-final-response-letter", {"flags": {"s2": "The Ombudsman referral window is six months, not eight "
                                                       "weeks."}}),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_users(db: Path, names: dict[str, list[str]]) -> None:
    from sparring.auth import hash_password
    from sparring.store.db import Store
    from sparring.store.users import add_user

    store = Store(db)
    h = hash_password(PASSWORD)
    for name, roles in names.items():
        add_user(store, name, roles, password_hash=h, team="Claims", job_roles=["customer-support"])
    store.close()


@dataclass
class Server:
    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def db(self) -> Path:
        # in its own folder: the app blocks the database's folder from Gradio's file routes, and Gradio's temp
        # folder (workdir/gradio-tmp, where downloads are served from) must not be inside it
        (self.workdir / "db").mkdir(parents=True, exist_ok=True)
        return self.workdir / "db" / "sparring.db"

    @property
    def log(self) -> Path:
        return self.workdir / "server.log"

    @property
    def egress_log(self) -> Path:
        return self.workdir / "egress.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 240) -> float:
        """Start the app and wait until it serves its page; returns the seconds that took."""
        env = {**os.environ, "SPARRING_DB": str(self.db), "GRADIO_SERVER_PORT": str(self.port),
               "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_TEMP_DIR": str(self.workdir / "gradio-tmp"),
               "SPARRING_EGRESS_LOG": str(self.egress_log), "PYTHONUNBUFFERED": "1"}
        code = BOOT.format(tests=str(REPO / "tests"), app=str(REPO / "app.py"))
        log = open(self.log, "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"no page at {self.url} after {timeout:.0f} s")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)  # our own child, by its pid
            self.proc.wait(timeout=60)
        self.proc = None

    def client(self, name: str):
        from gradio_client import Client

        return Client(self.url, auth=(name, PASSWORD), verbose=False, download_files=False,
                      analytics_enabled=False, httpx_kwargs={"timeout": 300})


@dataclass
class Load:
    """Threads submitting attempts through the JSON API; `acked` holds every attempt id the server returned."""

    server: Server
    learners: list[str]
    acked: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    def _loop(self, name: str) -> None:
        try:
            c = self.server.client(name)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            self.errors.append(f"{name}: sign-in failed: {e!r}"[:300])
            return
        i = 0
        while not self.stop.is_set():
            sid, answer = TASKS[i % len(TASKS)]
            i += 1
            try:
                out = c.predict(sid, answer, api_name="/attempt")
            except Exception as e:  # noqa: BLE001 - after the kill every call fails; that is expected
                if not self.stop.is_set():
                    self.errors.append(f"{name}: {type(e).__name__}: {e}"[:300])
                return
            if out.get("attempt_id") is not None:
                with self._lock:
                    self.acked.append(int(out["attempt_id"]))

    def start(self) -> "Load":
        for n in self.learners:
            t = threading.Thread(target=self._loop, args=(n,), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def wait_for(self, n: int, timeout: float) -> None:
        t0 = time.perf_counter()
        while len(self.acked) < n and time.perf_counter() - t0 < timeout and any(t.is_alive() for t in self.threads):
            time.sleep(0.2)

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)


def integrity(db: Path) -> tuple[str, set[int]]:
    import sqlite3

    conn = sqlite3.connect(str(db))
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        ids = {r[0] for r in conn.execute("SELECT id FROM attempts")}
    finally:
        conn.close()
    return ok, ids
