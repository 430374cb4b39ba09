"""The PostgreSQL store, through psycopg 3 and a connection pool (`[store] url = "postgresql://..."`).

It offers the same surface as the SQLite store, so the rest of Sparring writes each query once:
- `store.query(sql, params)` / `store.one(...)` / `store.db.execute(sql)`: reads, each on a pooled connection in
  autocommit (every read sees what is committed, like SQLite's WAL readers);
- `with store.write() as db:` one transaction; `db.execute(...)` returns a cursor with `fetchone`, `fetchall`,
  `rowcount` and `lastrowid`; `db["t"].insert(...).last_pk`, `.insert_all(...)`, `.upsert(..., pk=...)`: the
  sqlite-utils calls the code uses, nothing more.
SQL is translated by `dialect.py` (placeholders, LIKE, identifiers). Errors are raised as `PostgresError`, a
`sqlite3.DatabaseError`, because callers already treat that family as "the store failed" (practice.py keeps the
learner's feedback on screen when the attempt could not be saved).

Writes take one transaction-level advisory lock: the callers' read-then-write transactions (the schedule card
read and replaced in practice.py, the lockout counter in auth.py) were written against SQLite's one writer at a
time, and the lock keeps exactly that guarantee across every replica. It is held for the few milliseconds of a
write; reads never wait for it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from typing import Any, Iterable, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.adapt import Loader
from psycopg_pool import ConnectionPool

from .db import Store, StoreError
from .dialect import insert_table, postgres_ddl, postgres_query
from .schema import Migration

WRITE_LOCK_KEY = 0x5350_4152  # "SPAR": the advisory lock every Sparring write holds
POOL_TIMEOUT_S = 30.0


class PostgresError(sqlite3.DatabaseError):
    """A PostgreSQL error, in the exception family the callers already catch for the SQLite store."""


class _FloatLoader(Loader):
    """numeric (what SUM and AVG of integers return) as float, as SQLite returns them: JSON and pandas take it."""

    def load(self, data: Any) -> float:
        return float(bytes(data).decode())


def redacted_url(url: str) -> str:
    """The URL without its password, for messages, logs and `store.path`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def _params(params: Any) -> list[Any] | dict[str, Any]:
    """SQLite stores a bool as 0/1 in an INTEGER column; PostgreSQL would refuse a boolean there."""
    if params is None:
        return []
    if isinstance(params, dict):
        return {k: int(v) if isinstance(v, bool) else v for k, v in params.items()}
    return [int(v) if isinstance(v, bool) else v for v in params]


class Result:
    """A finished statement's rows, read at once so the connection goes back to the pool (sqlite3 cursor API)."""

    def __init__(self, cur: psycopg.Cursor[Any], lastrowid: int | None = None) -> None:
        self.description = cur.description
        self.rowcount = cur.rowcount
        self._rows: list[tuple[Any, ...]] = cur.fetchall() if cur.description else []
        self.lastrowid = lastrowid
        self._i = 0

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._i >= len(self._rows):
            return None
        self._i += 1
        return self._rows[self._i - 1]

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        rows = self._rows[self._i:self._i + size]
        self._i += len(rows)
        return rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._i = self._rows[self._i:], len(self._rows)
        return rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.fetchall())

    def close(self) -> None:
        self._i = len(self._rows)


def _run(conn: psycopg.Connection[Any], sql: str, params: Any, id_tables: set[str]) -> Result:
    q = postgres_query(sql)
    table = insert_table(q)
    returning = table in id_tables and "returning" not in q.lower()
    if returning:
        q = q.rstrip().rstrip(";") + " RETURNING id"
    try:
        with conn.cursor() as cur:
            cur.execute(q.encode(), _params(params))
            if returning:
                row = cur.fetchone()
                res = Result(cur, int(row[0]) if row else None)
                res.rowcount = cur.rowcount
                return res
            return Result(cur)
    except psycopg.Error as e:
        raise PostgresError(f"{e}".strip() + f" (in: {sql.strip()[:200]})") from e


