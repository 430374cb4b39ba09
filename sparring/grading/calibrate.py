"""Suggest a threshold per criterion (semantic, justification, flags) from the scenario's labelled examples.

A criterion's label in an example comes from `expect.failed` (must fail), `expect.passed_criteria` (must pass),
or, for a `required` criterion of an example expected to pass overall, "must pass". Each example gives one
decision value per criterion (the score the threshold is compared with); the suggestion is the threshold with
the best accuracy on the labelled examples, the one nearest the current threshold among ties. A `semantic`
criterion's value is its example-aware score with the example itself left out (grading/exemplars.py), the same
path `sparring test` grades.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from . import semantic_engine as se
from .exemplars import label as example_label
from .rubric import GradeContext, parse_answer

if TYPE_CHECKING:  # only named for the checker: sparring.organisation imports this layer
    from ..organisation import Organisation


class ExampleValue(BaseModel):
    example: str
    value: float
    should_pass: bool


class CalibrationRow(BaseModel):
    criterion: str
    check: str
    current: float
    suggested: float | None
    accuracy_current: float | None
    accuracy_suggested: float | None
    labelled: int
    values: list[ExampleValue]
    note: str = ""

    def describe(self) -> str:
        if self.suggested is None:
            return f"{self.criterion} ({self.check}): threshold {self.current:.2f}; {self.note}"
        vals = ", ".join(f"{v.example}={v.value:.2f}{'✓' if v.should_pass else '✗'}" for v in self.values)
        return (f"{self.criterion} ({self.check}): current {self.current:.2f} → accuracy "
                f"{self.accuracy_current:.0%}; suggested threshold: {self.suggested:.2f} → accuracy "
                f"{self.accuracy_suggested:.0%} on {self.labelled} labelled examples [{vals}]"
                + (f"; {self.note}" if self.note else ""))


def decision_value(crit, ctx) -> tuple[float, bool]:
    """(value, passes_when_above): the number the criterion's threshold is compared with for this answer."""
    from .kinds.flags import FlagsOptions, explanation_score
    from .kinds.justification import JustificationOptions
    from .kinds.semantic import SemanticOptions, learner_parts, matches

    prep = se.prepare(ctx, "semantic:units", learner_parts(ctx), [])
    if isinstance(crit, SemanticOptions):
        scores = [m.score for m in matches(crit, ctx, prep)[0]]
        if crit.absent:
            return max(scores), False
        return (min(scores) if crit.match == "all" else max(scores)), True
    if isinstance(crit, JustificationOptions):
        scores = sorted((se.match(prep, r, 0.0).score for r in crit.reasons), reverse=True)
        return scores[crit.needed() - 1], True
    if isinstance(crit, FlagsOptions):
        vals = []
        for s in ctx.scenario.output:
            if not s.faulty:
                continue
            reason = ctx.answer.flags.get(s.id)
            if reason is None:
                return 0.0, True
            idx = [i for i, u in enumerate(prep.units) if u.source == s.id]
            m = se.match(prep, s.why, 0.0, units=idx, negation=False)
            vals.append(explanation_score(m, reason, s.why, s.text) if idx else 0.0)
        return (min(vals) if vals else 0.0), True
    raise TypeError(type(crit).__name__)


def _accuracy(values: list[ExampleValue], thr: float, above: bool) -> float:
    ok = sum(1 for v in values if ((v.value >= thr) == above) == v.should_pass)
    return ok / len(values)


def calibrate(org: Organisation, scenario) -> list[CalibrationRow]:
    from .kinds.flags import FLAG_THRESHOLD, FlagsOptions
    from .kinds.justification import JustificationOptions
    from .kinds.semantic import SemanticOptions

    rows: list[CalibrationRow] = []
    crits = [c for c in scenario.rubric.criteria if isinstance(c, (SemanticOptions, JustificationOptions))
             or (isinstance(c, FlagsOptions) and c.explain)]
    for crit in crits:
        current = crit.threshold if crit.threshold is not None else (
            FLAG_THRESHOLD if isinstance(crit, FlagsOptions) else se.DEFAULT_THRESHOLD)
        values: list[ExampleValue] = []
        above = True
        for i, ex in enumerate(scenario.examples):
            label = example_label(crit, ex)
            if label is None:
                continue
            try:
                answer = parse_answer(scenario, ex.answer, org.settings.limits.max_answer_chars)
            except ValueError:
                continue
            ctx = GradeContext(org=org, scenario=scenario, answer=answer, leave_out=i)
            val, above = decision_value(crit, ctx)
            values.append(ExampleValue(example=ex.name or f"example {i + 1}", value=round(val, 4),
                                       should_pass=label))
        if not values:
            rows.append(CalibrationRow(criterion=crit.id, check=crit.check, current=current, suggested=None,
                                       accuracy_current=None, accuracy_suggested=None, labelled=0, values=[],
                                       note="no example is labelled for this criterion: add it to an example's "
                                       "`expect.failed` or `expect.passed_criteria`"))
            continue
        vs = sorted({v.value for v in values})
        cands = {current} | {round((a + b) / 2, 3) for a, b in zip(vs, vs[1:])} | {max(0.0, vs[0] - 0.02),
                                                                                   min(1.0, vs[-1] + 0.02)}
        best = max(sorted(cands), key=lambda t: (_accuracy(values, t, above), -abs(t - current)))
        note = ""
        if len({v.should_pass for v in values}) < 2:
            note = ("all labelled examples expect the same outcome, so any threshold on the right side fits; "
                    "add a contrasting example to pin it down")
            best = current if _accuracy(values, current, above) == 1.0 else best
        if len(values) < 4:
            note = (note + "; " if note else "") + "few labelled examples: treat the suggestion as a first guess"
        rows.append(CalibrationRow(criterion=crit.id, check=crit.check, current=current,
                                   suggested=round(best, 3), accuracy_current=_accuracy(values, current, above),
                                   accuracy_suggested=_accuracy(values, best, above), labelled=len(values),
                                   values=values, note=note))
    return rows
