"""Mentors in the loop: a learner asks for review of an attempt; a mentor comments and may override criteria.

What a person types here (the learner's question, the mentor's comment) is stored only after
`sparring.policy.redact_for_storage`, like every other free text. When a mentor answers, their grade for EVERY
criterion of the attempt is recorded in `overrides` (auto_passed, mentor_passed): a criterion left as the machine
graded it is an agreement, a changed one an override. That is what grader agreement (percent and Cohen's kappa
per scenario and criterion) is computed from, so authors can see which rubric lines disagree with experts.
The automatic grade of the attempt itself is never rewritten: the mentor's view is shown next to it.

Two lines of a review are not the machine's pass or fail of a criterion: a criterion that could not be checked
(`ungraded`: the mentor's grade is the only one; left out of grader agreement), and, for an attempt the
anti-gaming hold kept from passing, the hold itself (`own-words`, check `gaming`, from the grade's `held`): the
mentor passes it when the answer is the learner's own work.

An override of a `semantic` criterion also becomes a pending example of it (`review_examples`), which the grader
uses only once an author accepts it (see "learning from reviews" below).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from .gaming import HOLD_CRITERION, hold_message
from .insights.metrics import grader_agreement
from .organisation import Organisation
from .store.db import dumps, iso, loads, now_utc

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
    ungraded: bool = Field(default=False, description="The machine could not check this criterion: it has no automatic "
                           "grade (auto_passed is False), only the mentor's.")
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
    ungraded: bool = Field(default=False, description="The attempt's verdict waits for this review: a required "
                           "criterion could not be checked (sparring/grading/verdict.py).")
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
        raise ReviewError(f"The {what} is {len(text):,} characters; keep it under {MAX_TEXT:,}")
    return text


def request_review(org: Organisation, store: Any, attempt_id: int, learner: str, question: str) -> int:
    """Ask a mentor to look at one of your own attempts. Returns the review id."""
    question = _clean(question, "question")
    if not question:
        raise ReviewError("Write a question for the mentor: what do you want them to look at?")
    att = store.one("SELECT id, learner, scenario FROM attempts WHERE id = ?", [int(attempt_id)])
    if att is None or att["learner"] != learner:
        # Same message for "not yours" and "does not exist": a learner cannot probe other people's attempt ids.
        raise ReviewError(f"You have no attempt #{attempt_id}; pick one from your own attempts")
    if store.one("SELECT id FROM reviews WHERE attempt_id = ? AND status = 'open'", [int(attempt_id)]):
        raise ReviewError(f"Attempt #{attempt_id} is already waiting for a mentor; you will see the reply in "
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
        SELECT r.*, a.scenario, a.kind, a.submitted_at, a.score, a.passed, a.ungraded, a.answer, a.gaming,
               a.grade
        FROM reviews r JOIN attempts a ON a.id = r.attempt_id WHERE r.id = ?""", [int(review_id)])
    if r is None:
        raise ReviewError(f"There is no review #{review_id}; reload the queue")
    mentor = {o["criterion"]: bool(o["mentor_passed"]) for o in
              store.query("SELECT criterion, mentor_passed FROM overrides WHERE review_id = ? ORDER BY id",
                          [int(review_id)])}
    crits = [CriterionView(criterion=c["criterion"], check=c["check"], auto_passed=bool(c["passed"]),
                           score=float(c["score"]), required=bool(c["required"]), feedback=c["feedback"],
                           ungraded=bool(c.get("ungraded")), mentor_passed=mentor.get(c["criterion"]))
             for c in store.query("SELECT * FROM criterion_results WHERE attempt_id = ? ORDER BY rowid",
                                  [r["attempt_id"]])]
    held = _held(r["grade"])
    # the hold's line (older attempts stored it as a criterion row: never twice)
    if held and HOLD_CRITERION not in {c.criterion for c in crits}:
        crits.append(CriterionView(criterion=HOLD_CRITERION, check="gaming", auto_passed=False, score=0.0,
                                   required=True, feedback=hold_message(held),
                                   mentor_passed=mentor.get(HOLD_CRITERION)))
    try:
        answer = loads(r["answer"], {})
    except json.JSONDecodeError:
        answer = {}
    return ReviewView(id=r["id"], attempt_id=r["attempt_id"], learner=r["learner"], scenario=r["scenario"],
                      kind=r["kind"], submitted_at=r["submitted_at"], score=float(r["score"]),
                      passed=bool(r["passed"]), ungraded=bool(r["ungraded"]),
                      answer=answer if isinstance(answer, dict) else {},
                      question=r["question"], status=r["status"], mentor=r["mentor"], comment=r["comment"],
                      created_at=r["created_at"], answered_at=r["answered_at"], criteria=crits,
                      gaming=signal_codes(r["gaming"]))


