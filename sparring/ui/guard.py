"""Who is asking, and may they do this? Checked on the server in every event handler.

Hiding a tab in the browser is a courtesy; the refusal lives here. Each handler starts with
`user = require(request, store, "author")` (no roles: any signed-in user). `admin` passes every check.
The user name comes from Gradio: its login form in `builtin` mode (sessions expire per sign-in:
`sparring.ui.sessions`), the trusted header in `header` mode (set by `auth_dependency` in `sparring.ui.app`), a
fixed local user in `none` mode.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

from ..store.users import ROLES, User, get_user

__all__ = ["ROLES", "User", "current_user", "mistake", "require"]

log = logging.getLogger("sparring.ui")


def mistake(message: str) -> gr.Error:
    """The refusal of something the person did (a missing input, a role they lack): shown to them as written, and
    logged as one line, without the traceback Gradio prints for other errors (a user's mistake is not a fault of
    the app, and a log full of them hides the real ones). Raise what it returns: `raise mistake("Pick ...")`."""
    log.info("refused: %s", message)
    return gr.Error(message, print_exception=False)


def current_user(request: gr.Request | None, store: Any) -> User:
    name = getattr(request, "username", None) if request is not None else None
    if not name:
        raise mistake("You are not signed in. Reload the page and sign in.")
    user = get_user(store, name)
    if user is None:
        raise mistake(f"There is no account named '{name}' any more. Sign out and sign in again, or ask an "
                       "administrator to add you (`sparring users add NAME`).")
    return user


def require(request: gr.Request | None, store: Any, *roles: str) -> User:
    """The signed-in user, if they hold one of `roles` (admin always does); otherwise a refusal they can read."""
    user = current_user(request, store)
    if roles and not user.has(*roles):
        need = " or ".join(roles)
        raise mistake(f"You need the {need} role to do this; you have: {', '.join(user.roles) or 'none'}. "
                       f"Ask an administrator to run `sparring users add {user.name} --role {roles[0]}`.")
    return user
