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
    label: str | None = None
    required: bool = False
    weight: float = 1.0

    def public(self) -> dict[str, Any]:
        """The contract shape of `grade --json` criteria."""
        return {"id": self.id, "passed": self.passed, "score": round(self.score, 4), "feedback": self.feedback,
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

    def public(self) -> dict[str, Any]:
        """The `grade --json` contract (docs/cli.md)."""
        return {"scenario": self.scenario, "kind": self.kind, "passed": self.passed, "score": round(self.score, 4),
                "pass_mark": self.pass_mark, "summary": self.summary,
                "criteria": [c.public() for c in self.criteria], "policy": self.policy,
                "assistant": self.assistant, "model_answer": self.model_answer}

    def failed_ids(self) -> list[str]:
        return [c.id for c in self.criteria if not c.passed]
