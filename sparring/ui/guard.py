"""Who is asking, and may they do this? Checked on the server in every event handler.

Hiding a tab in the browser is a courtesy; the refusal lives here. Each handler starts with
`user = require(request, store, "author")` (no roles: any signed-in user). `admin` passes every check.
The user name comes from Gradio: its login form in `builtin` mode (sessions expire per sign-in:
`sparring.ui.sessions`), the trusted header in `header` mode (set by `auth_dependency` in `sparring.ui.app`), a
fixed local user in `none` mode.
"""

from __future__ import annotations

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
    return user


def require(request: gr.Request | None, store: Any, *roles: str) -> User:
    """The signed-in user, if they hold one of `roles` (admin always does); otherwise a refusal they can read."""
    user = current_user(request, store)
    if roles and not user.has(*roles):
        need = " or ".join(roles)
        raise gr.Error(f"You need the {need} role to do this; you have: {', '.join(user.roles) or 'none'}. "
                       f"Ask an administrator to run `sparring users add {user.name} --role {roles[0]}`.")
    return user
