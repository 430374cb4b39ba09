"""`policy`: the learner's text passes the scenario's data-sharing policy.

Feedback names each finding by entity type, the rule that fired and the action, and shows the redacted prompt.
It never repeats the raw text of a finding: feedback is stored, and flagged data is stored only redacted.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...content.models import ACTION_ORDER, Action
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


def _describe(findings) -> str:
    parts = []
    for f in findings:
        parts.append(f"{f.entity} ({f.action}, rule: {f.rule}, score {f.score:.2f})")
    return "; ".join(parts)


@register("policy", options=PolicyOptions, kinds={"frame", "spot", "trust"},
          description="No data the policy forbids: block and redact findings fail, warnings pass but are named.",
          example="- id: no-pii\n  check: policy\n  required: true")
def grade_policy(opts: PolicyOptions, ctx) -> CriterionResult:
    pid = opts.policy or ctx.scenario.policy
    result = ctx.policy if (ctx.policy is not None and pid == ctx.scenario.policy) else \
        ctx.org.policy_engine(pid).check(ctx.text)
    worst = [f for f in result.findings if ACTION_ORDER[f.action] > ACTION_ORDER[opts.allow_up_to]]
    warned = [f for f in result.findings if f.action == "warn"]
    shown = redacted_view(result, ctx.text)  # recorded: the stored copy is rebuilt from the redacted answer
    ev = {"verdict": result.verdict, "findings": [f"{f.entity} ({f.action})" for f in result.findings],
          "redacted": shown}
    if worst:
        ents = sorted({f.entity for f in worst})
        return CriterionResult(
            id=opts.id, passed=False, score=0.0, evidence=ev,
            feedback=(f"Your text contained data the '{pid}' policy does not allow to leave: {_describe(worst)}. "
                      f"Verdict: {result.verdict}. This is what would have been sent after redaction:\n"
                      f"{shown}\nReplace {', '.join(ents)} with placeholders such as [customer] and "
                      "keep only what the AI needs to do the task."))
    if warned:
        return CriterionResult(id=opts.id, passed=True, score=0.9, evidence=ev,
                               feedback=f"Nothing blocked, but the policy warns about {_describe(warned)}: "
                               "check you really need it in the prompt.")
    return CriterionResult(id=opts.id, passed=True, score=1.0, evidence=ev,
                           feedback="No data the policy protects: this prompt could be sent as it is.")
