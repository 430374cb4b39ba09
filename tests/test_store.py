"""The store: migrations with a schema version, WAL, no write lost under concurrent use, UI queries. Every test
that takes `store` or `backend_target` runs on both backends: SQLite and a real PostgreSQL (tests/pg_support.py)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from pg_support import backend_target, pg_server, pg_url  # noqa: F401  (fixtures)

from sparring.store.db import Store, StoreError, dumps, iso, open_store
from sparring.store.queries import attempt_detail, catalogue, progress, select
from sparring.store.schema import LATEST, MIGRATIONS
from sparring.store.users import add_user

TABLES = {"users", "attempts", "criterion_results", "findings", "schedule", "reviews", "overrides", "login_events",
          "schema_version"}


@pytest.fixture
def store(backend_target):
    s = Store(backend_target)
    yield s
    s.close()


def test_fresh_database_has_every_table_and_the_latest_version(store):
    assert TABLES <= set(store.db.table_names())
    assert store.schema_version() == LATEST == MIGRATIONS[-1].version


def test_sqlite_runs_in_wal_with_a_busy_timeout(tmp_path):
    store = Store(tmp_path / "s.db")
    assert store.backend == "sqlite"
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    store.close()


def test_reopening_keeps_data_and_applies_no_migration_twice(backend_target):
    s = Store(backend_target)
    add_user(s, "ann", ["learner"])
    s.close()
    s2 = Store(backend_target)
    assert s2.count("users") == 1
    assert s2.count("schema_version") == len(MIGRATIONS)
    s2.close()


def test_newer_schema_is_refused_with_a_message_naming_the_version_and_the_fix(backend_target):
    s = Store(backend_target)
    with s.write() as db:
        db.execute("INSERT INTO schema_version VALUES (?, 'future', '2099-01-01')", (LATEST + 1,))
    s.close()
    with pytest.raises(StoreError, match=rf"schema version {LATEST + 1}, newer than this Sparring knows "
                                         rf"\({LATEST}\); upgrade Sparring.*sparring db upgrade"):
        Store(backend_target)


def test_a_file_that_is_not_a_database_gives_a_message(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match=r"notes\.db.*\[store\] path"):
        Store(path)


def test_failed_write_rolls_back_everything_in_the_transaction(store):
    with pytest.raises(RuntimeError):
        with store.write() as db:
            db["login_events"].insert({"name": "x", "at": "t", "ok": 1})
            raise RuntimeError("boom")
    assert store.count("login_events") == 0


def _attempt_row(learner: str, i: int) -> dict:
    return {"learner": learner, "scenario": f"sc-{i % 3}", "kind": "trust", "skills": dumps(["s"]),
            "roles": dumps(["r"]), "submitted_at": iso(datetime.now(timezone.utc)), "answer": "{}", "passed": 1,
            "score": 1.0, "grade": "{}"}


def test_concurrent_writers_lose_nothing(backend_target):
    """24 threads, each with its own Store object on the same database (like separate app workers) and the shared
    one: every acknowledged insert is in the database."""
    path = backend_target
    shared = Store(path)
    acked: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        s = shared if n % 2 else Store(path)
        try:
            for i in range(15):
                with s.write() as db:
                    pk = db["attempts"].insert(_attempt_row(f"u{n}", i)).last_pk
                    db["criterion_results"].insert({"attempt_id": pk, "criterion": "c", "passed": 1, "score": 1,
                                                    "required": 0, "weight": 1})
                with lock:
                    acked.append(pk)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
        finally:
            if s is not shared:
                s.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(acked) == 24 * 15 == len(set(acked))
    shared.close()
    fresh = Store(path)
    assert fresh.count("attempts") == len(acked)
    assert fresh.count("criterion_results") == len(acked)
    fresh.close()


def test_open_store_is_one_per_database(tmp_path, pg_url):
    assert open_store(pg_url) is open_store(pg_url)
    assert open_store(pg_url).backend == "postgresql"
    open_store(pg_url).close()


def test_open_store_is_one_per_path(tmp_path):
    org = SimpleNamespace(root=tmp_path, settings=SimpleNamespace(
        store_path=lambda root: root / "x.db", auth=SimpleNamespace(demo_accounts=False)))
    assert open_store(org) is open_store(org) is open_store(tmp_path / "x.db")
    open_store(org).close()


def test_open_store_creates_no_users_even_when_the_settings_turn_demo_accounts_on(tmp_path):
    """Only the web app creates demo accounts (sparring.ui.app.launch): a CLI command or script that opens the
    store of an organisation with `demo_accounts = true` must not add five accounts with a known password."""
    from sparring.config import Settings
    from sparring.organisation import Organisation

    org = Organisation(root=tmp_path, settings=Settings.model_validate({"auth": {"demo_accounts": True}}))
    store = open_store(org)
    assert org.settings.auth.demo_accounts and store.settings is org.settings
    assert store.one("SELECT COUNT(*) AS n FROM users")["n"] == 0
    store.close()


# ------------------------------------------------------------------------------------------ queries


def _sc(id, roles, skills=("s",), kind="trust", minutes=5):
    return SimpleNamespace(id=id, title=id.title(), kind=kind, roles=list(roles), skills=list(skills),
                           workflow="w", minutes=minutes, difficulty="core")


def _insert(store, learner, scenario, passed, score, when, crits=()):
    with store.write() as db:
        pk = db["attempts"].insert({**_attempt_row(learner, 0), "scenario": scenario, "passed": int(passed),
                                    "score": score, "submitted_at": iso(when), "skills": dumps(["s"])}).last_pk
        for cid, ok in crits:
            db["criterion_results"].insert({"attempt_id": pk, "criterion": cid, "passed": int(ok), "score": float(ok),
                                            "required": 0, "weight": 1, "feedback": "f"})
    return pk


def test_catalogue_statuses_and_role_order(store):
    now = datetime(2026, 5, 1, tzinfo=timezone.utc)
    org = SimpleNamespace(scenarios={s.id: s for s in [
        _sc("alpha", ["finance"]), _sc("bravo", ["claims"]), _sc("charlie", ["claims"]),
        _sc("delta", ["claims"]), _sc("echo", ["hr"], minutes=30), _sc("fox", ["hr"])]})
    add_user(store, "ann", ["learner"], team="Claims")
    _insert(store, "ann", "charlie", True, 0.9, now - timedelta(days=3))
    _insert(store, "ann", "delta", False, 0.2, now - timedelta(hours=1))
    _insert(store, "ann", "fox", True, 1.0, now - timedelta(days=5))
    with store.write() as db:
        db["schedule"].insert_all([
            {"learner": "ann", "scenario": "charlie", "due": iso(now - timedelta(days=1)), "card": "{}",
             "updated_at": iso(now)},
            {"learner": "ann", "scenario": "delta", "due": iso(now + timedelta(days=1)), "card": "{}",
             "updated_at": iso(now)},
            {"learner": "ann", "scenario": "fox", "due": iso(now + timedelta(hours=20)), "card": "{}",
             "updated_at": iso(now)}])
    rows = catalogue(org, store, "ann", now=now)
    status = {r.scenario: r.status for r in rows}
    # fox is due later today: "due today" in the catalogue
    assert status == {"alpha": "new", "bravo": "new", "charlie": "due", "delta": "tried", "echo": "new", "fox": "due"}
    # the learner's team's scenarios first, due before new before tried
    assert [r.scenario for r in rows][:3] == ["charlie", "bravo", "delta"]
    assert all(r.for_you for r in rows[:3]) and not any(r.for_you for r in rows[3:])
    assert [r.scenario for r in select(rows, max_minutes=10)].count("echo") == 0
    # another learner sees everything new
    assert {r.status for r in catalogue(org, store, "bob", now=now)} == {"new"}


def test_progress_shows_skill_change_and_what_improved(store):
    t = datetime(2026, 5, 1, tzinfo=timezone.utc)
    org = SimpleNamespace(scenarios={"alpha": _sc("alpha", ["claims"])})
    _insert(store, "ann", "alpha", False, 0.3, t, [("no-pii", False), ("tone", True)])
    _insert(store, "ann", "alpha", True, 0.9, t + timedelta(days=2), [("no-pii", True), ("tone", True)])
    _insert(store, "bob", "alpha", True, 1.0, t, [("no-pii", True)])
    p = progress(org, store, "ann", now=t + timedelta(days=3))
    assert [a.score for a in p.attempts] == [0.9, 0.3]  # newest first, only ann's
    (skill,) = p.skills
    assert skill.first_score == 0.3 and skill.latest_score == 0.9 and skill.change == 60
    assert [(i.scenario, i.first_score, i.latest_score, i.change) for i in p.improved] == [("alpha", 0.3, 0.9, 60)]
    assert p.passed_scenarios == 1 and p.n_attempts == 2 and p.due_now == 0


def test_attempt_detail_only_for_its_learner(store):
    pk = _insert(store, "ann", "alpha", True, 1.0, datetime.now(timezone.utc), [("c1", True)])
    d = attempt_detail(store, pk, learner="ann")
    assert d is not None and d.criteria[0].criterion == "c1" and d.passed
    assert attempt_detail(store, pk, learner="bob") is None
    assert attempt_detail(store, 9999) is None
