"""Sparring's own `/login` route: Gradio's passes the auth callback only a name and a password, and answers every
refusal with "Incorrect Credentials". Ours knows the client address (locks are per account and source:
`sparring.auth.sign_in`) and tells a locked-out person until when, with 429 and the reason in `detail`.

The login form shows `detail` through `LOGIN_NOTICE`: the `auth_message` holds an empty `#sp-login-notice`,
and `LOGIN_HEAD` (a script added to the page's <head>; Gradio's own `head=` reaches only signed-in pages) fills it
with the `detail` of a refused sign-in. Gradio's form
itself only reacts to 400 ("Incorrect Credentials", fields cleared) and 200 (reload), so a 429 leaves the
fields as they were and shows only our notice.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

LOGIN_NOTICE = '<p id="sp-login-notice" role="alert" style="color:#b71c1c"></p>'
LOGIN_HEAD = """<script>
(() => {
  const fetch0 = window.fetch;
  window.fetch = async (...args) => {
    const resp = await fetch0(...args);
    try {
      const url = new URL(String(args[0] && args[0].url ? args[0].url : args[0]), location.href);
      const el = document.getElementById("sp-login-notice");
      if (/\\/login\\/?$/.test(url.pathname) && el) {
        const body = resp.status === 200 ? {} : await resp.clone().json();
        el.textContent = typeof body.detail === "string" ? body.detail : "";
      }
    } catch (e) { /* the notice is a courtesy; the refusal holds without it */ }
    return resp;
  };
})();
</script>"""


def client_source(request: Request) -> str:
    """The address a sign-in came from. Not X-Forwarded-For: anyone can write that header, and trusting it would
    let one client pose as many sources and walk round the per-source limit. Behind a proxy, every sign-in has
    the proxy's address, so the per-source limit then applies to all of them together (docs/security.md)."""
    return request.client.host if request.client else "unknown"


def install(server_app: Any, store: Any) -> None:
    """Replace Gradio's POST /login on the running app with one that calls `sign_in` with the client address."""
    from ..auth import sign_in

    async def login(request: Request) -> JSONResponse:
        form = await request.form()
        name = str(form.get("username") or "").strip()
        password = str(form.get("password") or "")
        result = sign_in(store, name, password, client_source(request))
        if not result.ok:
            status = 429 if result.locked_until is not None else 400
            return JSONResponse({"detail": result.message}, status_code=status)
        token = secrets.token_urlsafe(16)
        server_app.tokens[token] = name
        response = JSONResponse({"success": True})
        # the same two cookies as Gradio's own route, which its pages, queue and file routes read
        response.set_cookie(key=f"access-token-{server_app.cookie_id}", value=token, httponly=True,
                            samesite="none", secure=True)
        response.set_cookie(key=f"access-token-unsecure-{server_app.cookie_id}", value=token, httponly=True)
        return response

    for r in server_app.router.routes:
        if getattr(r, "path", None) == "/" and "GET" in (getattr(r, "methods", None) or set()):
            r.app = _with_head(r.app, LOGIN_HEAD)
    replace_route(server_app, "/login", "POST", login)


def close_uploads(server_app: Any) -> None:
    """Sparring has no upload component, so Gradio's upload route answers 403 before reading the body: nothing
    reaches the temp folder (a learner could otherwise fill the disk, 1 MB at a time, without limit)."""

    async def no_uploads(request: Request) -> JSONResponse:
        return JSONResponse({"detail": "Sparring accepts no file uploads."}, status_code=403)

    replace_route(server_app, "/gradio_api/upload", "POST", no_uploads)


def replace_route(server_app: Any, path: str, method: str, endpoint: Any) -> None:
    """Serve `method path` (and `path/`) with `endpoint`, ahead of Gradio's route. Gradio's routes under
    /gradio_api sit in an included router that cannot be edited, so ours go first in the route list (Starlette
    takes the first match); top-level ones are removed. tests/test_security_server.py proves both over HTTP."""
    routes = server_app.router.routes
    for r in [r for r in routes if getattr(r, "path", None) in (path, path + "/")
              and method in (getattr(r, "methods", None) or set())]:
        routes.remove(r)
    n = len(routes)
    for p in (path, path + "/"):
        server_app.add_api_route(p, endpoint, methods=[method], include_in_schema=False)
    routes[:0] = [routes.pop(n), routes.pop(n)]


def _with_head(app: Any, html: str) -> Any:
    """An ASGI app that serves `app`'s HTML page with `html` inserted before </head>."""
    extra = html.encode("utf-8")

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        start: dict[str, Any] = {}
        body = bytearray()

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            page = bytes(body).replace(b"</head>", extra + b"</head>", 1) if b"</head>" in body else bytes(body)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(page)).encode("ascii")))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await app(scope, receive, capture)

    return wrapped
