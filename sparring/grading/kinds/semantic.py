"""`semantic`: the answer satisfies a statement, judged by meaning (paraphrase-robust, negation-aware)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..registry import CriterionOptions, register
from ..result import CriterionResult


class SemanticOptions(CriterionOptions):
    check: Literal["semantic"] = Field(description="Meaning match against `expect`.")
    expect: str | list[str] = Field(description="The statement(s) the answer must satisfy; with a list, any one "
                                    "is enough unless `match: all`.")
    match: Literal["any", "all"] = Field("any", description="With several statements: any one, or all of them.")
    absent: bool = Field(False, description="Invert: the answer must NOT say this (e.g. 'promises a payout').")
    threshold: float | None = Field(None, ge=0, le=1, description="Similarity needed; default is calibrated "
                                    "(see `sparring calibrate`).")


@register("semantic", options=SemanticOptions, uses_embeddings=True, has_threshold=True,
          description="The answer says what `expect` says, in any words; a negated statement does not count.",
          example="- id: context\n  check: semantic\n  expect: Explains that the claim waits for the contractor's "
          "repair estimate.")
def grade_semantic(opts: SemanticOptions, ctx) -> CriterionResult:
    raise NotImplementedError("semantic grader: being implemented")
