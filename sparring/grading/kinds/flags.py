"""`flags` (spot scenarios): which sentences the learner flagged, and whether each reason names the real error.

Recall is over the faulty sentences (a flag counts when its reason names the error, compared with the author's
`why` by meaning and by key terms such as figures); precision is over the flags (a flag on a sound sentence is
a false alarm). Feedback names missed sentences by id with a hint that does not give the answer away.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from ...content.models import Sentence
from .. import semantic_engine as se
from ...content.models import AnyScenario, SpotAnswer, SpotScenario
from ..context import GradeContext, learner_parts
from ..feedback import copied_note, quote, sentence_names
from ..registry import CriterionOptions, register
from ..result import CriterionResult

FLAG_THRESHOLD = 0.4  # reasons are short and personal; the bar for "names the error" is lower than for semantic
BETA = 2.0  # missing an error costs more than a false alarm: the score is an F2


class FlagsOptions(CriterionOptions):
    check: Literal["flags"] = Field(description="Per-sentence precision/recall against the faulty sentences.")
    min_recall: float = Field(1.0, ge=0, le=1, description="Share of faulty sentences that must be flagged.")
    min_precision: float = Field(0.5, ge=0, le=1, description="Share of flags that must be on faulty sentences.")
    explain: bool = Field(True, description="A flag only counts if its reason names the actual error (`why`).")
    threshold: float | None = Field(None, ge=0, le=1, description="Similarity a reason needs to match `why` "
                                    f"(default {FLAG_THRESHOLD}).")

    def embedding_texts(self, scenario: AnyScenario) -> list[str]:
        if not self.explain or not isinstance(scenario, SpotScenario):
            return []
        return [t for s in scenario.output if s.faulty and s.why for t in se.statement_texts(s.why)]

    def threshold_in_force(self) -> float | None:
        if not self.explain:  # without reasons there is no similarity to tune
            return None
        return self.threshold if self.threshold is not None else FLAG_THRESHOLD

    def threshold_value(self, ctx: GradeContext) -> tuple[float, bool]:
        # the weakest explanation of a faulty sentence: every faulty sentence must be explained
        prep = se.prepare(ctx, se.UNITS_KEY, learner_parts(ctx), self.embedding_texts(ctx.scenario))
        answer = ctx.answer
        assert isinstance(answer, SpotAnswer) and isinstance(ctx.scenario, SpotScenario)
        vals = []
        for s in ctx.scenario.output:
            if not s.faulty:
                continue
            reason = answer.flags.get(s.id)
            if reason is None:
                return 0.0, True
            idx = [i for i, u in enumerate(prep.units) if u.source == s.id]
            why = s.why or ""
            m = se.match(prep, why, 0.0, units=idx, negation=False)
            vals.append(explanation_score(m, reason, why, s.text) if idx else 0.0)
        return (min(vals) if vals else 0.0), True


_MONTHS = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b(19|20)\d\d\b|"
                     r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|days?|weeks?|months?|years?)\b",
                     re.I)


def hint(text: str) -> str:
    """Where to look, without saying what is wrong."""
    if re.search(r"\b(clause|section|article|regulation|rule|paragraph)\b", text, re.I):
        return "check the reference it cites"
    if re.search(r"\b(contact|phone|telephone|e-?mail|address|reached on|call (?:him|her|them))\b", text, re.I):
        return "check what it would disclose, and to whom"
    if _MONTHS.search(text):
        return "check its dates and time frames against the material"
    if re.search(r"\d", text):
        return "check its figures against the material"
    if re.search(r"\b(always|never|all|every|guarantee[sd]?|must|only)\b", text, re.I):
        return "check whether the claim is really that absolute"
    return "check what it claims against the material"


def explanation_score(m: se.Match, reason: str, why: str, sentence: str = "") -> float:
    """Meaning match of the reason with `why`, lifted when the reason states the correct figure (one in `why`
    that the faulty sentence does not already show, so copying the wrong figure earns nothing)."""
    figs = se.key_figures(why) - se.key_figures(sentence)
    if figs and figs & se.key_figures(reason):
        return min(1.0, m.score + 0.15)
    return m.score


@register("flags", options=FlagsOptions, kinds={"spot"}, uses_embeddings=True, has_threshold=True,
          description="Flags the faulty sentences (recall), not the sound ones (precision), with reasons that name "
          "the actual error.",
          example="- id: found-errors\n  check: flags\n  required: true\n  min_recall: 1.0")
def grade_flags(opts: FlagsOptions, ctx) -> CriterionResult:
    out = {s.id: s for s in ctx.scenario.output}
    faulty = [s for s in ctx.scenario.output if s.faulty]
    flags = {sid: (reason or "").strip() for sid, reason in ctx.answer.flags.items() if sid in out}
    thr = FLAG_THRESHOLD if opts.threshold is None else opts.threshold
    prep = None
    if opts.explain:
        prep = se.prepare(ctx, se.UNITS_KEY, learner_parts(ctx), opts.embedding_texts(ctx.scenario))
    found: list[tuple[Sentence, float | None]] = []
    unexplained: list[tuple[Sentence, float]] = []
    missed: list[Sentence] = []
    denied: dict[str, se.Match] = {}  # reasons that deny `why` or state a wrong figure
    for s in faulty:
        if s.id not in flags:
            missed.append(s)
            continue
        if prep is None:  # reasons not asked for (explain: false)
            found.append((s, None))
            continue
        idx = [i for i, u in enumerate(prep.units) if u.source == s.id]
        # a reason that denies `why`, or "corrects" the sentence with a figure that is neither the right one nor
        # the sentence's own, does not name the error
        m = se.match(prep, s.why, thr, units=idx, figures_from=(s.text,))
        sc = explanation_score(m, flags[s.id], s.why, s.text) if m.contradicted is None else 0.0
        if idx and sc >= thr:
            found.append((s, round(sc, 3)))
        else:
            unexplained.append((s, round(sc, 3)))
            if m.contradicted:
                denied[s.id] = m
    false_flags = [sid for sid in flags if not out[sid].faulty]
    n_f = len(faulty)
    recall = len(found) / n_f
    on_faulty = len(flags) - len(false_flags)
    precision = on_faulty / len(flags) if flags else 1.0
    credit = (len(found) + 0.5 * len(unexplained)) / n_f
    b2 = BETA * BETA
    score = (1 + b2) * precision * credit / (b2 * precision + credit) if (precision + credit) > 0 else 0.0
    passed = recall >= opts.min_recall - 1e-9 and precision >= opts.min_precision - 1e-9 and bool(flags)
    ev = {"found": [s.id for s, _ in found], "unexplained": [s.id for s, _ in unexplained],
          "missed": [s.id for s in missed], "false_flags": false_flags, "recall": round(recall, 3),
          "precision": round(precision, 3), "scores": {s.id: sc for s, sc in found + unexplained if sc is not None}}
    if denied:
        ev["denied"] = {sid: {"clause": m.contradicted, "denial": m.denial} for sid, m in denied.items()}
    parts = []

    def named(ids: list[str]) -> str:  # as the learner sees them: by number, not by id
        return sentence_names(ctx.scenario, ids)

    if found:
        parts.append(f"You found {len(found)} of {n_f} faulty sentence{'s' if n_f > 1 else ''} "
                     f"({named([s.id for s, _ in found])})" + (" and said what was wrong." if opts.explain else "."))
    elif not flags:
        parts.append(f"You flagged nothing; {n_f} sentence{'s are' if n_f > 1 else ' is'} wrong in this output.")
    else:
        parts.append(f"You found none of the {n_f} faulty sentence{'s' if n_f > 1 else ''} with a reason that "
                     "names the error.")
    if unexplained:
        bits = []
        for s, _ in unexplained:
            r = flags[s.id]
            said = (f"your reason {quote(r, 80, around=se.key_figures(r))} does not name the error" if r
                    else "you gave no reason")
            wrong = denied[s.id].figure if s.id in denied and denied[s.id].denial == "figure" else None
            if wrong:
                said = f"your reason gives {wrong[0]}, which is not the right figure"
            bits.append(f"{named([s.id])} ({said}; {hint(s.text)})")
        parts.append("Right sentence, but: " + "; ".join(bits) + ".")
    if missed:
        parts.append("Missed: " + "; ".join(f"{named([s.id])} ({quote(s.text, 60)} — {hint(s.text)})"
                                            for s in missed) + ".")
    if false_flags:
        parts.append(f"Flagged but sound as written: {named(false_flags)}; flagging correct sentences makes real "
                     "errors harder to act on.")
    if not passed:
        if missed or unexplained:
            parts.append("Next step: read each sentence against the material and, for each error, say what the "
                         "correct fact is.")
        elif false_flags:
            parts.append("Next step: only flag a sentence when you can say what the correct fact is.")
    if prep is not None and prep.copied:
        ev["copied"] = prep.copied
    return CriterionResult(id=opts.id, passed=passed, score=max(0.0, min(1.0, score)), evidence=ev,
                           feedback=" ".join(parts) + (copied_note(prep) if prep is not None else ""))
