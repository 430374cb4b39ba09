"""Read the store into the frames the metrics work on. One SQL query per table, typed once; the metrics then
slice these frames in memory (200 learners x 12 weeks is a few thousand rows: pandas does it in milliseconds)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..organisation import Organisation
from .metrics import attempts_frame

ATTEMPTS_SQL = """
SELECT a.id, a.learner, u.team AS team, u.job_roles AS job_roles, a.roles AS roles, a.scenario, a.kind, a.skills,
       a.submitted_at, a.score, a.passed, a.blocked, a.duration_s, a.decision, a.confidence,
       a.gaming, a.ungraded
FROM attempts a LEFT JOIN users u ON u.name = a.learner
ORDER BY a.submitted_at, a.id
"""


ATTEMPT_COLUMNS = ["id", "learner", "team", "job_roles", "roles", "scenario", "kind", "skills", "submitted_at",
                   "score", "passed", "blocked", "duration_s", "decision", "confidence", "gaming", "ungraded"]


@dataclass
class Frames:
    attempts: pd.DataFrame
    findings: pd.DataFrame


def _first(js: str | None) -> str | None:
    try:
        v = json.loads(js) if js else []
    except ValueError:
        return None
    return v[0] if isinstance(v, list) and v else None


def _codes(js: str | None) -> list[str]:
    try:
        v = json.loads(js) if js else []
    except ValueError:
        return []
    return [str(c) for c in v] if isinstance(v, list) else []


def expected_decisions(org: Organisation) -> dict[str, str]:
    """scenario id → the expert's decision, for trust scenarios of the organisation."""
    out = {}
    for sid, sc in (getattr(org, "scenarios", None) or {}).items():
        dec = getattr(sc, "decision", None)
        if dec is not None:
            out[sid] = dec.expected
    return out


def _rows(store: Any, sql: str, columns: list[str]) -> pd.DataFrame:
    """A query as a frame, from the cursor's tuples (building a dict per row first costs more than the query)."""
    cur = store.db.execute(sql)
    names = [d[0] for d in cur.description] if cur.description else columns
    return pd.DataFrame.from_records(cur.fetchall(), columns=names)


def _parsed(col: pd.Series, parse: Any) -> pd.Series:
    # A few distinct JSON texts repeat over thousands of attempts (a scenario's skills, a user's roles): parse each
    # distinct text once.
    seen = {v: parse(v) for v in col.dropna().unique()}
    return col.map(seen)


def load(store: Any, org: Organisation | None = None) -> Frames:
    """All attempts (with the learner's team, job role and start month) and all findings."""
    df = _rows(store, ATTEMPTS_SQL, ATTEMPT_COLUMNS)
    skills = _parsed(df["skills"], lambda s: json.loads(s) if s else [])
    df["skills"] = pd.Series([v if isinstance(v, list) else [] for v in skills], index=df.index, dtype=object)
    # Anti-gaming signal codes (sparring/gaming.py), stored per attempt as a JSON list; "[]" for almost all.
    codes = _parsed(df["gaming"], _codes)
    df["gaming"] = pd.Series([v if isinstance(v, list) else [] for v in codes], index=df.index, dtype=object)
    # The learner's job role: from their account, else the role of the scenarios they practise.
    df["job_role"] = _parsed(df["job_roles"], _first).fillna(_parsed(df["roles"], _first))
    expected = expected_decisions(org) if org is not None else {}
    df["expected"] = df["scenario"].map(expected)
    frame = attempts_frame(df.drop(columns=["job_roles", "roles"]))
    findings = _rows(store, "SELECT attempt_id, entity, action FROM findings", ["attempt_id", "entity", "action"])
    return Frames(frame, findings)


def agreement_rows(store: Any) -> list[dict[str, Any]]:
    """(scenario, criterion, auto, mentor) for every criterion a mentor graded (see sparring.review), except
    those the machine could not check (`ungraded`): there the mentor's grade is the only one, so it says nothing
    about agreement."""
    return store.query("""
        SELECT a.scenario, o.criterion, o.auto_passed, o.mentor_passed
        FROM overrides o JOIN attempts a ON a.id = o.attempt_id
        LEFT JOIN criterion_results c ON c.attempt_id = o.attempt_id AND c.criterion = o.criterion
        WHERE COALESCE(c.ungraded, 0) = 0
        ORDER BY a.scenario, o.criterion, o.id""")
