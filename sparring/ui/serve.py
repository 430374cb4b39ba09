"""Starting a Gradio app without Gradio's "can the browser reach localhost?" probe, with the health endpoints a
load balancer asks.

`Blocks.launch()` sends one HEAD request to its own URL with a 3-second timeout and, if that times out, refuses to
start ("When localhost is not accessible, a shareable link must be created"). On a busy 2-core machine the first
request can take longer than 3 s, so the app (and every test that serves it) failed to start for no fault of its
own. The probe's only remedy is a public share link, which Sparring never wants (nothing leaves the building), so
we skip it: `_frontend=False` gates nothing else in Gradio 6.31 (blocks.py: it is read only by that check).

Health (docs/operations.md, "Replicas behind nginx"), both without sign-in and saying nothing about anyone:
- GET /healthz: 200 while the process serves requests (liveness: restart it when this fails);
- GET /readyz: 200 when this replica can take learners: its store answers and has the schema this Sparring
  knows, and the models have loaded (the app's sparring.ui.context.WarmUp has set its finished event); 503
  with the reason otherwise (the load balancer sends no one here meanwhile).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr
from fastapi.responses import JSONResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from .context import WarmUp


def readiness(store: Any, warmup: WarmUp | None = None) -> tuple[bool, dict[str, Any]]:
    """(ready, document) for /readyz. Any failure to reach the store is "not ready", never a 500."""
    from ..store.schema import LATEST

    if store is None:
        return True, {"ready": True, "store": None}
    try:
        store.one("SELECT 1 AS ok")
        version = store.schema_version()
    except Exception as e:  # noqa: BLE001 - the load balancer only needs yes or no, the log gets the cause
        return False, {"ready": False, "reason": f"the store does not answer ({type(e).__name__})"}
    if version != LATEST:
        return False, {"ready": False, "reason": f"schema version {version}, this Sparring needs {LATEST}: "
                       "run `sparring db upgrade`"}
    if warmup is not None and not warmup.ready:  # the event the warm-up sets when it has finished
        return False, {"ready": False, "reason": "the models are still loading"}
    return True, {"ready": True, "store": store.backend, "schema_version": version}


def add_health_routes(server_app: Any, store: Any = None, warmup: WarmUp | None = None) -> None:
    """/healthz and /readyz on the running app, ahead of Gradio's own routes. `store` defaults to the
    organisation's store this process opened (sparring.store.db.organisation_store); `warmup` is the app's model
    warm-up, whose finished event /readyz waits for (None: nothing to wait for)."""

    async def healthz(request: Any) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def readyz(request: Any) -> JSONResponse:
        from ..store.db import organisation_store

        ready, doc = readiness(store if store is not None else organisation_store(), warmup)
        return JSONResponse(doc, status_code=200 if ready else 503)

    for path, endpoint in (("/readyz", readyz), ("/healthz", healthz)):
        server_app.router.routes.insert(0, Route(path, endpoint, methods=["GET", "HEAD"]))


def start(blocks: gr.Blocks, warmup: WarmUp | None = None, **launch_kwargs: Any) -> None:
    """`blocks.launch(**launch_kwargs)`, returning once the server listens (prevent_thread_lock), never sharing;
    with /healthz and /readyz added (/readyz 503 until `warmup` has finished)."""
    launch_kwargs.setdefault("prevent_thread_lock", True)
    blocks.launch(share=False, _frontend=False, **launch_kwargs)
    if getattr(blocks, "server_app", None) is not None:
        add_health_routes(blocks.server_app, warmup=warmup)
