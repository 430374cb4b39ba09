"""The one result shape: every grader kind returns a CriterionResult; a rubric combines them into a GradeResult
(the verdict of grading/verdict.py decides its score, `passed`, the hold and the summary)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

# What the learner reads for a criterion that could not be checked (a grader crash, a timeout, an AI judge that
# is not configured or cannot be reached): it is not a fail, and the attempt waits for a mentor.
UNGRADED_FEEDBACK = "We could not check this part; a mentor will."


class CriterionResult(BaseModel):
    id: str = Field(description="The criterion id.")
    passed: bool = Field(description="The criterion passed. False for an ungraded criterion, which did not fail "
                         "either: see `ungraded`.")
    score: float = Field(ge=0, le=1, description="0..1; 0 for an ungraded criterion (left out of the weighted "
                         "score).")
    feedback: str = Field(description="What the answer did, what the criterion wanted, one next step.")
    evidence: Any = Field(default=None, description="What the grader based its decision on (a sentence, "
                          "findings, ...).")
    ungraded: bool = Field(default=False, description="The criterion could not be checked (a grader crash, a "
                           "timeout, an AI judge not configured or unreachable): left out of the score, queued for "
                           "a mentor. "
                           "Build one with ungraded().")
    # Filled in by the rubric, not by grader kinds:
    check: str | None = None
    label: str | None = Field(default=None, description="The criterion's name for learners (grading.feedback.label_for).")
    required: bool = False
    weight: float = 1.0

    @property
    def status(self) -> str:
        """'passed', 'failed' or 'ungraded' (could not be checked)."""
        return "ungraded" if self.ungraded else "passed" if self.passed else "failed"

    def public(self) -> dict[str, Any]:
        """The contract shape of `grade --json` criteria."""
        return {"id": self.id, "label": self.label, "passed": self.passed, "score": round(self.score, 4), "feedback": self.feedback,
                "evidence": self.evidence, "ungraded": self.ungraded, "check": self.check,
                "required": self.required, "weight": self.weight}


def ungraded(criterion_id: str, status: str, reason: str, detail: str | None = None,
             **evidence: Any) -> CriterionResult:
    """The result of a criterion that could not be checked. `status` is a code (error, timeout, not_configured,
    no_key, rate_limited, unparsable ...); `reason` says why in words a mentor can act on, e.g. "the AI judge
    could not be reached (APIConnectionError)": it is shown in the mentor queue, so it never quotes the answer.
    `detail`, if any, follows it in the learner's feedback and the evidence only."""
    why = reason[:1].upper() + reason[1:] + (f": {detail}" if detail else "")
    return CriterionResult(id=criterion_id, passed=False, score=0.0, ungraded=True,
                           feedback=f"{UNGRADED_FEEDBACK} ({why.rstrip('.')}.)",
                           evidence={"status": status, "reason": reason, **({"detail": detail} if detail else {}),
                                     **evidence})


class GradeResult(BaseModel):
    scenario: str
    kind: str
    passed: bool
    score: float = Field(ge=0, le=1, description="The weighted score of the criteria that were checked, rounded "
                         "once to the whole percent the learner reads (grading.verdict.decide).")
    pass_mark: float
    criteria: list[CriterionResult] = Field(description="One result per rubric criterion, in rubric order.")
    policy: dict[str, Any] | None = Field(None, description="The policy check of the answer (verdict, findings, "
                                          "redacted), frame scenarios only.")
    assistant: dict[str, Any] | None = Field(None, description="What the sandbox assistant answered, if anything.")
    model_answer: str | None = Field(None, description="The scenario's expert answer, shown after the attempt.")
    summary: str = ""
    held: list[str] = Field(default_factory=list, description="Anti-gaming signal codes (sparring.gaming.HOLDING) "
                            "that held this answer for a mentor instead of passing it automatically; empty when "
                            "nothing was held.")
    held_back: bool = Field(default=False, description="The hold alone stopped a pass: every required criterion "
                            "passed and the score reaches the pass mark, but `held` is not empty.")
    ungraded: bool = Field(default=False, description="The verdict waits for a mentor: a required criterion (or every "
                           "criterion) could not be checked and no checked required criterion failed. Not passed, "
                           "and not a fail either.")
    review_reason: str | None = Field(default=None, description="Why the attempt goes to the mentor queue on the "
                                      "learner's behalf (the hold alone stopped a pass; a criterion could not be "
                                      "checked); None when it needs no mentor. Names criteria and signals, never "
                                      "the answer.")

    def public(self) -> dict[str, Any]:
        """The `grade --json` contract (docs/cli.md)."""
        return {"scenario": self.scenario, "kind": self.kind, "passed": self.passed, "score": self.score,
                "pass_mark": self.pass_mark, "summary": self.summary, "ungraded": self.ungraded,
                "criteria": [c.public() for c in self.criteria], "policy": self.policy,
                "assistant": self.assistant, "model_answer": self.model_answer, "held": list(self.held),
                "held_back": self.held_back}

    def failed_ids(self) -> list[str]:
        """The criteria that were checked and failed (an ungraded criterion did not fail)."""
        return [c.id for c in self.criteria if c.status == "failed"]

    def ungraded_ids(self) -> list[str]:
        return [c.id for c in self.criteria if c.ungraded]
