"""The read model: every figure a learner's screens show, computed here once (docs/metrics.md, "The learner's
screens").

The catalogue (status, due, for you), the progress view (skills, what improved, due for re-practice, the
headline counts) and one attempt in detail. Each returns typed rows (pydantic); the UI formats them and never
writes SQL or a rule of its own, so the catalogue's and the progress view's "due" are the same figure.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from .db import Store, loads, parse_iso
from .users import User, get_user

if TYPE_CHECKING:  # only named for the checker: sparring.organisation imports this layer
    from ..organisation import Organisation

Status = Literal["new", "due", "tried", "passed"]
STATUS_ORDER: dict[str, int] = {"due": 0, "new": 1, "tried": 2, "passed": 3}


# ------------------------------------------------------------------------------------------------ rules


def is_due(due: datetime | None, now: datetime) -> bool:
    """Due for re-practice: the scheduled date, as a calendar day in UTC, is today or earlier. A learner reads
    "next re-practice: 2 May" and expects it in the list all of 2 May, not from the hour the scheduler chose."""
    if due is None:
        return False
    return due.astimezone(timezone.utc).date() <= now.astimezone(timezone.utc).date()


def slug(s: str) -> str:
    """Lower case, every run of other characters one hyphen: "Customer Support" → customer-support."""
    return "-".join("".join(c if c.isalnum() else " " for c in s.casefold()).split())


def is_for(user: User | None, scenario_roles: list[str]) -> bool:
    """A scenario is for the learner when one of its roles is one of their job roles, or contains their team's
    name as whole words: team "Claims" → claims-handler and senior-claims-handler; team "Customer Support" →
    customer-support-agent; never "claimsdesk" or "reclaims"."""
    if user is None:
        return False
    mine = {slug(r) for r in user.job_roles}
    team = slug(user.team) if user.team else ""
    for role in scenario_roles:
        r = slug(role)
        if r in mine or (team and f"-{team}-" in f"-{r}-"):
            return True
    return False


def percent(score: float) -> int:
    """A score in whole percentage points, as screens show it: changes are compared in these, so a change that
    reads "—" never counts as an improvement."""
    return round(score * 100)


def _when(s: str | None) -> datetime | None:
    try:
        return parse_iso(s)
    except (TypeError, ValueError):  # a hand-edited row shows without a date rather than breaking the screen
        return None


def _list(s: str | None) -> list[Any]:
    try:
        v = loads(s, [])
    except (TypeError, ValueError):
        return []
    return v if isinstance(v, list) else []


# ------------------------------------------------------------------------------------------- catalogue


class CatalogueRow(BaseModel):
    scenario: str = Field(description="Scenario id.")
    title: str = Field(description="The scenario's title.")
    kind: str = Field(description="frame, spot or trust.")
    roles: list[str] = Field(description="The scenario's roles.")
    skills: list[str] = Field(description="The skills it practises.")
    workflow: str = Field(description="The workflow it belongs to.")
    minutes: int = Field(description="Expected minutes.")
    difficulty: str = Field(description="The scenario's difficulty.")
    for_you: bool = Field(description="is_for(): one of its roles is the learner's job role or names their team.")
    status: Status = Field(description="new: never tried; due: is_due(); passed: passed once and not due; tried: "
                          "tried, never passed, not due.")
    attempts: int = Field(description="The learner's attempts at it.")
    best_score: float | None = Field(description="Their best score, None before the first attempt.")
    passed_ever: bool = Field(description="Whether any attempt passed.")
    due: datetime | None = Field(description="The next re-practice date from the schedule.")
    last_attempt: datetime | None = Field(description="When they last submitted an answer.")
    reason: str | None = Field(default=None, description="\"From your work this week: ...\" when a slip in real "
                               "work made it come first (sparring/gateway/just_in_time.py).")


def catalogue(org: Any, store: Store, learner: str, *, now: datetime | None = None) -> list[CatalogueRow]:
    """Every scenario with the learner's status: theirs first, then due (most overdue first), new, tried,
    passed; within a status the shorter first, then by title."""
    now = now or datetime.now(timezone.utc)
    stats = {r["scenario"]: r for r in store.query(
        "SELECT scenario, COUNT(*) AS n, MAX(score) AS best, MAX(passed) AS passed, MAX(submitted_at) AS last "
        "FROM attempts WHERE learner = ? GROUP BY scenario", [learner])}
    due = {r["scenario"]: _when(r["due"]) for r in store.query(
        "SELECT scenario, due FROM schedule WHERE learner = ?", [learner])}
    user = get_user(store, learner)
    rows = []
    for sc in org.scenarios.values():
        st = stats.get(sc.id)
        d = due.get(sc.id)
        status: Status
        if st is None:
            status = "new"
        elif is_due(d, now):
            status = "due"
        elif st["passed"]:
            status = "passed"
        else:
            status = "tried"
        rows.append(CatalogueRow(
            scenario=sc.id, title=sc.title, kind=sc.kind, roles=list(sc.roles), skills=list(sc.skills),
            workflow=sc.workflow, minutes=sc.minutes, difficulty=sc.difficulty, for_you=is_for(user, sc.roles),
            status=status, attempts=st["n"] if st else 0, best_score=st["best"] if st else None,
            passed_ever=bool(st and st["passed"]), due=d, last_attempt=_when(st["last"]) if st else None))
    from ..gateway.just_in_time import marks

    # a slip in real work this week puts the scenarios that train it first (docs/authoring.md, just-in-time)
    jit = marks(org, store, learner, now=now, prefer={r.scenario for r in rows if r.for_you})
    for r in rows:
        r.reason = jit.get(r.scenario)
    rows.sort(key=lambda r: (r.reason is None, not r.for_you, STATUS_ORDER[r.status], (r.due or now) if r.status == "due" else now,
                             r.minutes, r.title.casefold()))
    return rows


def select(rows: list[CatalogueRow], *, skill: str | None = None, workflow: str | None = None,
           max_minutes: int | None = None, kind: str | None = None, mine_only: bool = False) -> list[CatalogueRow]:
    """The catalogue rows that match every filter given (None: any), in the catalogue's order."""
    return [r for r in rows
            if (not skill or skill in r.skills) and (not workflow or r.workflow == workflow)
            and (max_minutes is None or r.minutes <= max_minutes) and (not kind or r.kind == kind)
            and (not mine_only or r.for_you)]


