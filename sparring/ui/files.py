"""Files Sparring hands to one person (the insights CSV) are served only to them, and to admins.

Gradio copies a handler's output file into its cache at `<cache>/<hash of the content>/<name>` and serves it at
`/gradio_api/file=<that path>` to anyone signed in who has the URL. `own(path, user)` records the content hash
with its owner when the file is made; `guard(server_app)` puts a route ahead of Gradio's file route that refuses
such a file to anyone else (403), and passes every other request on to Gradio unchanged. The record lives in the
process, like the cached file itself (each replica serves its own cache).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from gradio.processing_utils import hash_file

from .login import once_route

_OWNERS: dict[str, str] = {}  # Gradio's cache folder name (content hash) -> the account the file was made for
_LOCK = threading.Lock()


def own(path: str | Path, user: str) -> str:
    """Record that the file at `path` is `user`'s; returns `path` for the handler to return."""
    with _LOCK:
        _OWNERS[hash_file(path)] = user
    return str(path)


def owner_of(requested: str) -> str | None:
    """The owner recorded for a requested file path, by the cache folder it sits in, else None."""
    parent = Path(requested.split("?", 1)[0]).parent.name
    with _LOCK:
        return _OWNERS.get(parent)


def _requester(server_app: Any, request: Request) -> str | None:
    cid = getattr(server_app, "cookie_id", "")
    token = request.cookies.get(f"access-token-{cid}") or request.cookies.get(f"access-token-unsecure-{cid}")
    tokens = getattr(server_app, "tokens", None) or {}
    return tokens.get(token) if token else None


def guard(server_app: Any, store: Any) -> None:
    from ..store.users import get_user

    async def check(request: Request) -> JSONResponse | None:
        owner = owner_of(request.path_params.get("path_or_url", ""))
        if owner is None:
            return None
        who = _requester(server_app, request)
        user = get_user(store, who) if who else None
        if who == owner or (user is not None and "admin" in user.roles):
            return None
        return JSONResponse({"detail": "This file was made for another account."}, status_code=403)

    once_route(server_app, "/gradio_api/file={path_or_url:path}", "GET", check)
