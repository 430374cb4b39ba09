"""One attempt end to end through practice.attempt: the policy gate, the assistant, grading, redacted storage,
the schedule and gaming signals. Uses the shipped sample organisation (models load once per session)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from sparring import practice
from sparring.grading.rubric import AnswerError
from sparring.store.db import Store, loads
from sparring.store.queries import attempt_detail, catalogue

FRAME = "support-delayed-claim"
SPOT = "support-final-response-letter"
TRUST = "support-laptop-damaged-abroad"
GOOD_PROMPT = (
    "Draft a reply for our complaints team to [customer], whose water-leak claim has been held up for five weeks. "
    "Cover is confirmed. We are still waiting for the contractor to send the repair estimate and have chased it "
    "twice. If it is not in by [date], the adjuster will bring in a second contractor. Say sorry for the delay "
    "and explain that we will phone by [date]. Warm, plain English, under 200 words.")
RAW = ["Maria Lopez", "maria.lopez@brightmail.co.uk", "HL-1234567", "07700 900481"]
LEAKY_PROMPT = ("Write a reply to Maria Lopez <maria.lopez@brightmail.co.uk>, policy HL-1234567, phone 07700 900481. "
                "The contractor has not sent the repair estimate; a second contractor comes if it is late.")
CARD_PROMPT = ("Customer paid with card 4111 1111 1111 1111 and wants a refund for the repair estimate delay. "
               "Draft a reply to [customer].")


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "p.db")
    yield s
    s.close()


def _dump(store: Store) -> str:
    return "\n".join(store.db.iterdump())


def test_allowed_prompt_gets_the_scripted_reply_and_is_scheduled(org, store):
    out = practice.attempt(org, store, FRAME, "ann", {"prompt": GOOD_PROMPT})
    assert not out.blocked and out.assistant["status"] == "scripted"
    assert "repair estimate" in out.assistant["text"]  # the `when: {any: [estimate, contractor]}` reply
    assert out.grade.passed and out.attempt_id is not None
    assert out.due is not None and out.due > datetime.now(timezone.utc)
    d = attempt_detail(store, out.attempt_id, learner="ann")
    assert d.passed and d.assistant_status == "scripted" and d.answer == {"prompt": GOOD_PROMPT}
    assert [c.criterion for c in d.criteria] == [c.id for c in org.scenarios[FRAME].rubric.criteria]
    row = {r.scenario: r for r in catalogue(org, store, "ann")}[FRAME]
    assert row.status == "passed" and row.attempts == 1 and row.due == out.due


def test_redact_verdict_sends_the_redacted_prompt_and_stores_no_raw_data(org, store, monkeypatch):
    sent: list[str] = []
    real = practice.assistant_answer
    monkeypatch.setattr(practice, "assistant_answer", lambda o, s, p: sent.append(p) or real(o, s, p))
    out = practice.attempt(org, store, FRAME, "ann", {"prompt": LEAKY_PROMPT})
    assert out.grade.policy["verdict"] == "redact" and not out.blocked
    assert sent and all(r not in sent[0] for r in RAW) and "<PERSON>" in sent[0]
    assert not out.grade.passed and "no-pii" in out.grade.failed_ids()
    dump = _dump(store)
    assert [r for r in RAW if r in dump] == []
    assert "<EMAIL_ADDRESS>" in out.answer_redacted["prompt"]
    d = attempt_detail(store, out.attempt_id)
    assert {f.entity for f in d.findings} >= {"PERSON", "EMAIL_ADDRESS", "POLICY_NUMBER"}
    assert all(f["text"] == f"<{f['entity']}>" for f in d.grade["policy"]["findings"])
    # the learner still sees their own text highlighted in the returned (never stored) grade
    assert "Maria Lopez" in {f["text"] for f in out.grade.policy["findings"]}


def test_blocked_prompt_is_not_sent_but_is_graded_and_stored(org, store, monkeypatch):
    monkeypatch.setattr(practice, "assistant_answer", lambda *a: pytest.fail("a blocked prompt reached the assistant"))
    out = practice.attempt(org, store, FRAME, "ann", {"prompt": CARD_PROMPT})
    assert out.blocked and out.assistant["status"] == "not_sent" and out.assistant["text"] is None
    assert "CREDIT_CARD" in out.assistant["message"] and "placeholders" in out.assistant["message"]
    assert not out.grade.passed
    row = store.one("SELECT blocked, verdict, assistant_status, answer FROM attempts WHERE id = ?", [out.attempt_id])
    assert row["blocked"] == 1 and row["verdict"] == "block" and row["assistant_status"] == "not_sent"
    assert "4111" not in _dump(store)
    # a failed attempt comes back for re-practice sooner than a passed one
    monkeypatch.undo()
    good = practice.attempt(org, store, FRAME, "bob", {"prompt": GOOD_PROMPT})
    assert out.due < good.due


def test_model_failure_still_grades_and_stores(org, store, monkeypatch):
    msg = "The AI assistant did not answer within 20 s. Your prompt was still graded and saved."
    monkeypatch.setattr(practice, "assistant_answer",
                        lambda *a: {"status": "timeout", "text": None, "message": msg})
    out = practice.attempt(org, store, FRAME, "ann", {"prompt": GOOD_PROMPT})
    assert out.assistant["status"] == "timeout" and out.grade.passed
    assert store.one("SELECT assistant_status FROM attempts WHERE id = ?", [out.attempt_id])["assistant_status"] \
        == "timeout"


def test_a_real_model_reply_is_stored_redacted(org, store, monkeypatch):
    monkeypatch.setattr(practice, "assistant_answer", lambda *a: {
        "status": "ok", "text": "Dear Maria Lopez, we will call you on 07700 900481.", "message": None})
    out = practice.attempt(org, store, FRAME, "ann", {"prompt": GOOD_PROMPT})
    assert "Maria Lopez" in out.assistant["text"]  # shown to the learner as it came
    assert "Maria Lopez" not in _dump(store) and "900481" not in _dump(store)


def test_trust_and_spot_free_text_is_stored_redacted(org, store):
    out = practice.attempt(org, store, TRUST, "ann", {
        "decision": "verify", "confidence": 0.8,
        "justification": "I would check the wording with Maria Lopez at maria.lopez@brightmail.co.uk first."})
    assert "<PERSON>" in out.answer_redacted["justification"]
    assert out.answer_redacted["decision"] == "verify" and out.answer_redacted["confidence"] == 0.8
    spot = practice.attempt(org, store, SPOT, "ann", {"flags": {
        "s4": "The amount is wrong.", "s6": "Ask Maria Lopez, she said otherwise.", "s7": "Wrong deadline."}})
    flags = spot.answer_redacted["flags"]
    assert flags["s4"] == "The amount is wrong." and flags["s7"] == "Wrong deadline."
    assert "Maria Lopez" not in flags["s6"] and flags["s6"].startswith("Ask <PERSON>")
    dump = _dump(store)
    assert "Maria Lopez" not in dump and "brightmail" not in dump
    row = store.one("SELECT confidence, decision FROM attempts WHERE id = ?", [out.attempt_id])
    assert row == {"confidence": 0.8, "decision": "verify"}


@pytest.mark.parametrize("scenario,answer,message", [
    (FRAME, {}, "expected"),
    (FRAME, {"prompt": "   "}, "prompt is empty"),
    (FRAME, {"prompt": "x" * 20_001}, "limit is 20,000"),
    (FRAME, "just text", "JSON object"),
    (SPOT, {"flags": {"s99": "no such sentence"}}, "s99"),
    (TRUST, {"decision": "maybe"}, "decision"),
    ("no-such-scenario", {"prompt": "hi"}, "no scenario 'no-such-scenario'"),
])
def test_bad_answers_get_a_message_and_store_nothing(org, store, scenario, answer, message):
    with pytest.raises(AnswerError, match=message):
        practice.attempt(org, store, scenario, "ann", answer)
    assert store.count("attempts") == 0 and store.count("schedule") == 0


def test_gaming_signals_are_recorded_and_a_held_attempt_waits_for_a_mentor(org, store):
    """The model answer pasted back reaches the pass mark but is held: not passed, score kept, the signal stored,
    and a review opened in the mentor queue on the learner's behalf. Speed alone holds nothing."""
    sc = org.scenarios[FRAME]
    now = datetime.now(timezone.utc)
    slow = practice.attempt(org, store, FRAME, "ann", {"prompt": sc.model_answer}, started_at=now - timedelta(minutes=5))
    fast = practice.attempt(org, store, FRAME, "ann", {"prompt": sc.model_answer},
                            started_at=datetime.now(timezone.utc))  # not `now`: the first attempt may be slow
    assert "copies-model-answer" in slow.gaming and "fast" not in slow.gaming
    assert "fast" in fast.gaming
    assert fast.grade.score == slow.grade.score >= slow.grade.pass_mark
    assert not slow.grade.passed and slow.grade.held == ["copies-model-answer"] and slow.grade.held_back
    queued = store.query("SELECT attempt_id, learner, status, question FROM reviews ORDER BY id")
    assert [(q["attempt_id"], q["learner"], q["status"]) for q in queued] == [
        (slow.attempt_id, "ann", "open"), (fast.attempt_id, "ann", "open")]
    assert "Held automatically" in queued[0]["question"] and "model answer" in queued[0]["question"]
    stored = store.one("SELECT passed, score, grade FROM attempts WHERE id = ?", [slow.attempt_id])
    assert stored["passed"] == 0 and stored["score"] == round(slow.grade.score, 4)
    assert loads(stored["grade"])["held"] == ["copies-model-answer"]
    stuffed = practice.attempt(org, store, FRAME, "ann", {
        "prompt": "[customer] estimate contractor estimate contractor second contractor date estimate "
                  "contractor delay estimate contractor"})
    # this keyword list reaches the pass mark on its own (the semantic graders find their words in it): held
    assert "keyword-stuffing" in stuffed.gaming and not stuffed.grade.passed and stuffed.grade.held_back
    assert store.count("reviews") == 3
    pasted = practice.attempt(org, store, FRAME, "ann", {"prompt": "PASS " * 12})
    assert pasted.grade.held == ["keyword-stuffing"] and not pasted.grade.held_back  # fails anyway: not queued
    assert store.count("reviews") == 3
    assert loads(store.one("SELECT gaming FROM attempts WHERE id = ?", [fast.attempt_id])["gaming"]) == fast.gaming
    honest = practice.attempt(org, store, FRAME, "ann", {"prompt": GOOD_PROMPT}, started_at=now - timedelta(minutes=4))
    assert honest.gaming == [] and honest.grade.passed and honest.grade.held == []
    quick = practice.attempt(org, store, FRAME, "bob", {"prompt": GOOD_PROMPT}, started_at=datetime.now(timezone.utc))
    assert quick.gaming == ["fast"] and quick.grade.passed and store.count("reviews") == 3


