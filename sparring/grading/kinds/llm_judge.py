"""`llm_judge`: an optional LLM (a litellm model from sparring.toml) judges the answer against instructions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..registry import CriterionOptions, register
from ..result import CriterionResult


class LlmJudgeOptions(CriterionOptions):
    check: Literal["llm_judge"] = Field(description="An LLM judges the answer against `instructions`.")
    instructions: str = Field(min_length=10, description="What the judge checks, as you would tell an expert.")
    model: str = Field("default", description="Model alias from sparring.toml [models.ALIAS].")
    pass_score: float = Field(0.7, ge=0, le=1, description="Judge score needed to pass.")


@register("llm_judge", options=LlmJudgeOptions, needs_model=True, has_threshold=True,
          description="An LLM from sparring.toml judges against instructions; unavailable or unparsable judges give "
          "an explained failed result, never an exception.",
          example="- id: tone\n  check: llm_judge\n  instructions: The reply is empathetic and promises nothing.")
def grade_llm_judge(opts: LlmJudgeOptions, ctx) -> CriterionResult:
    raise NotImplementedError("llm_judge grader: being implemented")