class Table:
    """The sqlite-utils table calls Sparring uses, on a PostgreSQL transaction."""

    def __init__(self, db: "Database", name: str) -> None:
        self.db, self.name = db, name
        self.last_pk: Any = None

    def exists(self) -> bool:
        return self.name in self.db.table_names()

    @property
    def count(self) -> int:
        return int(self.db.execute(f'SELECT COUNT(*) FROM "{self.name}"').fetchone()[0])  # type: ignore[index]

    def _sql(self, cols: Sequence[str], replace: bool, pk: Sequence[str] | None = None) -> str:
        qc = ", ".join(f'"{c}"' for c in cols)
        sql = f'INSERT INTO "{self.name}" ({qc}) VALUES ({", ".join(["%s"] * len(cols))})'
        if replace:
            keys = list(pk or self.db.store.primary_keys.get(self.name, ()))
            if not keys:
                raise PostgresError(f"table {self.name} has no primary key to replace rows on")
            rest = [c for c in cols if c not in keys]
            sql += f' ON CONFLICT ({", ".join(chr(34) + k + chr(34) for k in keys)}) ' + (
                "DO UPDATE SET " + ", ".join(f'"{c}" = excluded."{c}"' for c in rest) if rest else "DO NOTHING")
        return sql

    def insert(self, record: dict[str, Any], *, replace: bool = False, pk: Any = None) -> "Table":
        cols = list(record)
        sql = self._sql(cols, replace, _keys(pk))
        has_id = self.name in self.db.store.id_tables
        if has_id:
            sql += " RETURNING id"
        try:
            with self.db.conn.cursor() as cur:
                cur.execute(sql.encode(), _params([record[c] for c in cols]))
                self.last_pk = int(cur.fetchone()[0]) if has_id else tuple(record[k] for k in (  # type: ignore[index]
                    _keys(pk) or self.db.store.primary_keys.get(self.name, ())))
        except psycopg.Error as e:
            raise PostgresError(f"{self.name}: {e}".strip()) from e
        if has_id and "id" in record:
            self.db.bump_sequences(self.name, record)
        return self

    def insert_all(self, records: Iterable[dict[str, Any]], *, batch_size: int = 1000, replace: bool = False,
                   pk: Any = None, **_: Any) -> "Table":
        groups: dict[tuple[str, ...], list[list[Any]]] = {}
        for r in records:
            cols = tuple(r)
            groups.setdefault(cols, []).append([r[c] for c in cols])
        given: set[str] = set()
        try:
            with self.db.conn.cursor() as cur:
                for cols, rows in groups.items():
                    given.update(cols)
                    sql = self._sql(cols, replace, _keys(pk)).encode()
                    for i in range(0, len(rows), batch_size):
                        cur.executemany(sql, [_params(r) for r in rows[i:i + batch_size]])
        except psycopg.Error as e:
            raise PostgresError(f"{self.name}: {e}".strip()) from e
        self.db.bump_sequences(self.name, given)
        return self

    def upsert(self, record: dict[str, Any], *, pk: Any = None) -> "Table":
        return self.insert(record, replace=True, pk=pk)

    def upsert_all(self, records: Iterable[dict[str, Any]], *, pk: Any = None, **kw: Any) -> "Table":
        return self.insert_all(records, replace=True, pk=pk, **kw)


def _keys(pk: Any) -> tuple[str, ...] | None:
    if pk is None:
        return None
    return (pk,) if isinstance(pk, str) else tuple(pk)


class Database:
    """One connection's view: in `write()` the transaction's connection; for reads, a pooled one per call."""

    def __init__(self, store: "PostgresStore", conn: psycopg.Connection[Any] | None = None) -> None:
        self.store, self._conn = store, conn

    @property
    def conn(self) -> psycopg.Connection[Any]:
        if self._conn is None:
            raise PostgresError("writes go through `with store.write() as db:`, not store.db")
        return self._conn

    def execute(self, sql: str, params: Any = None) -> Result:
        # A read inside this thread's write transaction runs on the transaction's connection: borrowing a second
        # one while holding the write could wait for a pool that other writers have emptied.
        conn = self._conn or self.store.current_writer()
        if conn is not None:
            return _run(conn, sql, params, self.store.id_tables)
        with self.store.pool.connection() as conn:
            return _run(conn, sql, params, self.store.id_tables)

    def query(self, sql: str, params: Any = None) -> Iterator[dict[str, Any]]:
        res = self.execute(sql, params)
        names = [d[0] for d in res.description or []]
        return (dict(zip(names, row)) for row in res.fetchall())

    def table_names(self) -> list[str]:
        return [r[0] for r in self.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "ORDER BY table_name").fetchall()]

    def table(self, name: str) -> Table:
        return Table(self, name)

    def __getitem__(self, name: str) -> Table:
        return Table(self, name)

    @contextlib.contextmanager
    def atomic(self) -> Iterator["Database"]:
        with self.conn.transaction():  # a savepoint inside the write transaction
            yield self

    def bump_sequences(self, table: str, given: Iterable[str]) -> None:
        """Rows given their own ids (demo data, `sparring db copy`) move the identity sequence past them, so the
        next row the database numbers does not collide with one of them."""
        for col in self.store.identity_columns.get(table, set()) & set(given):
            self.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{col}'), "
                         f'GREATEST((SELECT MAX("{col}") FROM "{table}"), 1))')


