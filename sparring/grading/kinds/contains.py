"""`contains` and `regex`: literal or pattern checks with any / all / none lists."""

from __future__ import annotations

import re
from typing import Any, Callable, Literal

from pydantic import Field, model_validator

from ...patterns import compile_pattern, problem
from ..registry import CriterionOptions, register
from ..feedback import join_words
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
        flags = 0 if self.case_sensitive else re.IGNORECASE
        for p in self.any + self.all + self.none:
            why = problem(p, flags)
            if why:
                raise ValueError(why)
        return self


def _judge(opts: _Lists, found: Callable[[str], str | None], literal: bool) -> CriterionResult:
    """`found(item)` is the answer's text that item matched, or None. The evidence keeps the items (patterns
    included) for mentors and authors; the learner's feedback names literal phrases (`contains`) but never a
    pattern (`regex`), nor what a pattern matched (it may be personal data, and feedback is stored). Authors say
    what a regex is about in the criterion's `label` and `feedback.fail`."""
    hits = {t: found(t) for t in opts.any + opts.all + opts.none}
    any_hit = [t for t in opts.any if hits[t] is not None]
    all_miss = [t for t in opts.all if hits[t] is None]
    none_hit = [t for t in opts.none if hits[t] is not None]
    problems = []
    if opts.any and not any_hit:
        problems.append(f"it mentions none of {join_words(repr(t) for t in opts.any)}" if literal else
                        "it does not mention the detail this point is about")
    if all_miss:
        n_all = len(opts.all)
        problems.append(f"it is missing {join_words(repr(t) for t in all_miss)}" if literal else
                        ("it does not mention the detail this point is about" if n_all == 1 else
                         f"it mentions none of the {n_all} details this point needs" if len(all_miss) == n_all else
                         f"{len(all_miss)} of the {n_all} details this point needs are missing"))
    if none_hit:
        # contains: the author's own phrase. regex: not the learner's match either, since a pattern may match
        # personal data and feedback is stored.
        problems.append(f"it says {join_words(repr(t) for t in none_hit)}, which should not be there" if literal
                        else "it includes something this point rules out")
    checks = (1 if opts.any else 0) + len(opts.all) + (1 if opts.none else 0)
    ok = (1 if opts.any and any_hit else 0) + (len(opts.all) - len(all_miss)) + (1 if opts.none and not none_hit else 0)
    score = ok / checks if checks else 1.0
    evidence = {"found": any_hit + [t for t in opts.all if t not in all_miss], "missing": all_miss,
                "forbidden": none_hit}
    if not problems:
        shown = [t for t in any_hit[:1] + [t for t in opts.all if t not in all_miss]] if literal else []
        what = f" ({join_words(f'“{x}”' for x in shown[:3])})" if shown else ""
        return CriterionResult(id=opts.id, passed=True, score=1.0, evidence=evidence,
                               feedback=f"Your answer includes what was needed{what}.")
    return CriterionResult(id=opts.id, passed=False, score=score,
                           feedback="Your answer falls short here: " + "; ".join(problems) + ".", evidence=evidence)


@register("contains", options=ContainsOptions, kinds={"frame", "spot", "trust"},
          description="The answer contains (any / all) or avoids (none) literal phrases.",
          example="- id: placeholder\n  check: contains\n  any: ['[customer]', '[name]']")
def grade_contains(opts: ContainsOptions, ctx: Any) -> CriterionResult:
    raw = ctx.text  # the graded text (grading/text.py): a phrase hidden in an HTML comment does not count
    text = raw if opts.case_sensitive else raw.lower()

    def found(t: str) -> str | None:
        i = text.find(t if opts.case_sensitive else t.lower())
        return raw[i:i + len(t)] if i >= 0 else None

    return _judge(opts, found, literal=True)


@register("regex", options=RegexOptions, kinds={"frame", "spot", "trust"},
          description="The answer matches (any / all) or avoids (none) regular expressions.",
          example="- id: claim-ref\n  check: regex\n  all: ['CLM-\\d{6}']")
def grade_regex(opts: RegexOptions, ctx: Any) -> CriterionResult:
    # RE2 (linear time) or a time-bounded backtracking engine: sparring/patterns.py
    flags = 0 if opts.case_sensitive else re.IGNORECASE

    def found(p: str) -> str | None:
        # a regex's match is never shown (it may be personal data): "" only says that it matched
        return "" if compile_pattern(p, flags).search(ctx.text) else None

    return _judge(opts, found, literal=False)
