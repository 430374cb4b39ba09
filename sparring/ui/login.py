"""Routes of Gradio's app that Sparring replaces or checks first: `/login` (below), the upload route (closed:
`close_uploads`), queue joins with an unknown `fn_index` (`check_fn_index`), and `once_route`/`replace_route`,
which `sparring.ui.files` also uses for downloads.

Sparring's own `/login` route: Gradio's passes the auth callback only a name and a password, and answers every
refusal with "Incorrect Credentials". Ours knows the client address (locks are per account and source:
`sparring.auth.sign_in`) and tells a locked-out person until when, with 429 and the reason in `detail`.

The login form shows `detail` through `LOGIN_NOTICE`: the `auth_message` holds an empty `#sp-login-notice`,
and `LOGIN_HEAD` (a script added to the page's <head>; Gradio's own `head=` reaches only signed-in pages) fills it
with the `detail` of a refused sign-in. Gradio's form
itself only reacts to 400 ("Incorrect Credentials", fields cleared) and 200 (reload), so a 429 leaves the
fields as they were and shows only our notice.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from typing import Any, Union

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.routing import Match, Route

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

LOGIN_NOTICE = '<p id="sp-login-notice" role="alert" style="color:#b71c1c"></p>'
# Gradio's own "Incorrect Credentials" line is hidden while our notice has text: the notice says which refusal it
# was ("locked until ..." or "Incorrect user name or password."), and two messages that disagree confuse people.
LOGIN_HEAD = """<style>body:has(#sp-login-notice:not(:empty)) p.creds { display: none; }</style>
<script>
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


TRUSTED_PROXIES_ENV = "SPARRING_TRUSTED_PROXIES"  # comma-separated addresses or networks; default: none


def trusted_proxies(value: str | None = None) -> list[IPNetwork]:
    """The proxies whose X-Forwarded-For is believed: `$SPARRING_TRUSTED_PROXIES` (or `value`), e.g.
    "127.0.0.1, 10.0.0.0/24". Empty by default: no header is believed. A wrong entry stops the app at start."""
    raw = os.environ.get(TRUSTED_PROXIES_ENV, "") if value is None else value
    nets: list[IPNetwork] = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{TRUSTED_PROXIES_ENV}: {part!r} is not an IP address or network; write e.g. "
                             "127.0.0.1 or 10.0.0.0/24, comma-separated") from None
    return nets


def _ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(peer: str, forwarded_for: list[str], trusted: list[IPNetwork]) -> str:
    """The address a request came from. The peer, unless the peer is a trusted proxy: then the right-most
    address in X-Forwarded-For that is not a trusted proxy. Only the right end of the header is believed, since
    each trusted proxy appends the address it saw and anything to the left of that was written by the client
    (so a client cannot pose as many sources and walk round the per-source limit). An entry that is not an
    address ends the walk at the last proxy before it."""
    def is_trusted(ip: IPAddress | None) -> bool:
        return ip is not None and any(ip in net for net in trusted)

    if not trusted or not is_trusted(_ip(peer)):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    source = peer
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:
            break
        source = str(ip)
        if not is_trusted(ip):
            break
    return source


def client_source(request: Request, trusted: list[IPNetwork] | None = None) -> str:
    """The address a sign-in came from (`client_address`; trusted proxies from `trusted_proxies()`). Behind a
    proxy that is not listed, every sign-in has the proxy's address, and the per-source limit then applies to
    all of them together (docs/operations.md, "Behind nginx")."""
    peer = request.client.host if request.client else "unknown"
    return client_address(peer, request.headers.getlist("x-forwarded-for"),
                          trusted_proxies() if trusted is None else trusted)


def install(server_app: Any, store: Any) -> None:
    """Replace Gradio's POST /login on the running app with one that calls `sign_in` with the client address."""
    from ..auth import sign_in

    trusted = trusted_proxies()  # read once: a wrong entry stops the app here, not at the first sign-in

    async def login(request: Request) -> JSONResponse:
        form = await request.form()
        name = str(form.get("username") or "").strip()
        password = str(form.get("password") or "")
        result = sign_in(store, name, password, client_source(request, trusted))
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


class _Once(Route):
    """A route that steps aside for a request it has already checked, so the router can pass it on to Gradio."""

    def matches(self, scope: Any) -> tuple[Match, Any]:
        if scope.get("sparring.checked"):
            return Match.NONE, {}
        return super().matches(scope)


def once_route(server_app: Any, path: str, method: str, check: Any) -> None:
    """Put a check ahead of Gradio's `method path`: `await check(request)` returns a response to refuse with, or
    None to pass the request, body and all, on to Gradio's own route unchanged."""

    async def gate(scope: Any, receive: Any, send: Any) -> None:
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        refusal = await check(Request(scope, replay))
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        sent = False
        await server_app.router({**scope, "sparring.checked": True}, replay, send)

    for p in (path, path + "/") if not path.endswith("}") else (path,):
        route = _Once(p, gate, methods=[method])
        route.app = gate  # a raw ASGI app: Starlette would otherwise call a plain function with a Request
        server_app.router.routes.insert(0, route)


def check_fn_index(server_app: Any) -> None:
    """A queue join naming an event the app does not have gets 400 and a message; Gradio's own route answers it
    with a 500 (a KeyError). Valid joins are passed on to Gradio unchanged, body and all."""

    async def check(request: Request) -> JSONResponse | None:
        try:
            fn_index = json.loads(await request.body() or b"{}").get("fn_index")
        except (ValueError, AttributeError):
            return None  # not ours to judge: Gradio answers malformed bodies with a 422
        if fn_index is None or (isinstance(fn_index, int) and fn_index in server_app.get_blocks().fns):
            return None
        return JSONResponse({"detail": f"There is no event number {str(fn_index)[:20]} in this app."},
                            status_code=400)

    once_route(server_app, "/gradio_api/queue/join", "POST", check)


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
