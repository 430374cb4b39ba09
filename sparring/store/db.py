"""The SQLite store: one file per organisation (settings `[store] path`), opened through sqlite-utils.

Concurrency model (why it looks like this): the web app runs handlers on a thread pool, and the CLI may write to
the same file from another process. SQLite allows one writer at a time, so
- all writes in this process go through ONE connection guarded by ONE lock per database path, inside
  `BEGIN IMMEDIATE` transactions (the lock orders our threads; IMMEDIATE + busy_timeout orders other processes);
- reads use one connection per thread; WAL lets them run while a write is in progress and see only committed data.
An attempt is acknowledged to the learner only after its transaction has committed, so an acknowledged attempt
is never lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from sqlite_utils import Database

from .schema import LATEST, MIGRATIONS, Migration

if TYPE_CHECKING:  # only named for the checker: sparring.organisation imports this layer
    from ..organisation import Organisation

BUSY_TIMEOUT_MS = 30_000

_LOCKS: dict[str, threading.RLock] = {}
_STORES: dict[str, "Store"] = {}
_REGISTRY_LOCK = threading.Lock()


class StoreError(Exception):
    """The database cannot be used; the message says which database and what to do."""


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime | None) -> str | None:
    """Timestamps are stored as ISO 8601 in UTC so they sort as text."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


def parse_iso(s: str | None) -> datetime | None:
    if not s:
        return None
    dt = datetime.fromisoformat(s)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def dumps(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, default=str)


def loads(s: str | None, default: Any = None) -> Any:
    if s is None or s == "":
        return default
    return json.loads(s)


def _lock_for(path: Path) -> threading.RLock:
    with _REGISTRY_LOCK:
        return _LOCKS.setdefault(str(path), threading.RLock())


def _split_sql(script: str) -> list[str]:
    """Statements of a migration, so each runs inside our transaction (executescript would commit first)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def is_url(target: object) -> bool:
    """A postgresql:// (or postgres://) URL rather than a SQLite file path."""
    return isinstance(target, str) and target.split("://", 1)[0] in ("postgresql", "postgres")


class Store:
    """The organisation's database: `Store(path)` is the SQLite file (the default), `Store("postgresql://...")`
    the PostgreSQL database (sparring/store/pg.py). Both offer this surface, and every query is written once in
    SQLite's SQL (sparring/store/dialect.py translates it). Use `open_store(org)` in the app."""

    backend = "sqlite"
    path: Any  # the file (Path) for SQLite; the URL without its password (str) for PostgreSQL
    key: str  # what open_store() knows it by: the file's path or the full URL
    settings: Any  # the organisation's Settings when opened through open_store(org)

    def __new__(cls, target: Path | str, *args: Any, **kwargs: Any) -> "Store":
        if cls is Store:
            if is_url(target):
                from .pg import PostgresStore

                cls = PostgresStore
            else:
                cls = SqliteStore
        return super().__new__(cls)

    # --- the surface both backends offer (each overrides these)
    @property
    def db(self) -> Any:
        """Reads: `store.db.execute(sql, params)` (a cursor), `.query()`, `.table_names()`. Never writes."""
        raise NotImplementedError

    def write(self, durable: bool = True) -> contextlib.AbstractContextManager[Any]:
        """One write transaction: `with store.write() as db: db["t"].insert(...)`. Commits on exit, rolls back on
        error. Nested calls in the same thread become savepoints of the outer transaction.

        `durable=False` commits without waiting for the disk (SQLite: `synchronous=NORMAL` in WAL mode for this
        transaction; PostgreSQL: `synchronous_commit = off`). A crash of the process loses nothing; a crash of
        the machine or a power cut may lose the last such commits (SQLite: those since the last WAL sync;
        PostgreSQL: under `wal_writer_delay` x 3, 600 ms by default), never corrupting the database. For
        high-rate records whose loss in a power cut is acceptable (the gateway's real-work events)."""
        raise NotImplementedError

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # --- shared
    def one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def table_names(self) -> list[str]:
        """Sparring's tables (not SQLite's own sqlite_* bookkeeping)."""
        return [t for t in self.db.table_names() if not t.startswith("sqlite_")]

    def schema_version(self) -> int:
        return _version(self.db)

    def _apply_ddl(self, db: Any, statement: str) -> None:
        db.execute(statement)

    def _migration_sql(self, m: Migration) -> str:
        return m.sql

    def migrate(self) -> int:
        """Apply pending migrations in order; returns the schema version now in the database."""
        with self.write() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT, "
                       "applied_at TEXT)")
            current = _version(db)
            if current > LATEST:
                raise StoreError(newer_schema_message(self.path, current))
            for m in MIGRATIONS:
                if m.version <= current:
                    continue
                with db.atomic():  # a savepoint: a failed migration leaves the database at the previous version
                    for stmt in _split_sql(self._migration_sql(m)):
                        self._apply_ddl(db, stmt)
                    db.execute("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                               (m.version, m.name, iso(now_utc())))
        return self.schema_version()

    def count(self, table: str) -> int:
        return int(_scalar(self.db, f"SELECT COUNT(*) FROM [{table}]") or 0)

    def _forget(self) -> None:
        with _REGISTRY_LOCK:
            if _STORES.get(self.key) is self:
                del _STORES[self.key]


def newer_schema_message(where: Any, version: int) -> str:
    return (f"{where}: the database has schema version {version}, newer than this Sparring knows ({LATEST}); "
            "upgrade Sparring (pip install the newer release, then `sparring db upgrade`), or point [store] at "
            "another database")


class SqliteStore(Store):
    """The SQLite file (sqlite-utils); see the module docstring for its concurrency model."""

    def __init__(self, path: Path | str, migrate: bool = True):
        self.path = Path(path).resolve()
        self.key = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"{self.path.parent}: cannot create the database folder ({e.strerror}); set "
                             "[store] path in sparring.toml to a writable place") from None
        self._lock = _lock_for(self.path)
        self.settings = None
        self._local = threading.local()
        self._writer = Database(self._connect(), execute_plugins=False)
        try:
            self._writer.execute("PRAGMA journal_mode=WAL")
            if migrate:
                self.migrate()
            else:
                self.schema_version()  # reads the file: one that is not a database fails here, not later
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: cannot open the database ({e}); if the file is not a Sparring "
                             "database, point [store] path in sparring.toml elsewhere") from None

    # ------------------------------------------------------------------ connections
    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so no read holds a transaction open by accident.
        conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False,
                               isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @property
    def db(self) -> Database:
        """This thread's read connection (sqlite-utils Database). Do not write through it: use `write()`."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = Database(self._connect(), execute_plugins=False)
        return db

    @contextlib.contextmanager
    def write(self, durable: bool = True) -> Iterator[Database]:
        with self._lock:
            conn = self._writer.conn
            if conn.in_transaction:  # nested: we already hold the lock and the transaction
                with self._writer.atomic():
                    yield self._writer
                return
            if not durable:  # only outside a transaction can it change; set back below, under the same lock
                conn.execute("PRAGMA synchronous=NORMAL")
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._writer
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                else:
                    conn.execute("COMMIT")
            finally:
                if not durable:
                    conn.execute("PRAGMA synchronous=FULL")

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    def close(self) -> None:
        with self._lock:
            self._writer.close()
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
        self._forget()


def _scalar(db: Database, sql: str) -> Any:
    """The first column of the first row, with the cursor closed at once: an open read cursor would hold back a
    migration's schema change on the same connection until the garbage collector got to it."""
    with contextlib.closing(db.execute(sql)) as cur:
        row = cur.fetchone()
    return row[0] if row else None


