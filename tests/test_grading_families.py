"""The grader checks that an answer is RIGHT, not only on topic (issue 13): one table per family of near miss, each
with genuine paraphrases (must pass) beside the near misses (must fail). Written for these tests; the statements
are about a made-up motor, travel and home portfolio, not copied from any scenario."""

from __future__ import annotations

import pytest

from grading_helpers import org, spot, trust
from sparring.grading.rubric import grade

STATEMENTS = {
    "waits": "The repair is waiting for the garage's parts quote.",
    "excluded": "Wear and tear is not covered by the policy.",
    "excess": "The excess on this claim is £250.",
    "window": "The customer can cancel within 14 days of the start date.",
    "denser": "Salt water is denser than fresh water.",
    "rear": "A lorry hit the insured's van from behind.",
    "before": "The premium must be paid before cover starts.",
}


def _semantic(key: str, text: str, **opts):
    sc = trust([{"id": "c", "check": "semantic", "expect": STATEMENTS[key], **opts}], pass_mark=0.5)
    return grade(org(), sc, {"decision": "verify", "confidence": 0.8, "justification": text}).criteria[0]


def _table(rows):
    return [pytest.param(k, t, ok, id=f"{k}-{'pass' if ok else 'fail'}-{i}") for i, (k, t, ok) in enumerate(rows)]


NEGATION = _table([
    ("waits", "We are still waiting on the garage to send the quote for the parts.", True),
    ("waits", "The repair is not waiting for the garage's parts quote.", False),
    ("waits", "It is false that the repair is waiting for a parts quote from the garage.", False),
    ("waits", "I disagree that the repair waits for the garage's quote for parts.", False),
    ("waits", "The repair is no longer waiting for the garage's parts quote.", False),
    # the statement itself is negative: the polarity of the matching clause is compared, not given up on
    ("excluded", "The policy does not pay for wear and tear.", True),
    ("excluded", "Wear and tear isn't something this policy covers.", True),
    ("excluded", "Wear and tear is covered by the policy.", False),
    ("excluded", "It is untrue that wear and tear is not covered by the policy.", False),
])


@pytest.mark.parametrize("key,text,ok", NEGATION)
def test_negation_scope(key, text, ok):
    r = _semantic(key, text)
    assert r.passed is ok, r.feedback


def test_a_denial_anywhere_in_the_answer_fails_the_reason_and_is_quoted():
    text = ("The repair is waiting for the garage's parts quote. Actually, the repair is not waiting for the "
            "garage's parts quote at all.")
    r = _semantic("waits", text)
    assert not r.passed
    assert "not waiting" in r.feedback  # the denying clause is quoted


ANTONYMS = _table([
    ("before", "Cover only begins once the premium has been paid.", True),
    ("before", "The premium must be paid after cover starts.", False),
    ("window", "Cancellation is allowed inside the first 14 days from the start date.", True),
    ("window", "The customer can cancel outside 14 days of the start date.", False),
])


@pytest.mark.parametrize("key,text,ok", ANTONYMS)
def test_opposites(key, text, ok):
    r = _semantic(key, text)
    assert r.passed is ok, r.feedback


ROLES = _table([
    ("rear", "The insured's van was hit from behind by a lorry.", True),
    ("rear", "A lorry drove into the back of the insured's van.", True),
    ("rear", "The insured's van hit a lorry from behind.", False),
    ("rear", "A lorry was hit from behind by the insured's van.", False),
])


@pytest.mark.parametrize("key,text,ok", ROLES)
def test_swapped_roles(key, text, ok):
    r = _semantic(key, text)
    assert r.passed is ok, r.feedback


COMPARATIVES = _table([
    ("denser", "Fresh water is less dense than salt water.", True),
    ("denser", "Salt water is denser than fresh water.", True),
    ("denser", "Fresh water is denser than salt water.", False),
    ("denser", "Salt water is less dense than fresh water.", False),
])


@pytest.mark.parametrize("key,text,ok", COMPARATIVES)
def test_comparisons(key, text, ok):
    r = _semantic(key, text)
    assert r.passed is ok, r.feedback


FIGURES = _table([
    ("excess", "The excess for this claim is 250 pounds.", True),
    ("excess", "This claim carries a £250 excess.", True),
    ("excess", "The excess on this claim is £350.", False),
    ("excess", "The excess on this claim is £2,500.", False),
    ("window", "The customer may cancel within two weeks of the start date.", True),
    ("window", "The customer can cancel within 30 days of the start date.", False),
])


