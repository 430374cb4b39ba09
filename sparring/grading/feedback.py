"""Feedback text: the author's per-criterion template when given, else the grader's own specific text.

Templates may use {placeholders}: {evidence}, {findings}, {redacted}, {score}, {missing}, and any key the
grader put in its evidence dict. Unknown placeholders are left as they are rather than raising, so a typo in
a template shows up in the feedback instead of breaking the attempt.
"""

from __future__ import annotations

import string
from typing import Any

from .quotes import plain, quote
from .result import CriterionResult


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value) or "nothing"
    return str(value)


def render(criterion: Any, result: CriterionResult) -> str:
    tpl = criterion.feedback.pass_ if result.passed else criterion.feedback.fail
    if not tpl:
        return result.feedback
    values = _Keep(score=f"{result.score:.0%}", evidence=_fmt(result.evidence) if result.evidence else "")
    if isinstance(result.evidence, dict):
        values.update({k: _fmt(v) for k, v in result.evidence.items()
                       if v is not None and not isinstance(v, dict)})
        # {evidence} is the learner's sentence that decided the criterion, when the grader has one
        sentence = result.evidence.get("sentence")
        values["evidence"] = quote(sentence, 100_000) if sentence else ""
        values["sentence"] = plain(sentence)
    try:
        text = string.Formatter().vformat(tpl, (), values)
    except (ValueError, IndexError):
        text = tpl
    text = text.strip()
    # Keep the grader's specific detail (what exactly was found or missing) after the author's words.
    if result.feedback and result.feedback not in text:
        text = f"{text} {result.feedback}".strip()
    return text
