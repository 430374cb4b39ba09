"""Read the store into the frames the metrics work on. One SQL query per table, typed once; the metrics then
slice these frames in memory (200 learners x 12 weeks is a few thousand rows: pandas does it in milliseconds)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .metrics import attempts_frame

ATTEMPTS_SQL = """
SELECT a.id, a.learner, u.team AS team, u.job_roles AS job_roles, a.roles AS roles, a.scenario, a.kind, a.skills,
       a.submitted_at, a.score, a.passed, a.blocked, a.duration_s, a.decision, a.confidence
FROM attempts a LEFT JOIN users u ON u.name = a.learner
ORDER BY a.submitted_at, a.id
"""


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


def expected_decisions(org: Any) -> dict[str, str]:
    """scenario id → the expert's decision, for trust scenarios of the organisation."""
    out = {}
    for sid, sc in (getattr(org, "scenarios", None) or {}).items():
        dec = getattr(sc, "decision", None)
        if dec is not None:
            out[sid] = dec.expected
    return out


def load(store: Any, org: Any = None) -> Frames:
    """All attempts (with the learner's team, job role and start month) and all findings."""
    rows = store.query(ATTEMPTS_SQL)
    df = pd.DataFrame(rows)
    if df.empty:
        df = pd.DataFrame(columns=["id", "learner", "team", "job_roles", "roles", "scenario", "kind", "skills",
                                   "submitted_at", "score", "passed", "blocked", "duration_s", "decision",
                                   "confidence"])
    df["skills"] = df["skills"].map(lambda s: json.loads(s) if s else [])
    # The learner's job role: from their account, else the role of the scenarios they practise.
    df["job_role"] = df["job_roles"].map(_first).fillna(df["roles"].map(_first))
    expected = expected_decisions(org) if org is not None else {}
    df["expected"] = df["scenario"].map(expected)
    frame = attempts_frame(df.drop(columns=["job_roles", "roles"]))
    findings = pd.DataFrame(store.query("SELECT attempt_id, entity, action FROM findings"),
                            columns=["attempt_id", "entity", "action"])
    return Frames(frame, findings)


def agreement_rows(store: Any) -> list[dict[str, Any]]:
    """(scenario, criterion, auto, mentor) for every criterion a mentor graded (see sparring.review)."""
    return store.query("""
        SELECT a.scenario, o.criterion, o.auto_passed, o.mentor_passed
        FROM overrides o JOIN attempts a ON a.id = o.attempt_id
        ORDER BY a.scenario, o.criterion, o.id""")
