"""`SparringGuardrail`: a LiteLLM custom guardrail that applies the organisation's policy to every request through
the gateway, with the same engine the sandbox uses (sparring/policy), and records one real-work event per request.

LiteLLM builds it from its own config (docs/real-work.md):

    guardrails:
      - guardrail_name: sparring
        litellm_params:
          guardrail: sparring.gateway.SparringGuardrail
          mode: pre_call
          default_on: true
          policy: external-ai
          sparring_root: /srv/sparring
          fail_open: false        # optional; default false

block → HTTP 400 naming the entity types (never the values); redact → the model receives the redacted texts;
warn and allow → sent as written. If the check or the event cannot be done, the request is refused (HTTP 503)
unless `fail_open` is true, in which case it goes through unchecked and is recorded with verdict `error`. A
check that cannot finish (a pattern past its time bound, PatternTimeout) is such a failure: never "nothing found".
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fastapi import HTTPException
from litellm.integrations.custom_guardrail import CustomGuardrail

from ..patterns import PatternTimeout
from .check import Checked, block_message, check_request
from .events import make_event, record, training_map

log = logging.getLogger("sparring.gateway")
CHECK_THREADS = 2  # the policy check is CPU-bound under the GIL: more threads would only queue inside Python


class SparringGuardrail(CustomGuardrail):
    """Sparring's data-sharing policy on the AI gateway (see the module docstring for the config)."""

    def __init__(self, policy: str | None = None, sparring_root: str | None = None,
                 fail_open: bool | str | None = None, **kwargs: Any) -> None:
        from ..organisation import load_org
        from ..store.db import open_store

        super().__init__(**kwargs)
        root = Path(sparring_root or ".").resolve()
        self.org = load_org(root)
        gw = self.org.settings.gateway
        self.policy_id: str = policy or gw.policy
        # Fails at start, not per request, when the policy is unknown or broken: a gateway that cannot check
        # must not come up looking healthy.
        self.engine = self.org.policy_engine(self.policy_id)
        self.engine.check("warm-up")  # loads spaCy once, before the first request waits for it
        self.fail_open = _truthy(fail_open) if fail_open is not None else gw.fail_open
        self.record_events = gw.record
        auth = self.org.settings.auth
        self.header: str | None = auth.header if auth.mode == "header" else None
        self.training = training_map(self.org, self.policy_id)
        self.store = open_store(self.org) if self.record_events else None
        # Our own threads, not the loop's default executor: LiteLLM queues its own blocking work there, and a
        # check waiting behind it is latency the request pays. 
        self.executor = ThreadPoolExecutor(max_workers=CHECK_THREADS, thread_name_prefix="sparring-guardrail")

    def _check_and_record(self, data: dict[str, Any]) -> Checked:
        checked = check_request(self.engine, data)
        self._record(data, checked.verdict, checked.counts)
        return checked

    def _record(self, data: dict[str, Any], verdict: str, counts: dict[str, int]) -> None:
        if self.store is None:
            return
        record(self.store, make_event(self.store, data, header=self.header, policy=self.policy_id,
                                      verdict=verdict, counts=counts, training=self.training))

    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict[str, Any],
                                  call_type: Any) -> dict[str, Any]:
        try:
            # Presidio and SQLite block: off the event loop, so other requests keep flowing meanwhile.
            checked = await asyncio.get_running_loop().run_in_executor(self.executor, self._check_and_record, data)
        except Exception as e:  # noqa: BLE001 - whatever failed, the policy decides what happens next
            # The type only: an exception message might quote the text.
            log.error("sparring guardrail: policy check failed (%s); %s", type(e).__name__,
                      "letting the request through (fail_open)" if self.fail_open else "request refused")
            try:  # a refused request is still a request: count it
                await asyncio.get_running_loop().run_in_executor(self.executor, self._record, data, "error", {})
            except Exception as e2:  # noqa: BLE001
                log.error("sparring guardrail: event not stored (%s)", type(e2).__name__)
            if not self.fail_open:
                why = ("did not finish in time on this request" if isinstance(e, PatternTimeout)
                       else "is not working right now")
                raise HTTPException(status_code=503, detail={
                    "error": f"Your organisation's data-sharing check {why}, so nothing was sent to the model. "
                             "Try again in a minute; if it keeps happening, tell IT (the gateway log names the "
                             "error)."}) from None
            return data
        if checked.verdict == "block":
            raise HTTPException(status_code=400, detail={"error": block_message(self.engine, checked),
                                                         "entities": checked.blocked_entities})
        return data


def _truthy(v: bool | str) -> bool:
    if isinstance(v, bool):
        return v
    return str(v).strip().lower() in ("1", "true", "yes", "on")
