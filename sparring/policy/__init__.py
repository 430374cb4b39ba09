"""Data-sharing policies: policy YAML compiled to a Presidio analyzer (engine.py), with verdicts, explained
findings, redaction and evaluation against labelled tests (evaluate.py).

Importing this package is cheap; Presidio and spaCy load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named for the checker: sparring.organisation imports this layer
    from ..organisation import Organisation


def redact_for_storage(org: Organisation, policy_id: str | None, text: str) -> str:
    """`text` as it may be stored or logged. The rule (which policy, which findings) is
    sparring.redaction.free_text; this name stays for callers outside the attempt path."""
    from ..redaction import free_text

    return free_text(org, policy_id, text)
