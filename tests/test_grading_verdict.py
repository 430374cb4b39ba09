"""The one verdict function (sparring/grading/verdict.py): score, passed, the hold, ungraded, the summary and the
reason a mentor must look, decided in one place."""

from __future__ import annotations

from sparring.grading.result import UNGRADED_FEEDBACK, CriterionResult, ungraded
from sparring.grading.verdict import decide, reaches


def crit(cid: str, passed: bool = True, score: float = 1.0, *, required: bool = False,
         weight: float = 1.0) -> CriterionResult:
    return CriterionResult(id=cid, passed=passed, score=score, feedback="-", label=cid, required=required,
                           weight=weight)


def unchecked(cid: str, *, required: bool = False, weight: float = 1.0) -> CriterionResult:
    r = ungraded(cid, "timeout", "the AI judge did not answer within 2 seconds")
    r.label, r.required, r.weight = cid, required, weight
    return r


def test_every_criterion_at_full_marks_is_exactly_100_percent_and_passes_a_pass_mark_of_100():
    # weights whose float sum is not exact (0.1 + 0.2 + 0.7), and a score shown as 100% but computed 0.9996
    v = decide([crit("a", weight=0.1), crit("b", weight=0.2), crit("c", score=0.9996, weight=0.7)], 1.0)
    assert v.score == 1.0 and v.passed and v.summary == "Passed with 100% (pass mark 100%)."


def test_what_is_shown_is_what_is_compared():
    # 99.4% is shown as 99% and compared as 0.99: "Not yet: 99%", never "Not yet: 100% against 100%"
    v = decide([crit("a", score=0.994)], 1.0)
    assert v.score == 0.99 and not v.passed and v.summary == "Not yet: 99% against a pass mark of 100%."
    # 74.6% reads 75%, and 75% reaches a pass mark of 75%
    v = decide([crit("a", score=0.746)], 0.75)
    assert v.score == 0.75 and v.passed and "75%" in v.summary
    for score in (0.0, 0.25, 0.5, 0.7, 0.75, 0.8, 0.85, 1.0):  # a pass mark reached exactly is reached
        assert reaches(score, score)
    assert not reaches(0.69, 0.7)


def test_an_ungraded_criterion_is_left_out_of_the_weighted_score():
    v = decide([crit("a", score=0.8, weight=1), unchecked("judge", weight=5)], 0.7)
    assert v.score == 0.8 and v.passed and not v.ungraded  # not (0.8 * 1 + 0 * 5) / 6 = 13%
    assert "We could not check judge; a mentor will" in v.summary
    assert v.review_reason and "judge (the AI judge did not answer within 2 seconds)" in v.review_reason


def test_a_required_ungraded_criterion_leaves_the_verdict_to_a_mentor():
    v = decide([crit("decision", required=True), unchecked("judge", required=True)], 0.5)
    assert v.ungraded and not v.passed and not v.held_back and v.score == 1.0
    assert v.summary.startswith("Not graded yet: we could not check judge; a mentor will")
    assert "Queued automatically" in (v.review_reason or "")


def test_a_failed_required_criterion_fails_even_when_another_is_ungraded():
    v = decide([crit("decision", passed=False, score=0.0, required=True), unchecked("judge", required=True)], 0.5)
    assert not v.ungraded and not v.passed
    assert v.summary.startswith("Not yet: decision must pass")
    assert v.review_reason  # the learner was told a mentor will check the judged part


def test_nothing_checked_is_ungraded_with_score_zero():
    v = decide([unchecked("a"), unchecked("b")], 0.5)
    assert v.ungraded and not v.passed and v.score == 0.0 and v.summary.endswith("a mentor will.")


def test_the_hold_is_decided_here_and_only_stops_a_pass():
    codes = ["copies-model-answer"]
    v = decide([crit("a"), crit("b", required=True)], 0.8, codes)
    assert not v.passed and v.held_back and v.score == 1.0
    assert v.summary.startswith("Held for a mentor") and "Held automatically" in (v.review_reason or "")
    failing = decide([crit("a", passed=False, score=0.1), crit("b", passed=False, score=0.0, required=True)], 0.8,
                     codes)
    assert not failing.passed and not failing.held_back and failing.review_reason is None


def test_no_reason_for_a_mentor_when_everything_was_checked():
    assert decide([crit("a"), crit("b", passed=False, score=0.0)], 0.5).review_reason is None


def test_ungraded_result_shape():
    r = ungraded("judge", "not_configured", "the AI judge is not configured", detail="no [models.default]")
    assert (r.passed, r.score, r.ungraded, r.status) == (False, 0.0, True, "ungraded")
    assert r.feedback.startswith(UNGRADED_FEEDBACK) and "no [models.default]" in r.feedback
    assert r.public()["ungraded"] is True and r.evidence["status"] == "not_configured"


def test_a_trust_answer_passing_every_criterion_scores_exactly_100_percent(org):
    """The issue's case: every criterion of a real trust scenario passes (the decision at 0.998, the calibration
    of 90% confidence, shown as 100%); with a pass mark of 100% it passes at exactly 1.0."""
    from sparring.grading.rubric import grade

    sc = org.scenarios["hr-mileage-threshold-claim"]
    strict = sc.model_copy(update={"rubric": sc.rubric.model_copy(update={"pass_mark": 1.0})})
    r = grade(org, strict, sc.examples[0].answer)
    assert all(c.passed for c in r.criteria) and any(c.score < 1.0 for c in r.criteria)
    assert r.score == 1.0 and r.passed and r.summary == "Passed with 100% (pass mark 100%)."
    assert r.public()["score"] == 1.0