def _held(stored: str | None) -> list[str]:
    """The stored grade's `held` codes; an unreadable grade holds nothing."""
    try:
        doc = loads(stored, {})
    except json.JSONDecodeError:
        return []
    held = doc.get("held") if isinstance(doc, dict) else None
    return [c for c in held if isinstance(c, str)] if isinstance(held, list) else []


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
        raise ReviewError("Write a comment for the learner: what did they do well, what should they change?")
    view = get_review(store, review_id)
    if view.status == "answered":
        raise ReviewError(f"Review #{review_id} was already answered by {view.mentor}")
    if view.learner == mentor:
        raise ReviewError("You cannot review your own attempt; another mentor will pick it up")
    grades = dict(grades or {})
    known = {c.criterion for c in view.criteria}
    unknown = sorted(set(grades) - known)
    if unknown:
        raise ReviewError(f"Attempt #{view.attempt_id} has no criterion {', '.join(unknown)}; "
                          f"its criteria are {', '.join(sorted(known))}")
    stored = _redact(org, view.scenario, comment)
    at = iso(now_utc())
    proposed = _proposed_examples(org, view, grades, mentor, at)  # redacted here, before the write lock
    with store.write() as db:
        cur = db.execute("UPDATE reviews SET status = 'answered', mentor = ?, comment = ?, answered_at = ? "
                         "WHERE id = ? AND status = 'open'", [mentor, stored, at, int(review_id)])
        if cur.rowcount != 1:  # another mentor answered in between
            raise ReviewError(f"Review #{review_id} was answered by someone else a moment ago; reload the queue")
        db["overrides"].insert_all([
            {"review_id": int(review_id), "attempt_id": view.attempt_id, "criterion": c.criterion,
             "auto_passed": int(c.auto_passed), "mentor_passed": int(grades.get(c.criterion, c.auto_passed)),
             "mentor": mentor, "created_at": at} for c in view.criteria])
        if proposed:
            db["review_examples"].insert_all(proposed)
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


# ------------------------------------------------------------------------------ learning from reviews
#
# A mentor's override of a `semantic` criterion (the kind that learns from labelled examples) becomes a pending
# example of that criterion: the attempt's answer, redacted again with redact_for_storage, labelled with the
# mentor's grade. It counts (grading/exemplars.py) only after an author accepts it in the Author tab, so one
# mentor cannot flip a rubric alone; a rejected one never counts. docs/authoring.md, "Learning from reviews".

EXAMPLE_STATUSES = ("pending", "accepted", "rejected")


class ReviewExample(BaseModel):
    id: int = Field(description="Row id in review_examples.")
    scenario: str = Field(description="Scenario id.")
    criterion: str = Field(description="The criterion it labels.")
    answer: dict[str, Any] = Field(description="The attempt's answer, redacted.")
    passed: bool = Field(description="The label: the mentor's grade of the criterion.")
    source: str = Field(description="Where the label comes from: 'review'.")
    review_id: int | None = Field(description="The review it came from.")
    attempt_id: int | None = Field(description="The attempt it came from.")
    mentor: str = Field(description="The mentor who gave the label.")
    created_at: str = Field(description="When the mentor answered (UTC).")
    status: str = Field(description="pending, accepted or rejected.")
    decided_by: str | None = Field(None, description="The author who accepted or rejected it.")
    decided_at: str | None = Field(None, description="When (UTC).")

    @property
    def index(self) -> int:
        """Its index as a labelled answer of its criterion: -(attempt id), never a YAML example's index, so grading
        that attempt (GradeContext.leave_out) leaves its own label out."""
        return -(self.attempt_id or self.id)


def learns_from_reviews(crit: Any) -> bool:
    """Whether an override of `crit` can teach it: a `semantic` criterion that learns from examples."""
    return getattr(crit, "check", None) == "semantic" and bool(getattr(crit, "examples", False))


def _redact_answer(org: Any, scenario_id: str, answer: dict[str, Any]) -> dict[str, Any]:
    """Every free text of an answer (prompt, justification, flag reasons) through redact_for_storage."""
    out = dict(answer)
    for key in ("prompt", "justification"):
        if isinstance(out.get(key), str):
            out[key] = _redact(org, scenario_id, out[key])
    if isinstance(out.get("flags"), dict):
        out["flags"] = {k: _redact(org, scenario_id, v) if isinstance(v, str) else v for k, v in out["flags"].items()}
    return out