def test_a_mentor_can_pass_a_held_attempt(org, store):
    """The hold is a field of the grade, not a criterion result; the review shows it as one line ('own-words'),
    which the mentor's per-line grade passes."""
    from sparring import review

    sc = org.scenarios[TRUST]
    out = practice.attempt(org, store, TRUST, "ann", {"decision": "verify", "confidence": 0.8,
                                                      "justification": sc.model_answer})
    assert out.grade.held_back
    (rid,) = [r["id"] for r in review.queue(store)]
    view = review.get_review(store, rid)
    assert "own-words" in [c.criterion for c in view.criteria]
    assert "own-words" not in [c.id for c in out.grade.criteria]
    assert store.count("criterion_results") == len(out.grade.criteria)  # rubric criteria only
    answered = review.answer_review(org, store, rid, "maya", "Fine, you clearly worked this out yourself.",
                                    {"own-words": True})
    assert answered.overridden == ["own-words"]
    assert all(c.mentor_passed for c in answered.criteria)


def test_concurrent_learners_lose_no_attempt(org, store):
    acked, errors = [], []
    lock = threading.Lock()

    def learner(n: int) -> None:
        try:
            out = practice.attempt(org, store, TRUST, f"u{n}", {"decision": "verify", "confidence": 0.7,
                                                                "justification": "Check the policy wording first."})
            with lock:
                acked.append(out.attempt_id)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=learner, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count("attempts") == len(acked) == len(set(acked)) == 20
    assert store.count("schedule") == 20


def test_a_database_failure_still_returns_the_feedback_unsaved(org, tmp_path):
    s = Store(tmp_path / "gone.db")
    with s.write() as db:
        db.execute("CREATE TRIGGER fail BEFORE INSERT ON criterion_results BEGIN SELECT RAISE(ABORT, 'disk full'); "
                   "END")  # the write of this attempt fails halfway
    out = practice.attempt(org, s, TRUST, "ann", {"decision": "verify", "confidence": 0.7, "justification": "x"})
    assert out.attempt_id is None and out.due is None and out.grade.criteria
    assert s.count("attempts") == 0  # the half-written attempt was rolled back
    s.close()


def test_reordered_model_answer_is_flagged_but_own_words_are_not(org):
    """A model answer with its sentences reversed keeps its words: it is flagged as a copy. An answer in the
    learner's own words (a shipped passing example) is not."""
    from sparring import gaming

    sc = org.scenarios["support-delayed-claim"]
    reordered = " ".join(reversed(sc.model_answer.split(". ")))
    assert "copies-model-answer" in gaming.signals(sc, reordered, duration_s=None)
    own = sc.examples[0].answer["prompt"]
    assert "copies-model-answer" not in gaming.signals(sc, own, duration_s=None)
