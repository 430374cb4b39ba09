"""A trust justification that argues for more than one decision ("you could use it, or verify it, or reject it:
all are reasonable") covers every reason by hedging, so it earns none of the decision's reasons.

What counts as arguing for a decision: a permissive or recommending form with a decision verb ("could use it",
"fine to send", "I would reject", "best to check"), or decision verbs joined by "or" ("use or verify"), or a phrase
that declines to choose ("any of the three", "either way", "hard to say which"). A plain "check the figure" or
"don't use it as it is" is how an honest answer explains one decision, so it is not counted on its own.
"""

from __future__ import annotations

import re

_VERB = {
    "use": r"(?:use|rely on|send|forward|publish|accept|trust|go with|keep)",
    "verify": r"(?:verify|check|double[- ]check|cross[- ]check|confirm|validate|look into)",
    "reject": r"(?:reject|discard|bin|drop|throw (?:it )?(?:out|away)|scrap|refuse)",
}
_PERMIT = (r"\b(?:could|can|might|may|would|should|i'?d|we'?d|it(?:'s| is| would be) (?:fine|ok|okay|reasonable|"
           r"acceptable|sensible|best|safe) to|(?:is|would be) (?:fine|ok|okay|reasonable|acceptable|sensible))"
           r"\s+(?:also\s+|just\s+|equally\s+|simply\s+|probably\s+)?")
_ARGUED = {k: re.compile(_PERMIT + v + r"\b", re.I) for k, v in _VERB.items()}
_ALL = "|".join(_VERB.values())
_JOINED = re.compile(rf"\b({_ALL})\b(?:\s+it)?(?:\s+as it is)?\s*(?:,\s*)?(?:/|\bor\b|\band/or\b|,)\s*"
                     rf"(?:you could\s+|we could\s+)?(?:even\s+|just\s+)?({_ALL})\b", re.I)
_NO_CHOICE = re.compile(r"\b(?:any of (?:the|these|those) (?:three |two )?(?:options|choices|decisions|three)|"
                        r"any (?:option|decision|choice) (?:is|would be|works|could)|all three (?:options |choices |decisions )?(?:are|would be|work)|"
                        r"either way|(?:hard|difficult|impossible) to (?:say|choose|decide) (?:which|between)|"
                        r"each (?:option|choice|decision) (?:is|has)|none of them is (?:better|wrong)|"
                        r"whichever (?:you|we) (?:choose|pick))\b", re.I)


def _option(word: str) -> str | None:
    for k, v in _VERB.items():
        if re.fullmatch(v, word, re.I):
            return k
    return None


def argued_options(text: str) -> set[str]:
    """The decisions (use / verify / reject) the text argues for in a permissive or recommending form."""
    out = {k for k, rx in _ARGUED.items() if rx.search(text)}
    for m in _JOINED.finditer(text):
        a, b = _option(m.group(1)), _option(m.group(2))
        if a and b and a != b:
            out |= {a, b}
    return out


def hedge(text: str) -> str | None:
    """The sentence that shows the text arguing for more than one decision, or None."""
    from .semantic_engine import sentences

    t = text or ""
    sents = sentences(t)
    for s in sents:
        if _NO_CHOICE.search(s):
            return s
    if len(argued_options(t)) < 2:
        return None
    for s in sents:
        if len(argued_options(s)) >= 2:
            return s
    return next((s for s in sents if argued_options(s)), sents[0] if sents else t)
