"""Data-sharing policies: policy YAML compiled to a Presidio analyzer (engine.py), with verdicts, explained
findings, redaction and evaluation against labelled tests (evaluate.py).

Importing this package is cheap; Presidio and spaCy load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named for the checker: sparring.organisation imports this layer
    from ..organisation import Organisation

DEFAULT_POLICY = "external-ai"


def redact_for_storage(org: Organisation, policy_id: str | None, text: str) -> str:
    """`text` with every non-allow finding (block, redact and warn) replaced by <ENTITY>: safe to store or log.

    Uses `policy_id` (a scenario's policy) or, when None, the organisation's default policy `external-ai`;
    if that does not exist either, the organisation's first policy. With no policy at all the text cannot be
    checked, so nothing of it is kept.
    """
    if not text:
        return text
    pid = policy_id if policy_id and policy_id in org.policies else None
    if pid is None:
        pid = DEFAULT_POLICY if DEFAULT_POLICY in org.policies else next(iter(sorted(org.policies)), None)
    if pid is None:
        return "<UNCHECKED TEXT>"
    from .engine import redact

    result = org.policy_engine(pid).check(text)
    return redact(text, result.findings, actions=("block", "redact", "warn"))
