"""The AI under practice in frame scenarios: scripted replies (offline default) or a litellm model.

`answer(org, scenario, prompt)` returns the contract dict {"status", "text", "message"}; it never raises."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import Reply
from .scripted import reply as scripted_reply

if TYPE_CHECKING:  # only named for the checker: sparring.organisation imports this layer
    from ..organisation import Organisation

__all__ = ["answer", "not_sent", "Reply"]


def answer(org: Organisation, scenario: Any, prompt: str) -> dict:
    spec = scenario.assistant
    alias = spec.model
    if alias == "scripted":
        return Reply(status="scripted", text=scripted_reply(spec, prompt)).as_dict()
    cfg = org.settings.models.get(alias)
    if cfg is None:  # the scenario names a model this organisation has not configured: stay offline
        return Reply(status="scripted", text=scripted_reply(spec, prompt),
                     message=f"Model '{alias}' is not configured in sparring.toml, so the scripted assistant "
                     "answered.").as_dict()
    from .model import complete

    return complete(alias, cfg, prompt, spec.system).as_dict()


def not_sent(findings_summary: str) -> dict:
    return Reply(status="not_sent", message=f"Your prompt was not sent to the AI assistant: it contains "
                 f"{findings_summary}, which the policy blocks. Replace it with placeholders such as [customer] "
                 "and submit again.").as_dict()
