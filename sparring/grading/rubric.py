"""Grade one answer against a scenario's rubric: each criterion by its kind, then weights, `required` and the pass
mark. This is the single grading path used by the CLI, the web app, `sparring test` and the benchmarks."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from .. import gaming
from ..content.models import ANSWER_MODELS, AnyScenario
from .feedback import render
from .result import CriterionResult, GradeResult
from .semantic_engine import prefetch

log = logging.getLogger("sparring.grading")

HOLD_ID = gaming.HOLD_CRITERION


class AnswerError(ValueError):
    """The answer does not have the shape its scenario kind requires, or breaks a configured limit."""


@dataclass
class GradeContext:
    org: Any  # sparring.content.loader.Organisation
    scenario: AnyScenario
    answer: BaseModel
    policy: Any = None  # sparring.policy.engine.PolicyResult of the prompt (frame), computed once per attempt
    assistant_reply: str | None = None
    cache: dict[str, Any] = field(default_factory=dict)  # per-attempt memo (e.g. the answer's embeddings)
    text_signals: list[str] = field(default_factory=list)  # sparring.gaming text signals, set by grade()
    # index of a scenario example that must not serve as evidence: `sparring test` and `sparring calibrate` grade
    # each labelled example leave-one-out, so an example is never its own neighbour (grading/exemplars.py)
    leave_out: int | None = None

    @property
    def text(self) -> str:
        """The answer's main free text: the prompt, the justification, or the flag reasons joined; as a reader
        sees it (grading/text.py), so every kind, plugins included, grades what the mentor is shown."""
        from .text import graded

        a = self.answer
        if self.scenario.kind == "frame":
            return graded(a.prompt)
        if self.scenario.kind == "trust":
            return graded(a.justification)
        return "\n".join(graded(v) for v in a.flags.values())


def parse_answer(scenario: AnyScenario, answer: dict[str, Any] | BaseModel, max_chars: int = 20_000) -> BaseModel:
    model = ANSWER_MODELS[scenario.kind]
    if isinstance(answer, model):
        parsed = answer
    else:
        if not isinstance(answer, dict):
            raise AnswerError(f"the answer must be a JSON object for a {scenario.kind} scenario, "
                              f"e.g. {_shape(scenario.kind)}")
        try:
            parsed = model.model_validate(answer)
        except ValidationError as e:
            msgs = "; ".join(f"{'.'.join(map(str, x['loc'])) or 'answer'}: {x['msg']}" for x in e.errors())
            raise AnswerError(f"answer does not fit a {scenario.kind} scenario ({msgs}); expected {_shape(scenario.kind)}")
    total = sum(len(v) for v in _strings(parsed))
    if total > max_chars:
        raise AnswerError(f"the answer is {total:,} characters; the limit is {max_chars:,}. Shorten it "
                          "(an administrator can raise [limits] max_answer_chars in sparring.toml)")
    if scenario.kind == "spot":
        ids = {s.id for s in scenario.output}
        unknown = [k for k in parsed.flags if k not in ids]
        if unknown:
            raise AnswerError(f"flags refer to sentences that are not in this scenario: {', '.join(unknown)}")
    return parsed


def _strings(m: BaseModel):
    for v in m.model_dump().values():
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            yield from (x for x in v.values() if isinstance(x, str))


def _shape(kind: str) -> str:
    return {"frame": '{"prompt": "..."}', "spot": '{"flags": {"s2": "why it is wrong"}}',
            "trust": '{"decision": "verify", "confidence": 0.8, "justification": "..."}'}[kind]


def begin(org: Any, scenario: AnyScenario, answer: dict[str, Any] | BaseModel) -> GradeContext:
    """Parse the answer and start embedding it in the background (one core), so a caller can run the policy
    check on the other core meanwhile; hand the context to grade(context=...)."""
    parsed = parse_answer(scenario, answer, org.settings.limits.max_answer_chars)
    ctx = GradeContext(org=org, scenario=scenario, answer=parsed)
    prefetch(ctx)
    return ctx


def grade(org: Any, scenario: AnyScenario, answer: dict[str, Any] | BaseModel, *, policy_result: Any = None,
          assistant: dict[str, Any] | None = None, context: GradeContext | None = None) -> GradeResult:
    """`context`: from begin() for the same scenario and answer (the web app starts the embeddings before its
    policy gate); otherwise grade() begins itself."""
    ctx = context if context is not None else begin(org, scenario, answer)
    parsed = ctx.answer
    ctx.policy = policy_result if policy_result is not None else ctx.policy
    ctx.assistant_reply = (assistant or {}).get("text")
    if ctx.policy is None and scenario.policy and scenario.kind == "frame":
        ctx.policy = org.policy_engine(scenario.policy).check(parsed.prompt)
    results: list[CriterionResult] = []
    for crit in scenario.rubric.criteria:
        kind = org.registry.get(crit.check)
        try:
            if kind is None:
                raise LookupError(f"unknown grader kind '{crit.check}'")
            if not isinstance(crit, kind.options):  # e.g. a scenario file loaded on its own: type its options
                crit = kind.parse({**crit.model_dump(by_alias=True, exclude_unset=True), **crit.options})
            r = kind.grade(crit, ctx)
        except Exception as e:  # noqa: BLE001 - one broken grader must not lose the attempt
            log.exception("grader %s failed on %s/%s", crit.check, scenario.id, crit.id)
            r = CriterionResult(id=crit.id, passed=False, score=0.0,
                                feedback=f"This criterion could not be graded automatically ({type(e).__name__}); "
                                "a mentor will review it.", evidence={"error": str(e)[:300]})
        r.id, r.check, r.required, r.weight = crit.id, crit.check, crit.required, crit.weight
        r.label = crit.label or crit.id
        r.feedback = render(crit, r)
        results.append(r)
    total_w = sum(r.weight for r in results) or 1.0
    score = sum(r.weight * r.score for r in results) / total_w
    # Anti-gaming hold (sparring/gaming.py): a copied or keyword-stuffed answer can carry exactly what the
    # graders look for, so it gets no automatic pass. The score is kept; the answer carries one more criterion
    # result, required and weightless, which a mentor can pass (the review queue's per-criterion override).
    ctx.text_signals = gaming.text_signals(scenario, ctx.text, org=org,
                                           flags=parsed.flags if scenario.kind == "spot" else None)
    held = gaming.holds(ctx.text_signals)
    if held:
        results.append(CriterionResult(id=HOLD_ID, passed=False, score=0.0, feedback=gaming.hold_message(held),
                                       evidence={"signals": held}, check="gaming", label="Your own words",
                                       required=True, weight=0.0))
    req_failed = [r for r in results if r.required and not r.passed]
    passed = score >= scenario.rubric.pass_mark - 1e-9 and not req_failed
    if passed:
        summary = f"Passed with {score:.0%} (pass mark {scenario.rubric.pass_mark:.0%})."
    elif held and len(req_failed) == 1 and score >= scenario.rubric.pass_mark - 1e-9:  # only the hold
        summary = f"{gaming.hold_message(held)} (score {score:.0%}, pass mark {scenario.rubric.pass_mark:.0%})"
    elif req_failed:
        summary = (f"Not yet: {', '.join(r.label for r in req_failed)} must pass "
                   f"(score {score:.0%}, pass mark {scenario.rubric.pass_mark:.0%}).")
    else:
        summary = f"Not yet: {score:.0%} against a pass mark of {scenario.rubric.pass_mark:.0%}."
    return GradeResult(scenario=scenario.id, kind=scenario.kind, passed=passed, score=max(0.0, min(1.0, score)),
                       pass_mark=scenario.rubric.pass_mark, criteria=results,
                       policy=ctx.policy.public() if ctx.policy is not None else None, assistant=assistant,
                       model_answer=scenario.model_answer, summary=summary, held=held)
