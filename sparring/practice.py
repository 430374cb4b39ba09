"""One attempt end to end: validate → policy gate → assistant → rubric → store (redacted) → schedule.

The web app, the CLI and the load benchmark all call `attempt()`; callers only render its outcome.

What is stored is decided by sparring/redaction.py: the answer with every non-allow finding of the storage policy
replaced by <ENTITY>; feedback and evidence rebuilt from the redacted text; findings as entity/action/offsets. What is returned to the caller
is the unredacted grade, so the learner can see their own text highlighted — it is never written anywhere.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel

from . import scheduling
from .assistant import answer as assistant_answer
from .assistant import Reply, not_sent
from .content.models import FrameAnswer, SpotAnswer
from .gaming import fast_signal
from .grading.quotes import Quote, recording
from .grading.result import GradeResult
from .grading.rubric import AnswerError, begin, grade, parse_answer
from .organisation import Organisation
from .redaction import AttemptRedactor, storage_policy
from .store.db import Store, dumps, iso

log = logging.getLogger("sparring.practice")



class AttemptOutcome(BaseModel):
    attempt_id: int | None
    grade: GradeResult
    blocked: bool
    assistant: dict | None  # {"status": ok|scripted|timeout|rate_limited|error|not_sent, "text", "message"}
    answer_redacted: dict
    gaming: list[str]
    due: datetime | None


# ------------------------------------------------------------------------------------------- redaction
# What is stored is decided in sparring/redaction.py (one rule); this module only hands it the attempt.


def _policy_id(org: Organisation, scenario: Any) -> str | None:
    return storage_policy(org, scenario.policy)


def _stored(org: Organisation, scenario: Any, ctx: Any, pr: Any, result: GradeResult, assistant: dict | None,
            quotes: list[Quote]) -> tuple[dict, dict | None, dict, list[str]]:
    """The attempt as it goes to disk: (answer, assistant, grade document, feedback per criterion), redacted
    by the storage policy (sparring.redaction)."""
    if pr is not None and pr.timed_out:
        findings = None  # the gate's check did not finish: none of the learner's text is kept (fail closed)
    else:
        findings = pr.findings if pr is not None else ([] if _policy_id(org, scenario) else None)
    red = AttemptRedactor(org, scenario, ctx.raw_text, findings, quotes)
    stored_assistant = red.assistant(assistant)
    grade_doc = red.grade(result, pr, stored_assistant)
    return red.answer(scenario.kind, ctx.answer), stored_assistant, grade_doc, \
        [c["feedback"] for c in grade_doc["criteria"]]


def _describe(findings: list[Any]) -> str:
    ents = sorted({f.entity for f in findings})
    return ", ".join(ents) if ents else "data"


# --------------------------------------------------------------------------------------------- attempt


def attempt(org: Organisation, store: Store, scenario_id: str, learner: str, answer: dict, *,
            started_at: datetime | None = None) -> AttemptOutcome:
    """Grade and store one attempt. Raises AnswerError (a message for the learner) for an unknown scenario or
    an answer of the wrong shape or size; nothing is stored then. When the database cannot take the attempt,
    the outcome still carries the grade, with attempt_id None (the caller says it was not saved)."""
    submitted = datetime.now(timezone.utc).replace(microsecond=0)  # stored to the second; returned the same
    scenario = org.scenarios.get(scenario_id)
    if scenario is None:
        raise AnswerError(f"there is no scenario '{scenario_id}'; pick one from the catalogue")
    if not learner:
        raise AnswerError("sign in before submitting an attempt")
    parsed = parse_answer(scenario, answer, org.settings.limits.max_answer_chars)
    if isinstance(parsed, FrameAnswer) and not parsed.prompt.strip():
        raise AnswerError("the prompt is empty; write the prompt you would send to the AI assistant, then submit")
    if isinstance(parsed, SpotAnswer) and len(parsed.flags) > org.settings.limits.max_flags:
        raise AnswerError(f"{len(parsed.flags)} flags is more than the limit of {org.settings.limits.max_flags}")

    # The answer's embeddings start on one core while the policy gate below runs on the other (the embedding
    # model is local: grading has always read the raw answer; only the assistant is behind the gate).
    ctx = begin(org, scenario, parsed)
    # Policy gate: the learner's own text is checked before anything is sent to the assistant.
    text = ctx.raw_text  # what the learner sent, hidden parts included: all of it would leave
    pid = _policy_id(org, scenario)
    # A check that cannot finish (a pattern past its time bound) blocks: nothing is sent, nothing raw is stored.
    pr = org.policy_engine(pid).check_fail_closed(text) if (pid and text.strip()) else None
    verdict = pr.verdict if pr is not None else "allow"

    blocked = False
    assistant: dict | None = None
    if isinstance(parsed, FrameAnswer):
        if pr is not None and pr.timed_out:
            blocked = True
            assistant = Reply(status="not_sent", message="Your prompt was not sent to the AI assistant: the "
                              "data-sharing check did not finish in time, so it was treated as blocked. Submit "
                              "again in a minute; if it keeps happening, shorten the prompt or tell your "
                              "administrator.").as_dict()
        elif pr is not None and pr.verdict == "block":
            blocked = True
            assistant = not_sent(_describe([f for f in pr.findings if f.action == "block"]))
        else:
            sent = pr.redacted if (pr is not None and verdict == "redact") else parsed.prompt
            assistant = assistant_answer(org, scenario, sent)

    with recording() as quotes:  # what the graders quote, so the stored copy is rebuilt from redacted text
        result = grade(org, scenario, parsed, policy_result=pr, assistant=assistant, context=ctx)

    # Gaming signals on the raw text (they look at wording, and are stored as codes only). The ones that hold an
    # answer were already applied by grade(); an attempt whose verdict names a reason for a mentor (the hold
    # alone kept it from passing, or a criterion could not be checked) goes to the review queue (below).
    duration = None
    if started_at is not None:
        if started_at.tzinfo is None:
            started_at = started_at.replace(tzinfo=timezone.utc)
        duration = max(0.0, (submitted - started_at).total_seconds())
    gaming = fast_signal(scenario, duration) + ctx.text_signals  # the text signals grade() computed

    # Everything below is what goes to disk: redacted.
    answer_red, stored_assistant, grade_doc, feedback = _stored(org, scenario, ctx, pr, result, assistant, quotes)

    try:
        # Sparring's own words (criterion labels, error types), never the learner's text (grading/verdict.py)
        question = result.review_reason
        attempt_id, due = _store(store, scenario, learner, started_at, submitted, duration, answer_red, result,
                                 verdict, blocked, stored_assistant, gaming, grade_doc, pr, feedback, question)
    except sqlite3.Error as e:  # disk full, file locked for too long...: the learner still gets the feedback
        log.error("attempt not stored: scenario=%s learner=%s: %s: %s", scenario.id, learner, type(e).__name__, e)
        attempt_id, due = None, None
    return AttemptOutcome(attempt_id=attempt_id, grade=result, blocked=blocked, assistant=assistant,
                          answer_redacted=answer_red, gaming=gaming, due=due)


def _store(store: Store, scenario: Any, learner: str, started_at: datetime | None, submitted: datetime,
           duration: float | None, answer_red: dict, result: GradeResult, verdict: str, blocked: bool,
           assistant: dict | None, gaming: list[str], grade_doc: dict, pr: Any,
           feedback: list[str], review_question: str | None) -> tuple[int, datetime]:
    with store.write() as db:
        row = db.execute("SELECT card FROM schedule WHERE learner = ? AND scenario = ?",
                         [learner, scenario.id]).fetchone()
        rating = None
        if result.ungraded:  # no evidence of recall either way: the card stays as it was (a new one is due now)
            card = scheduling.unreviewed(row[0] if row else None)
        else:
            card, rating = scheduling.review(row[0] if row else None, result.passed, result.score, submitted)
        attempt_id = db.table("attempts").insert({
            "learner": learner, "scenario": scenario.id, "kind": scenario.kind,
            "skills": dumps(scenario.skills), "roles": dumps(scenario.roles),
            "started_at": iso(started_at), "submitted_at": iso(submitted), "duration_s": duration,
            "answer": dumps(answer_red), "passed": int(result.passed), "score": result.score,
            "ungraded": int(result.ungraded),
            "verdict": verdict, "blocked": int(blocked),
            "assistant_status": assistant.get("status") if assistant else None,
            "gaming": dumps(gaming), "grade": dumps(grade_doc),
            "confidence": answer_red.get("confidence"), "decision": answer_red.get("decision"),
        }).last_pk
        if attempt_id is None:  # SQLite gives every inserted row an id; None means nothing was stored
            raise sqlite3.DatabaseError("the attempt was not stored")
        db.table("criterion_results").insert_all([{
            "attempt_id": attempt_id, "criterion": c.id, "check": c.check, "passed": int(c.passed),
            "score": round(c.score, 4), "required": int(c.required), "weight": c.weight,
            "feedback": fb, "ungraded": int(c.ungraded),
        } for c, fb in zip(result.criteria, feedback)])
        if pr is not None and pr.findings:
            db.table("findings").insert_all([{
                "attempt_id": attempt_id, "entity": f.entity, "action": f.action, "rule": f.rule,
                "score": round(f.score, 4), "start": f.start, "end": f.end,
            } for f in pr.findings])
        if review_question:  # the learner's own review path (sparring.review), opened on their behalf
            db.table("reviews").insert({"attempt_id": attempt_id, "learner": learner, "status": "open",
                                        "question": review_question, "created_at": iso(submitted)})
        if rating is not None:
            db.table("schedule").upsert({"learner": learner, "scenario": scenario.id, "due": iso(card.due),
                                         "card": card.to_json(), "updated_at": iso(submitted),
                                         "last_rating": int(rating)}, pk=("learner", "scenario"))
        elif row is None:
            db.table("schedule").insert({"learner": learner, "scenario": scenario.id, "due": iso(card.due),
                                         "card": card.to_json(), "updated_at": iso(submitted),
                                         "last_rating": None})
    return int(attempt_id), card.due