def _proposed_examples(org: Any, view: ReviewView, grades: dict[str, bool], mentor: str, at: str | None
                       ) -> list[dict[str, Any]]:
    """The pending review_examples rows for the criteria the mentor changed that can learn from them."""
    sc = (getattr(org, "scenarios", None) or {}).get(view.scenario)
    if sc is None:
        return []
    crits = {c.id: c for c in sc.rubric.criteria}
    changed = [c for c in view.criteria if c.criterion in grades and grades[c.criterion] != c.auto_passed
               and c.criterion in crits and learns_from_reviews(crits[c.criterion])]
    if not changed:
        return []
    answer = dumps(_redact_answer(org, view.scenario, view.answer))
    return [{"scenario": view.scenario, "criterion": c.criterion, "answer": answer, "passed": int(grades[c.criterion]),
             "source": "review", "review_id": view.id, "attempt_id": view.attempt_id, "mentor": mentor,
             "created_at": at, "status": "pending"} for c in changed]


def review_examples(store: Any, scenario: str | None = None, status: str | None = None) -> list[ReviewExample]:
    """Examples from reviews, newest first; optionally of one scenario and/or one status."""
    where, params = [], []
    if scenario:
        where.append("scenario = ?")
        params.append(scenario)
    if status:
        where.append("status = ?")
        params.append(status)
    sql = "SELECT * FROM review_examples" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
    return [_example(r) for r in store.query(sql, params)]


def _example(r: dict[str, Any]) -> ReviewExample:
    try:
        answer = loads(r["answer"], {})
    except json.JSONDecodeError:
        answer = {}
    return ReviewExample(**{**r, "answer": answer if isinstance(answer, dict) else {}, "passed": bool(r["passed"])})


def decide_example(org: Any, store: Any, example_id: int, author: str, accept: bool) -> ReviewExample:
    """An author accepts (it counts from now on) or rejects (it never counts) a pending example from a review.
    The mentor who gave the label cannot decide on it: a second person must agree."""
    r = store.one("SELECT * FROM review_examples WHERE id = ?", [int(example_id)])
    if r is None:
        raise ReviewError(f"There is no example #{example_id} from a review; reload the list")
    if r["status"] != "pending":
        raise ReviewError(f"Example #{example_id} was already {r['status']} by {r['decided_by']}")
    if r["mentor"] == author:
        raise ReviewError(f"You gave the label of example #{example_id} as a mentor; another author must accept "
                          "or reject it, so that one person cannot change a rubric alone")
    status = "accepted" if accept else "rejected"
    with store.write() as db:
        cur = db.execute("UPDATE review_examples SET status = ?, decided_by = ?, decided_at = ? "
                         "WHERE id = ? AND status = 'pending'", [status, author, iso(now_utc()), int(example_id)])
        if cur.rowcount != 1:
            raise ReviewError(f"Example #{example_id} was decided by someone else a moment ago; reload the list")
    load_accepted(org, store)
    out = store.one("SELECT * FROM review_examples WHERE id = ?", [int(example_id)])
    return _example(out)


def review_labels(org: Any, examples: list[ReviewExample]) -> dict[str, dict[str, tuple[Any, ...]]]:
    """scenario id → criterion id → the examples as labelled answers for grading/exemplars.py (index = -attempt
    id, so grading that attempt can leave its own labels out)."""
    from .grading.exemplars import labelled_answer

    out: dict[str, dict[str, list[Any]]] = {}
    for e in examples:
        sc = org.scenarios.get(e.scenario)
        if sc is None:
            continue
        a = labelled_answer(sc, e.index, f"review #{e.id}", e.answer, e.passed)
        if a is not None:
            out.setdefault(e.scenario, {}).setdefault(e.criterion, []).append(a)
    return {sid: {cid: tuple(v) for cid, v in crits.items()} for sid, crits in out.items()}


def load_accepted(org: Any, store: Any) -> int:
    """Hand every accepted example from reviews to the grader (and forget the rest). Returns how many."""
    from .grading.exemplars import set_reviewed

    accepted = review_examples(store, status="accepted")
    labels = review_labels(org, accepted)
    for sid, sc in org.scenarios.items():
        set_reviewed(sc, labels.get(sid, {}))
    return sum(len(v) for crits in labels.values() for v in crits.values())


