"""The verdict of one graded answer, decided in one place: its score, whether it passed, whether the anti-gaming
hold stopped a pass, whether it could not be decided (ungraded), the summary, and why a mentor must look.

The rules (written for authors in docs/authoring.md, "Rubrics and criteria"; the JSON in docs/cli.md, `sparring grade`):
- The score is the weighted mean of the criteria that were checked; an ungraded criterion is left out. It is
  rounded once, here, to the whole percent the learner reads, and that rounded number is the one compared with
  the pass mark: "100%" is exactly 1.0 and never fails a pass mark of 100%.
- An attempt passes when its score reaches the pass mark, no required criterion failed or went ungraded, and the
  anti-gaming hold (sparring/gaming.py) did not hold it.
- A required criterion that could not be checked leaves the verdict to a mentor (`ungraded`), unless a checked
  required criterion failed anyway.
- The attempt goes to the mentor queue when the hold alone stopped a pass, or when any criterion could not be
  checked (the learner was told "a mentor will").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

from .. import gaming
from .result import CriterionResult

SCORE_DIGITS = 2  # a score is a whole percentage: what is shown is what is compared
_EPS = 1e-9  # float slack of the one pass-mark comparison (a pass mark such as 0.7 is not exact in binary)


@dataclass(frozen=True)
class Verdict:
    score: float
    passed: bool
    held_back: bool
    ungraded: bool
    summary: str
    review_reason: str | None

    def fields(self) -> dict[str, Any]:
        """As GradeResult fields."""
        return asdict(self)


def reaches(score: float, pass_mark: float) -> bool:
    """The pass-mark test, for every caller that asks "is this score enough?"."""
    return score >= pass_mark - _EPS


def weighted_score(criteria: Sequence[CriterionResult]) -> float:
    """The weighted mean score of the checked criteria, rounded once; 0.0 when none was checked."""
    checked = [c for c in criteria if not c.ungraded]
    total = sum(c.weight for c in checked)
    if not checked or total <= 0:
        return 0.0
    raw = sum(c.weight * c.score for c in checked) / total
    return round(max(0.0, min(1.0, raw)), SCORE_DIGITS)


def pct(x: float) -> str:
    return f"{x:.0%}"


def decide(criteria: Sequence[CriterionResult], pass_mark: float, held: Sequence[str] = ()) -> Verdict:
    """The verdict of graded criteria (labels, `required` and weights filled in by the rubric) against the pass
    mark, given the hold's signal codes (`gaming.holds`)."""
    score = weighted_score(criteria)
    checked = [c for c in criteria if not c.ungraded]
    unchecked = [c for c in criteria if c.ungraded]
    req_failed = [c for c in checked if c.required and not c.passed]
    undecided = not req_failed and (not checked or any(c.required for c in unchecked))
    rubric_pass = reaches(score, pass_mark) and not req_failed and not undecided
    held_back = bool(held) and rubric_pass
    passed = rubric_pass and not held
    marks = f"score {pct(score)}, pass mark {pct(pass_mark)}"
    names = ", ".join(_name(c) for c in unchecked)
    if passed:
        summary = f"Passed with {pct(score)} (pass mark {pct(pass_mark)})."
    elif held_back:
        summary = f"{gaming.hold_message(list(held))} ({marks})"
    elif undecided:
        summary = (f"Not graded yet: we could not check {names}; a mentor will"
                   + (f" (the rest: {marks})." if checked else "."))
    elif req_failed:
        summary = f"Not yet: {', '.join(_name(c) for c in req_failed)} must pass ({marks})."
    else:
        summary = f"Not yet: {pct(score)} against a pass mark of {pct(pass_mark)}."
    if unchecked and (passed or not undecided):
        summary += f" We could not check {names}; a mentor will, and it is left out of the score."
    reasons = []
    if held_back:
        reasons.append(gaming.review_question(list(held)))
    if unchecked:
        why = "; ".join(f"{_name(c)} ({_reason(c)})" for c in unchecked)
        reasons.append(f"Queued automatically (not asked by the learner): a criterion could not be checked, so the "
                       f"machine has no grade for it: {why}. Grade it here.")
    return Verdict(score=score, passed=passed, held_back=held_back, ungraded=undecided, summary=summary,
                   review_reason=" ".join(reasons) or None)


def _name(c: CriterionResult) -> str:
    return c.label or c.id


def _reason(c: CriterionResult) -> str:
    ev = c.evidence if isinstance(c.evidence, dict) else {}
    return str(ev.get("reason") or ev.get("status") or "no reason given")
