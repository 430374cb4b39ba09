"""sparring.toml's `[gateway]` → the LiteLLM proxy config that `sparring gateway serve` runs and
`sparring gateway config` prints. Keys never appear in it: LiteLLM reads them from the environment
(`os.environ/NAME`), as the settings name them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..config import Settings

GUARDRAIL = "sparring.gateway.SparringGuardrail"
MIN_MASTER_KEY = 32
# Offline by default (docs/design.md): the model cost map from the installed package, no telemetry, no update check.
OFFLINE_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_OFFLINE_MODE": "true",
               "LITELLM_TELEMETRY": "False", "LITELLM_DONT_SHOW_FEEDBACK_BOX": "True"}


class GatewayConfigError(ValueError):
    """The gateway cannot start; the message names the setting and the fix."""


def litellm_config(settings: Settings, root: Path) -> dict[str, Any]:
    gw = settings.gateway
    if not gw.models:
        raise GatewayConfigError("sparring.toml has no [gateway.models.NAME] table: add one (model = ..., and "
                                 "api_base/api_key_env or mock_response) so the gateway has somewhere to send "
                                 "requests; see docs/real-work.md")
    model_list = []
    for name, m in sorted(gw.models.items()):
        params: dict[str, Any] = {"model": m.model}
        if m.api_base:
            params["api_base"] = m.api_base
        if m.api_key_env:
            params["api_key"] = f"os.environ/{m.api_key_env}"
        if m.mock_response is not None:
            params["mock_response"] = m.mock_response
        model_list.append({"model_name": name, "litellm_params": params})
    return {
        "model_list": model_list,
        "guardrails": [{"guardrail_name": "sparring", "litellm_params": {
            "guardrail": GUARDRAIL, "mode": "pre_call", "default_on": True, "policy": gw.policy,
            "sparring_root": str(root), "fail_open": gw.fail_open}}],
        "litellm_settings": {"telemetry": False},
        "general_settings": {"master_key": f"os.environ/{gw.master_key_env}"},
    }


def check_master_key(settings: Settings) -> None:
    name = settings.gateway.master_key_env
    key = os.environ.get(name, "")
    if len(key) < MIN_MASTER_KEY:
        what = "is not set" if not key else f"holds {len(key)} characters"
        raise GatewayConfigError(f"the gateway's master key: ${name} {what}; set it to a random secret of at "
                                 f"least {MIN_MASTER_KEY} characters (e.g. `export {name}=sk-$(openssl rand -hex "
                                 "24)`), or name another variable in [gateway] master_key_env")
