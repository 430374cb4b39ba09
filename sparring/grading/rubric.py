"""Grade one answer against a scenario's rubric: each criterion by its kind, then weights, `required` and the pass
mark. This is the single grading path used by the CLI, the web app, `sparring test` and the benchmarks."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Iterator

from pydantic import BaseModel, ValidationError

from .. import gaming
from ..content.models import ANSWER_MODELS, AnyAnswer, AnyScenario, FrameAnswer, SpotAnswer, SpotScenario
from .context import GradeContext
from .feedback import label_for, render, summary_note, unsupported_note
from .result import CriterionResult, GradeResult, ungraded
from .semantic_engine import prefetch
from .verdict import decide

__all__ = ["AnswerError", "GradeContext", "begin", "grade", "parse_answer"]

if TYPE_CHECKING:  # only named for the checker: sparring.organisation imports this layer
    from ..organisation import Organisation

log = logging.getLogger("sparring.grading")


class AnswerError(ValueError):
    """The answer does not have the shape its scenario kind requires, or breaks a configured limit."""


def parse_answer(scenario: AnyScenario, answer: dict[str, Any] | BaseModel, max_chars: int = 20_000) -> AnyAnswer:
    model = ANSWER_MODELS[scenario.kind]
    parsed: AnyAnswer
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
    if isinstance(scenario, SpotScenario) and isinstance(parsed, SpotAnswer):
        ids = {s.id for s in scenario.output}
        unknown = [k for k in parsed.flags if k not in ids]
        if unknown:
            raise AnswerError(f"flags refer to sentences that are not in this scenario: {', '.join(unknown)}")
    return parsed


def _strings(m: BaseModel) -> Iterator[str]:
    for v in m.model_dump().values():
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            yield from (x for x in v.values() if isinstance(x, str))


def _shape(kind: str) -> str:
    return {"frame": '{"prompt": "..."}', "spot": '{"flags": {"s2": "why it is wrong"}}',
            "trust": '{"decision": "verify", "confidence": 0.8, "justification": "..."}'}[kind]


def begin(org: Organisation, scenario: AnyScenario, answer: dict[str, Any] | BaseModel) -> GradeContext:
    """Parse the answer and start embedding it in the background (one core), so a caller can run the policy
    check on the other core meanwhile; hand the context to grade(context=...)."""
    parsed = parse_answer(scenario, answer, org.settings.limits.max_answer_chars)
    ctx = GradeContext(org=org, scenario=scenario, answer=parsed)
    prefetch(ctx)
    return ctx


def grade(org: Organisation, scenario: AnyScenario, answer: dict[str, Any] | BaseModel, *, policy_result: Any = None,
          assistant: dict[str, Any] | None = None, context: GradeContext | None = None) -> GradeResult:
    """`context`: from begin() for the same scenario and answer (the web app starts the embeddings before its
    policy gate); otherwise grade() begins itself."""
    ctx = context if context is not None else begin(org, scenario, answer)
    parsed = ctx.answer
    ctx.policy = policy_result if policy_result is not None else ctx.policy
    ctx.assistant_reply = (assistant or {}).get("text")
    if ctx.policy is None and scenario.policy and isinstance(parsed, FrameAnswer):
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
            # Not a fail: the machine has no grade for it. The error's text stays in the evidence (for the
            # mentor); the reason, shown in the queue, names the error's type only.
            r = ungraded(crit.id, "error", f"the {crit.check} grader failed ({type(e).__name__})",
                         error=str(e)[:300])
        r.id, r.check, r.required, r.weight = crit.id, crit.check, crit.required, crit.weight
        r.label = label_for(crit, kind, scenario.kind)
        if not r.ungraded:  # the author's templates speak of a pass or a fail, which this is not
            r.feedback = render(crit, r)
        results.append(r)
    # Anti-gaming hold (sparring/gaming.py): a copied or keyword-stuffed answer can carry exactly what the
    # graders look for, so it gets no automatic pass. The score is kept; `held` carries the signals, and the
    # verdict turns them into no pass, the summary and a review for a mentor.
    ctx.text_signals = gaming.text_signals(scenario, ctx.text, org=org,
                                           flags=parsed.flags if isinstance(parsed, SpotAnswer) else None)
    held = gaming.holds(ctx.text_signals)
    fields = decide(results, scenario.rubric.pass_mark, held).fields()
    fields["summary"] += summary_note(ctx.text)  # about the answer as a whole (e.g. graded in English here)
    fields["summary"] += unsupported_note(scenario, ctx.text)  # a figure found nowhere in the material
    return GradeResult(scenario=scenario.id, kind=scenario.kind, pass_mark=scenario.rubric.pass_mark,
                       criteria=results, policy=ctx.policy.public() if ctx.policy is not None else None,
                       assistant=assistant, model_answer=scenario.model_answer, held=held, **fields)
