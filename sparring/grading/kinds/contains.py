"""`contains` and `regex`: literal or pattern checks with any / all / none lists."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from ..registry import CriterionOptions, register
from ..result import CriterionResult
from ..text import graded


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
        for p in self.any + self.all + self.none:
            try:
                re.compile(p)
            except re.error as e:
                raise ValueError(f"pattern {p!r} does not compile: {e}") from None
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
    shown = graded(ctx.text)  # what a reader sees: a phrase hidden in an HTML comment does not count
    text = shown if opts.case_sensitive else shown.lower()
    return _judge(opts, text, lambda t: (t if opts.case_sensitive else t.lower()) in text)


@register("regex", options=RegexOptions, kinds={"frame", "spot", "trust"},
          description="The answer matches (any / all) or avoids (none) regular expressions.",
          example="- id: claim-ref\n  check: regex\n  all: ['CLM-\\d{6}']")
def grade_regex(opts: RegexOptions, ctx) -> CriterionResult:
    flags = 0 if opts.case_sensitive else re.IGNORECASE
    text = graded(ctx.text)
    return _judge(opts, text, lambda p: re.search(p, text, flags) is not None)
