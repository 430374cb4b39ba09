"""`decision` (trust scenarios): the expected option, partial credit, and calibration of the stated confidence."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..registry import CriterionOptions, register
from ..result import CriterionResult


class DecisionOptions(CriterionOptions):
    check: Literal["decision"] = Field(description="Compares use/verify/reject with the scenario's `decision`.")
    calibration_weight: float = Field(0.2, ge=0, le=1, description="Share of the score from calibration "
                                      "(1 - Brier score of the stated confidence); the rest is the decision credit.")
    min_credit: float = Field(1.0, ge=0, le=1, description="Decision credit needed to pass (1.0: the expected "
                              "option only; 0.5 also passes an option with credit 0.5).")


def brier(confidence: float, correct: bool) -> float:
    """Brier score of a single forecast: (confidence - outcome)^2; 0 is perfect, 1 is confidently wrong."""
    return (confidence - (1.0 if correct else 0.0)) ** 2


@register("decision", options=DecisionOptions, kinds={"trust"},
          description="use / verify / reject against the expert's decision, with partial credit and a Brier "
          "calibration score from the learner's confidence.",
          example="- id: decision\n  check: decision\n  required: true")
def grade_decision(opts: DecisionOptions, ctx) -> CriterionResult:
    spec = ctx.scenario.decision
    a = ctx.answer
    correct = a.decision == spec.expected
    credit = 1.0 if correct else spec.credit.get(a.decision, 0.0)
    b = brier(a.confidence, correct)
    score = (1 - opts.calibration_weight) * credit + opts.calibration_weight * (1 - b)
    passed = credit >= opts.min_credit
    ev = {"decision": a.decision, "expected": spec.expected, "credit": credit, "confidence": a.confidence,
          "brier": round(b, 4)}
    if correct:
        calib = ("and your confidence matched" if b <= 0.0625 else
                 f"though at {a.confidence:.0%} confidence you were less sure than the evidence allowed")
        fb = f"'{a.decision}' is the right call, {calib}."
    else:
        why = f" {spec.why}" if spec.why else ""
        # No figure here: the criterion's score, shown beside these words, already counts this credit and the
        # calibration together; a second percentage would name a different number for the same criterion.
        part = " It earns part of the credit." if credit else ""
        over = (" You were very sure of a wrong call: slow down on answers like this one."
                if a.confidence >= 0.8 else "")
        fb = f"You chose '{a.decision}'; an expert would {spec.expected}.{why}{part}{over}"
    return CriterionResult(id=opts.id, passed=passed, score=max(0.0, min(1.0, score)), feedback=fb, evidence=ev)
