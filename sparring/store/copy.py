"""`sparring db copy --to URL`: every row of every table from one store to another (SQLite → PostgreSQL to move
an organisation onto a shared database; PostgreSQL → SQLite for a file backup), then the counts compared.

The target is opened (so its schema is migrated to the same version), must be empty, and is filled in ONE
transaction: a copy that fails half way leaves the target as empty as it was. Ids are copied as they are (links
between tables, and xAPI statement ids made from attempt ids, stay the same), and PostgreSQL's id sequences are
moved past them. Criteria keep their order (SQLite's rowid becomes PostgreSQL's rowid column).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .db import Store
from .schema import COPY_ORDER

BATCH = 2000


class CopyError(Exception):
    """The copy could not be made or did not verify; the message names the table and what to do."""


@dataclass
class CopyReport:
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)  # table → rows copied (= rows in both, verified)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def tables_to_copy(source: Store) -> list[str]:
    present = set(source.table_names()) - {"schema_version"}
    return [t for t in COPY_ORDER if t in present] + sorted(present - set(COPY_ORDER))


def _columns(store: Store, table: str) -> list[str]:
    cur = store.db.execute(f"SELECT * FROM [{table}] LIMIT 0")
    return [d[0] for d in cur.description or []]


def _select(source: Store, table: str, cols: list[str], target_cols: list[str]) -> str:
    """The source query: the shared columns, in insertion order (SQLite's rowid; PostgreSQL's id or rowid)."""
    parts = [f'"{c}"' for c in cols]
    order = ""
    if source.backend == "sqlite":
        if "rowid" in target_cols and "rowid" not in cols:
            parts.append("rowid AS rowid")  # SQLite's implicit row number becomes PostgreSQL's real column
        order = " ORDER BY rowid"
    elif "rowid" in cols:
        order = ' ORDER BY "rowid"'
    elif "id" in cols:
        order = ' ORDER BY "id"'
    return f"SELECT {', '.join(parts)} FROM [{table}]{order}"


def copy_store(source: Store, target: Store, progress: Callable[[str, int], None] | None = None) -> CopyReport:
    if source.key == target.key:
        raise CopyError(f"{target.path}: the target is the source itself; give another database with --to")
    if source.schema_version() != target.schema_version():
        raise CopyError(f"{source.path} is at schema version {source.schema_version()} and {target.path} at "
                        f"{target.schema_version()}: run `sparring db upgrade` on the older one first")
    tables = tables_to_copy(source)
    missing = [t for t in tables if t not in set(target.table_names())]
    if missing:
        raise CopyError(f"{target.path} has no table {missing[0]}; is it a Sparring database of this version?")
    full = [t for t in tables if target.count(t)]
    if full:
        raise CopyError(f"{target.path}: table {full[0]} already has {target.count(full[0])} rows; copy into an "
                        "empty database (create a new one, e.g. `createdb sparring`), so nothing is mixed or lost")
    report = CopyReport(str(source.path), str(target.path))
    with target.write() as db:
        for t in tables:
            target_cols = _columns(target, t)
            cols = [c for c in _columns(source, t) if c in target_cols]
            cur = source.db.execute(_select(source, t, cols, target_cols))
            names = [d[0] for d in cur.description or []]
            n = 0
            while True:
                chunk: list[Any] = cur.fetchmany(BATCH)
                if not chunk:
                    break
                db[t].insert_all([dict(zip(names, row)) for row in chunk], batch_size=BATCH)
                n += len(chunk)
            report.rows[t] = n
            if progress:
                progress(t, n)
    verify(source, target, tables)
    return report


def verify(source: Store, target: Store, tables: list[str] | None = None) -> dict[str, tuple[int, int]]:
    """Every table's row count in both; raises CopyError naming the first table that differs."""
    counts = {t: (source.count(t), target.count(t)) for t in (tables or tables_to_copy(source))}
    for t, (a, b) in counts.items():
        if a != b:
            raise CopyError(f"table {t}: {a} rows in {source.path} but {b} in {target.path}; the copy is "
                            "incomplete: empty the target and run `sparring db copy` again")
    return counts
