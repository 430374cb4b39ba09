"""A real PostgreSQL for the tests, from Debian's server binaries (the `postgresql-15` package).

`initdb` refuses to run as root, so as root the cluster is made and run by the `postgres` user (runuser) in a
temporary directory, listening on a free port on 127.0.0.1 only, with `trust` authentication for local TCP (the
cluster lives only as long as the test session). Each test gets a fresh database from `fresh_database()`.

Run directly to keep one up for manual work: `python tests/pg_support.py` prints its URL, Ctrl-C stops it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator

BIN_DIRS = [Path("/usr/lib/postgresql/15/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]
MISSING = ("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: "
           "apt-get install postgresql-15 to run the PostgreSQL store tests")


def bin_dir() -> Path | None:
    for d in BIN_DIRS:
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One throw-away cluster: start(), url(db), create_database(), stop()."""

    def __init__(self) -> None:
        found = bin_dir()
        if found is None:
            raise FileNotFoundError(MISSING)
        self.bin = found
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="sparring-pg-"))
        self.data = self.dir / "data"
        self.as_postgres = os.geteuid() == 0
        self.user = "postgres" if self.as_postgres else (os.environ.get("USER") or "postgres")

    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        full = [str(self.bin / cmd[0]), *cmd[1:]]
        if self.as_postgres:
            full = ["runuser", "-u", "postgres", "--", *full]
        return subprocess.run(full, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> "PostgresServer":
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
                "-c fsync=on -c max_connections=300 -c shared_buffers=64MB")
        try:
            self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-o", opts, "-w", "-t", "60",
                      "start")
        except subprocess.CalledProcessError as e:
            log = (self.dir / "log").read_text(errors="replace") if (self.dir / "log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {e.stderr}\n{log[-2000:]}") from None
        return self

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{db}"

    def create_database(self, name: str | None = None) -> str:
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"'.encode())
        return self.url(name)

    def kill_connections(self, db_url: str) -> None:
        """End every session on that database (a server restart as far as the clients can tell)."""
        import psycopg

        name = db_url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                         "AND pid <> pg_backend_pid()", [name])

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def running() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


if __name__ == "__main__":
    with running() as srv:
        print(srv.url(), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


# ------------------------------------------------------------------------------------------ pytest fixtures
# Import them into a test module (`from pg_support import pg_server, pg_url, backend_target`) to use them.

try:
    import pytest
except ImportError:  # run as a script without pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:
    @pytest.fixture(scope="session")
    def pg_server() -> Iterator[PostgresServer]:
        """One PostgreSQL for the whole session; skipped (failed on CI) without the server binaries."""
        if bin_dir() is None:
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(MISSING + " (CI=true: the PostgreSQL tests must run on CI)")
            pytest.skip(MISSING)
        with running() as server:
            yield server

    @pytest.fixture
    def pg_url(pg_server: PostgresServer) -> str:
        """A fresh, empty database on the session's server."""
        return pg_server.create_database()

    @pytest.fixture(params=["sqlite", "postgresql"])
    def backend_target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
        """What `Store(...)` opens, once per backend: a new SQLite file, or a new PostgreSQL database."""
        if request.param == "sqlite":
            return tmp_path / "data" / "s.db"
        return str(request.getfixturevalue("pg_url"))
