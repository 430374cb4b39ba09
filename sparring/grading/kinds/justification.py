"""`justification` (trust and others): the reasons given cover the key reasons, by meaning, not keywords."""

from __future__ import annotations

import math
from typing import Any, Iterator, Literal

from pydantic import Field

from .. import semantic_engine as se
from ..feedback import copied_note, language_note
from ..registry import CriterionOptions, register
from ..result import CriterionResult
from ...content.models import AnyScenario
from ..context import GradeContext, learner_parts
from .semantic import quoter
from ..hedging import hedge


class JustificationOptions(CriterionOptions):
    check: Literal["justification"] = Field(description="Coverage of the key reasons.")
    reasons: list[str] = Field(min_length=1, description="The key reasons an expert would give.")
    min_covered: int | None = Field(None, ge=1, description="How many reasons must be covered (default: half, "
                                    "rounded up).")
    threshold: float | None = Field(None, ge=0, le=1, description="Similarity a sentence needs to cover a reason.")
    contrasts: bool = Field(True, description="Check in `sparring test` that the generated near misses of each "
                            "reason (negated, reversed, opposite word, wrong figure; grading/contrasts.py) do not "
                            "cover it. `false` switches them off for this criterion.")

    def needed(self) -> int:
        return min(len(self.reasons), self.min_covered or math.ceil(len(self.reasons) / 2))

    def embedding_texts(self, scenario: AnyScenario) -> list[str]:
        return [t for r in self.reasons for t in se.statement_texts(r)]

    def threshold_in_force(self) -> float:
        return self.threshold if self.threshold is not None else se.DEFAULT_THRESHOLD

    def threshold_value(self, ctx: GradeContext) -> tuple[float, bool]:
        # the needed-th best reason's score: the criterion passes when that many reasons reach the threshold
        prep = se.prepare(ctx, se.UNITS_KEY, learner_parts(ctx), self.embedding_texts(ctx.scenario))
        scores = sorted((se.match(prep, r, 0.0).score for r in self.reasons), reverse=True)
        return scores[self.needed() - 1], True

    def check_scenario(self, scenario: AnyScenario, org: Any) -> Iterator[tuple[str, tuple[str | int, ...]]]:
        if self.min_covered and self.min_covered > len(self.reasons):
            yield (f"min_covered is {self.min_covered} but only {len(self.reasons)} reasons are listed; lower it "
                   "or add reasons", ("min_covered",))


@register("justification", options=JustificationOptions, kinds={"frame", "spot", "trust"}, uses_embeddings=True,
          has_threshold=True, description="The answer gives the key reasons (by meaning, not keywords).",
          example="- id: reasons\n  check: justification\n  reasons:\n    - The limit quoted is not in the policy "
          "schedule.\n    - The clause number does not exist.")
def grade_justification(opts: JustificationOptions, ctx) -> CriterionResult:
    prep = se.prepare(ctx, se.UNITS_KEY, learner_parts(ctx), opts.embedding_texts(ctx.scenario))
    said = quoter(ctx, 100)
    matches = [se.match(prep, r, opts.threshold) for r in opts.reasons]
    hedged = hedge(ctx.text) if ctx.scenario.kind == "trust" else None
    covered = [m for m in matches if m.matched] if not hedged else []
    need = opts.needed()
    passed = len(covered) >= need
    score = min(1.0, len(covered) / need) if need else 1.0
    ev = {"covered": [{"reason": m.statement, "sentence": m.evidence, "score": round(m.score, 3)} for m in covered],
          "missing": [m.statement for m in matches if not m.matched], "needed": need,
          "sentence": max(covered, key=lambda m: m.score).evidence if covered else None}
    if prep.ignored:
        ev["ignored"] = prep.ignored
    note = " Sentences addressed to the grader were not counted." if prep.ignored else ""
    note += copied_note(prep)
    if prep.copied:
        ev["copied"] = prep.copied
    got = "; ".join(f"{said(m.evidence, m.statement)} covers “{m.statement.rstrip('.')}”" for m in covered[:3])
    if passed:
        more = ""
        if len(covered) < len(matches):
            more = f" An expert would also mention: {next(m.statement for m in matches if not m.matched)}"
        return CriterionResult(id=opts.id, passed=True, score=score, evidence=ev,
                               feedback=f"Your reasons hold up ({len(covered)} of {len(matches)} key reasons): "
                               f"{got}.{more}{note}")
    contra = [m for m in matches if m.contradicted and not m.matched]
    parts = []
    if hedged:
        ev["hedge"] = hedged
        parts.append(f"Your answer argues for more than one decision ({se.quote(hedged, 120)}), so its reasons do "
                     "not support the one you chose. Pick one decision and give the reasons for it.")
    elif not prep.units:
        parts.append("You gave no reasons" + (" apart from words addressed to the grader" if prep.ignored else "")
                     + ".")
    else:
        parts.append(f"Your reasons cover {len(covered)} of the {need} key reasons needed"
                     + (f" ({got})" if covered else "") + ".")
    for m in contra[:2]:
        parts.append(f"{se.denial_note(m)} A key reason is: {m.statement.rstrip('.')}.")
    missing = [m for m in matches if not m.matched]
    parts.append("Next step: say why, in a sentence each — for example: " + missing[0].statement.rstrip(".") + ".")
    return CriterionResult(id=opts.id, passed=False, score=score, evidence=ev,
                           feedback=" ".join(parts) + note + language_note(ctx.text))
