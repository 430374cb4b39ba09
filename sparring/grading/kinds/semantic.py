"""`semantic`: the answer satisfies a statement, judged by meaning (paraphrase-robust, negation-aware).

The evidence is the learner's sentence that satisfies the statement. A sentence that says the opposite
("do not promise a payout" against "promise them the payout") never counts, and sentences that talk to the
grader are not evidence. See semantic_engine.py for how a statement is matched.
"""

from __future__ import annotations

from typing import Any, Callable, Literal

from pydantic import Field

from .. import contrasts
from .. import exemplars as xm
from .. import semantic_engine as se
from ...content.models import AnyScenario
from ..context import GradeContext, learner_parts
from ..feedback import copied_note, key_words, language_note, quote, whole_sentence
from ..registry import CriterionOptions, register
from ..result import CriterionResult
from ..hedging import hedge
from ..text import graded


class SemanticOptions(CriterionOptions):
    check: Literal["semantic"] = Field(description="Meaning match against `expect`.")
    expect: str | list[str] = Field(description="The statement(s) the answer must satisfy; with a list, any one "
                                    "is enough unless `match: all`.")
    match: Literal["any", "all"] = Field("any", description="With several statements: any one, or all of them.")
    absent: bool = Field(False, description="Invert: the answer must NOT say this (e.g. 'promises a payout').")
    threshold: float | None = Field(None, ge=0, le=1, description="Combined similarity (0..1) a sentence needs; "
                                    f"default {se.DEFAULT_THRESHOLD} (see `sparring calibrate`).")
    examples: bool = Field(True, description="Also learn from the scenario's labelled `examples` that label this "
                           "criterion (in `expect.passed_criteria` or `expect.failed`; a whole-pass example counts "
                           "for a `required` criterion): a sentence like a passing example's counts as saying it; "
                           "a sentence closer to a failing example's than to `expect` and every passing example "
                           "does not. `false` = judge by the statement(s) only.")
    must_not: list[str] = Field(default_factory=list, description="Statements the answer must NOT assert even "
                                "when it covers `expect`: a promise, an instruction or a fact the material forbids "
                                "(e.g. 'Promises the customer a payout date.'). The criterion fails when the answer "
                                "says one of them; saying the opposite ('do not promise a date') is fine.")
    contrasts: bool = Field(True, description="Generate near misses of each statement (negated, reversed, opposite "
                            "word, wrong figure; grading/contrasts.py), use them as failing examples, and check in "
                            "`sparring test` that each fails. `false` switches them off for this criterion.")

    def statements(self) -> list[str]:
        items = [self.expect] if isinstance(self.expect, str) else list(self.expect)
        return [s for s in (x.strip() for x in items) if s]

    def forbidden(self) -> list[str]:
        return [s for s in (x.strip() for x in self.must_not) if s]

    def embedding_texts(self, scenario: AnyScenario) -> list[str]:
        return [t for s in self.statements() + self.forbidden() for t in se.statement_texts(s)]

    def threshold_in_force(self) -> float:
        return self.threshold if self.threshold is not None else se.DEFAULT_THRESHOLD

    def threshold_value(self, ctx: GradeContext) -> tuple[float, bool]:
        # the example-aware score (the path grade_semantic takes), its best or worst statement as `match` says
        prep = se.prepare(ctx, se.UNITS_KEY, learner_parts(ctx), self.embedding_texts(ctx.scenario))
        scores = [m.score for m in matches(self, ctx, prep)[0]]
        if self.absent:
            return max(scores), False
        return (min(scores) if self.match == "all" else max(scores)), True


def quoter(ctx: Any, limit: int = 160) -> Callable[[str | None, str], str]:
    """How the kinds quote the learner: the whole sentence a judged unit comes from, whole words, around the
    statement's key words (grading/feedback.py)."""
    texts = [t for _, t in learner_parts(ctx)]

    def q(unit: str | None, statement: str) -> str:
        return quote(whole_sentence(texts, unit), limit, around=key_words(statement))

    return q


def _lower_first(s: str) -> str:
    s = s.strip().rstrip(".")
    return s[:1].lower() + s[1:] if s[:2] != s[:2].upper() else s


def matches(opts: SemanticOptions, ctx, prep: se.Prepared) -> tuple[list[se.Match], dict | None]:
    """One Match per statement: the statement alone, then (when the scenario's examples label this criterion)
    the example-aware verdict of grading/exemplars.py on top. Returns the matches and the examples' evidence
    (for mentors and authors: which labelled example the deciding sentence resembled)."""
    results = [se.match(prep, s, opts.threshold) for s in opts.statements()]
    ex: tuple[xm.Exemplar, ...] = ()
    if opts.examples and ctx is not None:
        ex = tuple(e for e in xm.for_criterion(ctx.scenario, opts) if e.index != ctx.leave_out)
        # near misses generated from the statements: failing exemplars from day one (grading/contrasts.py)
        ex += contrasts.exemplars(opts, ctx.scenario, " ".join(t for _, t in learner_parts(ctx)))
    if not ex or not prep.units or not results:
        return results, None
    if opts.match == "all":
        groups = [([m], [e for e in ex if e.statement == m.statement]) for m in results]
    else:
        groups = [(results, [e for e in ex if e.statement == ""])]
    info: dict = {"labelled": len({e.index for e in ex if e.index >= 0}), "decided_by": []}
    for ms, group in groups:
        if not group:
            continue
        d = xm.decide(prep, [m.statement for m in ms], group)
        best = max(ms, key=lambda m: m.score)
        for m in ms:  # the criterion's verdict is the decision's; the statement rows keep their own evidence
            m.score = min(m.score, d.score)
        best.score, best.evidence = d.score, d.evidence
        row = {"statement": best.statement, "score": round(d.score, 3), "statement_score": round(d.statement_score, 3),
               "sentence": d.evidence}
        if d.nearest_pass is not None:
            row["like_passing_example"] = {"example": d.nearest_pass.name, "sentence": d.nearest_pass.sentence}
        if d.nearest_fail is not None:
            row["like_failing_example"] = {"example": d.nearest_fail.name, "sentence": d.nearest_fail.sentence,
                                           "similarity": round(d.neg, 3)}
            best.near_miss = True
        info["decided_by"].append(row)
    return results, info


