"""Learning from reviews (docs/authoring.md): a mentor's override of a `semantic` criterion becomes a pending,
redacted example of it; it changes grading only once an author accepts it, and a rejected one never does."""

from __future__ import annotations

import dataclasses

import pytest

from grading_helpers import trust
from sparring import practice, review
from sparring.grading import exemplars
from sparring.grading.rubric import grade
from sparring.store.db import Store
from sparring.store.schema import LATEST
from sparring.store.users import add_user

ESTIMATE = "Explains that the claim waits for the contractor's repair estimate."
# says it in words the statement does not share: graded by the statement alone, it fails
LEARNER = "Nothing moves until the builder sends his figures over. I told Maria Lopez on 07700 900481."
PARAPHRASE = "Nothing can happen until the builder's figures come in."
OFF_TOPIC = "Apologise for the delay and thank her for her patience."


def _answer(text: str) -> dict:
    return {"decision": "verify", "confidence": 0.7, "justification": text}


@pytest.fixture
def env(org, tmp_path):
    sc = trust([{"id": "c", "check": "semantic", "expect": ESTIMATE}], pass_mark=0.5)
    o = dataclasses.replace(org, scenarios={sc.id: sc})  # the real policies (redaction), one test scenario
    store = Store(tmp_path / "reviews.db")
    for name, role in (("ann", "learner"), ("bo", "learner"), ("mo", "mentor"), ("al", "author")):
        add_user(store, name, [role])
    yield o, store, sc
    exemplars.set_reviewed(sc, {})
    store.close()


def _reviewed(o, store, sc, learner: str, text: str, mentor_grade: bool | None) -> int:
    """One attempt through the real practice path, reviewed by mentor 'mo' (None: mentor agrees)."""
    out = practice.attempt(o, store, sc.id, learner, _answer(text))
    rid = review.request_review(o, store, out.attempt_id, learner, "Does my answer not say that?")
    grades = {} if mentor_grade is None else {"c": mentor_grade}
    review.answer_review(o, store, rid, "mo", "Thanks: see my grade.", grades)
    return out.attempt_id


def _passes(o, sc, text: str) -> bool:
    return grade(o, sc, _answer(text)).criteria[0].passed


def test_the_migration_adds_the_table(env):
    _, store, _ = env
    assert "review_examples" in store.db.table_names() and store.schema_version() == LATEST >= 3


def test_an_override_is_a_pending_redacted_example_that_counts_only_once_accepted(env):
    o, store, sc = env
    assert not _passes(o, sc, LEARNER) and not _passes(o, sc, PARAPHRASE)
    attempt_id = _reviewed(o, store, sc, "ann", LEARNER, True)
    (ex,) = review.review_examples(store, sc.id)
    assert (ex.status, ex.criterion, ex.passed, ex.mentor, ex.source, ex.attempt_id) == \
        ("pending", "c", True, "mo", "review", attempt_id)
    stored = ex.answer["justification"]
    assert "Nothing moves until the builder" in stored
    assert "Maria Lopez" not in stored and "07700 900481" not in stored  # redacted: never the raw answer
    raw = store.one("SELECT answer FROM review_examples")["answer"]
    assert "Maria" not in raw and "900481" not in raw
    # pending: the grader does not use it
    assert review.load_accepted(o, store) == 0 and not _passes(o, sc, PARAPHRASE)
    # the mentor who gave the label cannot accept it; an author can
    with pytest.raises(review.ReviewError, match="another author"):
        review.decide_example(o, store, ex.id, "mo", accept=True)
    assert review.decide_example(o, store, ex.id, "al", accept=True).status == "accepted"
    r = grade(o, sc, _answer(PARAPHRASE)).criteria[0]
    assert r.passed and r.evidence["examples"]["decided_by"][0]["like_passing_example"]["example"] == f"review #{ex.id}"
    # a restarted app loads it again from the store
    exemplars.set_reviewed(sc, {})
    assert not _passes(o, sc, PARAPHRASE)
    assert review.load_accepted(o, store) == 1 and _passes(o, sc, PARAPHRASE)
    with pytest.raises(review.ReviewError, match="already accepted"):
        review.decide_example(o, store, ex.id, "al", accept=False)


def test_a_rejected_example_never_counts(env):
    o, store, sc = env
    _reviewed(o, store, sc, "ann", LEARNER, True)
    (ex,) = review.review_examples(store, sc.id, "pending")
    assert review.decide_example(o, store, ex.id, "al", accept=False).status == "rejected"
    assert review.load_accepted(o, store) == 0 and not _passes(o, sc, PARAPHRASE)
    assert review.review_examples(store, sc.id, "accepted") == []


