"""JSON endpoints for programs (the load benchmark, integrations): the same attempt path as the screens.

No `from __future__ import annotations` here: `gr.api` reads the real type hints to describe the endpoint.
"""

import logging
from typing import Any

import gradio as gr

from .context import UIContext
from .answers import refusal
from .guard import mistake, require

log = logging.getLogger("sparring.ui")


def attempt_json(ctx: UIContext, scenario_id: str, answer: dict, request: Any) -> dict:
    """Grade and store one attempt for the signed-in user; the answer has the shape of the scenario's kind."""
    from ..grading.rubric import AnswerError
    from ..practice import attempt

    user = require(request, ctx.store)
    if not isinstance(answer, dict):
        raise gr.Error('The answer must be a JSON object, e.g. {"prompt": "..."} for a frame scenario.')
    sc = ctx.org.scenarios.get(scenario_id)
    if sc is not None and (why := refusal(sc.kind, answer)) is not None:  # the screen's rule (sparring.ui.answers)
        raise mistake(why)
    try:
        out = attempt(ctx.org, ctx.store, scenario_id, user.name, answer)
    except AnswerError as e:
        raise gr.Error(str(e)) from None
    except Exception as e:  # noqa: BLE001 - the caller gets words, the log gets the traceback
        log.exception("attempt failed: scenario=%s learner=%s", scenario_id, user.name)
        raise gr.Error(f"The answer could not be graded ({type(e).__name__}); nothing was stored.") from None
    return {"attempt_id": out.attempt_id, "blocked": out.blocked, "assistant": out.assistant,
            "due": out.due.isoformat() if out.due else None, "grade": out.grade.public()}


def register(ctx: UIContext) -> None:
    """Add the endpoints to the Blocks being built."""

    def attempt_api(scenario_id: str, answer: dict, request: gr.Request) -> dict:
        return attempt_json(ctx, scenario_id, answer, request)

    gr.api(attempt_api, api_name="attempt", concurrency_id="grading")