def _version(db: Database) -> int:
    if not db["schema_version"].exists():
        return 0
    return int(_scalar(db, "SELECT MAX(version) FROM schema_version") or 0)


def apply_db_override(org: Organisation) -> None:
    """$SPARRING_DB overrides `[store] path` (tests, benchmarks and throw-away demos use it): the web app and
    `sparring users` then open the same database. It names a SQLite file, so it also sets `[store] url` aside;
    $SPARRING_STORE_URL still wins over both (see `store_target`)."""
    if os.environ.get("SPARRING_DB"):
        org.settings.store.path = str(Path(os.environ["SPARRING_DB"]).resolve())
        org.settings.store.url = None


def store_target(settings: Any, root: Path) -> Path | str:
    """Where the organisation's data lives: $SPARRING_STORE_URL, else `[store] url` (PostgreSQL), else the SQLite
    file `[store] path` (relative to ROOT). The one place that decides it."""
    url = os.environ.get("SPARRING_STORE_URL") or getattr(getattr(settings, "store", None), "url", None)
    if url:
        if not is_url(url):
            raise StoreError(f"[store] url {url!r}: give a postgresql://USER@HOST:PORT/DATABASE URL, or remove it "
                             "and set [store] path for a SQLite file")
        return str(url)
    return Path(settings.store_path(root)).resolve()


def open_store(org_or_path: Organisation | str | Path) -> Store:
    """The store of an organisation (or a database path or postgresql:// URL), one per database per process.
    Opening a store never creates users: the demo accounts are the web app's to create (`sparring.ui.app.launch`)."""
    settings = None
    if isinstance(org_or_path, str) and is_url(org_or_path):
        target: Path | str = org_or_path
    elif isinstance(org_or_path, (str, Path)):
        target = Path(org_or_path).resolve()
    else:
        settings = org_or_path.settings
        target = store_target(settings, org_or_path.root)
    key = str(target)
    with _REGISTRY_LOCK:
        store = _STORES.get(key)
    if store is None:
        pool = getattr(getattr(settings, "store", None), "pool_size", None)
        new = Store(target, pool_size=pool) if is_url(target) and pool else Store(target)
        with _REGISTRY_LOCK:
            store = _STORES.setdefault(key, new)
        if store is not new:  # another thread opened it meanwhile
            new.close()
    if settings is not None:
        store.settings = settings
    return store


def organisation_store() -> Store | None:
    """The store this process opened for its organisation (`open_store(org)`), when there is exactly one: the web
    app's, which the sign-in sessions live in (sparring/ui/sessions.py)."""
    with _REGISTRY_LOCK:
        opened = [s for s in _STORES.values() if s.settings is not None]
    return opened[0] if len(opened) == 1 else None
