"""One attempt end to end: validate → policy gate → assistant → rubric → store (redacted) → schedule.

The web app, the CLI and the load benchmark all call `attempt()`; callers only render its outcome.

What is stored: the answer with every non-allow policy finding replaced by <ENTITY>; the grade and feedback with
the raw text of every finding scrubbed; findings as entity/action/offsets only. What is returned to the caller
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
from .assistant import not_sent
from .content.models import FrameAnswer, SpotAnswer
from .gaming import fast_signal
from .grading.result import GradeResult
from .grading.rubric import AnswerError, begin, grade, parse_answer
from .organisation import Organisation
from .store.db import Store, dumps, iso

log = logging.getLogger("sparring.practice")

DEFAULT_POLICY = "external-ai"  # checks free text of spot/trust answers when the scenario names no policy


class AttemptOutcome(BaseModel):
    attempt_id: int | None
    grade: GradeResult
    blocked: bool
    assistant: dict | None  # {"status": ok|scripted|timeout|rate_limited|error|not_sent, "text", "message"}
    answer_redacted: dict
    gaming: list[str]
    due: datetime | None


# ------------------------------------------------------------------------------------------- redaction


def _non_allow(pr: Any) -> list[Any]:
    return [f for f in (pr.findings if pr is not None else []) if f.action != "allow"]


def mask(text: str, findings: list[Any], offset: int = 0) -> str:
    """`text` with each finding's span (offsets relative to text + `offset`) replaced by <ENTITY>. Overlapping
    findings are merged: the earlier-starting one wins."""
    spans = sorted(((f.start - offset, f.end - offset, f.entity) for f in findings), key=lambda s: (s[0], -s[1]))
    out, pos = [], 0
    for start, end, ent in spans:
        start, end = max(start, 0), min(end, len(text))
        if end <= start or start < pos:
            continue
        out.append(text[pos:start])
        out.append(f"<{ent}>")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def scrub(obj: Any, secrets: list[str]) -> Any:
    """Replace every occurrence of each secret (raw finding text) in every string inside `obj`. This covers
    feedback and evidence that quote the learner's text, whatever the grader put there."""
    if not secrets:
        return obj
    if isinstance(obj, str):
        for s in secrets:
            obj = obj.replace(s, "<ENTITY>")
        return obj
    if isinstance(obj, dict):
        return {k: scrub(v, secrets) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [scrub(v, secrets) for v in obj]
    return obj


def _secrets(pr: Any) -> list[str]:
    # longest first, so "Maria Lopez" is replaced before "Maria"
    return sorted({f.text for f in _non_allow(pr) if f.text and len(f.text.strip()) >= 2}, key=len, reverse=True)


def _redacted_answer(kind: str, parsed: Any, pr: Any) -> dict:
    d = parsed.model_dump()
    found = _non_allow(pr)
    if not found:
        return d
    if kind == "frame":
        d["prompt"] = mask(parsed.prompt, found)
    elif kind == "trust":
        d["justification"] = mask(parsed.justification, found)
    else:  # spot: the checked text is the reasons joined by "\n" (GradeContext.text); map offsets back
        flags, pos = {}, 0
        for sid, why in parsed.flags.items():
            inside = [f for f in found if f.start < pos + len(why) and f.end > pos]
            flags[sid] = mask(why, inside, offset=pos)
            pos += len(why) + 1
        d["flags"] = flags
    return d


def _policy_id(org: Organisation, scenario: Any) -> str | None:
    if scenario.policy:
        return scenario.policy
    return DEFAULT_POLICY if DEFAULT_POLICY in org.policies else None


def _redact_text(org: Organisation, pid: str | None, text: str) -> str:
    """Text from outside the learner's answer (a real model's reply may echo or invent personal data)."""
    try:
        from .policy import redact_for_storage
    except ImportError:  # older policy package: same rule, done here
        if not pid:
            return text
        return mask(text, _non_allow(org.policy_engine(pid).check(text)))
    return redact_for_storage(org, pid, text)


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
    text = ctx.text
    pid = _policy_id(org, scenario)
    pr = org.policy_engine(pid).check(text) if (pid and text.strip()) else None
    verdict = pr.verdict if pr is not None else "allow"

    blocked = False
    assistant: dict | None = None
    if isinstance(parsed, FrameAnswer):
        if pr is not None and pr.verdict == "block":
            blocked = True
            assistant = not_sent(_describe([f for f in pr.findings if f.action == "block"]))
        else:
            sent = pr.redacted if (pr is not None and verdict == "redact") else parsed.prompt
            assistant = assistant_answer(org, scenario, sent)

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
    secrets = _secrets(pr)
    answer_red = _redacted_answer(scenario.kind, parsed, pr)
    stored_assistant = assistant
    if assistant and assistant.get("status") == "ok" and assistant.get("text"):
        stored_assistant = {**assistant, "text": _redact_text(org, pid, assistant["text"])}
    grade_doc = result.public()
    grade_doc["policy"] = pr.public(include_text=False) if pr is not None else None
    grade_doc["assistant"] = stored_assistant
    grade_doc = scrub(grade_doc, secrets)

    try:
        attempt_id, due = _store(store, scenario, learner, started_at, submitted, duration, answer_red, result,
                                 verdict, blocked, stored_assistant, gaming, grade_doc, pr, secrets)
    except sqlite3.Error as e:  # disk full, file locked for too long...: the learner still gets the feedback
        log.error("attempt not stored: scenario=%s learner=%s: %s: %s", scenario.id, learner, type(e).__name__, e)
        attempt_id, due = None, None
    return AttemptOutcome(attempt_id=attempt_id, grade=result, blocked=blocked, assistant=assistant,
                          answer_redacted=answer_red, gaming=gaming, due=due)


def _store(store: Store, scenario: Any, learner: str, started_at: datetime | None, submitted: datetime,
           duration: float | None, answer_red: dict, result: GradeResult, verdict: str, blocked: bool,
           assistant: dict | None, gaming: list[str], grade_doc: dict, pr: Any,
           secrets: list[str]) -> tuple[int, datetime]:
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
            "feedback": scrub(c.feedback, secrets), "ungraded": int(c.ungraded),
        } for c in result.criteria])
        if pr is not None and pr.findings:
            db.table("findings").insert_all([{
                "attempt_id": attempt_id, "entity": f.entity, "action": f.action, "rule": f.rule,
                "score": round(f.score, 4), "start": f.start, "end": f.end,
            } for f in pr.findings])
        if result.review_reason:  # the learner's own review path (sparring.review), opened on their behalf
            db.table("reviews").insert({"attempt_id": attempt_id, "learner": learner, "status": "open",
                                  "question": scrub(result.review_reason, secrets), "created_at": iso(submitted)})
        if rating is not None:
            db.table("schedule").upsert({"learner": learner, "scenario": scenario.id, "due": iso(card.due),
                                   "card": card.to_json(), "updated_at": iso(submitted),
                                   "last_rating": int(rating)}, pk=("learner", "scenario"))
        elif row is None:
            db.table("schedule").insert({"learner": learner, "scenario": scenario.id, "due": iso(card.due),
                                   "card": card.to_json(), "updated_at": iso(submitted), "last_rating": None})
    return int(attempt_id), card.due
