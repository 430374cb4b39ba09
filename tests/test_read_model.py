"""The read model (sparring/store/queries.py): one test per rule that docs/metrics.md, "The learner's screens",
states, on a real sqlite store. The screens format these rows and compute nothing themselves, so each test also
reads the figure the way the screen shows it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from sparring.store import queries
from sparring.store.db import Store, dumps, iso
from sparring.store.users import add_user
from sparring.ui import catalogue as catalogue_screen
from sparring.ui import progress_tab
from sparring.ui.context import UIContext

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


def _sc(sid: str, roles: list[str]) -> SimpleNamespace:
    return SimpleNamespace(id=sid, title=sid.title(), kind="trust", roles=roles, skills=["s"], workflow="w",
                           minutes=5, difficulty="core")


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "rm.db")
    add_user(s, "ann", ["learner"])
    yield s
    s.close()


def _attempt(store: Store, scenario: str, score: float, passed: bool, when: datetime) -> None:
    with store.write() as db:
        db["attempts"].insert({"learner": "ann", "scenario": scenario, "kind": "trust", "skills": dumps(["s"]),
                               "roles": "[]", "submitted_at": iso(when), "answer": "{}", "passed": int(passed),
                               "score": score, "grade": "{}"})


def _schedule(store: Store, scenario: str, due: datetime) -> None:
    with store.write() as db:
        db["schedule"].upsert({"learner": "ann", "scenario": scenario, "due": iso(due), "card": "{}",
                               "updated_at": iso(NOW)}, pk=("learner", "scenario"))


# Due: the scheduled calendar day (UTC) is today or earlier.
@pytest.mark.parametrize("due,is_due", [
    (NOW - timedelta(days=3), True),  # overdue
    (NOW.replace(hour=0, minute=0, second=1), True),  # earlier today
    (NOW.replace(hour=23, minute=59, second=59), True),  # later today: due all day, not from the hour
    (NOW.replace(hour=0, minute=0, second=0) + timedelta(days=1), False),  # tomorrow, first second
    (NOW + timedelta(days=5), False),
])
def test_due_is_by_calendar_day(store, due, is_due):
    org = SimpleNamespace(scenarios={"alpha": _sc("alpha", [])})
    _attempt(store, "alpha", 0.9, True, NOW - timedelta(days=7))
    _schedule(store, "alpha", due)
    assert queries.is_due(due, NOW) is is_due
    (row,) = queries.catalogue(org, store, "ann", now=NOW)
    assert row.status == ("due" if is_due else "passed")
    # the same figure on every screen: catalogue summary, progress headline and due list
    n = int(is_due)
    assert f"**{n}** due for re-practice" in catalogue_screen.summary([row])
    screen = progress_tab.progress_for(UIContext(org=org, store=store), "ann", now=NOW)
    assert f"**{n}** due for re-practice" in screen.headline
    assert f"**Due now: {n}**" in screen.due and screen.due_now == n
    assert ("- **Alpha**" in screen.due) is is_due  # listed under "Due now" only when it is due


# For you: a scenario role equals one of the learner's job roles, or contains their team's name as whole words.
@pytest.mark.parametrize("team,job_roles,scenario_roles,for_you", [
    ("Claims", [], ["claims-handler"], True),
    ("Claims", [], ["senior-claims-handler"], True),  # the team in the middle of the role
    ("Customer Support", [], ["customer-support-agent"], True),  # a team of two words
    ("Claims", [], ["claims"], True),
    ("Claims", [], ["reclaims-desk"], False),  # not a whole word
    ("Claims", [], ["claimsdesk"], False),
    ("Claims", [], ["underwriter", "finance"], False),
    (None, ["Customer Support"], ["customer-support"], True),  # job roles match exactly, after slugging
    (None, ["customer-support"], ["customer-support-lead"], False),
    (None, [], ["customer-support"], False),
])
def test_for_you(store, team, job_roles, scenario_roles, for_you):
    add_user(store, "bea", ["learner"], team=team, job_roles=job_roles)
    org = SimpleNamespace(scenarios={"alpha": _sc("alpha", scenario_roles),
                                     "aardvark": _sc("aardvark", ["nobody-else"])})
    rows = queries.catalogue(org, store, "bea", now=NOW)
    by_id = {r.scenario: r for r in rows}
    assert by_id["alpha"].for_you is for_you and not by_id["aardvark"].for_you
    assert rows[0].scenario == ("alpha" if for_you else "aardvark")  # for you first, else by title
    assert [r.scenario for r in queries.select(rows, mine_only=True)] == (["alpha"] if for_you else [])
    assert [r[0] for r in catalogue_screen.rows(rows)] == (["★", ""] if for_you else ["", ""])


# Status: new (never tried) / due / passed (passed once, not due) / tried (tried, never passed, not due).
@pytest.mark.parametrize("attempts,due,status", [
    ([], None, "new"),
    ([False], None, "tried"),
    ([False, False], NOW + timedelta(days=1), "tried"),
    ([False, True], NOW + timedelta(days=3), "passed"),
    ([True, False], NOW + timedelta(days=1), "passed"),  # passed once stays passed
    ([True], NOW - timedelta(days=1), "due"),  # due before passed
    ([False], NOW, "due"),  # due before tried
])
def test_status(store, attempts, due, status):
    org = SimpleNamespace(scenarios={"alpha": _sc("alpha", [])})
    for i, ok in enumerate(attempts):
        _attempt(store, "alpha", 1.0 if ok else 0.2, ok, NOW - timedelta(days=10 - i))
    if due is not None:
        _schedule(store, "alpha", due)
    (row,) = queries.catalogue(org, store, "ann", now=NOW)
    assert row.status == status and row.attempts == len(attempts)
    assert catalogue_screen.rows([row])[0][1] == catalogue_screen.STATUS[status]
    counts = queries.status_counts([row])
    assert counts[status] == 1 and sum(counts.values()) == 1


# Improved: tried twice or more, latest score above the first, compared in whole percentage points.
@pytest.mark.parametrize("scores,change", [
    ([0.4, 0.9], 50),
    ([0.9, 0.4], None),  # worse
    ([0.5], None),  # one attempt
    ([0.4, 1.0, 0.6], 20),  # latest against first, not the best
    ([0.5, 0.9, 0.5], None),  # back where it started
    ([0.801, 0.804], None),  # both read 80%: no change shown, so not improved
    ([0.794, 0.806], 2),  # 79% → 81%
])
def test_improved(store, scores, change):
    org = SimpleNamespace(scenarios={"alpha": _sc("alpha", [])})
    for i, s in enumerate(scores):
        _attempt(store, "alpha", s, s >= 0.8, NOW - timedelta(days=10 - i))
    p = queries.progress(org, store, "ann", now=NOW)
    if change is None:
        assert p.improved == []
    else:
        (imp,) = p.improved
        assert imp.change == change == queries.percent(scores[-1]) - queries.percent(scores[0])
        assert imp.first_score == scores[0] and imp.latest_score == scores[-1] and imp.attempts == len(scores)
    screen = progress_tab.progress_for(UIContext(org=org, store=store), "ann", now=NOW)
    assert len(screen.improved) == (0 if change is None else 1)


# Progress: per skill first, latest, best and change (latest − first, in whole points); the headline's counts.
@pytest.mark.parametrize("scores,first,latest,best,change", [
    ([0.3, 0.9], 0.3, 0.9, 0.9, 60),
    ([0.9, 1.0, 0.5], 0.9, 0.5, 1.0, -40),
    ([0.7], 0.7, 0.7, 0.7, 0),
])
def test_progress(store, scores, first, latest, best, change):
    org = SimpleNamespace(scenarios={"alpha": _sc("alpha", []), "bravo": _sc("bravo", [])})
    for i, s in enumerate(scores):
        _attempt(store, "alpha" if i % 2 == 0 else "bravo", s, s >= 0.8, NOW - timedelta(days=10 - i))
    p = queries.progress(org, store, "ann", now=NOW)
    (sk,) = p.skills
    assert (sk.first_score, sk.latest_score, sk.best_score, sk.change) == (first, latest, best, change)
    assert sk.attempts == p.n_attempts == len(scores)
    assert p.attempted_scenarios == len({i % 2 for i in range(len(scores))})
    assert p.passed_scenarios == len({i % 2 for i, s in enumerate(scores) if s >= 0.8})
    assert [a.score for a in p.attempts] == list(reversed(scores))  # newest first
    screen = progress_tab.progress_for(UIContext(org=org, store=store), "ann", now=NOW)
    assert screen.skills[0][-1] == ("—" if change == 0 else f"▲ +{change}%" if change > 0 else f"▼ {change}%")
    assert (f"**{len(scores)}** attempts on **{p.attempted_scenarios}** scenarios · "
            f"**{p.passed_scenarios}** passed") in screen.headline


# An ungraded attempt (a required part could not be checked) is neither passed nor "not yet": it waits for a mentor.
@pytest.mark.parametrize("passed,ungraded,shown", [
    (True, False, "✓ passed"), (False, False, "✗ not yet"), (False, True, "? waiting for a mentor")])
def test_attempt_result_shows_the_third_state(store, passed, ungraded, shown):
    org = SimpleNamespace(scenarios={"alpha": _sc("alpha", [])})
    _attempt(store, "alpha", 0.5, passed, NOW - timedelta(days=1))
    with store.write() as db:
        db.execute("UPDATE attempts SET ungraded = ?", [int(ungraded)])
    (row,) = queries.progress(org, store, "ann", now=NOW).attempts
    assert row.ungraded is ungraded
    screen = progress_tab.progress_for(UIContext(org=org, store=store), "ann", now=NOW)
    assert [a for a in screen.attempts if shown in a]
