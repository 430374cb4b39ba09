"""`contains` and `regex`: literal or pattern checks with any / all / none lists."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from ...patterns import compile_pattern, problem
from ..registry import CriterionOptions, register
from ..result import CriterionResult


class _Lists(CriterionOptions):
    any: list[str] = Field(default_factory=list, description="Passes only if at least one of these appears.")
    all: list[str] = Field(default_factory=list, description="Passes only if every one of these appears.")
    none: list[str] = Field(default_factory=list, description="Fails if any of these appears.")
    case_sensitive: bool = Field(False, description="Match case exactly.")

    @model_validator(mode="after")
    def _something(self):
        if not (self.any or self.all or self.none):
            raise ValueError(f"criterion '{self.id}' needs at least one of `any`, `all` or `none`")
        return self


class ContainsOptions(_Lists):
    check: Literal["contains"] = Field(description="Literal text checks.")


class RegexOptions(_Lists):
    check: Literal["regex"] = Field(description="Regular-expression checks.")

    @model_validator(mode="after")
    def _compiles(self):
        flags = 0 if self.case_sensitive else re.IGNORECASE
        for p in self.any + self.all + self.none:
            why = problem(p, flags)
            if why:
                raise ValueError(why)
        return self


def _judge(opts: _Lists, text: str, found) -> CriterionResult:
    any_hit = [t for t in opts.any if found(t)]
    all_miss = [t for t in opts.all if not found(t)]
    none_hit = [t for t in opts.none if found(t)]
    problems = []
    if opts.any and not any_hit:
        problems.append(f"it mentions none of: {', '.join(repr(t) for t in opts.any)}")
    if all_miss:
        problems.append(f"it is missing {', '.join(repr(t) for t in all_miss)}")
    if none_hit:
        problems.append(f"it contains {', '.join(repr(t) for t in none_hit)}, which should not be there")
    checks = (1 if opts.any else 0) + len(opts.all) + (1 if opts.none else 0)
    ok = (1 if opts.any and any_hit else 0) + (len(opts.all) - len(all_miss)) + (1 if opts.none and not none_hit else 0)
    score = ok / checks if checks else 1.0
    evidence = {"found": any_hit + [t for t in opts.all if t not in all_miss], "missing": all_miss,
                "forbidden": none_hit}
    if not problems:
        return CriterionResult(id=opts.id, passed=True, score=1.0, feedback="Your answer includes what was needed.",
                               evidence=evidence)
    return CriterionResult(id=opts.id, passed=False, score=score,
                           feedback="Your answer falls short here: " + "; ".join(problems) + ".", evidence=evidence)


@register("contains", options=ContainsOptions, kinds={"frame", "spot", "trust"},
          description="The answer contains (any / all) or avoids (none) literal phrases.",
          example="- id: placeholder\n  check: contains\n  any: ['[customer]', '[name]']")
def grade_contains(opts: ContainsOptions, ctx) -> CriterionResult:
    text = ctx.text if opts.case_sensitive else ctx.text.lower()
    return _judge(opts, text, lambda t: (t if opts.case_sensitive else t.lower()) in text)


@register("regex", options=RegexOptions, kinds={"frame", "spot", "trust"},
          description="The answer matches (any / all) or avoids (none) regular expressions.",
          example="- id: claim-ref\n  check: regex\n  all: ['CLM-\\d{6}']")
def grade_regex(opts: RegexOptions, ctx) -> CriterionResult:
    # RE2 (linear time) or a time-bounded backtracking engine: sparring/patterns.py
    flags = 0 if opts.case_sensitive else re.IGNORECASE
    return _judge(opts, ctx.text, lambda p: compile_pattern(p, flags).search(ctx.text))
