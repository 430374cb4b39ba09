"""Just-in-time practice: a slip in real work this week puts the scenarios that train it at the top of that
learner's catalogue, marked "From your work this week: <entity type in words>" (never the text: none is stored).

A mark lasts until the learner has practised that scenario after the slip, or the slip is more than a week old.
Practice that follows such a mark counts as practice "in the moment" in Insights (`in_the_moment`).
Scenarios that declare `when:` (sparring/content/models.py) are marked "Tomorrow's work: <workflow>" on the
working day before, for learners whose roles they are for.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from ..store.db import iso, parse_iso
from .check import entity_words
from .events import SLIP_VERDICTS

WINDOW = timedelta(days=7)
MAX_MARKED = 3  # a slip naming a common entity (a person's name) maps to many scenarios: lead with a few
PREFIX = "From your work this week: "


def _slip_rows(store: Any, learner: str | None, since: datetime) -> list[dict[str, Any]]:
    marks = ",".join("?" * len(SLIP_VERDICTS))
    sql = (f"SELECT account, at, policy, findings, scenarios FROM real_work_events WHERE verdict IN ({marks}) "
           "AND at >= ?")
    params: list[Any] = [*SLIP_VERDICTS, iso(since)]
    if learner is not None:
        sql += " AND account = ?"
        params.append(learner)
    return store.query(sql + " ORDER BY at DESC, id DESC", params)


def _last_attempts(store: Any, learner: str) -> dict[str, datetime]:
    out: dict[str, datetime] = {}
    for r in store.query("SELECT scenario, MAX(submitted_at) AS last FROM attempts WHERE learner = ? "
                         "GROUP BY scenario", [learner]):
        last = parse_iso(r["last"])
        if last is not None:
            out[r["scenario"]] = last
    return out


def marks(org: Any, store: Any, learner: str, *, now: datetime | None = None,
          prefer: set[str] | None = None) -> dict[str, str]:
    """scenario id → its mark, for this learner now; at most MAX_MARKED, the scenarios in `prefer` (the learner's
    own roles) first, then the most recent slip first."""
    now = now or datetime.now(timezone.utc)
    done = _last_attempts(store, learner)
    found: dict[str, tuple[datetime, set[str]]] = {}
    for row in _slip_rows(store, learner, now - WINDOW):
        at = parse_iso(row["at"])
        if at is None:
            continue
        entities = set(json.loads(row["findings"] or "{}"))
        policy = org.policies.get(row["policy"])
        for sid in json.loads(row["scenarios"] or "[]"):
            if sid not in org.scenarios:
                continue
            last = done.get(sid)
            if last is not None and last >= at:
                continue  # practised since that slip
            seen = found.setdefault(sid, (at, set()))
            seen[1].update(entity_words(policy, e) for e in entities)
    pref = prefer or set()
    order = sorted(found, key=lambda s: (s not in pref, -found[s][0].timestamp(), s))
    out = {sid: PREFIX + ", ".join(sorted(found[sid][1])) for sid in order[:MAX_MARKED]}
    # then the learner's own scenarios whose workflow happens on the next working day (`when:` in the YAML)
    for sid in sorted(pref):
        sc = org.scenarios.get(sid)
        when = getattr(sc, "when", None)
        if sid not in out and when is not None and when.surfaces_on(now.date()):
            out[sid] = f"Tomorrow's work: {sc.workflow}"
    return out


def in_the_moment(store: Any, *, since: str | None = None) -> int:
    """Attempts made within a week after a real-work slip that pointed the learner at that scenario."""
    slips = _slip_rows(store, None, datetime(1970, 1, 1, tzinfo=timezone.utc))
    pointed: dict[tuple[str, str], list[datetime]] = {}
    for r in slips:
        at = parse_iso(r["at"])
        if at is not None:
            for sid in json.loads(r["scenarios"] or "[]"):
                pointed.setdefault((r["account"], sid), []).append(at)
    if not pointed:
        return 0
    sql, params = "SELECT learner, scenario, submitted_at FROM attempts", []
    if since:
        sql, params = sql + " WHERE submitted_at >= ?", [since]
    n = 0
    for a in store.query(sql, params):
        when = parse_iso(a["submitted_at"])
        ats = pointed.get((a["learner"], a["scenario"]))
        if when is not None and ats and any(t <= when <= t + WINDOW for t in ats):
            n += 1
    return n
