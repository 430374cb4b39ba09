"""`sparring db copy|status|upgrade`: an organisation moves from SQLite to PostgreSQL with every row, verified;
migrations are applied by `db upgrade`."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3

import pytest
from pg_support import pg_server, pg_url  # noqa: F401  (fixtures)

from sparring.cli import main
from sparring.insights import demo, export
from sparring.store.copy import tables_to_copy
from sparring.store.db import Store
from sparring.store.schema import COPY_ORDER, LATEST, MIGRATIONS


@pytest.fixture
def org_root(repo, tmp_path, monkeypatch):
    for name in ("scenarios", "policies", "graders"):
        if (repo / name).exists():
            shutil.copytree(repo / name, tmp_path / name)
    monkeypatch.delenv("SPARRING_STORE_URL", raising=False)
    monkeypatch.setenv("SPARRING_DB", str(tmp_path / "data" / "sparring.db"))
    return tmp_path


def test_every_table_has_a_place_in_the_copy_order(tmp_path):
    s = Store(tmp_path / "s.db")
    assert set(s.table_names()) - {"schema_version"} == set(COPY_ORDER)
    assert tables_to_copy(s) == COPY_ORDER
    s.close()


def test_copy_moves_every_row_and_ids_carry_on(org, org_root, pg_url, capsys):  # noqa: F811
    lite = Store(org_root / "data" / "sparring.db")
    demo.write(lite, org, learners=12, weeks=3, seed=4)
    lite.close()
    assert main(["db", "copy", "--root", str(org_root), "--to", pg_url, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    lite, pg = Store(org_root / "data" / "sparring.db"), Store(pg_url)
    for t in COPY_ORDER:
        assert doc["rows"][t] == lite.count(t) == pg.count(t), t
    assert doc["rows"]["attempts"] > 20 and doc["total"] == sum(doc["rows"].values())
    a, b = export.attempt_rows(lite), export.attempt_rows(pg)
    assert [{**r, "criteria": [{k: v for k, v in c.items() if k != "rowid"} for c in r["criteria"]]} for r in b] == a
    # the next attempt numbered by PostgreSQL follows the copied ids instead of colliding with them
    with pg.write() as db:
        pk = db["attempts"].insert({**{k: v for k, v in a[0].items() if k not in ("id", "team", "criteria")}}).last_pk
    assert pk == max(r["id"] for r in a) + 1
    lite.close()
    pg.close()
    # a second copy into the same (now full) database is refused: nothing is mixed
    assert main(["db", "copy", "--root", str(org_root), "--to", pg_url]) == 1
    assert "already has" in capsys.readouterr().err


def test_a_count_that_differs_after_the_copy_fails_naming_the_table(org, org_root, pg_url, capsys):  # noqa: F811
    lite = Store(org_root / "data" / "sparring.db")
    demo.write(lite, org, learners=6, weeks=2, seed=4)
    lite.close()
    pg = Store(pg_url)
    with pg.write() as db:  # a target that silently drops rows (as a broken trigger or rule would)
        db.execute("CREATE FUNCTION drop_row() RETURNS trigger AS 'BEGIN RETURN NULL; END' LANGUAGE plpgsql")
        db.execute("CREATE TRIGGER lose BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION drop_row()")
    pg.close()
    assert main(["db", "copy", "--root", str(org_root), "--to", pg_url]) == 1
    assert re.search(r"table users: \d+ rows in .* but 0 in postgresql://", capsys.readouterr().err)


def test_copy_back_to_a_sqlite_file_for_a_backup(org, org_root, pg_url, tmp_path, capsys):  # noqa: F811
    pg = Store(pg_url)
    demo.write(pg, org, learners=6, weeks=2, seed=4)
    pg.close()
    root = org_root
    backup = tmp_path / "backup.db"
    import os

    os.environ.pop("SPARRING_DB")
    os.environ["SPARRING_STORE_URL"] = pg_url
    try:
        assert main(["db", "copy", "--root", str(root), "--to", str(backup), "--json"]) == 0
    finally:
        os.environ.pop("SPARRING_STORE_URL")
    rows = json.loads(capsys.readouterr().out)["rows"]
    conn = sqlite3.connect(backup)
    assert conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == rows["attempts"] > 0
    conn.close()


def test_db_status_and_upgrade_apply_pending_migrations(org_root, capsys):
    path = org_root / "data" / "sparring.db"
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)  # a database as an older Sparring left it: every migration but the last
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    for m in MIGRATIONS[:-1]:
        conn.executescript(m.sql)
        conn.execute("INSERT INTO schema_version VALUES (?, ?, 'then')", (m.version, m.name))
    conn.commit()
    conn.close()
    assert main(["db", "status", "--root", str(org_root), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema_version"] == LATEST - 1 and doc["pending"] == 1 and doc["backend"] == "sqlite"
    assert main(["db", "upgrade", "--root", str(org_root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "store": str(path), "from": LATEST - 1, "to": LATEST}
    assert main(["db", "upgrade", "--root", str(org_root)]) == 0
    assert "nothing to apply" in capsys.readouterr().out