def status_counts(rows: list[CatalogueRow]) -> dict[str, int]:
    """How many scenarios have each status; counts["due"] is the due figure every screen shows."""
    return {s: sum(1 for r in rows if r.status == s) for s in STATUS_ORDER}


# ------------------------------------------------------------------------------------------- progress


class AttemptRow(BaseModel):
    id: int = Field(description="Attempt id.")
    scenario: str = Field(description="Scenario id.")
    kind: str = Field(description="frame, spot or trust.")
    submitted_at: datetime | None = Field(description="When it was submitted (UTC).")
    passed: bool = Field(description="Whether it passed.")
    ungraded: bool = Field(default=False, description="A required part could not be checked: neither passed nor "
                           "failed until a mentor grades it (sparring/grading/verdict.py).")
    score: float = Field(description="Score 0..1.")
    verdict: str | None = Field(description="The policy verdict of the learner's text.")
    blocked: bool = Field(description="Blocked by the data-sharing policy.")
    skills: list[str] = Field(description="The skills it practised (copied at the time).")
    gaming: list[str] = Field(description="Anti-gaming signal codes.")


class SkillProgress(BaseModel):
    skill: str = Field(description="Skill id.")
    attempts: int = Field(description="Attempts that practised it.")
    first_score: float = Field(description="Score of the first of them.")
    latest_score: float = Field(description="Score of the latest.")
    best_score: float = Field(description="Best score.")
    change: int = Field(description="percent(latest) − percent(first), in whole percentage points.")
    points: list[tuple[datetime | None, float]] = Field(description="(submitted_at, score), oldest first: the "
                                                        "'over time' chart.")


class Improvement(BaseModel):
    scenario: str = Field(description="Scenario id.")
    title: str = Field(description="Its title (the id when the scenario is no longer served).")
    attempts: int = Field(description="The learner's attempts at it.")
    first_score: float = Field(description="Score of the first attempt.")
    latest_score: float = Field(description="Score of the latest attempt.")
    change: int = Field(description="percent(latest) − percent(first); always > 0 here.")


class Progress(BaseModel):
    learner: str = Field(description="Whose progress (always the signed-in learner's own).")
    n_attempts: int = Field(description="All their attempts.")
    attempts: list[AttemptRow] = Field(description="The most recent attempts, newest first.")
    skills: list[SkillProgress] = Field(description="Per skill, by skill id.")
    improved: list[Improvement] = Field(description="Scenarios tried twice or more whose latest score is above the "
                                        "first (in whole points), in the order first tried.")
    passed_scenarios: int = Field(description="Scenarios with at least one passing attempt.")
    attempted_scenarios: int = Field(description="Scenarios with at least one attempt.")
    due: list[CatalogueRow] = Field(description="Scenarios with a re-practice date: due ones first, then soonest.")
    due_now: int = Field(description="How many are due (status 'due'): the same figure as the catalogue's.")


