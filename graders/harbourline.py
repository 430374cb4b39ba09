"""Harbourline Insurance's own grader kinds, loaded from ROOT/graders/ through the same `register` door as the
built-ins.

- `claim_reference` (kind): the answer carries the claim reference in Harbourline's format, CLM-YYYY-NNNNNN,
  or (with `allow_placeholder`) a `[claim ref]` slot for it. Third parties (repairers, other insurers) cannot
  match a letter to a file without one; a malformed or wrong reference is the commonest reason a subrogation
  letter comes back unanswered. But a claim reference points at one customer's file, so Harbourline's
  `external-ai` policy treats it as personal data and redacts it: in a prompt for an external AI tool the
  learner writes `[claim ref]` and fills the real reference in afterwards, inside our own systems. Prompts
  (frame scenarios) therefore set `allow_placeholder: true`, and the feedback says so whenever the scenario's
  policy would take the reference out.
- `figures_from_source` (a function for `check: python`): every money amount in the answer appears in the
  scenario's material. An AI asked to reconcile or summarise figures is only as good as the figures it is given;
  a retyped amount is where reconciliation errors start.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field

from sparring.grading import CriterionOptions, CriterionResult, register

# Loose on purpose: catches the near-misses people type (CLM 2026 4512, CLM-26-004512) so they can be corrected.
LOOSE_REF = re.compile(r"\bCLM[-\s/]?\d{2,4}[-\s/]?\d{1,8}\b", re.IGNORECASE)
STRICT_REF = re.compile(r"^CLM-20\d{2}-\d{6}$")
# Thousands with commas (£1,275.50) or without (£1275.50); never a prefix of a longer number.
MONEY = re.compile(r"£\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{2})?(?!\d|,\d)")


class ClaimReferenceOptions(CriterionOptions):
    check: Literal["claim_reference"] = Field(description="Claim reference present and well-formed "
                                              "(CLM-YYYY-NNNNNN).")
    reference: str | None = Field(None, pattern=r"^CLM-20\d{2}-\d{6}$", description="The claim reference the "
                                  "answer must carry, e.g. CLM-2026-004512; omit to accept any well-formed one.")
    allow_placeholder: bool = Field(False, description="Also accept a placeholder such as [claim reference] "
                                    "instead of the reference itself.")

    def check_scenario(self, scenario, org):
        # An author who pins a reference that is not in the material has made a typo learners cannot recover from.
        if self.reference and self.reference not in (scenario.material or ""):
            yield (f"claim reference '{self.reference}' does not appear in the scenario's `material`; "
                   "learners cannot know it", ("reference",))


@register("claim_reference", options=ClaimReferenceOptions, kinds={"frame", "spot", "trust"},
          description="The answer carries the claim reference in Harbourline's format CLM-YYYY-NNNNNN "
          "(optionally a specific one), and no malformed or different reference.",
          example="- id: claim-ref\n  check: claim_reference\n  reference: CLM-2026-004512",
          label="Carries the claim reference")
def grade_claim_reference(opts: ClaimReferenceOptions, ctx: Any) -> CriterionResult:
    text = ctx.text
    # Does this scenario's policy take claim references out (frame prompts: external-ai redacts CLAIM_REF)?
    # Then the reference belongs in a placeholder, and no message here may tell the learner to keep it.
    redacted = bool(ctx.policy is not None and any(f.entity == "CLAIM_REF" and f.action in ("redact", "block")
                                                   for f in ctx.policy.findings))
    slot = opts.allow_placeholder and ctx.scenario.kind == "frame"
    keep_out = (" The policy for external AI tools takes claim references out, so in the prompt write "
                "[claim ref] and fill the reference in afterwards from the claim file.") if redacted or slot else ""
    found = [m.group(0) for m in LOOSE_REF.finditer(text)]
    malformed = [f for f in found if not STRICT_REF.match(f)]
    wellformed = [f for f in found if STRICT_REF.match(f)]
    ev = {"found": found, "malformed": malformed}
    if malformed:
        return CriterionResult(id=opts.id, passed=False, score=0.3, evidence=ev,
                               feedback=f"{', '.join(malformed)} is not a valid claim reference: the format is "
                               "CLM-YYYY-NNNNNN (year, then six digits, e.g. CLM-2026-004512). Copy it from the "
                               "claim file rather than retyping it." + keep_out)
    if opts.reference:
        others = [f for f in wellformed if f != opts.reference]
        if others:
            return CriterionResult(id=opts.id, passed=False, score=0.2, evidence=ev,
                                   feedback=f"The answer quotes {', '.join(others)}, but this file is "
                                   f"{opts.reference}. A wrong reference sends the letter to another claim."
                                   + keep_out)
        if opts.reference in wellformed:
            return CriterionResult(id=opts.id, passed=True, score=1.0, evidence=ev,
                                   feedback=f"The claim reference {opts.reference} is there and correct." + keep_out)
    elif wellformed:
        return CriterionResult(id=opts.id, passed=True, score=1.0, evidence=ev,
                               feedback=f"The claim reference {wellformed[0]} is there and well-formed." + keep_out)
    if opts.allow_placeholder and re.search(r"\[(?:claim|claim ref|claim reference|claim number)\]", text, re.I):
        return CriterionResult(id=opts.id, passed=True, score=1.0, evidence=ev,
                               feedback="A claim reference placeholder is there; fill it in before sending.")
    if slot or redacted:
        return CriterionResult(id=opts.id, passed=False, score=0.0, evidence=ev,
                               feedback="The prompt has no slot for the claim reference: write [claim ref] where it "
                               "goes, so what comes back can be filed against the right claim. (The policy for "
                               "external AI tools takes real claim references out, so fill it in afterwards.)")
    want = opts.reference or "the claim reference (CLM-YYYY-NNNNNN)"
    return CriterionResult(id=opts.id, passed=False, score=0.0, evidence=ev,
                           feedback=f"The answer does not carry {want}: without it the reply cannot be matched to "
                           "the file.")


def _amounts(text: str) -> list[str]:
    return [re.sub(r"[£\s]", "", m.group(0)) for m in MONEY.finditer(text)]


def _norm(amount: str) -> str:
    value = float(amount.replace(",", ""))
    return f"{value:.2f}"


def figures_from_source(criterion, ctx):
    """`check: python`, `function: harbourline:figures_from_source`; `args: {min_figures: N}` (default 1).

    Passes when the answer quotes at least N money amounts and every one of them is in the material (amounts
    are compared by value, so £1,200 and £1200.00 are the same figure)."""
    min_figures = int(criterion.args.get("min_figures", 1))
    source = {_norm(a) for a in _amounts(ctx.scenario.material or "")}
    quoted = _amounts(ctx.text)
    unknown = sorted({a for a in quoted if _norm(a) not in source})
    ev = {"quoted": quoted, "not_in_source": unknown}
    if unknown:
        return CriterionResult(id=criterion.id, passed=False, score=0.0, evidence=ev,
                               feedback=f"These amounts are not in the source: £{', £'.join(unknown)}. Copy "
                               "figures from the ledger exactly; a retyped figure is a reconciliation error "
                               "waiting to happen.")
    if len(quoted) < min_figures:
        return CriterionResult(id=criterion.id, passed=False, score=0.3, evidence=ev,
                               feedback=f"The answer quotes {len(quoted)} amount(s); the AI needs the figures "
                               f"(at least {min_figures}) to reconcile anything. Amounts are not personal data.")
    return CriterionResult(id=criterion.id, passed=True, score=1.0, evidence=ev,
                           feedback=f"All {len(quoted)} amounts match the source.")
