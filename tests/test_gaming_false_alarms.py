"""Precision of the anti-gaming hold: a signal that holds genuine answers cries wolf. Every shipped example answer
(scenarios/*.yaml `examples`) and every hand-written genuine answer in tests/gaming/genuine_answers.yaml must pass
through without a hold. (That each example still grades as labelled, hold rule included, is `sparring test` /
tests/test_examples*.py: grade() applies the hold.)

Cheap: the text signals need no model, so these run over every example without grading.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sparring import gaming
from sparring.grading.rubric import GradeContext, grade, parse_answer

GENUINE = yaml.safe_load((Path(__file__).parent / "gaming" / "genuine_answers.yaml").read_text(encoding="utf-8"))


def _text(org, sc, answer) -> tuple[str, dict | None]:
    parsed = parse_answer(sc, answer)
    return GradeContext(org=org, scenario=sc, answer=parsed).text, getattr(parsed, "flags", None)


def _examples(org):
    return [(sid, ex.name or f"example {i + 1}", ex.answer)
            for sid, sc in sorted(org.scenarios.items()) for i, ex in enumerate(sc.examples)]


def test_the_tables_are_big_enough_and_varied(org):
    assert len(_examples(org)) >= 70
    assert len(GENUINE) >= 25
    assert {org.scenarios[g["scenario"]].kind for g in GENUINE} == {"frame", "spot", "trust"}
    styles = " ".join(g["style"] for g in GENUINE)
    for style in ("terse", "quotes one sentence", "bullet", "French", "own words", "key terms"):
        assert style in styles, style


def test_no_shipped_example_is_held(org):
    held = []
    for sid, name, answer in _examples(org):
        sc = org.scenarios[sid]
        text, flags = _text(org, sc, answer)
        codes = gaming.holds(gaming.text_signals(sc, text, flags=flags, org=org))
        if codes:
            held.append(f"{sid} / {name}: {codes}")
    assert not held, "\n".join(held)


@pytest.mark.parametrize("item", GENUINE, ids=[f"{g['scenario']}:{g['style']}" for g in GENUINE])
def test_genuine_answer_is_not_held(org, item):
    sc = org.scenarios[item["scenario"]]
    text, flags = _text(org, sc, item["answer"])
    assert gaming.holds(gaming.text_signals(sc, text, flags=flags, org=org)) == []


def test_over_flagging_is_recorded_but_never_held(org):
    """flags-everything is a behaviour signal: the flags grader already charges every flag on a sound sentence,
    so it is shown to mentors but holds nothing (the shipped over-flagging examples raise it)."""
    sc = org.scenarios["support-travel-cancellation-summary"]
    flags = {s.id: "not sure this is right, see the wording" for s in sc.output}
    codes = gaming.text_signals(sc, "\n".join(flags.values()), flags=flags, org=org)
    assert "flags-everything" in codes and gaming.holds(codes) == []


# What each holding signal looks like, next to an honest answer that shares its surface (same facts, same
# length, same scenario). If a threshold moves so that the pair is no longer told apart, one of these fails.
PAIRS = [
    ("hr-mileage-threshold-claim", "copies-model-answer",
     "{model_answer}",
     "I redid the sum. Only 50 miles are left under the threshold at 45p, the rest at 25p: £63.00 is right."),
    ("hr-mileage-threshold-claim", "copies-other-model-answer",
     "{other}",
     "10,000 - 9,950 = 50 miles at 45p = £22.50; 162 at 25p = £40.50; so £63.00, and the inputs are all given."),
    ("support-laptop-damaged-abroad", "copies-material",
     "{title}. {outcome}",
     "Section 3 is optional and the AI could not see his schedule, so I would check the schedule before saying yes."),
    ("finance-ipt-on-home-premium", "keyword-stuffing",
     "rate outdated standard Insurance Premium Tax now twelve IPT gross premium percent VAT exempt",
     "Old rate: IPT has been 12% since June 2017, so IPT is £57.60 and the gross premium £537.60. VAT is exempt."),
    ("finance-ipt-on-home-premium", "keyword-stuffing",
     "rate, outdated, standard, Insurance, Premium, Tax, now, twelve, IPT, gross, premium, percent, VAT, exempt",
     "Reject: outdated rate, standard IPT now 12%, IPT £57.60, gross £537.60, VAT exemption correct, AI wrong"),
]


@pytest.mark.parametrize("sid,code,attack,honest", PAIRS, ids=[f"{p[1]}-{i}" for i, p in enumerate(PAIRS)])
def test_each_holding_signal_separates_a_copy_from_an_honest_answer(org, sid, code, attack, honest):
    sc = org.scenarios[sid]
    other = next(s.model_answer for i, s in sorted(org.scenarios.items()) if i != sid and s.model_answer)
    text = attack.format(model_answer=sc.model_answer, other=other, title=sc.title, outcome=sc.outcome)
    assert code in gaming.holds(gaming.text_signals(sc, text, org=org))
    assert gaming.holds(gaming.text_signals(sc, honest, org=org)) == []


@pytest.mark.slow
def test_a_held_answer_keeps_its_score_and_says_why(org):
    """The rule lives in grade() and its verdict: the model answer pasted back reaches the pass mark but is held,
    with the score kept and the reason in the summary. The hold is a field of the grade (`held`, `held_back`),
    not a criterion: the criteria are the rubric's, each as graded."""
    sc = org.scenarios["hr-mileage-threshold-claim"]
    r = grade(org, sc, {"decision": "use", "confidence": 0.9, "justification": sc.model_answer})
    assert not r.passed and r.held == ["copies-model-answer"] and r.held_back
    assert r.score >= r.pass_mark
    assert [c.id for c in r.criteria] == [c.id for c in sc.rubric.criteria] and all(c.passed for c in r.criteria)
    assert "Held for a mentor" in r.summary and "model answer" in r.summary
    assert r.public()["held"] == ["copies-model-answer"] and r.review_reason and "Held automatically" in r.review_reason
    honest = grade(org, sc, {"decision": "use", "confidence": 0.9, "justification": PAIRS[0][3]})
    assert honest.held == [] and not honest.held_back and honest.review_reason is None
    assert gaming.HOLD_CRITERION not in [c.id for c in honest.criteria + r.criteria]