def _attempt_row(r: dict[str, Any]) -> AttemptRow:
    return AttemptRow(id=r["id"], scenario=r["scenario"], kind=r["kind"], submitted_at=_when(r["submitted_at"]),
                      passed=bool(r["passed"]), ungraded=bool(r.get("ungraded")), score=float(r["score"]),
                      verdict=r["verdict"], blocked=bool(r["blocked"]), skills=[s for s in _list(r["skills"]) if isinstance(s, str)],
                      gaming=[s for s in _list(r["gaming"]) if isinstance(s, str)])


_ATTEMPT_COLS = "id, scenario, kind, submitted_at, passed, ungraded, score, verdict, blocked, skills, gaming"


def progress(org: Any, store: Store, learner: str, *, now: datetime | None = None, recent: int = 50) -> Progress:
    """The learner's progress view: skills over time, what improved, what is due, the headline counts."""
    rows = [_attempt_row(r) for r in store.query(
        f"SELECT {_ATTEMPT_COLS} FROM attempts WHERE learner = ? ORDER BY submitted_at, id", [learner])]
    by_skill: dict[str, list[AttemptRow]] = {}
    by_scenario: dict[str, list[float]] = {}
    for a in rows:
        for s in a.skills:
            by_skill.setdefault(s, []).append(a)
        by_scenario.setdefault(a.scenario, []).append(a.score)
    skills = []
    for s, items in sorted(by_skill.items()):
        scores = [a.score for a in items]
        skills.append(SkillProgress(skill=s, attempts=len(items), first_score=scores[0], latest_score=scores[-1],
                                    best_score=max(scores), change=percent(scores[-1]) - percent(scores[0]),
                                    points=[(a.submitted_at, a.score) for a in items]))
    titles = {sid: sc.title for sid, sc in org.scenarios.items()}
    improved = [Improvement(scenario=sid, title=titles.get(sid, sid), attempts=len(v), first_score=v[0],
                            latest_score=v[-1], change=percent(v[-1]) - percent(v[0]))
                for sid, v in by_scenario.items() if len(v) > 1 and percent(v[-1]) > percent(v[0])]
    cat = catalogue(org, store, learner, now=now)
    far = datetime.max.replace(tzinfo=timezone.utc)
    due = sorted((r for r in cat if r.due is not None), key=lambda r: (r.status != "due", r.due or far))
    return Progress(learner=learner, n_attempts=len(rows), attempts=list(reversed(rows))[:recent], skills=skills,
                    improved=improved, passed_scenarios=len({a.scenario for a in rows if a.passed}),
                    attempted_scenarios=len(by_scenario), due=due, due_now=status_counts(cat)["due"])


# ------------------------------------------------------------------------------------------- one attempt


class CriterionRow(BaseModel):
    criterion: str
    check: str | None
    passed: bool
    ungraded: bool = False
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
    submitted_at: datetime | None
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
    crit = store.query('SELECT criterion, "check", passed, ungraded, score, required, weight, feedback FROM criterion_results '
                       "WHERE attempt_id = ? ORDER BY rowid", [attempt_id])
    finds = store.query('SELECT entity, action, rule, score, start, "end" FROM findings WHERE attempt_id = ? '
                        "ORDER BY start", [attempt_id])
    return AttemptDetail(
        id=r["id"], learner=r["learner"], scenario=r["scenario"], kind=r["kind"],
        submitted_at=parse_iso(r["submitted_at"]), started_at=parse_iso(r["started_at"]), duration_s=r["duration_s"],
        passed=bool(r["passed"]), score=r["score"], verdict=r["verdict"], blocked=bool(r["blocked"]),
        assistant_status=r["assistant_status"], answer=loads(r["answer"], {}), grade=loads(r["grade"], {}),
        gaming=loads(r["gaming"], []),
        criteria=[CriterionRow(**{**c, "passed": bool(c["passed"]), "ungraded": bool(c["ungraded"]),
                                   "required": bool(c["required"])}) for c in crit],
        findings=[FindingRow(**f) for f in finds])
