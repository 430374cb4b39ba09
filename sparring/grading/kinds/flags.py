"""`flags` (spot scenarios): which sentences the learner flagged, and whether each reason names the real error."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..registry import CriterionOptions, register
from ..result import CriterionResult


class FlagsOptions(CriterionOptions):
    check: Literal["flags"] = Field(description="Per-sentence precision/recall against the faulty sentences.")
    min_recall: float = Field(1.0, ge=0, le=1, description="Share of faulty sentences that must be flagged.")
    min_precision: float = Field(0.5, ge=0, le=1, description="Share of flags that must be on faulty sentences.")
    explain: bool = Field(True, description="A flag only counts if its reason names the actual error (`why`).")
    threshold: float | None = Field(None, ge=0, le=1, description="Similarity a reason needs to match `why`.")


@register("flags", options=FlagsOptions, kinds={"spot"}, uses_embeddings=True, has_threshold=True,
          description="Flags the faulty sentences (recall), not the sound ones (precision), with reasons that name "
          "the actual error.",
          example="- id: found-errors\n  check: flags\n  required: true\n  min_recall: 1.0")
def grade_flags(opts: FlagsOptions, ctx) -> CriterionResult:
    raise NotImplementedError("flags grader: being implemented")
