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

    routes = server_app.router.routes
    pages = [r for r in routes if getattr(r, "path", None) == "/" and "GET" in (getattr(r, "methods", None) or set())]
    for r in pages:
        r.app = _with_head(r.app, LOGIN_HEAD)
    ours = [r for r in routes if getattr(r, "path", None) in ("/login", "/login/")
            and "POST" in (getattr(r, "methods", None) or set())]
    if not ours:
        raise RuntimeError("Gradio's POST /login route was not found: the pinned Gradio changed; see ui/login.py")
    for r in ours:
        routes.remove(r)
    for path in ("/login", "/login/"):
        server_app.add_api_route(path, login, methods=["POST"], include_in_schema=False)


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
