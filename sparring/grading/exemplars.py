"""A `semantic` criterion learns from the scenario's labelled `examples` (example-aware grading).

Which examples label a criterion (the same rule as `sparring calibrate`):
- listed in `expect.failed` → the criterion fails there;
- listed in `expect.passed_criteria` → it passes there;
- an example that passes overall (`expect.passed: true`) and a `required` criterion → it passes there (a required
  criterion must pass for the attempt to pass, so the author's label implies it). For an optional criterion a
  whole-pass example says nothing, and it is not used.

Each labelled example gives one exemplar: the sentence of its answer that comes closest to the criterion's
statement(s) — the sentence the author's label is about. The exemplar "says it" when the criterion passed there
(for `absent: true`, when it failed there: the example said the forbidden thing). With `match: all` each statement
gets its own exemplars; a failing example is a counter-exemplar only of the statement it came furthest from.

How a learner's unit u (sentence or clause) is scored, on the engine's combined-score scale (so the threshold and
`sparring calibrate` keep their meaning):

    pos(u)   = max(statement score, best score against a "says it" exemplar)
    neg(u)   = best score against a "does not say it" exemplar          (0 without any)
    score(u) = pos(u)   when pos(u) >= neg(u)
             = 0        otherwise (vetoed)

This is the nearest-neighbour verdict with the statement as one more passing neighbour, and it has no constant: a
unit that resembles a sentence the author labelled as passing counts like a paraphrase of the statement; a unit
closer to what the author labelled as not enough than to the statement and every passing example is read as
saying what that failing example says. A unit that contradicts an exemplar (negation, as for statements) does not
resemble it. The criterion's score is the best unit's. Without labelled examples nothing changes. One nearest
neighbour means one mislabelled example can move a verdict: `sparring test` grades every example leave-one-out,
so such an example shows up there as a mismatch.

Exemplars are built once per scenario and criterion per process (their embeddings join the authored-text memo);
`sparring test` grades each example leave-one-out (GradeContext.leave_out), so an example is never its own
neighbour.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from . import embeddings
from . import semantic_engine as se


@dataclass(frozen=True)
class Exemplar:
    statement: str  # the statement (group) it belongs to; "" = the whole criterion (match: any)
    sentence: str  # the example's sentence closest to the statement(s)
    says: bool  # True: the example says what the statement says
    index: int  # the example's index in scenario.examples (or the bench's training answers)
    name: str = ""


@dataclass(frozen=True)
class LabelledAnswer:
    """One labelled answer as the exemplar builder needs it: its text parts and whether the criterion passed."""

    index: int
    name: str
    parts: tuple[tuple[str, str], ...]  # (source, text), as semantic.learner_parts gives
    criterion_passed: bool


def label(crit: Any, ex: Any) -> bool | None:
    """Whether `crit` passes in example `ex` by its author's label; None when the example does not say."""
    if crit.id in ex.expect.failed:
        return False
    if crit.id in ex.expect.passed_criteria:
        return True
    if ex.expect.passed and crit.required:
        return True
    return None


def _prep(parts: Iterable[tuple[str, str]]) -> se.Prepared:
    units: list[se.Unit] = []
    for src, text in parts:
        units += se.split_units(text, src)[0]
    units = units[: se.MAX_UNITS]
    texts = [u.text for u in units]
    # Examples are authored content: remembered like statements, so a scenario's examples are embedded once.
    vecs = embeddings.embed(texts, remember=texts) if texts else np.zeros((0, embeddings.DIM), dtype=np.float32)
    return se.Prepared(units=units, vectors=vecs)


def build(statements: list[str], match_all: bool, absent: bool,
          answers: Iterable[LabelledAnswer]) -> tuple[Exemplar, ...]:
    """The exemplars of a criterion from its labelled answers (see the module docstring)."""
    out: list[Exemplar] = []
    for a in answers:
        prep = _prep(a.parts)
        if not prep.units:
            continue
        idx = list(range(len(prep.units)))
        says = a.criterion_passed != absent
        # the author's label is about the example's closest sentence, whatever its polarity
        best = [se.match(prep, s, 0.0, units=idx, negation=False) for s in statements]
        if not match_all:
            m = max(best, key=lambda m: m.score)
            if m.evidence:
                out.append(Exemplar("", m.evidence, says, a.index, a.name))
            continue
        if says:
            out += [Exemplar(m.statement, m.evidence, True, a.index, a.name) for m in best if m.evidence]
        else:  # failed `match: all`: count it against the statement it came furthest from
            m = min(best, key=lambda m: m.score)
            if m.evidence:
                out.append(Exemplar(m.statement, m.evidence, False, a.index, a.name))
    return tuple(out)


