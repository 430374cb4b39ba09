"""Mentors in the loop: a learner asks for review of an attempt; a mentor comments and may override criteria.

What a person types here (the learner's question, the mentor's comment) is stored only after
`sparring.policy.redact_for_storage`, like every other free text. When a mentor answers, their grade for EVERY
criterion of the attempt is recorded in `overrides` (auto_passed, mentor_passed): a criterion left as the machine
graded it is an agreement, a changed one an override. That is what grader agreement (percent and Cohen's kappa
per scenario and criterion) is computed from, so authors can see which rubric lines disagree with experts.
The automatic grade of the attempt itself is never rewritten: the mentor's view is shown next to it.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from .insights.metrics import grader_agreement
from .organisation import Organisation
from .store.db import iso, loads, now_utc

MAX_TEXT = 4000


class ReviewError(ValueError):
    """A review request or answer that cannot be accepted; the message says what to do."""


class CriterionView(BaseModel):
    criterion: str
    check: str | None = None
    auto_passed: bool
    score: float
    required: bool = False
    feedback: str | None = None
    mentor_passed: bool | None = Field(None, description="The mentor's grade, once answered.")


class ReviewView(BaseModel):
    id: int
    attempt_id: int
    learner: str
    scenario: str
    kind: str
    submitted_at: str | None
    score: float
    passed: bool
    answer: dict[str, Any] = Field(description="The attempt's answer as stored (redacted).")
    question: str | None
    status: str
    mentor: str | None = None
    comment: str | None = None
    created_at: str
    answered_at: str | None = None
    criteria: list[CriterionView] = Field(default_factory=list)
    gaming: list[str] = Field(default_factory=list, description="The attempt's anti-gaming signal codes "
                              "(sparring.gaming.GAMING_SIGNALS): shown to the mentor, never a verdict.")

    @property
    def overridden(self) -> list[str]:
        return [c.criterion for c in self.criteria if c.mentor_passed is not None and c.mentor_passed != c.auto_passed]


def _redact(org: Organisation, scenario_id: str | None, text: str) -> str:
    from .policy import redact_for_storage

    policy = None
    sc = (getattr(org, "scenarios", None) or {}).get(scenario_id) if scenario_id else None
    if sc is not None:
        policy = getattr(sc, "policy", None)
    return redact_for_storage(org, policy, text)


def _clean(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise ReviewError(f"the {what} is {len(text):,} characters; keep it under {MAX_TEXT:,}")
    return text


def request_review(org: Organisation, store: Any, attempt_id: int, learner: str, question: str) -> int:
    """Ask a mentor to look at one of your own attempts. Returns the review id."""
    question = _clean(question, "question")
    if not question:
        raise ReviewError("write a question for the mentor: what do you want them to look at?")
    att = store.one("SELECT id, learner, scenario FROM attempts WHERE id = ?", [int(attempt_id)])
    if att is None or att["learner"] != learner:
        # Same message for "not yours" and "does not exist": a learner cannot probe other people's attempt ids.
        raise ReviewError(f"you have no attempt #{attempt_id}; pick one from your own attempts")
    if store.one("SELECT id FROM reviews WHERE attempt_id = ? AND status = 'open'", [int(attempt_id)]):
        raise ReviewError(f"attempt #{attempt_id} is already waiting for a mentor; you will see the reply in "
                          "your progress view")
    stored = _redact(org, att["scenario"], question)
    with store.write() as db:
        cur = db.execute("INSERT INTO reviews (attempt_id, learner, question, status, created_at) "
                         "VALUES (?, ?, ?, 'open', ?)", [int(attempt_id), learner, stored, iso(now_utc())])
        return int(cur.lastrowid)


def queue(store: Any, status: str = "open", limit: int = 200) -> list[dict[str, Any]]:
    """Reviews waiting for a mentor (oldest first), or answered ones (newest first)."""
    order = "r.created_at ASC" if status == "open" else "r.answered_at DESC"
    return store.query(f"""
        SELECT r.id, r.attempt_id, r.learner, a.scenario, a.kind, a.score, a.passed, a.gaming, r.question,
               r.status, r.mentor, r.created_at, r.answered_at
        FROM reviews r JOIN attempts a ON a.id = r.attempt_id
        WHERE r.status = ? ORDER BY {order} LIMIT ?""", [status, int(limit)])


def get_review(store: Any, review_id: int) -> ReviewView:
    r = store.one("""
        SELECT r.*, a.scenario, a.kind, a.submitted_at, a.score, a.passed, a.answer, a.gaming
        FROM reviews r JOIN attempts a ON a.id = r.attempt_id WHERE r.id = ?""", [int(review_id)])
    if r is None:
        raise ReviewError(f"there is no review #{review_id}; reload the queue")
    mentor = {o["criterion"]: bool(o["mentor_passed"]) for o in
              store.query("SELECT criterion, mentor_passed FROM overrides WHERE review_id = ? ORDER BY id",
                          [int(review_id)])}
    crits = [CriterionView(criterion=c["criterion"], check=c["check"], auto_passed=bool(c["passed"]),
                           score=float(c["score"]), required=bool(c["required"]), feedback=c["feedback"],
                           mentor_passed=mentor.get(c["criterion"]))
             for c in store.query("SELECT * FROM criterion_results WHERE attempt_id = ? ORDER BY rowid",
                                  [r["attempt_id"]])]
    try:
        answer = loads(r["answer"], {})
    except json.JSONDecodeError:
        answer = {}
    return ReviewView(id=r["id"], attempt_id=r["attempt_id"], learner=r["learner"], scenario=r["scenario"],
                      kind=r["kind"], submitted_at=r["submitted_at"], score=float(r["score"]),
                      passed=bool(r["passed"]), answer=answer if isinstance(answer, dict) else {},
                      question=r["question"], status=r["status"], mentor=r["mentor"], comment=r["comment"],
                      created_at=r["created_at"], answered_at=r["answered_at"], criteria=crits,
                      gaming=signal_codes(r["gaming"]))


def signal_codes(stored: str | None) -> list[str]:
    """The attempt's stored signal codes (a JSON list); an unreadable value shows as none, not as an error."""
    try:
        codes = loads(stored, [])
    except json.JSONDecodeError:
        return []
    return [c for c in codes if isinstance(c, str)] if isinstance(codes, list) else []


