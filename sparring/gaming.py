"""Signals that an attempt may be gaming the rubric rather than practising. They are recorded with the attempt
for mentors and insights to look at; they never change the grade (signals, not punishment).

Cheap text statistics only (no model): they run on every attempt, including under the load benchmark.
"""

from __future__ import annotations

import functools
import re
from typing import Any

GAMING_SIGNALS: dict[str, str] = {
    "fast": "submitted within seconds of opening the scenario",
    "copies-model-answer": "nearly identical to the scenario's model answer",
    "copies-material": "mostly copies the brief, the material or the AI output back",
    "keyword-stuffing": "a list of repeated or unconnected keywords rather than sentences",
    "flags-everything": "flags (nearly) every sentence instead of choosing",
}

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset("a an the to of and or in on for with is are was be it this that as at by from we you i they "
                  "he she our your their not no if then so but about what when will can should would could do "
                  "does has have had my me us them his her its there here which who how".split())


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def shingles(ws: list[str], n: int = 3) -> set[tuple[str, ...]]:
    if len(ws) < n:
        return {tuple(ws)} if ws else set()
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


def shown_texts(scenario: Any) -> tuple[str, ...]:
    """What the learner works from: the brief, the material, and the AI output (and question) to judge."""
    out = getattr(scenario, "output", None)
    texts = [scenario.brief, scenario.material or "", getattr(scenario, "question", None) or ""]
    texts += [out] if isinstance(out, str) else [x.text for x in out or []]
    return tuple(texts)


@functools.lru_cache(maxsize=256)
def text_shingles(texts: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    """Word 3-grams of authored texts. Cached by content: a scenario's text is the same for every attempt, so
    an edited scenario is simply a new key. Never called with learners' text."""
    return frozenset().union(*(shingles(words(t)) for t in texts if t))


def fast_threshold_s(minutes: int) -> float:
    """Less than a twentieth of the expected time, and never more than 30 s: nobody reads a brief that fast."""
    return min(30.0, max(5.0, minutes * 60 / 20))


def signals(scenario: Any, text: str, *, duration_s: float | None, flags: dict[str, str] | None = None) -> list[str]:
    """Signal codes (keys of GAMING_SIGNALS) for one attempt; `text` is the answer's main free text."""
    out: list[str] = []
    if duration_s is not None and duration_s < fast_threshold_s(scenario.minutes):
        out.append("fast")
    ws = words(text)
    mine = shingles(ws)
    if scenario.model_answer and len(ws) >= 8:
        model = shingles(words(scenario.model_answer))
        # Word 3-grams catch a pasted model answer; its distinct content words catch one that was reordered or
        # lightly reworded (the words are the model answer's, only the order changed).
        own = {w for w in ws if w not in _STOP}
        theirs = {w for w in words(scenario.model_answer) if w not in _STOP}
        if (mine and model and len(mine & model) / len(mine | model) >= 0.7) or (
                own and theirs and len(own) >= 0.5 * len(theirs) and len(own & theirs) / len(own) >= 0.8):
            out.append("copies-model-answer")
    if len(ws) >= 8 and "copies-model-answer" not in out:
        src = text_shingles(shown_texts(scenario))
        if mine and len(mine & src) / len(mine) >= 0.8:
            out.append("copies-material")
    if len(ws) >= 8:
        distinct = len(set(ws)) / len(ws)
        stop_share = sum(w in _STOP for w in ws) / len(ws)
        if distinct < 0.4 or stop_share < 0.08:
            out.append("keyword-stuffing")
    if flags is not None and scenario.kind == "spot":
        n = len(scenario.output)
        if n >= 3 and len(flags) >= max(3, round(0.9 * n)):
            out.append("flags-everything")
    return out
