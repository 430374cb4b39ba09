"""Read-only queries the UI renders: the learner's catalogue, their progress, one attempt in detail.

Each returns typed rows (pydantic); the UI formats them and never writes SQL of its own.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel

from .db import Store, loads, parse_iso
from .users import get_user

Status = Literal["new", "due", "retry", "passed"]
STATUS_ORDER = {"due": 0, "new": 1, "retry": 2, "passed": 3}


class CatalogueRow(BaseModel):
    scenario: str
    title: str
    kind: str
    roles: list[str]
    skills: list[str]
    workflow: str
    minutes: int
    difficulty: str
    for_you: bool  # one of the scenario's roles is one of the learner's (job roles, or team name)
    status: Status  # new: never tried; due: re-practice scheduled for today or earlier; retry: tried, not passed yet;
    #                 passed: passed and not due
    attempts: int
    best_score: float | None
    passed_ever: bool
    due: datetime | None
    last_attempt: datetime | None
    reason: str | None = None  # "From your work this week: ..." (sparring/gateway/just_in_time.py): comes first


def _slug(s: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in s.casefold()).split())


def learner_roles(store: Store, learner: str) -> set[str]:
    u = get_user(store, learner)
    if u is None:
        return set()
    roles = {_slug(r) for r in u.job_roles}
    if u.team:
        roles.add(_slug(u.team))
    return roles


def _for_you(scenario_roles: list[str], mine: set[str]) -> bool:
    # A team name also matches roles that start with it: team "Claims" → claims-handler.
    return any(r in mine or any(r.startswith(m + "-") for m in mine) for r in scenario_roles)


def catalogue(org: Any, store: Store, learner: str, *, now: datetime | None = None, skill: str | None = None,
              workflow: str | None = None, max_minutes: int | None = None, kind: str | None = None) -> list[CatalogueRow]:
    """Every scenario with the learner's status, their roles' scenarios first, then due, new, retry, passed."""
    now = now or datetime.now(timezone.utc)
    stats = {r["scenario"]: r for r in store.query(
        "SELECT scenario, COUNT(*) AS n, MAX(score) AS best, MAX(passed) AS passed, MAX(submitted_at) AS last "
        "FROM attempts WHERE learner = ? GROUP BY scenario", [learner])}
    due = {r["scenario"]: parse_iso(r["due"]) for r in store.query(
        "SELECT scenario, due FROM schedule WHERE learner = ?", [learner])}
    mine = learner_roles(store, learner)
    rows = []
    for sc in org.scenarios.values():
        if skill and skill not in sc.skills:
            continue
        if workflow and workflow != sc.workflow:
            continue
        if max_minutes and sc.minutes > max_minutes:
            continue
        if kind and sc.kind != kind:
            continue
        st = stats.get(sc.id)
        d = due.get(sc.id)
        if st is None:
            status: Status = "new"
        elif d is not None and d.date() <= now.date():  # due today (UTC day) or overdue
            status = "due"
        elif st["passed"]:
            status = "passed"
        else:
            status = "retry"
        rows.append(CatalogueRow(
            scenario=sc.id, title=sc.title, kind=sc.kind, roles=sc.roles, skills=sc.skills, workflow=sc.workflow,
            minutes=sc.minutes, difficulty=sc.difficulty, for_you=_for_you(sc.roles, mine), status=status,
            attempts=st["n"] if st else 0, best_score=st["best"] if st else None,
            passed_ever=bool(st and st["passed"]), due=d, last_attempt=parse_iso(st["last"]) if st else None))
    from ..gateway.just_in_time import marks

    jit = marks(org, store, learner, now=now, prefer={r.scenario for r in rows if r.for_you})
    for r in rows:
        r.reason = jit.get(r.scenario)
    rows.sort(key=lambda r: (r.reason is None, not r.for_you, STATUS_ORDER[r.status], r.due or now, r.title))
    return rows


def due_today(org: Any, store: Store, learner: str, *, now: datetime | None = None) -> list[CatalogueRow]:
    return [r for r in catalogue(org, store, learner, now=now) if r.status == "due"]


# ------------------------------------------------------------------------------------------- progress


class AttemptRow(BaseModel):
    id: int
    scenario: str
    kind: str
    submitted_at: datetime
    passed: bool
    score: float
    verdict: str | None
    blocked: bool
    skills: list[str]
    gaming: list[str]


class SkillProgress(BaseModel):
    skill: str
    attempts: int
    first_score: float
    latest_score: float
    best_score: float
    change: float  # mean of the latest (up to 3, at most half) attempts minus mean of as many first ones
    points: list[tuple[datetime, float]]  # (submitted_at, score), oldest first: the "over time" line


class Improvement(BaseModel):
    scenario: str
    criterion: str
    failed_at: datetime
    passed_at: datetime


class Progress(BaseModel):
    learner: str
    attempts: list[AttemptRow]  # newest first
    skills: list[SkillProgress]
    improved: list[Improvement]  # criteria failed earlier and passed on the latest attempt of that scenario
    passed_scenarios: int
    attempted_scenarios: int


def _attempt_row(r: dict) -> AttemptRow:
    return AttemptRow(id=r["id"], scenario=r["scenario"], kind=r["kind"], submitted_at=parse_iso(r["submitted_at"]),
                      passed=bool(r["passed"]), score=r["score"], verdict=r["verdict"], blocked=bool(r["blocked"]),
                      skills=loads(r["skills"], []), gaming=loads(r["gaming"], []))


def attempts_of(store: Store, learner: str, scenario: str | None = None, limit: int = 200) -> list[AttemptRow]:
    sql = ("SELECT id, scenario, kind, submitted_at, passed, score, verdict, blocked, skills, gaming FROM attempts "
           "WHERE learner = ?" + (" AND scenario = ?" if scenario else "") + " ORDER BY id DESC LIMIT ?")
    params = [learner] + ([scenario] if scenario else []) + [limit]
    return [_attempt_row(r) for r in store.query(sql, params)]


def progress(store: Store, learner: str) -> Progress:
    rows = [_attempt_row(r) for r in store.query(
        "SELECT id, scenario, kind, submitted_at, passed, score, verdict, blocked, skills, gaming FROM attempts "
        "WHERE learner = ? ORDER BY id", [learner])]
    by_skill: dict[str, list[AttemptRow]] = {}
    for a in rows:
        for s in a.skills:
            by_skill.setdefault(s, []).append(a)
    skills = []
    for s, items in sorted(by_skill.items()):
        scores = [a.score for a in items]
        k = max(1, min(3, len(scores) // 2))  # windows never overlap, so one early and one late attempt compare
        head, tail = scores[:k], scores[-k:]
        skills.append(SkillProgress(skill=s, attempts=len(items), first_score=scores[0], latest_score=scores[-1],
                                    best_score=max(scores), change=sum(tail) / len(tail) - sum(head) / len(head),
                                    points=[(a.submitted_at, a.score) for a in items]))
    improved = _improvements(store, learner)
    passed = {a.scenario for a in rows if a.passed}
    return Progress(learner=learner, attempts=list(reversed(rows))[:200], skills=skills, improved=improved,
                    passed_scenarios=len(passed), attempted_scenarios=len({a.scenario for a in rows}))


def _improvements(store: Store, learner: str) -> list[Improvement]:
    rows = store.query(
        "SELECT a.id, a.scenario, a.submitted_at, c.criterion, c.passed FROM attempts a "
        "JOIN criterion_results c ON c.attempt_id = a.id WHERE a.learner = ? ORDER BY a.id", [learner])
    latest: dict[str, int] = {}
    for r in rows:
        latest[r["scenario"]] = r["id"]
    first_fail: dict[tuple[str, str], str] = {}
    out = []
    for r in rows:
        key = (r["scenario"], r["criterion"])
        if not r["passed"]:
            first_fail.setdefault(key, r["submitted_at"])
        elif r["id"] == latest[r["scenario"]] and key in first_fail:
            out.append(Improvement(scenario=r["scenario"], criterion=r["criterion"],
                                   failed_at=parse_iso(first_fail[key]), passed_at=parse_iso(r["submitted_at"])))
    return out


# ------------------------------------------------------------------------------------------- one attempt


class CriterionRow(BaseModel):
    criterion: str
    check: str | None
    passed: bool
    score: float
    required: bool
    weight: float
    feedback: str | None


class FindingRow(BaseModel):
    entity: str
    action: str
    rule: str | None
    score: float | None
    start: int | None
    end: int | None


class AttemptDetail(BaseModel):
    id: int
    learner: str
    scenario: str
    kind: str
    submitted_at: datetime
    started_at: datetime | None
    duration_s: float | None
    passed: bool
    score: float
    verdict: str | None
    blocked: bool
    assistant_status: str | None
    answer: dict  # redacted
    grade: dict  # GradeResult.public(), redacted
    gaming: list[str]
    criteria: list[CriterionRow]
    findings: list[FindingRow]


def attempt_detail(store: Store, attempt_id: int, learner: str | None = None) -> AttemptDetail | None:
    """One stored attempt; with `learner`, None unless it is theirs (a learner sees only their own)."""
    r = store.one("SELECT * FROM attempts WHERE id = ?", [attempt_id])
    if r is None or (learner is not None and r["learner"] != learner):
        return None
    crit = store.query('SELECT criterion, "check", passed, score, required, weight, feedback FROM criterion_results '
                       "WHERE attempt_id = ? ORDER BY rowid", [attempt_id])
    finds = store.query('SELECT entity, action, rule, score, start, "end" FROM findings WHERE attempt_id = ? '
                        "ORDER BY start", [attempt_id])
    return AttemptDetail(
        id=r["id"], learner=r["learner"], scenario=r["scenario"], kind=r["kind"],
        submitted_at=parse_iso(r["submitted_at"]), started_at=parse_iso(r["started_at"]), duration_s=r["duration_s"],
        passed=bool(r["passed"]), score=r["score"], verdict=r["verdict"], blocked=bool(r["blocked"]),
        assistant_status=r["assistant_status"], answer=loads(r["answer"], {}), grade=loads(r["grade"], {}),
        gaming=loads(r["gaming"], []),
        criteria=[CriterionRow(**{**c, "passed": bool(c["passed"]), "required": bool(c["required"])}) for c in crit],
        findings=[FindingRow(**f) for f in finds])
