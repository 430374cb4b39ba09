"""The offline assistant: answers from the scenario's `assistant.replies`, first match wins. No model, no network,
microseconds per reply, so it is the default and what the load benchmark measures."""

from __future__ import annotations

from ..content.models import AssistantSpec, ReplyWhen

NO_REPLY = ("(The scripted assistant has no reply for this scenario. Ask the scenario's author to add "
            "`assistant.replies` with a fallback reply.)")


def matches(when: ReplyWhen | None, prompt: str) -> bool:
    """Case-insensitive: at least one of `any` (when given) and every one of `all` appear in the prompt."""
    if when is None:
        return True
    text = prompt.casefold()
    if when.any and not any(w.casefold() in text for w in when.any):
        return False
    return all(w.casefold() in text for w in when.all)


def reply(spec: AssistantSpec, prompt: str) -> str:
    """The first reply whose `when` matches; replies without `when` match anything, so the fallback is the first
    unconditional one (authors put it last)."""
    for r in spec.replies:
        if matches(r.when, prompt):
            return r.text
    return NO_REPLY
