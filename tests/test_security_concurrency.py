"""Concurrency: many threads writing attempts at once lose nothing. The count in the database equals the count
acknowledged, and every acknowledged id is there. CI runs the short version (100 threads x 10 s through the store,
12 threads x 5 s through practice.attempt); bench/security_bench.py runs 100 threads x 30 s."""

from __future__ import annotations

import threading
import time

import pytest

from sparring.store.db import Store, dumps, iso, now_utc


def hammer(store: Store, threads: int, seconds: float) -> tuple[list[int], list[str]]:
    """`threads` writers inserting attempts through `store.write()` for `seconds`; returns the acknowledged ids
    (an id counts once its transaction has committed) and any errors."""
    acked: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    start = threading.Barrier(threads)

    def writer(i: int) -> None:
        start.wait()
        n = 0
        while time.monotonic() < stop:
            n += 1
            try:
                with store.write() as db:
                    aid = db["attempts"].insert({
                        "learner": f"t{i:03d}", "scenario": "load", "kind": "frame", "skills": "[]", "roles": "[]",
                        "submitted_at": iso(now_utc()), "answer": dumps({"prompt": f"{i}-{n}"}), "passed": 0,
                        "score": 0.5, "verdict": "allow", "blocked": 0, "gaming": "[]", "grade": "{}"}).last_pk
            except Exception as e:  # noqa: BLE001 - counted, and the test fails on any
                with lock:
                    errors.append(f"{type(e).__name__}: {e}")
                continue
            with lock:
                acked.append(int(aid))

    ts = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return acked, errors


@pytest.mark.slow
def test_100_threads_writing_for_10_seconds_lose_nothing(tmp_path):
    store = Store(tmp_path / "load.db")
    acked, errors = hammer(store, threads=100, seconds=10)
    assert not errors, errors[:5]
    assert len(acked) > 100  # every thread got through at least once on average
    assert len(set(acked)) == len(acked)
    assert store.count("attempts") == len(acked)
    stored = {r["id"] for r in store.query("SELECT id FROM attempts")}
    assert stored == set(acked)
    assert store.one("PRAGMA integrity_check")["integrity_check"] == "ok"
    store.close()


@pytest.mark.slow
def test_concurrent_practice_attempts_all_stored(org, tmp_path):
    """The real path (policy, grading, store, schedule) from 12 threads for 5 s."""
    from security_server import TASKS
    from sparring.practice import attempt

    store = Store(tmp_path / "practice.db")
    acked: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + 5

    def learner(i: int) -> None:
        n = i
        while time.monotonic() < stop:
            sid, answer = TASKS[n % len(TASKS)]
            n += 1
            try:
                out = attempt(org, store, sid, f"p{i:02d}", answer)
            except Exception as e:  # noqa: BLE001
                with lock:
                    errors.append(repr(e))
                return
            if out.attempt_id is not None:
                with lock:
                    acked.append(out.attempt_id)

    ts = [threading.Thread(target=learner, args=(i,)) for i in range(12)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors[:3]
    assert acked and store.count("attempts") == len(acked)
    assert {r["id"] for r in store.query("SELECT id FROM attempts")} == set(acked)
    # one schedule row per learner and scenario, never duplicated by a race
    dup = store.query("SELECT learner, scenario, COUNT(*) n FROM schedule GROUP BY learner, scenario HAVING n > 1")
    assert dup == []
    store.close()