def test_agreement_per_criterion_before_and_after(env):
    o, store, sc = env
    _reviewed(o, store, sc, "ann", LEARNER, True)  # graded fail, mentor: pass
    _reviewed(o, store, sc, "bo", PARAPHRASE, True)  # graded fail, mentor: pass
    _reviewed(o, store, sc, "bo", OFF_TOPIC, None)  # graded fail, mentor agrees
    first = min(review.review_examples(store, sc.id), key=lambda e: e.id)
    review.decide_example(o, store, first.id, "al", accept=True)
    (row,) = review.agreement_with_reviews(o, store, sc.id)
    assert (row.criterion, row.n, row.accepted, row.pending) == ("c", 3, 1, 1)
    # without: every answer fails, the mentor passes two → agreement 1/3, kappa 0
    assert row.agreement_without == pytest.approx(1 / 3) and row.kappa_without == pytest.approx(0.0)
    # now: the paraphrase learns from the accepted label; the first attempt is graded without its own label
    assert row.agreement_now == pytest.approx(2 / 3) and row.kappa_now == pytest.approx(0.4)
    # with the pending one accepted too, the first attempt passes as well
    assert row.agreement_if_accepted == pytest.approx(1.0) and row.kappa_if_accepted == pytest.approx(1.0)


def test_the_author_tab_lists_decides_and_shows_agreement(env):
    import gradio as gr

    from sparring.ui import author_tab
    from sparring.ui.context import UIContext

    o, store, sc = env
    ctx = UIContext(org=o, store=store)
    author, mentor = gr.Request(username="al"), gr.Request(username="mo")
    note, rows = author_tab.review_examples_view(ctx, sc.id, author)
    assert rows == [] and "No mentor has overridden" in note
    _reviewed(o, store, sc, "ann", LEARNER, True)
    note, rows = author_tab.review_examples_view(ctx, sc.id, author)
    ((number, crit, label, who, _, status, text),) = rows
    assert (crit, label, who, status) == ("c", "pass", "mo", "pending") and "**1** example(s)" in note
    assert "Maria" not in text
    with pytest.raises(gr.Error):  # a mentor is not an author: the handler refuses
        author_tab.decide(ctx, sc.id, number, True, mentor)
    with pytest.raises(gr.Error, match="no example #99"):
        author_tab.decide(ctx, sc.id, 99, True, author)
    assert not _passes(o, sc, PARAPHRASE)
    note, rows, agreement = author_tab.decide(ctx, sc.id, number, True, author)
    assert f"Example #{number} accepted" in note and rows[0][5] == "accepted"
    assert _passes(o, sc, PARAPHRASE)
    (row,) = agreement
    assert row[0] == "c" and row[1] == 1 and row[5:] == [0, 1]
    assert author_tab.agreement_view(ctx, sc.id, author) == agreement


def test_sparring_test_grades_accepted_examples_from_reviews_leave_one_out(env):
    """`sparring test` counts an accepted mentor example like a labelled one: graded without its own label, a
    mismatch when the rubric disagrees with the mentor; another accepted paraphrase then teaches the rubric."""
    from sparring.grading.examples import check_reviewed

    o, store, sc = env
    _reviewed(o, store, sc, "ann", LEARNER, True)  # the rubric fails both, the mentor passes both
    _reviewed(o, store, sc, "bo", PARAPHRASE, True)
    first, second = sorted(review.review_examples(store, sc.id), key=lambda e: e.id)
    review.decide_example(o, store, first.id, "al", accept=True)
    review.load_accepted(o, store)
    (row,) = check_reviewed(o, sc, review.review_examples(store, status="accepted"))
    assert (row["example"], row["source"], row["criterion"]) == (f"review #{first.id}", "review", "c")
    (m,) = row["mismatches"]  # its own label does not vouch for it
    assert "mentor mo graded criterion 'c' pass, the rubric grades it fail" in m
    review.decide_example(o, store, second.id, "al", accept=True)
    review.load_accepted(o, store)
    rows = check_reviewed(o, sc, review.review_examples(store, status="accepted"))
    assert [r["example"] for r in rows] == [f"review #{second.id}", f"review #{first.id}"]
    assert all(r["mismatches"] == [] for r in rows)  # each is now passed by the other's evidence
    assert check_reviewed(o, sc.model_copy(update={"id": "other"}), review.review_examples(store)) == []  # its own only


def test_calibrate_counts_accepted_examples_from_reviews(env):
    """An accepted mentor label is one more labelled value for the threshold suggestion of its criterion."""
    from sparring.grading.calibrate import calibrate

    o, store, sc = env
    (before,) = calibrate(o, sc)
    _reviewed(o, store, sc, "ann", LEARNER, True)
    (ex,) = review.review_examples(store, sc.id)
    review.decide_example(o, store, ex.id, "al", accept=True)
    (after,) = calibrate(o, sc, review.review_examples(store, status="accepted"))
    assert after.labelled == before.labelled + 1
    (v,) = [v for v in after.values if v.example == f"review #{ex.id}"]
    assert v.should_pass is True and 0.0 <= v.value <= 1.0
    assert calibrate(o, sc, review.review_examples(store, status="pending")) == [before]  # only what it is given
