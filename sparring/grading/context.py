"""What a grader kind receives for one answer: the GradeContext, and the learner's text in the parts the
meaning engine reads.

It lives apart from rubric.py (which runs the criteria) and from the grader kinds, so the semantic engine can
type its argument and read the learner's parts without importing either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..content.models import AnyScenario, FrameAnswer, SpotAnswer, TrustAnswer
from .text import graded

if TYPE_CHECKING:
    from ..policy.engine import PolicyResult


@dataclass
class GradeContext:
    org: Any  # the Organisation (sparring.content.loader); None when a bench or a test grades without one
    scenario: AnyScenario
    answer: BaseModel  # the scenario kind's answer model (content.models.ANSWER_MODELS), parsed
    policy: PolicyResult | None = None  # the policy check of the prompt (frame), computed once per attempt
    assistant_reply: str | None = None
    cache: dict[str, Any] = field(default_factory=dict)  # per-attempt memo (e.g. the answer's embeddings)
    text_signals: list[str] = field(default_factory=list)  # sparring.gaming text signals, set by grade()
    # index of a scenario example that must not serve as evidence: `sparring test` and `sparring calibrate` grade
    # each labelled example leave-one-out, so an example is never its own neighbour (grading/exemplars.py)
    leave_out: int | None = None

    @property
    def raw_text(self) -> str:
        """The answer's main free text exactly as the learner sent it: the prompt, the justification, or the flag
        reasons joined. What the policy checks (hidden text is still data that would leave) and what storage
        redacts (sparring/redaction.py)."""
        a = self.answer
        if isinstance(a, FrameAnswer):
            return a.prompt
        if isinstance(a, TrustAnswer):
            return a.justification
        if isinstance(a, SpotAnswer):
            return "\n".join(a.flags.values())
        raise TypeError(f"no answer text for a {type(a).__name__}; parse the answer first (rubric.parse_answer)")

    @property
    def text(self) -> str:
        """The text every grader kind, plugins included, grades: raw_text as a reader sees it (grading/text.py:
        hidden HTML dropped, zero-width characters removed, look-alike letters folded)."""
        got = self.cache.get("graded_text")
        if got is None:
            if isinstance(self.answer, SpotAnswer):  # each reason on its own, as learner_parts reads them
                got = "\n".join(graded(v) for v in self.answer.flags.values())
            else:
                got = graded(self.raw_text)
            self.cache["graded_text"] = got
        return str(got)


def learner_parts(ctx: GradeContext) -> list[tuple[str, str]]:
    """The learner's free text as (source, text): each flag reason on its own for spot, else the main text.
    Always the graded text (grading/text.py): what a reader sees, look-alike letters folded."""
    if isinstance(ctx.answer, SpotAnswer):
        return [(sid, graded(reason)) for sid, reason in ctx.answer.flags.items()]
    return [("", ctx.text)]
