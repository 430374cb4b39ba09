"""A scenario's labelled `examples` (and the accepted examples from mentors' reviews): grade each one and say
where the rubric disagrees with the label. Used by `sparring test`, the Author tab and the content tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only named for the checker: sparring.organisation imports this layer
    from ..organisation import Organisation

def check_examples(org: Organisation, scenario) -> list[dict[str, Any]]:
    """Grade each labelled example of a scenario; one row per example with its mismatches (empty = as labelled).

    Each example is graded leave-one-out: the `semantic` criteria learn from the scenario's other examples, never
    from the one being graded (grading/exemplars.py), so a mislabelled example is still caught."""
    from .rubric import AnswerError, begin, grade

    rows = []
    for i, ex in enumerate(scenario.examples):
        name = ex.name or f"example {i + 1}"
        row: dict[str, Any] = {"scenario": scenario.id, "example": name, "index": i, "mismatches": []}
        r = _graded(org, scenario, ex.answer, i, row)
        if r is None:
            rows.append(row)
            continue
        by_id = {c.id: c for c in r.criteria}
        if r.passed != ex.expect.passed:
            failed = [c for c in r.criteria if not c.passed]
            why = ("; failed: " + ", ".join(f"{c.id} ({_brief(c.feedback)})" for c in failed)) if failed else \
                "; every criterion passed"
            row["mismatches"].append(f"expected {'pass' if ex.expect.passed else 'fail'}, graded "
                                     f"{'pass' if r.passed else 'fail'} (score {r.score:.0%}, pass mark "
                                     f"{r.pass_mark:.0%}){why}")
        for cid in ex.expect.failed:
            c = by_id.get(cid)
            if c is not None and c.passed:
                row["mismatches"].append(f"criterion '{cid}' should fail but passed ({_brief(c.feedback)})")
        for cid in ex.expect.passed_criteria:
            c = by_id.get(cid)
            if c is not None and not c.passed:
                row["mismatches"].append(f"criterion '{cid}' should pass but failed ({_brief(c.feedback)})")
        rows.append(row)
    return rows


def _graded(org: Organisation, scenario, answer: Any, leave_out: int, row: dict[str, Any]) -> Any:
    """An example's grade, left out of its own evidence, with the grade's figures in `row`; None (the reason in
    `row["mismatches"]`) when it cannot be graded."""
    from .rubric import AnswerError, begin, grade

    try:
        ctx = begin(org, scenario, answer)
        ctx.leave_out = leave_out
        r = grade(org, scenario, answer, context=ctx)
    except AnswerError as e:
        row["mismatches"].append(f"the answer cannot be graded: {e}")
        return None
    except Exception as e:  # noqa: BLE001 - e.g. a policy engine that cannot load: report and go on
        row["mismatches"].append(f"grading failed ({type(e).__name__}: {e})")
        return None
    row.update(passed=r.passed, score=round(r.score, 4),
               criteria={c.id: {"passed": c.passed, "score": round(c.score, 3)} for c in r.criteria})
    return r


def check_reviewed(org: Organisation, scenario, reviewed: list[Any]) -> list[dict[str, Any]]:
    """Grade each accepted example from mentors' reviews (`review.review_examples(status="accepted")`) like a YAML
    example: one row per example, a mismatch when the criterion it labels is graded otherwise than the mentor did.

    Each is graded leave-one-out too (`ReviewExample.index`), so an accepted label never vouches for itself. The
    caller loads the accepted examples first (`review.load_accepted`)."""
    rows = []
    for e in reviewed:
        if e.scenario != scenario.id:
            continue
        row: dict[str, Any] = {"scenario": scenario.id, "example": f"review #{e.id}", "index": e.index,
                               "source": "review", "criterion": e.criterion, "mismatches": []}
        r = _graded(org, scenario, e.answer, row["index"], row)
        if r is None:
            rows.append(row)
            continue
        c = next((c for c in r.criteria if c.id == e.criterion), None)
        if c is None:
            row["mismatches"].append(f"criterion '{e.criterion}' is no longer in the rubric: reject this example in "
                                     "the Author tab")
        elif c.passed != e.passed:
            row["mismatches"].append(f"mentor {e.mentor} graded criterion '{e.criterion}' "
                                     f"{'pass' if e.passed else 'fail'}, the rubric grades it "
                                     f"{'pass' if c.passed else 'fail'} ({_brief(c.feedback)})")
        rows.append(row)
    return rows


def _brief(text: str, n: int = 160) -> str:
    t = " ".join((text or "").split())
    return t if len(t) <= n else t[: n - 1] + "…"


def check_contrasts(org, scenario) -> list[dict[str, Any]]:
    """Grade every generated contrast (grading/contrasts.py) of the scenario's `semantic` and `justification`
    criteria as an answer of its own; one row per contrast, `passed` True when the rubric would pass it (a
    mismatch: the criterion cannot tell the statement from its near miss).

    A semantic contrast is graded as the whole answer text; a justification contrast must not cover the reason it
    comes from. Spot scenarios read reasons per flag, so their `semantic` criteria get the contrast on every
    faulty sentence."""
    from .contrasts import for_criterion
    from .rubric import AnswerError, begin

    rows: list[dict[str, Any]] = []
    for crit in scenario.rubric.criteria:
        kind = org.registry.get(crit.check)
        if kind is None or crit.check not in ("semantic", "justification"):
            continue
        if not isinstance(crit, kind.options):
            crit = kind.parse({**crit.model_dump(by_alias=True, exclude_unset=True), **crit.options})
        for c in for_criterion(crit, scenario):
            try:
                ctx = begin(org, scenario, _answer(scenario, c.text))
                r = kind.grade(crit, ctx)
            except AnswerError:
                continue
            if crit.check == "justification":
                passed = any(x["reason"] == c.statement for x in r.evidence.get("covered", []))
            else:
                passed = r.passed
            rows.append({"scenario": scenario.id, "criterion": crit.id, "kind": c.kind, "statement": c.statement,
                         "contrast": c.text, "passed": passed, "feedback": r.feedback})
    return rows


def _answer(scenario, text: str) -> dict[str, Any]:
    if scenario.kind == "frame":
        return {"prompt": text}
    if scenario.kind == "trust":
        return {"decision": scenario.decision.expected, "confidence": 0.8, "justification": text}
    return {"flags": {s.id: text for s in scenario.output if s.faulty}}
