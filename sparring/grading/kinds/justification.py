"""`justification` (trust and others): the reasons given cover the key reasons."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..registry import CriterionOptions, register
from ..result import CriterionResult


class JustificationOptions(CriterionOptions):
    check: Literal["justification"] = Field(description="Coverage of the key reasons.")
    reasons: list[str] = Field(min_length=1, description="The key reasons an expert would give.")
    min_covered: int | None = Field(None, ge=1, description="How many reasons must be covered (default: half, "
                                    "rounded up).")
    threshold: float | None = Field(None, ge=0, le=1, description="Similarity a sentence needs to cover a reason.")


@register("justification", options=JustificationOptions, kinds={"frame", "spot", "trust"}, uses_embeddings=True,
          has_threshold=True, description="The answer gives the key reasons (by meaning, not keywords).",
          example="- id: reasons\n  check: justification\n  reasons:\n    - The limit quoted is not in the policy "
          "schedule.\n    - The clause number does not exist.")
def grade_justification(opts: JustificationOptions, ctx) -> CriterionResult:
    raise NotImplementedError("justification grader: being implemented")
