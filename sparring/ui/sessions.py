"""Built-in sign-in sessions that expire, one sign-in at a time, kept in the organisation's database.

Gradio keeps its login tokens in a plain dict on the server app (`app.tokens`, token -> user name) and never
forgets them. Here a token is valid for `[auth] session_hours` after the sign-in that issued it. Gradio looks
tokens up with `.get()` for every route it guards (pages, queue, files, `/login_check`), so an expired cookie is
simply signed out everywhere and the page shows the login form. A new sign-in issues a new token; it does not
renew a token stolen or left open on another device.

`StoredSessions` (what the app installs) keeps the sessions in the `sessions` table (migration 7), so every
replica behind a load balancer knows every sign-in, and a restart signs no one out. It keeps only a hash of each
token. Gradio names its cookie `access-token-<cookie_id>` with a random id per process; `install` gives every
replica the same id, kept in `shared_state`, or a cookie set by one replica would not even be read by another.
`SessionTokens` is the same rules in memory, for an app without a store.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator


class SessionTokens(dict):
    """Sessions in this process's memory (an app without a store; the rules' own tests)."""

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


HASHED = "sha256:"  # keys() yields hashes (the table has no tokens); Gradio's "log out everywhere" passes them back


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class StoredSessions:
    """`app.tokens` in the `sessions` table: the dict calls Gradio and Sparring make (set, get, in, [], del, keys).
    `clock` gives seconds since the epoch (every replica must read the same time: not a monotonic clock)."""

    def __init__(self, store: Any, hours: float, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.ttl_s = hours * 3600
        self.clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=timezone.utc)

    @staticmethod
    def _iso(dt: datetime) -> str:
        return dt.isoformat(timespec="seconds")

    def __setitem__(self, token: str, user: str) -> None:
        now = self._now()
        with self.store.write() as db:
            # Forget expired sessions as new ones start, so the table stays as small as the live sessions.
            db.execute("DELETE FROM sessions WHERE expires_at < ?", [self._iso(now)])
            db.execute("INSERT INTO sessions (token_hash, account, issued_at, expires_at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT(token_hash) DO UPDATE SET account = excluded.account, "
                       "issued_at = excluded.issued_at, expires_at = excluded.expires_at",
                       [token_hash(token), user, self._iso(now), self._iso(now + timedelta(seconds=self.ttl_s))])

    def _lookup(self, key_hash: str) -> str | None:
        row = self.store.one("SELECT account FROM sessions WHERE token_hash = ? AND expires_at >= ?",
                             [key_hash, self._iso(self._now())])
        return row["account"] if row else None

    def get(self, token: Any, default: Any = None) -> Any:
        if not isinstance(token, str) or not token:
            return default
        user = self._lookup(token_hash(token))
        return default if user is None else user

    def fresh(self, token: Any) -> bool:
        return self.get(token) is not None

    def __contains__(self, token: object) -> bool:
        return self.get(token) is not None

    @staticmethod
    def _key_hash(key: str) -> str:
        return key[len(HASHED):] if key.startswith(HASHED) else token_hash(key)

    def __getitem__(self, key: str) -> str:
        user = self._lookup(self._key_hash(key))
        if user is None:
            raise KeyError(key)
        return user

    def __delitem__(self, key: str) -> None:
        with self.store.write() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", [self._key_hash(key)])

    def keys(self) -> list[str]:
        return [HASHED + r["token_hash"] for r in self.store.query(
            "SELECT token_hash FROM sessions WHERE expires_at >= ? ORDER BY issued_at", [self._iso(self._now())])]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def items(self) -> list[tuple[str, str]]:
        return [(HASHED + r["token_hash"], r["account"]) for r in self.store.query(
            "SELECT token_hash, account FROM sessions WHERE expires_at >= ? ORDER BY issued_at",
            [self._iso(self._now())])]


def shared_cookie_id(store: Any) -> str:
    """The cookie-name suffix every replica on this database uses: made once, then read by all."""
    with store.write() as db:
        db.execute("INSERT OR IGNORE INTO shared_state (key, value, updated_at) VALUES ('cookie_id', ?, ?)",
                   [secrets.token_urlsafe(32), datetime.now(timezone.utc).isoformat(timespec="seconds")])
    row = store.one("SELECT value FROM shared_state WHERE key = 'cookie_id'")
    return str(row["value"]) if row else secrets.token_urlsafe(32)


def install(server_app: Any, hours: float, store: Any = None) -> SessionTokens | StoredSessions:
    """Replace the running app's token store (call right after `launch()`, before anyone can sign in). With a
    store (default: the organisation's store this process opened, `open_store(org)`), sessions live in its
    `sessions` table and the cookie's name is the one every replica shares; without one, in memory."""
    if store is None:
        from ..store.db import organisation_store

        store = organisation_store()
    tokens: SessionTokens | StoredSessions
    if store is not None:
        tokens = StoredSessions(store, hours)
        server_app.cookie_id = shared_cookie_id(store)
    else:
        tokens = SessionTokens(hours)
    for token, user in dict(getattr(server_app, "tokens", {}) or {}).items():
        tokens[token] = user
    server_app.tokens = tokens
    return tokens
