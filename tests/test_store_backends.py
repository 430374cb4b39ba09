"""Both backends, side by side: the same organisation reads the same on SQLite and PostgreSQL (every query the
app, the exports, the insights and the review queue use); writers under load and a writer killed mid-run lose
no acknowledged write; with `[store] url` the CLI works unchanged and creates no SQLite file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pg_support import backend_target, pg_server, pg_url  # noqa: F401  (fixtures)

from sparring import auth, practice
from sparring import review as rv
from sparring.cli import main
from sparring.gateway import events
from sparring.insights import demo, export, real_work, views
from sparring.store import queries
from sparring.store.db import Store, dumps, iso
from sparring.store.dialect import DialectError, postgres_query
from sparring.store.users import add_user

REPO = Path(__file__).resolve().parent.parent
FRAME = "support-delayed-claim"
GOOD_PROMPT = (
    "Draft a reply for our complaints team to [customer], whose water-leak claim has been held up for five weeks. "
    "Cover is confirmed. We are still waiting for the contractor to send the repair estimate and have chased it "
    "twice. If it is not in by [date], the adjuster will bring in a second contractor. Say sorry for the delay "
    "and explain that we will phone by [date]. Warm, plain English, under 200 words.")


def test_the_dialect_translates_placeholders_like_and_quotes_but_not_text_in_quotes():
    assert postgres_query("SELECT * FROM [users] WHERE name LIKE ? AND x = '?%' AND y = IFNULL(?, 1)") == \
        "SELECT * FROM \"users\" WHERE name ILIKE %s AND x = '?%%' AND y = COALESCE(%s, 1)"
    assert postgres_query("INSERT OR IGNORE INTO t (a) VALUES (?)") == \
        "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING"
    with pytest.raises(DialectError, match="ON CONFLICT"):
        postgres_query("INSERT OR REPLACE INTO t VALUES (?)")


def _without_rowid(rows):
    return [{k: v for k, v in r.items() if k != "rowid"} for r in rows]


def _fill(store, org):
    counts = demo.write(store, org, learners=16, weeks=4, seed=3)
    add_user(store, "hr", ["author"])
    for verdict in ("redact", "allow", "block"):
        events.record(store, events.Event(account="hr", team="People", job_roles=[], model="m", policy="default",
                                          verdict=verdict, findings={"PERSON": 2}, skills=["s"], scenarios=[FRAME]))
    return counts


@pytest.fixture(scope="module")
def both(org, tmp_path_factory, pg_server):  # noqa: F811
    lite = Store(tmp_path_factory.mktemp("both") / "s.db")
    pg = Store(pg_server.create_database())
    yield lite, pg, _fill(lite, org), _fill(pg, org)
    lite.close()
    pg.close()


def test_demo_data_writes_the_same_rows_on_both(both):
    lite, pg, c1, c2 = both
    assert c1 == c2 and c1["attempts"] > 100
    for t in lite.table_names():
        if t != "schema_version":
            assert lite.count(t) == pg.count(t), t


def test_exports_read_the_same_on_both(both, tmp_path):
    lite, pg, *_ = both
    a, b = export.attempt_rows(lite), export.attempt_rows(pg)
    assert len(a) == len(b) > 100
    for ra, rb in zip(a, b):
        rb = {**rb, "criteria": _without_rowid(rb["criteria"])}
        assert ra == rb
    export.write_csv(lite, tmp_path / "a.csv")
    export.write_csv(pg, tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    def no_time(rows):
        return [{k: v for k, v in r.items() if k != "at"} for r in rows]
    assert no_time(export.real_work_rows(lite)) == no_time(export.real_work_rows(pg)) != []
    export.set_cursor(pg, "https://lrs", 5, 5)
    export.set_cursor(pg, "https://lrs", 9, 4)  # the upsert moves the cursor on
    assert export.get_cursor(pg, "https://lrs") == 9


def test_insights_and_review_queue_read_the_same_on_both(both, org):
    lite, pg, *_ = both
    p1 = views.build_page(lite, org, views.Filters())
    p2 = views.build_page(pg, org, views.Filters())
    assert p1.headline == p2.headline and p1.cautions == p2.cautions
    for name in ("pass_rate", "mean_score", "improvement", "trust", "slips", "cohorts", "agreement"):
        assert getattr(p1, name).equals(getattr(p2, name)), name
    assert real_work.summary(lite, min_team=1) == real_work.summary(pg, min_team=1)
    assert real_work.practice_starts(lite) == real_work.practice_starts(pg)
    q1, q2 = rv.queue(lite), rv.queue(pg)
    assert q1 == q2 and q1
    assert rv.get_review(lite, q1[0]["id"]) == rv.get_review(pg, q2[0]["id"])
    learner = lite.one("SELECT learner FROM attempts ORDER BY id LIMIT 1")["learner"]
    now = datetime(2025, 3, 1, tzinfo=timezone.utc)
    assert queries.progress(org, lite, learner, now=now) == queries.progress(org, pg, learner, now=now)
    assert rv.learner_attempts(lite, learner) == rv.learner_attempts(pg, learner)


def test_demo_data_again_replaces_only_demo_rows_and_new_ids_follow_the_given_ones(both, org):
    _, pg, *_ = both
    before = {t: pg.count(t) for t in ("attempts", "users", "reviews", "criterion_results")}
    demo.write(pg, org, learners=16, weeks=4, seed=3)
    assert {t: pg.count(t) for t in before} == before  # the demo rows (LIKE 'demo-%') replaced, hr kept
    out = practice.attempt(org, pg, FRAME, "hr", {"prompt": GOOD_PROMPT})
    assert out.attempt_id == pg.one("SELECT MAX(id) AS m FROM attempts")["m"]


def test_practice_review_and_sign_in_on_each_backend(org, backend_target):  # noqa: F811
    store = Store(backend_target)
    add_user(store, "ann", ["learner"], password_hash=auth.hash_password("correct horse battery"))
    add_user(store, "max", ["mentor"])
    out = practice.attempt(org, store, FRAME, "ann", {"prompt": GOOD_PROMPT})
    assert out.attempt_id is not None and out.grade.passed
    d = queries.attempt_detail(store, out.attempt_id, learner="ann")
    assert [c.criterion for c in d.criteria] == [c.id for c in org.scenarios[FRAME].rubric.criteria]
    row = {r.scenario: r for r in queries.catalogue(org, store, "ann")}[FRAME]
    assert row.status == "passed" and row.due == out.due
    again = practice.attempt(org, store, FRAME, "ann", {"prompt": GOOD_PROMPT})  # the schedule row is replaced
    assert store.count("schedule") == 1 and again.attempt_id == out.attempt_id + 1
    rid = rv.request_review(org, store, out.attempt_id, "ann", "Why did this pass?")
    assert [r["id"] for r in rv.queue(store)] == [rid]
    # sign-in: the lockout counts failures in the database, and a good password from elsewhere still works
    for _ in range(auth._max_failures(store)):
        assert not auth.sign_in(store, "ann", "wrong", "10.0.0.1").ok
    assert auth.locked_out(store, "ann", "10.0.0.1") and not auth.locked_out(store, "ann", "10.0.0.2")
    assert auth.sign_in(store, "ann", "correct horse battery", "10.0.0.2").ok
    assert auth.unlock(store, "ann", None) >= 1 and not auth.locked_out(store, "ann", "10.0.0.1")
    store.close()


# ------------------------------------------------------------------------------------ concurrency and crashes


def _attempt(learner: str, i: int) -> dict:
    return {"learner": learner, "scenario": f"sc-{i % 3}", "kind": "trust", "skills": dumps(["s"]),
            "roles": dumps(["r"]), "submitted_at": iso(datetime.now(timezone.utc)), "answer": "{}", "passed": 1,
            "score": 1.0, "grade": "{}"}


def test_a_hundred_writers_lose_nothing(backend_target):  # noqa: F811
    shared = Store(backend_target)
    acked: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        try:
            for i in range(5):
                with shared.write() as db:
                    pk = db["attempts"].insert(_attempt(f"u{n}", i)).last_pk
                    db["criterion_results"].insert({"attempt_id": pk, "criterion": "c", "passed": 1, "score": 1,
                                                    "required": 0, "weight": 1})
                    db.execute("UPDATE users SET team = ? WHERE name = ?", ["t", f"u{n}"])
                with lock:
                    acked.append(pk)
                shared.query("SELECT COUNT(*) AS n FROM attempts WHERE learner = ?", [f"u{n}"])
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert len(acked) == 500 == len(set(acked))
    shared.close()
    fresh = Store(backend_target)
    assert fresh.count("attempts") == fresh.count("criterion_results") == 500
    assert {r["id"] for r in fresh.query("SELECT id FROM attempts")} == set(acked)
    fresh.close()


WRITER = """
import sys
from datetime import datetime, timezone
from sparring.store.db import Store
store = Store(sys.argv[1])
i = 0
while True:
    with store.write() as db:
        pk = db["attempts"].insert({"learner": "k", "scenario": "s", "kind": "trust", "skills": "[]", "roles": "[]",
            "submitted_at": datetime.now(timezone.utc).isoformat(), "answer": "{}", "passed": 1, "score": 1.0,
            "grade": "{}"}).last_pk
        db["criterion_results"].insert({"attempt_id": pk, "criterion": "c", "passed": 1, "score": 1, "required": 0,
            "weight": 1})
    print(pk, flush=True)  # acknowledged: only after the commit
    i += 1
