"""Issue 13, figures and facts: a figure found nowhere in the material is pointed out to the learner (a note in
the summary, not a fail), in plain words; a paraphrase that uses the material's own figures gets no note."""

from __future__ import annotations

import re

import pytest

from sparring.grading.rubric import grade

SCENARIO = "hr-mileage-threshold-claim"


@pytest.mark.parametrize("justification", [
    "Use it: 50 miles at 45p is £22.50 and the other 162 miles at 25p come to £40.50, so £63.00 altogether.",
    "The 9,950 miles so far leave 50 at the higher rate; £22.50 plus £40.50 gives the £63.00 total.",
])
def test_a_paraphrase_with_the_materials_figures_gets_no_note(org, justification):
    r = grade(org, org.scenarios[SCENARIO], {"decision": "use", "confidence": 0.9, "justification": justification})
    assert "not find in the material" not in r.summary


@pytest.mark.parametrize("justification, invented", [
    ("Use it: 50 miles at 45p and 162 at 25p, so £71.20 in total.", "£71.20"),
    ("The split is right and the claim comes to £58.90 for the 212 miles.", "£58.90"),
])
def test_an_invented_total_is_pointed_out_in_plain_words(org, justification, invented):
    r = grade(org, org.scenarios[SCENARIO], {"decision": "use", "confidence": 0.9, "justification": justification})
    assert "a figure you will not find in the material" in r.summary
    assert invented not in r.summary  # the summary is stored: the figure itself is never quoted
    # human wording: no slug, kind or internal name reaches the learner
    note = r.summary[r.summary.index("Your answer gives"):]
    assert not re.search(r"money|unsupported|figures?\.|[a-z]+_[a-z]+|[a-z]+-[a-z]+-", note)


def test_the_note_is_not_a_fail(org):
    sc = org.scenarios[SCENARIO]
    plain = grade(org, sc, {"decision": "use", "confidence": 0.9, "justification": sc.model_answer})
    noted = grade(org, sc, {"decision": "use", "confidence": 0.9,
                            "justification": sc.model_answer + " The claimant also drove 480 miles in May."})
    assert "not find in the material" not in plain.summary
    assert "not find in the material" in noted.summary
    assert noted.passed == plain.passed