@pytest.mark.parametrize("key,text,ok", FIGURES)
def test_wrong_figures(key, text, ok):
    r = _semantic(key, text)
    assert r.passed is ok, r.feedback


def test_a_wrong_figure_is_named_beside_the_right_one():
    r = _semantic("excess", "The excess on this claim is £350.")
    assert "£350" in r.feedback and "£250" in r.feedback


SPOT_OUTPUT = [{"id": "s1", "text": "Your policy covers baggage up to £1,500 per person.", "faulty": True,
                "why": "The baggage limit is £750 per person, not £1,500."},
               {"id": "s2", "text": "Claims must be made within 31 days of returning home."}]
SPOT_REASONS = _table([
    ("s1", "The limit is £750 per person, not £1,500.", True),
    ("s1", "It halves: the baggage cap per person is really £750.", True),
    ("s1", "The baggage limit is actually £1,000 per person.", False),  # "corrects" with a wrong value
    ("s1", "The baggage limit per person is £500, not £1,500.", False),
])


@pytest.mark.parametrize("sid,reason,ok", SPOT_REASONS)
def test_spot_correction_with_a_wrong_value_does_not_name_the_error(sid, reason, ok):
    sc = spot(SPOT_OUTPUT, [{"id": "f", "check": "flags", "min_recall": 1.0}])
    r = grade(org(), sc, {"flags": {sid: reason}}).criteria[0]
    assert r.passed is ok, r.feedback


REASONS = ["The limit quoted is not in the policy schedule.", "The clause number cited does not exist."]
HEDGING = _table([
    ("", "The limit it quotes is nowhere in the schedule and the clause it cites does not exist, so check both "
         "before anything goes out.", True),
    ("", "You could use it as it is, or verify it, or reject it: the limit quoted is not in the schedule and the "
         "clause number does not exist.", False),
    ("", "Any of the three options is defensible. The limit is not in the schedule; the clause does not exist.",
     False),
])


@pytest.mark.parametrize("_k,text,ok", HEDGING)
def test_hedging_earns_no_reasons(_k, text, ok):
    sc = trust([{"id": "j", "check": "justification", "reasons": REASONS, "min_covered": 2}], pass_mark=0.5)
    r = grade(org(), sc, {"decision": "verify", "confidence": 0.8, "justification": text}).criteria[0]
    assert r.passed is ok, r.feedback


DISGUISED = _table([
    ("waits", "The repair is waiting for the garage's parts quote.", True),
    # a denial hidden from the reader is not graded; a reason hidden from the reader earns nothing
    ("waits", "The repair is waiting for the garage's parts quote.<!-- or not -->", True),
    ("waits", "The car is fine. <!-- The repair is waiting for the garage's parts quote. -->", False),
    ("waits", "The car is fine. <span style=\"display:none\">The repair is waiting for the garage's parts "
              "quote.</span>", False),
    ("waits", "The car is fine. <div hidden>The repair is waiting for the garage's parts quote.</div>", False),
])


@pytest.mark.parametrize("key,text,ok", DISGUISED)
def test_hidden_html_is_not_graded(key, text, ok):
    r = _semantic(key, text)
    assert r.passed is ok, r.feedback


LOOKALIKES = _table([
    ("excess", "The excess on this claim is £250.", True),
    ("excess", "The exc\u200bess on th\u200dis claim is £250.", True),  # zero-width characters
    ("excess", "The ехсеss оn this сlaim is £250.", True),  # Cyrillic look-alikes: read as the Latin letters
    ("excess", "The ехсеss оn this сlaim is £35０.", False),  # fullwidth digit: still the wrong figure
    ("excess", "The ехсеss оn this сlaim is nоt £250.", False),  # a look-alike "not" is still a not
])


@pytest.mark.parametrize("key,text,ok", LOOKALIKES)
def test_homoglyphs_and_zero_width(key, text, ok):
    r = _semantic(key, text)
    assert r.passed is ok, r.feedback


def test_must_not_fails_a_harmful_addition_and_allows_its_opposite():
    opts = {"must_not": ["Promises the customer that the claim will be paid."]}
    bad = _semantic("waits", "The repair is waiting for the garage's parts quote, and I promise the claim will be "
                    "paid.", **opts)
    assert not bad.passed and "must not" in bad.feedback
    good = _semantic("waits", "The repair is waiting for the garage's parts quote; do not promise that the claim "
                     "will be paid.", **opts)
    assert good.passed, good.feedback