def answer_review(org: Organisation, store: Any, review_id: int, mentor: str, comment: str,
                  grades: dict[str, bool] | None = None) -> ReviewView:
    """Record the mentor's comment and their grade per criterion (`grades`: criterion → passed; criteria not
    given keep the automatic grade, i.e. the mentor agrees). A review is answered once."""
    comment = _clean(comment, "comment")
    if not comment:
        raise ReviewError("write a comment for the learner: what did they do well, what should they change?")
    view = get_review(store, review_id)
    if view.status == "answered":
        raise ReviewError(f"review #{review_id} was already answered by {view.mentor}")
    if view.learner == mentor:
        raise ReviewError("you cannot review your own attempt; another mentor will pick it up")
    grades = dict(grades or {})
    known = {c.criterion for c in view.criteria}
    unknown = sorted(set(grades) - known)
    if unknown:
        raise ReviewError(f"attempt #{view.attempt_id} has no criterion {', '.join(unknown)}; "
                          f"its criteria are {', '.join(sorted(known))}")
    stored = _redact(org, view.scenario, comment)
    at = iso(now_utc())
    with store.write() as db:
        cur = db.execute("UPDATE reviews SET status = 'answered', mentor = ?, comment = ?, answered_at = ? "
                         "WHERE id = ? AND status = 'open'", [mentor, stored, at, int(review_id)])
        if cur.rowcount != 1:  # another mentor answered in between
            raise ReviewError(f"review #{review_id} was answered by someone else a moment ago; reload the queue")
        db["overrides"].insert_all([
            {"review_id": int(review_id), "attempt_id": view.attempt_id, "criterion": c.criterion,
             "auto_passed": int(c.auto_passed), "mentor_passed": int(grades.get(c.criterion, c.auto_passed)),
             "mentor": mentor, "created_at": at} for c in view.criteria])
    return get_review(store, review_id)


def learner_reviews(store: Any, learner: str) -> list[ReviewView]:
    """The learner's own review requests with the mentors' replies, newest first."""
    ids = [r["id"] for r in store.query("SELECT id FROM reviews WHERE learner = ? ORDER BY created_at DESC, id DESC",
                                        [learner])]
    return [get_review(store, i) for i in ids]


def learner_attempts(store: Any, learner: str, limit: int = 50) -> list[dict[str, Any]]:
    """The learner's own recent attempts (to pick one for review)."""
    return store.query("SELECT id, scenario, kind, submitted_at, score, passed FROM attempts WHERE learner = ? "
                       "ORDER BY submitted_at DESC, id DESC LIMIT ?", [learner, int(limit)])


def agreement(store: Any, scenario: str | None = None):
    """Grader agreement per scenario and criterion (see sparring.insights.metrics.grader_agreement)."""
    from .insights.data import agreement_rows

    rows = agreement_rows(store)
    if scenario:
        rows = [r for r in rows if r["scenario"] == scenario]
    return grader_agreement(rows)
