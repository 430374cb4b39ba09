"""A seeded, realistic demo dataset for the Insights tab: `sparring demo-data --learners 200 --weeks 12`.

The same seed and the same scenarios give the same rows, byte for byte. The trajectories are shaped so that every
chart has something to say: people improve with practice, skills decay a little after long gaps (so the
"six weeks later" re-practice is below the first pass for some), some learners over-trust AI answers and a few
under-trust them, policy slips in frame scenarios fall over the weeks, learners start in three waves (three start
months) across teams and job roles, and mentors review a few attempts and override some criteria (more often on
meaning-based criteria, so grader agreement differs by criterion). A few attempts raise anti-gaming signals
(sparring/gaming.py: a few % submitted within seconds, the odd model answer pasted on a retry, spot answers
flagging every sentence), fewer as learners settle in; the copy and keyword ones are held as the grader holds them.

Rows are written straight into the store: the texts are fixed templates without personal data, so they need no
redaction, and the rubric logic (weights, `required`, pass mark) is applied here exactly as the grader does.
Demo learners are named `demo-NNN`; running the command again replaces the previous demo rows only.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from ..content.models import Decision, TrustScenario
from ..gaming import HOLD_CRITERION, HOLDING, fast_threshold_s, review_question
from ..grading.result import CriterionResult, GradeResult
from ..grading.verdict import decide
from ..organisation import Organisation
from ..store.db import dumps, iso

DEMO_PREFIX = "demo-"
DEFAULT_START = date(2025, 1, 6)  # a Monday; the library's default, fixed so tests get the same rows every day


def recent_start(weeks: int, today: date | None = None) -> date:
    """The Monday `weeks` weeks before this week's: the data set then fills the last `weeks` whole weeks before
    today, so Insights reads as "recent" straight after `sparring demo-data`, with no date filter, and demo weeks
    never join real ones across a gap of months. Nothing lands in the future: the last demo week ends on the
    Sunday before this week."""
    today = today or date.today()
    return today - timedelta(days=today.weekday()) - timedelta(weeks=weeks)
CITIES = ["Leeds", "Bristol", "Glasgow"]
MENTORS = ["demo-mentor-1", "demo-mentor-2"]
FIRST_NAMES = ["Alex", "Sam", "Robin", "Kim", "Jo", "Chris", "Pat", "Lee", "Morgan", "Jamie", "Taylor", "Casey"]
QUESTIONS = [
    "Why did my prompt fail the context criterion? I did mention the repair estimate.",
    "Is using placeholders really enough here, or should I leave the reference out completely?",
    "I flagged the sentence about the deadline; why does it not count?",
    "I chose verify because the figures looked off. Was reject better?",
    "The feedback says my justification is vague. What would a good one say?",
]
COMMENTS = [
    "Your reasoning is sound; the grader missed the paraphrase. I have marked that criterion as passed.",
    "Good instinct. Next time name the source you would check against, not only that you would check.",
    "The grader is right here: the prompt still leaks the reference number. Use a placeholder instead.",
    "Well spotted. The wording differs from the rubric's but the point is the same; counted as passed.",
]
SOFT_CHECKS = {"semantic", "justification", "llm_judge", "flags"}  # where mentors disagree with the machine more


def _signals(rng: random.Random, kind: str, retry: bool, weeks_in: int, late: float) -> list[str]:
    """Anti-gaming signals of one demo attempt (codes of sparring/gaming.py): rare, and rarer as a learner settles
    in (`weeks_in` = weeks since their first week) and as the organisation gets used to the tool (`late`: 0 in the
    first week of the data set, 1 in the last; later waves of learners game less than the first). Pasting the
    model answer happens mostly on a retry, once the feedback has shown it; flagging every sentence only in spot
    scenarios; keyword lists not in spot ones."""
    fresh = math.exp(-weeks_in / 3) * (1 - 0.5 * late)
    odds = {"fast": 0.008 + 0.06 * fresh,
            "copies-model-answer": (0.004 + 0.12 * fresh) if retry else 0.003,
            "copies-other-model-answer": 0.002,
            "copies-material": 0.002 + 0.008 * fresh,
            "keyword-stuffing": 0.0 if kind == "spot" else 0.002 + 0.01 * fresh,
            "flags-everything": 0.005 + 0.03 * fresh if kind == "spot" else 0.0}
    # Always draw every signal, in a fixed order: the stream stays aligned whatever the kind.
    return [code for code, p in odds.items() if rng.random() < p]


@dataclass
class DemoData:
    users: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    criteria: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    overrides: list[dict[str, Any]] = field(default_factory=list)


def _title(role: str) -> str:
    return role.upper() if len(role) <= 3 else role.replace("-", " ").title()


def _at(rng: random.Random, day: date) -> datetime:
    t = time(rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59))
    return datetime.combine(day, t, tzinfo=timezone.utc)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _block_entities(org: Organisation, sc: Any) -> list[str]:
    pol = org.policies.get(sc.policy) if getattr(sc, "policy", None) else None
    if pol is None:
        return ["PERSON"]
    names = set(pol.entities) | {r.entity for r in pol.recognizers}
    ents = [e for e in names if (rule := pol.rule(e)) is not None and rule.action == "block"]
    return sorted(ents) or ["PERSON"]


def generate(org: Organisation, learners: int = 200, weeks: int = 12, seed: int = 7, start: date = DEFAULT_START,
             first_id: int = 1) -> DemoData:
    rng = random.Random(seed)
    # Anti-gaming signals draw from their own stream, so adding them left the rest of the data set as it was.
    sig_rng = random.Random(seed * 7919 + 1)
    scenarios = [org.scenarios[k] for k in sorted(org.scenarios)]
    if not scenarios:
        raise ValueError("the organisation has no valid scenarios; run `sparring validate` and fix them first")
    start = start - timedelta(days=start.weekday())
    job_roles = sorted({r for sc in scenarios for r in sc.roles})
    difficulty = {sc.id: {"intro": 0.35, "core": 0.5, "stretch": 0.62}[sc.difficulty] for sc in scenarios}
    entities = {sc.id: _block_entities(org, sc) for sc in scenarios if sc.kind == "frame"}
    data = DemoData()
    for m in MENTORS:
        data.users.append({"name": m, "roles": dumps(["mentor"]), "team": "L&D", "display_name": f"Mentor {m[-1]}",
                           "password_hash": None, "created_at": iso(datetime.combine(start, time(8), timezone.utc)),
                           "job_roles": "[]"})
    aid = first_id
    for i in range(1, learners + 1):
        name = f"{DEMO_PREFIX}{i:03d}"
        role = job_roles[(i - 1) % len(job_roles)]
        team = f"{_title(role)} {CITIES[rng.randrange(len(CITIES)) if i % 7 else 0]}"
        # three onboarding waves -> three start months
        wave = rng.choices([0, 4, 8], weights=[0.5, 0.35, 0.15])[0]
        first_week = min(wave + rng.randint(0, 1), max(weeks - 1, 0))
        ability = min(0.85, max(0.15, rng.gauss(0.45, 0.12)))
        rate = rng.uniform(0.03, 0.09)
        trait = rng.choices(["calibrated", "over", "under"], weights=[0.6, 0.28, 0.12])[0]
        careful = rng.uniform(0.5, 1.5)  # how quickly this learner stops pasting personal data
        data.users.append({"name": name, "roles": dumps(["learner"]), "team": team,
                           "display_name": f"{FIRST_NAMES[i % len(FIRST_NAMES)]} (demo {i:03d})",
                           "password_hash": None,
                           "created_at": iso(datetime.combine(start + timedelta(weeks=first_week), time(8),
                                                              timezone.utc)),
                           "job_roles": dumps([role])})
        pool = [sc for sc in scenarios if role in sc.roles] or scenarios
        extra = [sc for sc in scenarios if sc not in pool]
        practice: dict[str, int] = {}
        last_seen: dict[str, date] = {}
        first_pass: dict[str, date] = {}
        n_frame = 0
        for w in range(first_week, weeks):
            active = rng.random() < (0.9 if w - first_week < 4 else 0.6)
            if not active:
                continue
            for _ in range(rng.choice([1, 2, 2, 3, 3, 4])):
                day = start + timedelta(weeks=w, days=rng.randint(0, 4))
                due = [s for s in pool + extra if s.id in first_pass and (day - first_pass[s.id]).days >= 42
                       and (day - last_seen[s.id]).days >= 21]
                if due and rng.random() < 0.6:
                    sc = rng.choice(due)  # spaced re-practice, weeks after the first pass
                elif extra and rng.random() < 0.15:
                    sc = rng.choice(extra)
                else:
                    sc = rng.choice(pool)
                n_prior = sum(practice.get(s, 0) for s in sc.skills)
                gap = (day - last_seen[sc.id]).days if sc.id in last_seen else 0
                level = ability + rate * min(n_prior, 12) - (0.18 * min(gap, 84) / 42 if gap > 20 else 0)
                level = min(0.97, max(0.05, level + rng.gauss(0, 0.05)))
                submitted = _at(rng, day)
                duration = sc.minutes * 60 * math.exp(rng.gauss(0, 0.3)) * (1.25 - 0.35 * min(n_prior, 8) / 8)
                blocked = False
                answer: dict[str, Any]
                crits: list[dict[str, Any]] = []
                decision: Decision | None = None
                confidence: float | None = None
                signals = _signals(sig_rng, sc.kind, sc.id in last_seen, w - first_week, w / max(weeks - 1, 1))
                if "fast" in signals:  # submitted within seconds: under the threshold sparring/gaming.py uses
                    duration = sig_rng.uniform(2.0, 0.8 * fast_threshold_s(sc.minutes))
                if sc.kind == "frame":
                    p_slip = 0.5 * math.exp(-n_frame / (2.5 * careful)) + 0.03
                    blocked = rng.random() < p_slip
                    n_frame += 1
                    answer = {"prompt": "Draft a reply to <PERSON> about claim <POLICY_NUMBER>." if blocked else
                              "Draft a short, kind reply to [customer] explaining the claim waits for the estimate."}
                    if blocked:
                        for ent in rng.sample(entities[sc.id], k=min(len(entities[sc.id]), rng.choice([1, 1, 2]))):
                            data.findings.append({"attempt_id": aid, "entity": ent, "action": "block",
                                                  "rule": f"{ent} recognizer", "score": 0.85, "start": 0, "end": 0})
                elif sc.kind == "trust":
                    expected = sc.decision.expected
                    right = rng.random() < level
                    if right:
                        decision = expected
                    elif trait == "over" or (trait == "calibrated" and rng.random() < 0.5):
                        decision = "use" if expected != "use" else "verify"
                    else:
                        decision = "reject" if expected != "reject" else "verify"
                    decision = decision if decision in sc.decision.options else expected
                    base_conf = {"over": 0.9, "under": 0.6, "calibrated": 0.5 + 0.45 * level}[trait]
                    confidence = round(min(1.0, max(0.5, base_conf + rng.gauss(0, 0.06))), 2)
                    answer = {"decision": decision, "confidence": confidence,
                              "justification": "The figures do not match the policy schedule; I would check them."}
                else:
                    answer = {"flags": {"s2": "The date contradicts the letter."}}
                for c in sc.rubric.criteria:
                    if c.check == "policy":
                        ok = not blocked
                        score = 1.0 if ok else 0.0
                    elif c.check == "decision" and isinstance(sc, TrustScenario) and decision is not None \
                            and confidence is not None:  # both are set for every trust attempt above
                        ok = decision == sc.decision.expected
                        credit = 1.0 if ok else sc.decision.credit.get(decision, 0.0)
                        b = (confidence - (1.0 if ok else 0.0)) ** 2
                        score = 0.8 * credit + 0.2 * (1 - b)
                    else:
                        ok = rng.random() < _sigmoid((level - difficulty[sc.id]) * 9)
                        score = rng.uniform(0.75, 1.0) if ok else rng.uniform(0.05, 0.5)
                    crits.append({"attempt_id": aid, "criterion": c.id, "check": c.check, "passed": int(ok),
                                  "score": round(score, 4), "required": int(c.required), "weight": c.weight,
                                  "feedback": "Passed." if ok else "Not yet: see the criterion's advice."})
                held = [c for c in signals if c in HOLDING]
                # the verdict as grading.rubric decides it (no automatic pass when held; the score is kept)
                results = [CriterionResult(id=r["criterion"], passed=bool(r["passed"]), score=r["score"],
                                           feedback=r["feedback"], check=r["check"], required=bool(r["required"]),
                                           weight=r["weight"]) for r in crits]
                result = GradeResult(scenario=sc.id, kind=sc.kind, pass_mark=sc.rubric.pass_mark, held=held,
                                     criteria=results, **decide(results, sc.rubric.pass_mark, held).fields())
                passed, score = result.passed, result.score
                grade = result.public()  # stored as the app stores a grade
                data.attempts.append({
                    "id": aid, "learner": name, "scenario": sc.id, "kind": sc.kind, "skills": dumps(sc.skills),
                    "roles": dumps(sc.roles), "started_at": iso(submitted - timedelta(seconds=round(duration))),
                    "submitted_at": iso(submitted), "duration_s": round(duration, 1), "answer": dumps(answer),
                    "passed": int(passed), "score": score,
                    "verdict": ("block" if blocked else "allow") if sc.kind == "frame" else None,
                    "blocked": int(blocked), "assistant_status": ("not_sent" if blocked else "scripted")
                    if sc.kind == "frame" else None, "gaming": dumps(signals), "grade": dumps(grade),
                    "confidence": confidence, "decision": decision})
                data.criteria.extend(crits)
                # a review of a held attempt has one more line, the hold (sparring.review)
                lines = crits + ([{"criterion": HOLD_CRITERION, "check": "gaming", "passed": 0}] if held else [])
                _maybe_review(rng, data, aid, name, submitted, lines, passed,
                              held=held if result.held_back else None)
                for s in sc.skills:
                    practice[s] = practice.get(s, 0) + 1
                last_seen[sc.id] = day
                if passed and sc.id not in first_pass:
                    first_pass[sc.id] = day
                aid += 1
    # Real ids grow with time (the xAPI cursor relies on it): renumber in submission order.
    data.attempts.sort(key=lambda a: (a["submitted_at"], a["id"]))
    new_id = {a["id"]: first_id + n for n, a in enumerate(data.attempts)}
    for rows in (data.attempts,):
        for a in rows:
            a["id"] = new_id[a["id"]]
    for rows in (data.criteria, data.findings, data.reviews, data.overrides):
        for r in rows:
            r["attempt_id"] = new_id[r["attempt_id"]]
    data.criteria.sort(key=lambda r: r["attempt_id"])
    data.findings.sort(key=lambda r: r["attempt_id"])
    return data


def _maybe_review(rng: random.Random, data: DemoData, aid: int, learner: str, submitted: datetime,
                  crits: list[dict[str, Any]], passed: bool, held: list[str] | None = None) -> None:
    """About 8% of failed and 1.5% of passed attempts are sent for review; mentors answer most of them. An attempt
    that only the anti-gaming hold kept from passing (`held`) is always queued, at once, with the question
    practice.attempt writes for it (grading.result.GradeResult.held_back)."""
    drawn = rng.random() < (0.08 if not passed else 0.015)
    if not drawn and held is None:
        return
    if not drawn:  # its own generator, so that the other demo rows stay what they were before holds were queued
        rng = random.Random(aid)
    rid = len(data.reviews) + 1
    asked = submitted + timedelta(minutes=rng.randint(1, 30))
    asked = submitted if held else asked
    answered = rng.random() < 0.85
    mentor = rng.choice(MENTORS) if answered else None
    when = asked + timedelta(hours=rng.randint(2, 48))
    question = rng.choice(QUESTIONS)
    question = review_question(held) if held else question
    data.reviews.append({"id": rid, "attempt_id": aid, "learner": learner, "question": question,
                         "status": "answered" if answered else "open", "mentor": mentor,
                         "comment": rng.choice(COMMENTS) if answered else None, "created_at": iso(asked),
                         "answered_at": iso(when) if answered else None})
    if not answered:
        return
    for c in crits:  # a mentor's review grades every criterion; most agree with the machine
        flip = rng.random() < (0.3 if c["check"] in SOFT_CHECKS else 0.04)
        data.overrides.append({"review_id": rid, "attempt_id": aid, "criterion": c["criterion"],
                               "auto_passed": c["passed"], "mentor_passed": int(not c["passed"]) if flip
                               else c["passed"], "mentor": mentor, "created_at": iso(when)})


def clear(store: Any) -> None:
    """Remove earlier demo rows (demo learners and everything hanging off their attempts)."""
    like = DEMO_PREFIX + "%"
    sub = "SELECT id FROM attempts WHERE learner LIKE ?"
    with store.write() as db:
        db.execute(f"DELETE FROM overrides WHERE attempt_id IN ({sub})", [like])
        db.execute("DELETE FROM reviews WHERE learner LIKE ?", [like])
        db.execute(f"DELETE FROM findings WHERE attempt_id IN ({sub})", [like])
        db.execute(f"DELETE FROM criterion_results WHERE attempt_id IN ({sub})", [like])
        db.execute("DELETE FROM schedule WHERE learner LIKE ?", [like])
        db.execute("DELETE FROM attempts WHERE learner LIKE ?", [like])
        db.execute("DELETE FROM users WHERE name LIKE ?", [like])


def write(store: Any, org: Organisation, learners: int = 200, weeks: int = 12, seed: int = 7,
          start: date = DEFAULT_START) -> dict[str, int]:
    """Replace the demo rows in the store; returns how many rows of each kind were written."""
    clear(store)
    row = store.one("SELECT COALESCE(MAX(id), 0) AS m FROM attempts")
    first_id = int(row["m"]) + 1 if row else 1
    data = generate(org, learners, weeks, seed, start, first_id=first_id)
    rrow = store.one("SELECT COALESCE(MAX(id), 0) AS m FROM reviews")
    offset = int(rrow["m"]) if rrow else 0
    for r in data.reviews:
        r["id"] += offset
    for o in data.overrides:
        o["review_id"] += offset
    with store.write() as db:
        db["users"].insert_all(data.users, replace=True)
        db["attempts"].insert_all(data.attempts, batch_size=1000)
        db["criterion_results"].insert_all(data.criteria, batch_size=2000)
        if data.findings:
            db["findings"].insert_all(data.findings, batch_size=2000)
        if data.reviews:
            db["reviews"].insert_all(data.reviews)
        if data.overrides:
            db["overrides"].insert_all(data.overrides)
    return {"learners": learners, "attempts": len(data.attempts), "criterion_results": len(data.criteria),
            "findings": len(data.findings), "reviews": len(data.reviews), "overrides": len(data.overrides)}