class PostgresStore(Store):
    """The organisation's database on PostgreSQL: `Store("postgresql://...")` or `open_store(org)` with
    `[store] url`."""

    backend = "postgresql"

    def __init__(self, url: str, pool_size: int = 10, migrate: bool = True) -> None:
        self.url = url
        self.path = redacted_url(url)
        self.key = url
        self.settings = None
        self._local = threading.local()
        # one writer per process at a time (as for SQLite): threads queue here, holding no pooled connection,
        # and the advisory lock orders the processes
        self._write_lock = threading.Lock()
        self.id_tables: set[str] = set()
        self.identity_columns: dict[str, set[str]] = {}
        self.primary_keys: dict[str, tuple[str, ...]] = {}
        try:
            self.pool = ConnectionPool(url, min_size=1, max_size=pool_size, timeout=POOL_TIMEOUT_S,
                                       kwargs={"autocommit": True}, configure=self._configure, open=False)
            self.pool.open(wait=True, timeout=POOL_TIMEOUT_S)
        except Exception as e:  # noqa: BLE001 — psycopg_pool raises PoolTimeout with the cause in the log
            with contextlib.suppress(Exception):
                self.pool.close()
            raise StoreError(f"{self.path}: cannot connect to PostgreSQL ({e}); check that the server runs and "
                                "[store] url (or $SPARRING_STORE_URL) names it") from None
        try:
            self.migrate() if migrate else self.refresh_catalogue()
        except BaseException:
            self.pool.close()
            raise

    @staticmethod
    def _configure(conn: psycopg.Connection[Any]) -> None:
        conn.adapters.register_loader("numeric", _FloatLoader)

    def refresh_catalogue(self) -> None:
        """Which tables have an `id` identity and which primary keys: what insert() returns and upsert() uses."""
        db = Database(self)
        ident: dict[str, set[str]] = {}
        for t, c in db.execute("SELECT table_name, column_name FROM information_schema.columns "
                               "WHERE table_schema = current_schema() AND is_identity = 'YES'").fetchall():
            ident.setdefault(t, set()).add(c)
        self.identity_columns = ident
        self.id_tables = {t for t, cols in ident.items() if "id" in cols}
        keys: dict[str, list[str]] = {}
        for t, c in db.execute(
                "SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc "
                "JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name "
                "AND kcu.table_schema = tc.table_schema WHERE tc.constraint_type = 'PRIMARY KEY' "
                "AND tc.table_schema = current_schema() ORDER BY tc.table_name, kcu.ordinal_position").fetchall():
            keys.setdefault(t, []).append(c)
        self.primary_keys = {t: tuple(v) for t, v in keys.items()}

    def current_writer(self) -> psycopg.Connection[Any] | None:
        db: Database | None = getattr(self._local, "db", None)
        return db.conn if db is not None else None

    @property
    def db(self) -> Database:  # the sqlite-utils calls Sparring uses, on PostgreSQL
        return Database(self)

    @contextlib.contextmanager
    def write(self, durable: bool = True) -> Iterator[Database]:
        current: Database | None = getattr(self._local, "db", None)
        if current is not None:  # nested: a savepoint of the outer transaction
            with current.atomic():
                yield current
            return
        with self._write_lock, self.pool.connection() as conn:
            try:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
                    if not durable:  # this transaction only (Store.write says what may be lost)
                        conn.execute("SET LOCAL synchronous_commit = off")
                    db = self._local.db = Database(self, conn)
                    try:
                        yield db
                    finally:
                        self._local.db = None
            except psycopg.Error as e:
                raise PostgresError(f"{self.path}: {e}".strip()) from e

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    def _apply_ddl(self, db: Any, statement: str) -> None:
        # raw, without parameters: migration comments may hold `?` or `%`, which are not placeholders
        try:
            db.conn.execute(postgres_ddl(statement).encode())
        except psycopg.Error as e:
            raise PostgresError(f"{self.path}: migration statement failed ({e}): {statement[:200]}") from e

    def migrate(self) -> int:
        version = super().migrate()
        self.refresh_catalogue()
        return version

    def _migration_sql(self, m: Migration) -> str:
        return m.sql + (m.postgres_extra or "")

    def close(self) -> None:
        self.pool.close()
        self._forget()
