"""Built-in sign-in sessions that expire, one sign-in at a time.

Gradio keeps its login tokens in a plain dict on the server app (`app.tokens`, token -> user name) and never
forgets them. `SessionTokens` is that dict with a clock: a token is valid for `[auth] session_hours` after the
sign-in that issued it. Gradio looks tokens up with `.get()` for every route it guards (pages, queue, files,
`/login_check`), so an expired cookie is simply signed out everywhere and the page shows the login form. A new
sign-in issues a new token; it does not renew a token stolen or left open on another device.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable


class SessionTokens(dict):
    def __init__(self, hours: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.ttl_s = hours * 3600
        self.clock = clock
        self._issued: dict[str, float] = {}
        self._lock = threading.Lock()

    def __setitem__(self, token: str, user: str) -> None:
        now = self.clock()
        with self._lock:
            # Forget expired sessions as new ones start, so the dict stays as small as the live sessions.
            for old in [t for t, at in self._issued.items() if now - at > self.ttl_s]:
                self._issued.pop(old, None)
                super().pop(old, None)
            self._issued[token] = now
            super().__setitem__(token, user)

    def fresh(self, token: Any) -> bool:
        at = self._issued.get(token)
        return at is not None and self.clock() - at <= self.ttl_s

    def get(self, token: Any, default: Any = None) -> Any:
        return super().get(token, default) if self.fresh(token) else default

    def __contains__(self, token: object) -> bool:
        return self.fresh(token) and super().__contains__(token)

    def __delitem__(self, token: str) -> None:
        with self._lock:
            self._issued.pop(token, None)
            super().__delitem__(token)


def install(server_app: Any, hours: float) -> SessionTokens:
    """Replace the running app's token store (call right after `launch()`, before anyone can sign in)."""
    tokens = SessionTokens(hours)
    for token, user in dict(getattr(server_app, "tokens", {}) or {}).items():
        tokens[token] = user
    server_app.tokens = tokens
    return tokens