# A worked sum is dense in figures and light on function words because that is how sums are written. Figures are
# not content words for the stuffing measure (gaming._is_number); the words around them still are, so the same
# sum with its figures removed and its words listed is still held.
WORKED_SUMS = [
    ("claims-subrogation-letter-review",
     "Checked the sum: 12 days at 102.70 makes 1232.40 hire, repairs 4860.00 recovery 310.00 excess 250.00 total "
     "6652.40 owed."),
    ("claims-subrogation-letter-review",
     "Recalculated: 4 860 00 1 232 40 310 00 250 00 gives 6 652 40 exactly as the ledger shows for the recovery"),
    ("hr-mileage-threshold-claim",
     "Miles 10000 minus 9950 leaves 50 at 45p 22.50 then 162 at 25p 40.50 total 63.00 correct"),
]


@pytest.mark.parametrize("sid,text", WORKED_SUMS, ids=[f"sum-{i}" for i in range(len(WORKED_SUMS))])
def test_a_worked_sum_is_not_keyword_stuffing(org, sid, text):
    sc = org.scenarios[sid]
    assert "keyword-stuffing" not in gaming.text_signals(sc, text, org=org)
    # its content words without the figures and the words between them, run together, are a keyword list
    kept = [w for w in gaming.words(text) if not gaming._is_number(w) and not gaming._function_word(w)]
    listed = " ".join((kept * 3)[:gaming.MAX_CONTENT_RUN])
    assert "keyword-stuffing" in gaming.text_signals(sc, listed, org=org), listed
