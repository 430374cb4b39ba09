"""Suggest a threshold per criterion from the scenario's labelled examples: every criterion whose grader kind is
registered with `has_threshold` (built-in semantic, justification, flags with `explain`; plugins alike).

A criterion's label in an example comes from `expect.failed` (must fail), `expect.passed_criteria` (must pass),
or, for a `required` criterion of an example expected to pass overall, "must pass". Each example gives one
decision value per criterion (the score the threshold is compared with); the suggestion is the threshold with
the best accuracy on the labelled examples, the one nearest the current threshold among ties. A `semantic`
criterion's value is its example-aware score with the example itself left out (grading/exemplars.py), the same
path `sparring test` grades.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..content.models import AnyScenario
from .context import GradeContext
from .exemplars import label as example_label
from .registry import CriterionOptions
from .rubric import parse_answer

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


def decision_value(crit: CriterionOptions, ctx: GradeContext) -> tuple[float, bool]:
    """(value, passes_when_above): the number the criterion's threshold is compared with for this answer (the
    kind's own CriterionOptions.threshold_value)."""
    return crit.threshold_value(ctx)


def calibrated(org: Any, scenario: AnyScenario) -> list[tuple[CriterionOptions, float]]:
    """The scenario's criteria that have a threshold to tune, with the threshold in force: every criterion whose
    kind (built-in or plugin) is registered with `has_threshold` and whose options name a threshold."""
    out: list[tuple[CriterionOptions, float]] = []
    for crit in scenario.rubric.criteria:
        kind = org.registry.get(crit.check)
        if kind is None or not kind.has_threshold:
            continue
        if not isinstance(crit, kind.options):  # a scenario file loaded on its own: type its options
            crit = kind.parse({**crit.model_dump(by_alias=True, exclude_unset=True), **crit.options})
        current = crit.threshold_in_force()
        if current is not None:
            out.append((crit, current))
    return out


def _accuracy(values: list[ExampleValue], thr: float, above: bool) -> float:
    ok = sum(1 for v in values if ((v.value >= thr) == above) == v.should_pass)
    return ok / len(values)


def calibrate(org: Any, scenario: AnyScenario, reviewed: Sequence[Any] = ()) -> list[CalibrationRow]:
    """Per criterion with a threshold: the threshold that best separates its labelled examples. `reviewed` are the
    accepted examples from mentors' reviews (`review.review_examples(status="accepted")`): each labels one
    criterion and counts like a YAML example's label, left out of its own evidence as `sparring test` does."""
    rows: list[CalibrationRow] = []
    for crit, current in calibrated(org, scenario):
        values: list[ExampleValue] = []
        above = True
        # (name, answer, leave-out index, label): the YAML examples labelled for this criterion, then the accepted
        # examples from reviews that label it
        labelled = [(ex.name or f"example {i + 1}", ex.answer, i, example_label(crit, ex))
                    for i, ex in enumerate(scenario.examples)]
        labelled += [(f"review #{e.id}", e.answer, e.index, e.passed) for e in reviewed
                     if e.scenario == scenario.id and e.criterion == crit.id]
        for name, raw, leave_out, label in labelled:
            if label is None:
                continue
            try:
                answer = parse_answer(scenario, raw, org.settings.limits.max_answer_chars)
            except ValueError:
                continue
            ctx = GradeContext(org=org, scenario=scenario, answer=answer, leave_out=leave_out)
            val, above = decision_value(crit, ctx)
            values.append(ExampleValue(example=name, value=round(val, 4), should_pass=label))
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
