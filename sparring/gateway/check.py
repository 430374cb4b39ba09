"""One gateway request against the organisation's policy: which texts go to the model, what the policy says about
them, and what the model may receive. No litellm here, so it is tested without a proxy.

The texts checked are everything a client sends for the model to read: chat `messages` (string content and the
`text` parts of multi-part content), a completion `prompt` and an embedding `input`. Images, audio and tool
definitions are not checked (docs/real-work.md lists this limit).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from ..content.models import ACTION_ORDER, Policy
from ..policy.engine import PolicyEngine, PolicyResult

# A slot a text came from, and how to put the redacted text back there.
Setter = Callable[[str], None]


@dataclass
class Checked:
    """The policy's answer for one request. `counts` counts non-allow findings by entity type: never the text."""

    verdict: str
    counts: dict[str, int] = field(default_factory=dict)
    blocked_entities: list[str] = field(default_factory=list)
    texts: int = 0


def _slots(data: dict[str, Any]) -> list[tuple[str, Setter]]:
    out: list[tuple[str, Setter]] = []

    def put(container: Any, key: Any) -> Setter:
        def set_(value: str) -> None:
            container[key] = value
        return set_

    for msg in data.get("messages") or []:
        if not isinstance(msg, dict):
            continue
        content = msg.get("content")
        if isinstance(content, str):
            out.append((content, put(msg, "content")))
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    out.append((part["text"], put(part, "text")))
    for key in ("prompt", "input"):
        value = data.get(key)
        if isinstance(value, str):
            out.append((value, put(data, key)))
        elif isinstance(value, list):
            out.extend((v, put(value, i)) for i, v in enumerate(value) if isinstance(v, str))
    return [(t, s) for t, s in out if t.strip()]


def check_request(engine: PolicyEngine, data: dict[str, Any]) -> Checked:
    """Check every text of `data`; on a `redact` verdict, replace each text in `data` by its redacted form (so the
    model receives only that). A `block` verdict leaves `data` alone: the caller refuses the request."""
    slots = _slots(data)
    results: list[PolicyResult] = engine.check_batch([t for t, _ in slots]) if slots else []
    verdict = "allow"
    counts: Counter[str] = Counter()
    blocked: set[str] = set()
    for r in results:
        if ACTION_ORDER[r.verdict] > ACTION_ORDER[verdict]:
            verdict = r.verdict
        for f in r.findings:
            if f.action != "allow":
                counts[f.entity] += 1
            if f.action == "block":
                blocked.add(f.entity)
    if verdict == "redact":
        for (text, set_), r in zip(slots, results):
            if r.redacted != text:
                set_(r.redacted)
    return Checked(verdict=verdict, counts=dict(sorted(counts.items())), blocked_entities=sorted(blocked),
                   texts=len(slots))


def entity_words(policy: Policy | None, entity: str) -> str:
    """An entity type in words, for people: the policy's own recognizer name when it has one ("Harbourline policy
    number"), else the type spelled out ("email address")."""
    for rec in (policy.recognizers if policy is not None else []):
        if rec.entity == entity and getattr(rec, "name", None):
            return str(rec.name)
    return entity.replace("_", " ").lower()


def block_message(engine: PolicyEngine, checked: Checked) -> str:
    """What the person whose request was refused reads: the entity types, never the values, and what to do."""
    kinds = ", ".join(f"{e} ({entity_words(engine.policy, e)})" for e in checked.blocked_entities)
    return (f"Blocked by your organisation's policy '{engine.policy.id}': the request contains {kinds}. "
            "Nothing was sent to the model. Describe the situation instead of pasting the record, with "
            "placeholders such as [customer] or [card number], and send it again.")
