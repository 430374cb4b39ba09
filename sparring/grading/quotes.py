"""Learner text that a grader puts into feedback, recorded so the stored copy can be rebuilt from redacted text.

Graders quote the learner with `quote()` (a sentence, whitespace collapsed, cut to a limit) and show a policy
check's redacted text with `redacted_view()`. While `recording()` is active (sparring.redaction does this around
one attempt's grading) each call is remembered as a Quote: what was quoted, how, and the string it produced.
The stored feedback then replaces each produced string by the same call made on the redacted source
(sparring.redaction.AttemptRedactor), so a quote is never scrubbed after the fact by matching raw strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable

_active: ContextVar[list[Quote] | None] = ContextVar("sparring_quotes", default=None)


@dataclass(frozen=True)
class Quote:
    source: str  # the learner text that was quoted (raw)
    limit: int | None  # quote(): the character limit; 0 for plain(); None for redacted_view()
    shown: str  # the string the grader put into its feedback or evidence
    findings: tuple[Any, ...] = field(default=())  # redacted_view(): the policy findings behind it
    around: tuple[str, ...] = ()  # quote(): the words the quote keeps in view (see quote_text)
    view: Callable[[str], str] | None = None  # redacted_view(): how the redacted text was shown (e.g. in words)


def _note(q: Quote) -> None:
    got = _active.get()
    if got is not None:
        got.append(q)


_WORD_CHARS = re.compile(r"\S+")


def quote_text(text: str | None, limit: int = 160, around: Iterable[str] = ()) -> str:
    """The quoting rule itself, without recording: a learner's words in curly quotes, whitespace collapsed, at most
    `limit` characters, cut only between words. `around`: words or figures that matter (a statement's key terms, a
    matched figure); when the text is too long, the quote is the window of whole words around the first of them
    that occurs, so it is never cut before them."""
    if not text:
        return ""
    t = " ".join(text.split())
    if len(t) <= limit:
        return f"“{t}”"
    spans = [(m.start(), m.end()) for m in _WORD_CHARS.finditer(t)]
    focus = 0
    keys = [k.casefold() for k in around if k and k.strip()]
    if keys:
        low = t.casefold()
        hits = [i for i in (low.find(k) for k in keys) if i >= 0]
        if hits:
            first = min(hits)
            focus = next((n for n, (a, b) in enumerate(spans) if b > first), 0)
    # grow a window of whole words around the focus word, a little more after it than before
    lo = hi = focus
    while True:
        grew = False
        for step in (1, 1, -1):
            nlo, nhi = (lo, hi + 1) if step > 0 else (lo - 1, hi)
            if nlo < 0 or nhi >= len(spans):
                continue
            if spans[nhi][1] - spans[nlo][0] + 2 > limit:
                continue
            lo, hi, grew = nlo, nhi, True
        if not grew:
            break
    if spans[hi][1] - spans[lo][0] > limit:  # a single word longer than the limit: cut inside it, said so
        return "“" + t[spans[lo][0]:spans[lo][0] + limit - 1] + "…”"
    body = t[spans[lo][0]:spans[hi][1]]
    return "“" + ("…" if lo > 0 else "") + body + ("…" if hi < len(spans) - 1 else "") + "”"


def quote(text: str | None, limit: int = 160, around: Iterable[str] = ()) -> str:
    """A learner's words as feedback shows them (see quote_text); recorded while recording() is active."""
    keys = tuple(around)
    shown = quote_text(text, limit, keys)
    if text:
        _note(Quote(text, limit, shown, around=keys))
    return shown


def plain(text: str | None) -> str:
    """A learner's sentence shown without quote marks (a feedback template's {sentence}); recorded."""
    shown = " ".join((text or "").split())
    if shown:
        _note(Quote(text or "", 0, shown))
    return shown


def rebuild(q: Quote, source: str) -> str:
    """What the grader would have shown had `source` been the text it quoted (the same rule as quote/plain)."""
    return " ".join(source.split()) if q.limit == 0 else quote_text(source, q.limit or 160, q.around)


def redacted_view(result: Any, text: str, view: Callable[[str], str] | None = None) -> str:
    """`result.redacted` (a PolicyResult of `text`) as a grader shows it (through `view`, e.g. placeholders in
    words); recorded with its findings, so the stored copy shows the same view of the text redacted at rest."""
    shown = view(str(result.redacted)) if view else str(result.redacted)
    _note(Quote(text, None, shown, tuple(result.findings), view=view))
    return shown


@contextmanager
def recording() -> Iterator[list[Quote]]:
    got: list[Quote] = []
    token = _active.set(got)
    try:
        yield got
    finally:
        _active.reset(token)
