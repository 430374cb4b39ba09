"""Who is asking, and may they do this? Checked on the server in every event handler.

Hiding a tab in the browser is a courtesy; the refusal lives here. Each handler starts with
`user = require(request, store, "author")` (no roles: any signed-in user). `admin` passes every check.
The user name comes from Gradio: its login form in `builtin` mode, the trusted header in `header` mode (set by
`auth_dependency` in `sparring.ui.app`), a fixed local user in `none` mode.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import gradio as gr

from ..store.users import ROLES, User, get_user

__all__ = ["ROLES", "User", "current_user", "require"]


def current_user(request: gr.Request | None, store: Any) -> User:
    name = getattr(request, "username", None) if request is not None else None
    if not name:
        raise gr.Error("You are not signed in. Reload the page and sign in.")
    user = get_user(store, name)
    if user is None:
        raise gr.Error(f"There is no account named '{name}' any more. Sign out and sign in again, or ask an "
                       "administrator to add you (`sparring users add NAME`).")
    if session_expired(store, name):
        raise gr.Error("Your session has expired. Use Sign out at the top of the page, then sign in again.")
    return user


def session_expired(store: Any, name: str, now: datetime | None = None) -> bool:
    """Built-in accounts only: Gradio's login tokens never expire, so `[auth] session_hours` is enforced here,
    from the user's last successful sign-in (a new sign-in anywhere renews it)."""
    settings = getattr(store, "settings", None)
    if settings is None or settings.auth.mode != "builtin":
        return False
    row = store.one("SELECT MAX(at) AS at FROM login_events WHERE name = ? AND ok = 1", [name])
    if not row or not row["at"]:
        return True
    last = datetime.fromisoformat(row["at"])
    last = last if last.tzinfo else last.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return now - last > timedelta(hours=settings.auth.session_hours)


def require(request: gr.Request | None, store: Any, *roles: str) -> User:
    """The signed-in user, if they hold one of `roles` (admin always does); otherwise a refusal they can read."""
    user = current_user(request, store)
    if roles and not user.has(*roles):
        need = " or ".join(roles)
        raise gr.Error(f"You need the {need} role to do this; you have: {', '.join(user.roles) or 'none'}. "
                       f"Ask an administrator to run `sparring users add {user.name} --role {roles[0]}`.")
    return user
