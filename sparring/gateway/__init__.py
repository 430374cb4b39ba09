"""The organisation's AI gateway: the same data-sharing policy the sandbox teaches, applied to real AI traffic
through a LiteLLM proxy, and one real-work event per request for Insights (docs/real-work.md).

`sparring.gateway.SparringGuardrail` is what LiteLLM's config names. It is loaded lazily so that importing this
package (the CLI does, to register `sparring gateway ...`) does not import litellm.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SparringGuardrail"]


def __getattr__(name: str) -> Any:
    if name == "SparringGuardrail":
        from .guardrail import SparringGuardrail

        return SparringGuardrail
    raise AttributeError(f"module 'sparring.gateway' has no attribute {name!r}")