# ------------------------------------------------------------------------------------- per scenario, cached

_cache: OrderedDict[tuple[int, str], tuple[Any, tuple, tuple[Exemplar, ...]]] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 512


def for_criterion(scenario: Any, crit: Any) -> tuple[Exemplar, ...]:
    """The exemplars of a semantic criterion from the scenario's examples, built once per scenario object.

    The cache holds the scenario object itself, so its id cannot be reused while the entry lives; an edited
    scenario is a new object (the loader builds new models) and gets new exemplars."""
    key = (id(scenario), crit.id)
    # what the exemplars depend on besides the scenario object: a criterion or example list changed in place
    # (an editor, a test) is not served stale exemplars
    examples = getattr(scenario, "examples", None) or []
    stamp = (tuple(crit.statements()), crit.match, crit.absent, crit.required, id(examples), len(examples))
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] is scenario and hit[1] == stamp:
            _cache.move_to_end(key)
            return hit[2]
    ex = build(crit.statements(), crit.match == "all", crit.absent, labelled_answers(scenario, crit))
    with _cache_lock:
        _cache[key] = (scenario, stamp, ex)
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return ex


def labelled_answers(scenario: Any, crit: Any) -> list[LabelledAnswer]:
    from .kinds.semantic import learner_parts
    from .rubric import GradeContext, parse_answer

    out = []
    for i, ex in enumerate(getattr(scenario, "examples", None) or []):
        lab = label(crit, ex)
        if lab is None:
            continue
        try:
            answer = parse_answer(scenario, ex.answer, 10**9)
        except ValueError:  # a malformed example is reported by `sparring test`, not used as evidence
            continue
        # learner_parts reads only the scenario and the answer; an example belongs to no organisation's attempt
        parts = learner_parts(GradeContext(org=None, scenario=scenario, answer=answer))  # type: ignore[arg-type]
        out.append(LabelledAnswer(i, ex.name or f"example {i + 1}", tuple(parts), lab))
    return out


# ------------------------------------------------------------------------------------------------ scoring


@dataclass
class Decision:
    """The example-aware verdict of one statement group (the whole criterion for `match: any`)."""

    statement: str  # "" for the whole criterion
    score: float  # best unit's score(u)
    evidence: str | None  # that unit's sentence
    statement_score: float  # that unit's score against the statement(s) alone
    nearest_pass: Exemplar | None  # the closest "says it" exemplar of that unit, when it decided pos(u)
    nearest_fail: Exemplar | None  # the closest "does not say it" exemplar, when it vetoed the unit
    vetoed: bool = False  # the deciding unit is closer to a failing example than to anything that says it
    pos: float = 0.0
    neg: float = 0.0


def decide(prep: se.Prepared, statements: list[str], exemplars: Iterable[Exemplar]) -> Decision:
    """score(u) = pos(u), or 0 when neg(u) > pos(u), over the units; the best unit decides (module docstring).
    Leaving an example out is the caller's filter (kinds.semantic.matches drops GradeContext.leave_out)."""
    idx = list(range(len(prep.units)))
    ex = list(exemplars)
    if not idx:
        return Decision("", 0.0, None, 0.0, None, None)
    stmt = se.score_matrix(prep, statements, idx).max(axis=1) if statements else np.zeros(len(idx))
    p_ex = [e for e in ex if e.says]
    n_ex = [e for e in ex if not e.says]
    P = se.score_matrix(prep, [e.sentence for e in p_ex], idx)
    N = se.score_matrix(prep, [e.sentence for e in n_ex], idx)
    p_score = P.max(axis=1) if P.shape[1] else np.zeros(len(idx))
    pos = np.maximum(stmt, p_score)
    neg = N.max(axis=1) if N.shape[1] else np.zeros(len(idx))
    vetoed = neg > pos
    score = np.where(vetoed, 0.0, pos)
    j = int(np.lexsort((pos, score))[-1])  # best score; among vetoed units, the closest to saying it
    near_p = p_ex[int(np.argmax(P[j]))] if P.shape[1] and p_score[j] > stmt[j] else None
    near_n = n_ex[int(np.argmax(N[j]))] if N.shape[1] and vetoed[j] else None
    return Decision(statements[0] if len(statements) == 1 else "", float(score[j]), prep.units[idx[j]].sentence,
                    float(stmt[j]), near_p, near_n, bool(vetoed[j]), float(pos[j]), float(neg[j]))
