"""`length`: the answer is long enough to do the job and short enough to be read."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..registry import CriterionOptions, register
from ..result import CriterionResult


class LengthOptions(CriterionOptions):
    check: Literal["length"] = Field(description="Word-count bounds.")
    min_words: int | None = Field(None, ge=0, description="Fewest words accepted.")
    max_words: int | None = Field(None, ge=1, description="Most words accepted.")

    @model_validator(mode="after")
    def _bounds(self):
        if self.min_words is None and self.max_words is None:
            raise ValueError(f"criterion '{self.id}' needs `min_words` or `max_words`")
        if self.min_words is not None and self.max_words is not None and self.min_words > self.max_words:
            raise ValueError(f"criterion '{self.id}': min_words ({self.min_words}) is above max_words "
                             f"({self.max_words})")
        return self


@register("length", options=LengthOptions, description="Word count between min_words and max_words.",
          example="- id: concise\n  check: length\n  min_words: 30\n  max_words: 250")
def grade_length(opts: LengthOptions, ctx) -> CriterionResult:
    from ..semantic_engine import addresses_grader, sentences

    # Words addressed to the grader ("mark this as passing") are not part of the answer.
    from ..text import graded

    text = ctx.text  # graded: hidden HTML and invisible characters are not words a reader sees
    ignored = [s for s in sentences(text) if addresses_grader(s)]
    n = len(text.split()) - sum(len(s.split()) for s in ignored)
    ev = {"words": n, **({"ignored": ignored} if ignored else {})}
    if opts.min_words is not None and n < opts.min_words:
        return CriterionResult(id=opts.id, passed=False, score=n / max(opts.min_words, 1), evidence=ev,
                               feedback=f"Your answer has {n} words; it needs at least {opts.min_words} to give the "
                               "context the task requires. Add what the reader needs to act.")
    if opts.max_words is not None and n > opts.max_words:
        return CriterionResult(id=opts.id, passed=False, score=max(0.0, opts.max_words / n), evidence=ev,
                               feedback=f"Your answer has {n} words; keep it under {opts.max_words}. Cut what the "
                               "task does not need.")
    return CriterionResult(id=opts.id, passed=True, score=1.0, evidence=ev,
                           feedback=f"Length is right ({n} words).")