"""


def test_a_writer_killed_mid_run_loses_no_acknowledged_write(backend_target, tmp_path):  # noqa: F811
    Store(backend_target).close()  # schema in place before the writers start
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(backend_target)], stdout=subprocess.PIPE,
                              text=True, env=env) for _ in range(2)]
    acked: list[int] = []
    victim = procs[0]
    for line in victim.stdout:  # type: ignore[union-attr]
        acked.append(int(line))
        if len(acked) >= 30:
            break
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    acked += [int(x) for x in victim.stdout.read().split()]  # type: ignore[union-attr]
    # the survivor carries on: the killed writer's lock (SQLite's file lock, PostgreSQL's advisory lock) is gone
    survivor = procs[1]
    seen_after = [int(survivor.stdout.readline()) for _ in range(5)]  # type: ignore[union-attr]
    survivor.kill()
    survivor.wait(timeout=30)
    store = Store(backend_target)
    stored = {r["id"] for r in store.query("SELECT id FROM attempts")}
    assert set(acked) <= stored and set(seen_after) <= stored
    # no half-written attempt: every attempt has its criterion row (each write is one transaction)
    assert store.count("attempts") == store.count("criterion_results")
    with store.write() as db:  # and the database still takes writes
        db["login_events"].insert({"name": "x", "at": "t", "ok": 1})
    store.close()


# ------------------------------------------------------------------------------------------------- CLI


def test_cli_with_a_store_url_works_unchanged_and_creates_no_sqlite_file(repo, tmp_path, pg_url, monkeypatch,
                                                                         capsys):
    for name in ("scenarios", "policies", "graders"):
        if (repo / name).exists():
            shutil.copytree(repo / name, tmp_path / name)
    monkeypatch.setenv("SPARRING_STORE_URL", pg_url)
    monkeypatch.delenv("SPARRING_DB", raising=False)
    assert main(["demo-data", "--root", str(tmp_path), "--learners", "5", "--weeks", "2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["attempts"] > 0 and "***" not in doc["store"] and doc["store"].startswith("postgresql://")
    out = tmp_path / "x.csv"
    assert main(["export", "csv", "--root", str(tmp_path), "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == doc["attempts"]
    assert main(["insights", "real-work", "--root", str(tmp_path), "--json"]) == 0
    capsys.readouterr()
    assert main(["users", "list", "--root", str(tmp_path), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    check = Store(pg_url)
    assert len(listed) == check.count("users") > 5 and check.backend == "postgresql"
    check.close()
    assert not (tmp_path / "data").exists(), "no SQLite file (nor its folder) when [store] url is set"
