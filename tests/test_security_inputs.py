"""Hostile answers: every grader of every sample scenario survives random text (control characters, right-to-left
text, zero-width characters, 0..100,000 characters); sizes over [limits] are refused with a message, never a
traceback; zero-width and bidi characters do not hide identifiers from the policy.

Hang bound: each grade must finish within HANG_S (a watchdog, not a speed test; see bench/security_bench.py).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparring.grading.rubric import AnswerError, grade
from test_security_yaml import bounded

HANG_S = 60
# Deterministic in CI (a random find must not block an unrelated change); SPARRING_FUZZ=random explores anew.
PROPS = settings(max_examples=25, deadline=None, derandomize=os.environ.get("SPARRING_FUZZ") != "random",
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
ODD = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202d", "\u2066", "\u2069", "\u061c", "\x00",
       "\x07", "\x1b[2J", "\r", "\t", "\u0085", "\u2028", "שלום", "مرحبا", "𝕻𝖆𝖘𝖘", "😀", "e\u0301", "\ud7ff"]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400) | st.lists(
    st.sampled_from(ODD + ["check", "the", "limit", "schedule", "Maria Lopez", " ", ".", "\n"]), max_size=60
).map("".join)


def _answer(sc, text: str) -> dict:
    if sc.kind == "frame":
        return {"prompt": text}
    if sc.kind == "trust":
        return {"decision": sc.decision.expected, "confidence": 0.75, "justification": text}
    return {"flags": {s.id: text for s in sc.output[:2]}}


def _check(org, sc, text: str) -> None:
    with bounded(HANG_S):
        try:
            result = grade(org, sc, _answer(sc, text))
        except AnswerError as e:
            assert str(e).strip() and "Traceback" not in str(e)
            return
    assert 0.0 <= result.score <= 1.0
    for c in result.criteria:
        assert c.feedback.strip(), c.id
        assert not c.ungraded, (c.id, c.evidence)  # no grader crashed (a crash leaves its criterion ungraded)


def _one_per_kind_and_grader(org) -> list[str]:
    """The fewest sample scenarios that together use every grader kind of the organisation (except llm_judge,
    which needs a model: see test_security_gaming.py), and every scenario kind."""
    chosen: list[str] = []
    seen: set[str] = set()
    for sid, sc in sorted(org.scenarios.items()):
        checks = {c.check for c in sc.rubric.criteria} | {f"kind:{sc.kind}"}
        if checks - seen:
            chosen.append(sid)
            seen |= checks
    return chosen


@pytest.mark.slow
@PROPS
@given(text=TEXT)
def test_every_grader_survives_hostile_text(org, text):
    for sid in _one_per_kind_and_grader(org):
        _check(org, org.scenarios[sid], text)


@pytest.mark.slow
@pytest.mark.parametrize("n", [0, 1, 1_000, 19_990, 20_001, 100_000])
def test_answers_from_empty_to_100k_characters(org, n):
    base = "The limit is not in the schedule, so I would check it. "
    text = (base * (n // len(base) + 1))[:n]
    for sid in _one_per_kind_and_grader(org):
        sc = org.scenarios[sid]
        limit = org.settings.limits.max_answer_chars
        total = n * (2 if sc.kind == "spot" else 1)
        if total > limit:
            with pytest.raises(AnswerError, match="limit is"):
                grade(org, sc, _answer(sc, text))
        else:
            _check(org, sc, text)


HIDDEN = [
    ("email with zero-width spaces", "Please write to maria\u200b.lopez@bright\u200bmail.co.uk today.", "EMAIL_ADDRESS"),
    ("name with zero-width joiners", "Send the letter to Maria\u200d Lo\u200dpez at home.", "PERSON"),
    ("phone with word joiners", "Call her on 0770\u20600 900\u2060481 this afternoon.", "PHONE_NUMBER"),
    ("card with soft hyphens", "Card 4111\u00ad1111\u00ad1111\u00ad1111 was charged twice.", "CREDIT_CARD"),
    ("email with a BOM inside", "Reply to maria.lo\ufeffpez@brightmail.co.uk please.", "EMAIL_ADDRESS"),
    ("email behind a bidi override", "Reply to \u202emaria.lopez@brightmail.co.uk\u202c please.", "EMAIL_ADDRESS"),
    ("policy number with zero-width", "Policy HL-12\u200b34567 renews in May.", "POLICY_NUMBER"),
]


@pytest.mark.parametrize("label,text,entity", HIDDEN, ids=[h[0] for h in HIDDEN])
def test_invisible_characters_do_not_hide_identifiers_from_the_policy(org, label, text, entity):
    result = org.policy_engine("external-ai").check(text)
    assert entity in {f.entity for f in result.findings}, (label, result.public())
    assert result.verdict in ("redact", "block")
    # and the redacted text keeps none of the identifier's visible characters
    visible = "".join(ch for ch in text if ch.isprintable() and ch not in "\u200b\u200d\u2060\u00ad\ufeff")
    for f in result.findings:
        if f.entity == entity:
            assert "".join(ch for ch in f.text if ch.isalnum())[:6] not in result.redacted, (visible,
                                                                                              result.redacted)


def test_review_question_and_comment_are_size_limited(org, tmp_path):
    """Text enters through reviews too; it is capped like answers (sparring/review.py MAX_TEXT)."""
    from sparring import review

    assert 0 < review.MAX_TEXT <= org.settings.limits.max_answer_chars
    with pytest.raises(review.ReviewError, match="keep it under"):
        review._clean("x" * (review.MAX_TEXT * 3), "question")
    assert review._clean("  fine  ", "question") == "fine"