class CriterionAgreement(BaseModel):
    criterion: str = Field(description="A criterion that learns from reviews.")
    n: int = Field(description="Reviewed attempts in which a mentor graded it.")
    kappa_without: float | None = Field(description="Cohen's kappa, automatic vs mentor, re-graded without any "
                                        "example from reviews (the YAML examples only). None: undefined.")
    kappa_now: float | None = Field(description="The same, with the accepted examples from reviews: what learners "
                                    "get now.")
    kappa_if_accepted: float | None = Field(description="The same, if the pending examples were accepted too.")
    agreement_without: float | None = Field(description="Percent agreement (0..1) without examples from reviews.")
    agreement_now: float | None = Field(description="Percent agreement with the accepted ones.")
    agreement_if_accepted: float | None = Field(description="Percent agreement with the pending ones accepted too.")
    pending: int = Field(description="Pending examples from reviews of this criterion.")
    accepted: int = Field(description="Accepted examples from reviews of this criterion.")


def agreement_with_reviews(org: Any, store: Any, scenario_id: str, limit: int = 200) -> list[CriterionAgreement]:
    """Grader agreement per criterion that learns from reviews, before and after their examples: the mentors'
    grades against the reviewed attempts' stored (redacted) answers re-graded three ways. Each attempt is graded
    without the labels it gave itself (leave-one-out, as `sparring test`), so an example cannot agree with itself.
    Kappa is sparring.insights.metrics.grader_agreement, as in Insights."""
    from .grading.exemplars import reviewed_as
    from .grading.rubric import begin, grade

    sc = org.scenarios.get(scenario_id)
    if sc is None:
        raise ReviewError(f"There is no scenario '{scenario_id}'")
    learning = [c.id for c in sc.rubric.criteria if learns_from_reviews(c)]
    if not learning:
        return []
    mentor: dict[int, dict[str, bool]] = {}
    answers: dict[int, dict[str, Any]] = {}
    for r in store.query(
            "SELECT o.attempt_id, o.criterion, o.mentor_passed, a.answer FROM overrides o "
            "JOIN attempts a ON a.id = o.attempt_id WHERE a.scenario = ? ORDER BY o.id DESC LIMIT ?",
            [scenario_id, int(limit) * len(sc.rubric.criteria)]):
        if r["criterion"] in learning:
            mentor.setdefault(r["attempt_id"], {})[r["criterion"]] = bool(r["mentor_passed"])
            try:
                answers[r["attempt_id"]] = loads(r["answer"], {})
            except json.JSONDecodeError:
                answers[r["attempt_id"]] = {}
    examples = review_examples(store, scenario_id)
    variants = {
        "without": {},
        "now": review_labels(org, [e for e in examples if e.status == "accepted"]).get(scenario_id, {}),
        "if_accepted": review_labels(org, [e for e in examples if e.status != "rejected"]).get(scenario_id, {}),
    }
    kappa: dict[str, dict[str, float | None]] = {}
    agree: dict[str, dict[str, float]] = {}
    for name, labels in variants.items():
        rows = []
        with reviewed_as(sc, labels):
            for attempt_id, grades in list(mentor.items())[:limit]:
                try:
                    ctx = begin(org, sc, answers[attempt_id])
                    ctx.leave_out = -attempt_id
                    result = grade(org, sc, answers[attempt_id], context=ctx)
                except Exception:  # noqa: BLE001 - an answer that no longer parses (the scenario changed)
                    continue
                auto = {c.id: c.passed for c in result.criteria}
                rows += [{"scenario": scenario_id, "criterion": cid, "auto_passed": auto[cid], "mentor_passed": m}
                         for cid, m in grades.items() if cid in auto]
        table = grader_agreement(rows)
        records = table.to_dict("records")
        kappa[name] = {r["criterion"]: (None if r["kappa"] != r["kappa"] else float(r["kappa"])) for r in records}
        agree[name] = {r["criterion"]: float(r["agreement"]) for r in records}
    counts = {(e.criterion, e.status): 0 for e in examples}
    for e in examples:
        counts[(e.criterion, e.status)] += 1
    n = {cid: sum(1 for g in mentor.values() if cid in g) for cid in learning}
    return [CriterionAgreement(criterion=cid, n=n[cid], kappa_without=kappa["without"].get(cid),
                               kappa_now=kappa["now"].get(cid), kappa_if_accepted=kappa["if_accepted"].get(cid),
                               agreement_without=agree["without"].get(cid), agreement_now=agree["now"].get(cid),
                               agreement_if_accepted=agree["if_accepted"].get(cid),
                               pending=counts.get((cid, "pending"), 0), accepted=counts.get((cid, "accepted"), 0))
            for cid in learning]
