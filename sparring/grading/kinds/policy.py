"""`policy`: the learner's text passes the scenario's data-sharing policy.

Feedback names what was found in words ("a person's name", "a Harbourline claim reference") and shows the text
as it could be sent, placeholders in words. The technical detail (entity types, the rule that fired, its score)
is in the evidence, for mentors and authors. Feedback never repeats the raw text of a finding: it is stored,
and flagged data is stored only redacted.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ...content.models import ACTION_ORDER, Action
from ..feedback import entity_names, entity_words, join_words, placeholder_words, redacted_words
from ..quotes import redacted_view
from ..registry import CriterionOptions, register
from ..result import CriterionResult


class PolicyOptions(CriterionOptions):
    check: Literal["policy"] = Field(description="Checks the answer against the scenario's policy.")
    policy: str | None = Field(None, description="A policy id; defaults to the scenario's `policy`.")
    allow_up_to: Action = Field("warn", description="Strongest verdict that still passes: allow, warn or redact. "
                                "The default passes prompts with warnings and fails anything that would be "
                                "redacted or blocked.")

    def check_scenario(self, scenario, org):
        pid = self.policy or scenario.policy
        if not pid:
            yield ("a policy criterion needs a policy: set `policy:` on the scenario or the criterion", ())
        elif pid not in org.policies:
            yield (f"unknown policy '{pid}'", ("policy",))


def _describe(findings: list[Any], names: dict[str, str]) -> str:
    """"a person's name and an email address": each type found, once, in words."""
    return join_words(entity_words(f.entity, names) for f in findings)


@register("policy", options=PolicyOptions, kinds={"frame", "spot", "trust"},
          description="No data the policy forbids: block and redact findings fail, warnings pass but are named.",
          example="- id: no-pii\n  check: policy\n  required: true")
def grade_policy(opts: PolicyOptions, ctx: Any) -> CriterionResult:
    pid = opts.policy or ctx.scenario.policy
    result = ctx.policy if (ctx.policy is not None and pid == ctx.scenario.policy) else \
        ctx.org.policy_engine(pid).check(ctx.raw_text)
    policy = ctx.org.policies.get(pid)
    names = entity_names(policy)
    title = f"the “{policy.title}” policy" if policy is not None and getattr(policy, "title", None) else \
        "the data-sharing policy"
    what = "prompt" if ctx.scenario.kind == "frame" else "answer"
    worst = [f for f in result.findings if ACTION_ORDER[f.action] > ACTION_ORDER[opts.allow_up_to]]
    warned = [f for f in result.findings if f.action == "warn"]
    # recorded (grading/quotes.py): the stored copies are rebuilt from the answer as redacted at rest
    shown = redacted_view(result, ctx.raw_text, lambda red: redacted_words(red, names))
    ev = {"verdict": result.verdict,
          "findings": [f"{f.entity} ({f.action}, rule: {f.rule}, score {f.score:.2f})" for f in result.findings],
          "redacted": redacted_view(result, ctx.raw_text),
          # the same, in the words the learner reads (templates' {findings} and {redacted})
          "learner": {"findings": _describe(result.findings, names), "redacted": shown}}
    if worst:
        slots = join_words(placeholder_words(f.entity, names) for f in worst)
        return CriterionResult(
            id=opts.id, passed=False, score=0.0, evidence=ev,
            feedback=(f"Your {what} contains {_describe(worst, names)}, which {title} does not allow to leave. "
                      f"This is what could have been sent, with those details taken out:\n{shown}\n"
                      f"Write placeholders such as {slots} instead, and keep only what the AI needs to do the "
                      "task."))
    if warned:
        return CriterionResult(id=opts.id, passed=True, score=0.9, evidence=ev,
                               feedback=f"Nothing blocked, but {title} asks you to think twice about "
                               f"{_describe(warned, names)}: check you really need it in the {what}.")
    return CriterionResult(id=opts.id, passed=True, score=1.0, evidence=ev,
                           feedback=f"No data the policy protects: this {what} could be sent as it is.")
