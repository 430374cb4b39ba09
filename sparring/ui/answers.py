"""What an answer must hold before it is graded: one rule per kind, for the practice screen and the /attempt API
alike (an empty "Why?" on a trust answer was refused on the screen and graded 4% through the API, issue 15)."""

from __future__ import annotations

from typing import Any

DECISIONS = ("use", "verify", "reject")


def refusal(kind: str, answer: dict[str, Any]) -> str | None:
    """The message for an answer that cannot be graded yet (what is missing and what to do), or None when it can.
    An answer without its kind's main key ("prompt", "flags", "decision") is a shape error: left to the grader's
    AnswerError, which names the expected shape; this is about answers of the right shape left empty."""
    main = {"frame": "prompt", "spot": "flags", "trust": "decision"}.get(kind)
    if main is None or main not in answer:
        return None
    if kind == "frame" and not str(answer.get("prompt") or "").strip():
        return "Write your prompt in the box first."
    if kind == "spot" and not answer.get("flags"):
        return "Tick at least one sentence you think is wrong (and say why) before you submit."
    if kind == "trust":
        if not answer.get("decision"):
            return "Choose what you would do with the answer: use, verify or reject."
        if not str(answer.get("justification") or "").strip():
            return ("Say why in the “Why?” box first: name what you checked or what made you doubt the answer "
                    "(through the API: a non-empty \"justification\").")
    return None
