"""`semantic` learns from the scenario's labelled examples (sparring/grading/exemplars.py): a sentence like a passing
example's counts, a sentence closer to a failing example's than to anything that says it does not, and `sparring
test` grades every example leave-one-out."""

from __future__ import annotations

from pathlib import Path

import yaml

from grading_helpers import org, trust
from sparring.content.models import Example
from sparring.grading.calibrate import calibrate
from sparring.grading.examples import check_examples
from sparring.grading.rubric import grade

ESTIMATE = "Explains that the claim waits for the contractor's repair estimate."
PROMISE = "Promises the customer a payout date."
FIGURES = "Nothing moves until the builder sends his figures over."  # says it, in words the statement does not share
VAGUE = "The claim is with the contractor at the moment."  # near the statement's words, but not enough


def _ans(text: str) -> dict:
    return {"decision": "verify", "confidence": 0.7, "justification": text}


def _ex(name: str, text: str, *, ok: bool, crit: str = "c") -> dict:
    expect = {"passed": ok, "passed_criteria": [crit]} if ok else {"passed": False, "failed": [crit]}
    return {"name": name, "answer": _ans(text), "expect": expect}


def _scenario(labelled: list[dict], statement: str = ESTIMATE, **opts):
    sc = trust([{"id": "c", "check": "semantic", "expect": statement, **opts}], pass_mark=0.5)
    sc.examples = [Example.model_validate(e) for e in labelled]
    return sc


LABELLED = [_ex("figures", FIGURES, ok=True), _ex("vague", VAGUE, ok=False)]


def _crit(sc, text: str):
    return grade(org(), sc, _ans(text)).criteria[0]


def test_paraphrase_of_a_passing_example_passes_where_the_statement_alone_fails():
    text = "Nothing can happen until the builder's figures come in."
    assert not _crit(_scenario([]), text).passed
    r = _crit(_scenario(LABELLED), text)
    assert r.passed and r.evidence["sentence"] == text
    assert r.evidence["examples"]["decided_by"][0]["like_passing_example"]["example"] == "figures"


def test_answer_close_to_a_failing_example_fails_where_the_statement_alone_passes():
    text = "The claim is with the contractor for now."
    assert _crit(_scenario([]), text).passed
    r = _crit(_scenario(LABELLED), text)
    assert not r.passed
    assert r.evidence["examples"]["decided_by"][0]["like_failing_example"]["example"] == "vague"
    # learners get the expectation's wording, never the author's example
    assert "closest you came" in r.feedback and "repair estimate" in r.feedback and "at the moment" not in r.feedback


def test_a_precise_sentence_still_passes_beside_the_near_miss():
    text = "The claim is with the contractor. We are waiting for the builder's cost estimate before we can settle."
    assert _crit(_scenario(LABELLED), text).passed


def test_no_examples_or_examples_false_changes_nothing():
    for text in ("The claim is with the contractor for now.", "Nothing can happen until the builder's figures come in.",
                 "We are still waiting for the builder's cost estimate before we can settle the claim."):
        plain = _crit(_scenario([]), text)
        off = _crit(_scenario(LABELLED, examples=False), text)
        assert (off.passed, off.score, off.evidence) == (plain.passed, plain.score, plain.evidence)
        assert "examples" not in plain.evidence


def test_absent_criterion_learns_what_the_forbidden_thing_looks_like():
    sc = _scenario([_ex("cheque", "Assure her the cheque will be in the post by Monday.", ok=False),
                    _ex("no-date", "Say the team will confirm the settlement once the estimate is in.", ok=True)],
                   statement=PROMISE, absent=True)
    said = _crit(sc, "Assure him that the cheque is in the post by Friday.")
    assert not said.passed and "rules out" in said.feedback
    assert _crit(sc, "Do not assure her about any cheque date.").passed  # negated: not the forbidden thing
    assert _crit(sc, "Explain that the team will confirm the settlement after the estimate.").passed


def test_sparring_test_grades_leave_one_out_so_a_mislabelled_example_is_caught():
    # "Apologise ..." does not say the claim waits for the estimate: labelled as passing, it is a mislabel. Graded
    # with itself as a neighbour it would pass; leave-one-out, the other examples and the statement judge it.
    sc = _scenario(LABELLED + [_ex("figures-2", "Nothing happens until the builder's figures arrive.", ok=True),
                               _ex("vague-2", "The contractor has the claim for now.", ok=False),
                               _ex("mislabelled", "Apologise for the delay and thank her for her patience.", ok=True)])
    rows = {r["example"]: r["mismatches"] for r in check_examples(org(), sc)}
    assert all(rows[n] == [] for n in ("figures", "figures-2", "vague", "vague-2")), rows
    assert any("'c' should pass but failed" in m for m in rows["mislabelled"])
    # calibrate reads the same leave-one-out values: the mislabel keeps the current threshold below 100 %
    row = calibrate(org(), sc)[0]
    assert row.labelled == 5 and row.accuracy_current < 1.0


def test_attacks_do_not_pass_by_resembling_an_example():
    # The attack library's self-contained attempts (no scenario placeholders), against a criterion that has
    # passing examples to resemble: none may pass (tests/test_security_gaming.py runs the whole library on the
    # sample organisation).
    attacks = yaml.safe_load((Path(__file__).parent / "gaming" / "attacks.yaml").read_text(encoding="utf-8"))
    texts = [a["text"] for a in attacks if a.get("expect") == "fail" and "{" not in a["text"]]
    assert len(texts) >= 10
    sc = _scenario(LABELLED + [_ex("figures-2", "Nothing happens until the builder's figures arrive.", ok=True)])
    passed = [t for t in texts if grade(org(), sc, _ans(t)).passed]
    assert passed == []
