"""Learner text that a grader puts into feedback, recorded so the stored copy can be rebuilt from redacted text.

Graders quote the learner with `quote()` (a sentence, whitespace collapsed, cut to a limit) and show a policy
check's redacted text with `redacted_view()`. While `recording()` is active (sparring.redaction does this around
one attempt's grading) each call is remembered as a Quote: what was quoted, how, and the string it produced.
The stored feedback then replaces each produced string by the same call made on the redacted source
(sparring.redaction.AttemptRedactor), so a quote is never scrubbed after the fact by matching raw strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

_active: ContextVar[list[Quote] | None] = ContextVar("sparring_quotes", default=None)


@dataclass(frozen=True)
class Quote:
    source: str  # the learner text that was quoted (raw)
    limit: int | None  # quote(): the character limit; 0 for plain(); None for redacted_view()
    shown: str  # the string the grader put into its feedback or evidence
    findings: tuple[Any, ...] = field(default=())  # redacted_view(): the policy findings behind it


def _note(q: Quote) -> None:
    got = _active.get()
    if got is not None:
        got.append(q)


def quote_text(text: str | None, limit: int = 160) -> str:
    """The quoting rule itself, without recording: whitespace collapsed, cut at `limit` with an ellipsis."""
    if not text:
        return ""
    t = " ".join(text.split())
    return "“" + (t if len(t) <= limit else t[: limit - 1].rstrip() + "…") + "”"


def quote(text: str | None, limit: int = 160) -> str:
    """A learner's sentence as feedback shows it (see quote_text); recorded while recording() is active."""
    shown = quote_text(text, limit)
    if text:
        _note(Quote(text, limit, shown))
    return shown


def plain(text: str | None) -> str:
    """A learner's sentence shown without quote marks (a feedback template's {sentence}); recorded."""
    shown = " ".join((text or "").split())
    if shown:
        _note(Quote(text or "", 0, shown))
    return shown


def rebuild(q: Quote, source: str) -> str:
    """What the grader would have shown had `source` been the text it quoted (the same rule as quote/plain)."""
    return " ".join(source.split()) if q.limit == 0 else quote_text(source, q.limit or 160)


def redacted_view(result: Any, text: str) -> str:
    """`result.redacted` (a PolicyResult of `text`) as a grader shows it; recorded with its findings."""
    shown = str(result.redacted)
    _note(Quote(text, None, shown, tuple(result.findings)))
    return shown


@contextmanager
def recording() -> Iterator[list[Quote]]:
    got: list[Quote] = []
    token = _active.set(got)
    try:
        yield got
    finally:
        _active.reset(token)
