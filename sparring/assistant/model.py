"""A real model through litellm, configured in sparring.toml `[models.ALIAS]`. Failures never raise: a timeout,
a rate limit or any other error becomes a reply with a status and a message the learner can act on; the attempt
is graded and stored all the same.

litellm is imported inside `complete()` so that importing sparring (and the scripted path) stays light."""

from __future__ import annotations

import logging
import time

from pydantic import BaseModel

from ..config import ModelSettings

log = logging.getLogger("sparring.assistant")


class Reply(BaseModel):
    status: str  # ok | scripted | timeout | rate_limited | error | not_sent
    text: str | None = None
    message: str | None = None

    def as_dict(self) -> dict:
        return self.model_dump()


def _messages(system: str | None, prompt: str) -> list[dict]:
    msgs = [{"role": "system", "content": system}] if system else []
    return msgs + [{"role": "user", "content": prompt}]


def complete(alias: str, cfg: ModelSettings, prompt: str, system: str | None = None) -> Reply:
    import litellm  # heavy (seconds to import): only when a model is actually configured and used

    litellm.suppress_debug_info = True  # its "Give Feedback" banner is noise in our logs
    if cfg.api_key_env and not cfg.api_key():
        log.error("model '%s': environment variable %s is not set", alias, cfg.api_key_env)
        return Reply(status="error", message=f"The AI assistant is not available: its key is missing (the "
                     f"administrator must set the environment variable {cfg.api_key_env}). Your prompt was still "
                     "graded and saved.")
    transient = (litellm.Timeout, litellm.RateLimitError, litellm.APIConnectionError,
                 litellm.ServiceUnavailableError, litellm.InternalServerError)
    last: Exception | None = None
    for attempt in range(cfg.retries + 1):
        try:
            resp = litellm.completion(model=cfg.model, messages=_messages(system, prompt), api_base=cfg.api_base,
                                      api_key=cfg.client_key(), timeout=cfg.timeout_s, max_retries=0,
                                      temperature=cfg.temperature, max_tokens=cfg.max_tokens)
            text = resp.choices[0].message.content or ""
            return Reply(status="ok", text=text)
        except transient as e:
            last = e
            log.warning("model '%s' attempt %d/%d failed: %s", alias, attempt + 1, cfg.retries + 1,
                        type(e).__name__)
            if attempt < cfg.retries:
                time.sleep(min(2.0, 0.5 * (attempt + 1)))  # short: a learner is waiting
        except Exception as e:  # noqa: BLE001 - any provider error must become a message, not a lost attempt
            last = e
            log.error("model '%s' failed: %s: %s", alias, type(e).__name__, str(e)[:300])
            break
    return _failure(alias, cfg, last)


def _failure(alias: str, cfg: ModelSettings, e: Exception | None) -> Reply:
    import litellm

    saved = "Your prompt was still graded and saved"
    if isinstance(e, litellm.Timeout):
        return Reply(status="timeout", message=f"The AI assistant did not answer within {cfg.timeout_s:g} s, so "
                     f"there is no reply this time. {saved}; submit again in a moment to see a reply.")
    if isinstance(e, litellm.RateLimitError):
        return Reply(status="rate_limited", message="The AI assistant is busy right now (its rate limit was "
                     f"reached). {saved}; wait a minute and submit again to see a reply.")
    kind = type(e).__name__ if e else "unknown error"
    return Reply(status="error", message=f"The AI assistant could not answer ({kind}). {saved}. If this keeps "
                 f"happening, tell your administrator (model '{alias}').")
