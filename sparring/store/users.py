"""Accounts in the `users` table. Password hashing and sign-in rules live in sparring/auth.py."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from .db import Store, dumps, iso, loads, now_utc

ROLES = ("learner", "mentor", "author", "compliance", "hr", "admin")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,79}$")


class UserError(ValueError):
    """A user cannot be added or changed; the message says why and what to do."""


class User(BaseModel):
    name: str
    roles: list[str] = Field(default_factory=lambda: ["learner"], description="App roles, from auth.ROLES.")
    team: str | None = None
    display_name: str | None = None
    job_roles: list[str] = Field(default_factory=list, description="Scenario roles (e.g. customer-support) "
                                 "whose scenarios come first in this learner's catalogue.")

    def has(self, *roles: str) -> bool:
        """True when the user holds any of `roles`; admin holds every role."""
        return "admin" in self.roles or any(r in self.roles for r in roles)

    @property
    def label(self) -> str:
        return self.display_name or self.name


def _row_to_user(row: dict) -> User:
    return User(name=row["name"], roles=loads(row["roles"], []), team=row["team"],
                display_name=row["display_name"], job_roles=loads(row.get("job_roles"), []))


def check_roles(roles: list[str]) -> list[str]:
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise UserError(f"unknown role(s) {', '.join(bad)}; choose from {', '.join(ROLES)}")
    if not roles:
        raise UserError(f"give at least one role: {', '.join(ROLES)}")
    return list(dict.fromkeys(roles))


def add_user(store: Store, name: str, roles: list[str], *, password_hash: str | None = None,
             team: str | None = None, display_name: str | None = None, job_roles: list[str] | None = None,
             replace: bool = False) -> User:
    if not NAME_RE.match(name or ""):
        raise UserError(f"user name {name!r} is not valid; use letters, digits and . _ @ - (up to 80 characters)")
    roles = check_roles(roles)
    with store.write() as db:
        exists = db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone()
        if exists and not replace:
            raise UserError(f"user '{name}' already exists; choose another name or update it with --replace")
        db.table("users").upsert({"name": name, "roles": dumps(roles), "team": team,
                                  "display_name": display_name, "password_hash": password_hash,
                                  "created_at": iso(now_utc()), "job_roles": dumps(job_roles or [])}, pk="name")
    return User(name=name, roles=roles, team=team, display_name=display_name, job_roles=job_roles or [])


def get_user(store: Store, name: str) -> User | None:
    row = store.one("SELECT * FROM users WHERE name = ?", [name])
    return _row_to_user(row) if row else None


def password_hash_of(store: Store, name: str) -> str | None:
    row = store.one("SELECT password_hash FROM users WHERE name = ?", [name])
    return row["password_hash"] if row else None


def list_users(store: Store) -> list[User]:
    return [_row_to_user(r) for r in store.query("SELECT * FROM users ORDER BY name")]


def ensure_user(store: Store, name: str, roles: list[str] | None = None) -> User:
    """The user, created as a learner without a password if new (trusted-header mode: the proxy vouches)."""
    u = get_user(store, name)
    if u is not None:
        return u
    try:
        return add_user(store, name, roles or ["learner"])
    except UserError:
        u = get_user(store, name)  # created by a concurrent request in the meantime
        if u is None:
            raise
        return u