@register("semantic", options=SemanticOptions, uses_embeddings=True, has_threshold=True,
          description="The answer says what `expect` says, in any words; a negated statement does not count. "
          "Learns from the scenario's labelled examples too.",
          example="- id: context\n  check: semantic\n  expect: Explains that the claim waits for the contractor's "
          "repair estimate.")
def grade_semantic(opts: SemanticOptions, ctx) -> CriterionResult:
    prep = se.prepare(ctx, se.UNITS_KEY, learner_parts(ctx), opts.embedding_texts(ctx.scenario))
    said = quoter(ctx)
    results, ex_info = matches(opts, ctx, prep)
    hits = [m for m in results if m.matched]
    ev: dict = {"statements": [{"statement": m.statement, "matched": m.matched, "score": round(m.score, 3),
                                "sentence": m.evidence, "contradicted_by": m.contradicted,
                                **({"denial": m.denial} if m.contradicted else {})} for m in results]}
    if ex_info:
        ev["examples"] = ex_info  # author content: for mentors and authors; learners' feedback keeps to `expect`
    if prep.ignored:
        ev["ignored"] = prep.ignored
    note = (" Sentences that address the grader instead of doing the task were not counted."
            if prep.ignored else "")
    if not prep.units and not prep.ignored:
        note = ""
    note += copied_note(prep)
    if prep.copied:
        ev["copied"] = prep.copied
    if opts.absent:
        if hits:
            m = max(hits, key=lambda m: m.score)
            return CriterionResult(
                id=opts.id, passed=False, score=0.0, evidence={**ev, "sentence": m.evidence},
                feedback=(f"Your answer says {said(m.evidence, m.statement)}, which is what this criterion rules out "
                          f"({_lower_first(m.statement)}). Remove it, or say the opposite if that is what you "
                          "mean."))
        return CriterionResult(id=opts.id, passed=True, score=1.0, evidence=ev,
                               feedback=f"Good: nothing in your answer {_lower_first(results[0].statement)}.")
    need_all = opts.match == "all"
    passed = (len(hits) == len(results)) if need_all else bool(hits)
    asserted = [m for m in (se.match(prep, f, opts.threshold) for f in opts.forbidden()) if m.matched]
    if asserted:  # a harmful or invented addition fails the criterion, whatever else the answer covers
        m = max(asserted, key=lambda m: m.score)
        ev["must_not"] = [{"statement": x.statement, "sentence": x.evidence, "score": round(x.score, 3)}
                          for x in asserted]
        return CriterionResult(
            id=opts.id, passed=False, score=0.0, evidence={**ev, "sentence": m.evidence},
            feedback=(f"Your answer says {said(m.evidence, m.statement)}, and it must not: {_lower_first(m.statement)}. "
                      "Remove it (or say the opposite, if that is what the material allows)." + note))
    hedged = hedge(ctx.text) if ctx.scenario.kind == "trust" and passed else None
    if hedged:  # arguing for every decision covers every reason; it earns none
        ev["hedge"] = hedged
        return CriterionResult(
            id=opts.id, passed=False, score=0.0, evidence=ev,
            feedback=(f"Your answer argues for more than one decision ({se.quote(hedged, 120)}), so its reasons "
                      "do not support the one you chose. Pick one decision and give the reasons for it."))
    score = (len(hits) / len(results)) if need_all else (1.0 if hits else 0.0)
    best = max(hits or results, key=lambda m: m.score)
    ev["sentence"] = best.evidence if best.matched else None
    if passed:
        shown = " ".join(said(m.evidence, m.statement) for m in hits[:3])
        return CriterionResult(id=opts.id, passed=True, score=score, evidence=ev,
                               feedback=f"Your answer covers this: {shown}.{note}")
    missing = [m for m in results if not m.matched]
    parts = []
    if not need_all and len(results) > 1:
        parts.append("Any one of these points would do.")
    if not prep.units:
        parts.append("Your answer gives nothing to judge here" + (" apart from words addressed to the grader"
                                                                   if prep.ignored else "") + ".")
    for m in missing[:3]:
        if m.contradicted:
            parts.append(f"{se.denial_note(m)} Wanted: {m.statement.rstrip('.')}.")
        elif m.evidence and (m.score >= m.threshold * 0.75 or m.near_miss):
            parts.append(f"The closest you came is {said(m.evidence, m.statement)}, which does not quite say it. "
                         f"Wanted: {m.statement.rstrip('.')}.")
        else:
            parts.append(f"Your answer does not cover this yet. Wanted: {m.statement.rstrip('.')}.")
    if need_all and hits:
        parts.append(f"({len(hits)} of {len(results)} points covered.)")
    parts.append("Next step: add one plain sentence that says this in your own words." if len(missing) == 1 or
                 not need_all else "Next step: add a plain sentence for each missing point.")
    if prep.truncated:
        note += f" Only the first {se.MAX_UNITS} sentences and clauses were read; keep the answer shorter."
    return CriterionResult(id=opts.id, passed=False, score=score, evidence=ev,
                           feedback=" ".join(parts) + note + language_note(ctx.text))
