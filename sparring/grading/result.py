"""The one result shape: every grader kind returns a CriterionResult; a rubric combines them into a GradeResult."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class CriterionResult(BaseModel):
    id: str = Field(description="The criterion id.")
    passed: bool
    score: float = Field(ge=0, le=1)
    feedback: str = Field(description="What the answer did, what the criterion wanted, one next step.")
    evidence: Any = Field(None, description="What the grader based its decision on (a sentence, findings, ...).")
    # Filled in by the rubric, not by grader kinds:
    check: str | None = None
    label: str | None = Field(default=None, description="The criterion's name for learners (grading.feedback.label_for).")
    required: bool = False
    weight: float = 1.0

    def public(self) -> dict[str, Any]:
        """The contract shape of `grade --json` criteria."""
        return {"id": self.id, "label": self.label, "passed": self.passed, "score": round(self.score, 4),
                "feedback": self.feedback,
                "evidence": self.evidence, "check": self.check, "required": self.required, "weight": self.weight}


class GradeResult(BaseModel):
    scenario: str
    kind: str
    passed: bool
    score: float = Field(ge=0, le=1)
    pass_mark: float
    criteria: list[CriterionResult]
    policy: dict[str, Any] | None = Field(None, description="The policy check of the answer (verdict, findings, "
                                          "redacted), frame scenarios only.")
    assistant: dict[str, Any] | None = Field(None, description="What the sandbox assistant answered, if anything.")
    model_answer: str | None = Field(None, description="The scenario's expert answer, shown after the attempt.")
    summary: str = ""
    held: list[str] = Field(default_factory=list, description="Anti-gaming signal codes (sparring.gaming.HOLDING) "
                            "that held this answer for a mentor instead of passing it automatically; empty when "
                            "nothing was held.")

    def public(self) -> dict[str, Any]:
        """The `grade --json` contract (docs/cli.md)."""
        return {"scenario": self.scenario, "kind": self.kind, "passed": self.passed, "score": round(self.score, 4),
                "pass_mark": self.pass_mark, "summary": self.summary,
                "criteria": [c.public() for c in self.criteria], "policy": self.policy,
                "assistant": self.assistant, "model_answer": self.model_answer, "held": list(self.held)}

    @property
    def held_back(self) -> bool:
        """The hold alone stopped a pass: every other criterion the rubric requires passed and the score reaches
        the pass mark. Such an attempt waits for a mentor's decision (sparring.practice queues it)."""
        others = [c for c in self.criteria if c.check != "gaming"]
        return bool(self.held) and self.score >= self.pass_mark - 1e-9 and all(c.passed for c in others if c.required)

    def failed_ids(self) -> list[str]:
        return [c.id for c in self.criteria if not c.passed]
