"""Built-in accounts: scrypt password hashes with a per-user random salt, and rate-limited sign-in.

Only names and outcomes are recorded in `login_events`, never a password, not even a wrong one.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from datetime import timedelta

from .store.db import Store, iso, now_utc
from .store.users import ROLES, User, UserError, add_user, ensure_user, get_user, list_users, password_hash_of

__all__ = ["ROLES", "User", "UserError", "hash_password", "verify_password", "authenticate", "locked_out",
           "ensure_demo_accounts", "DEMO_ACCOUNTS", "DEMO_PASSWORD", "add_user", "get_user", "list_users",
           "ensure_user"]

# scrypt cost: N=2**14, r=8 needs 16 MiB and ~50 ms per hash here: slow for guessing, fine for a sign-in.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
LOCKOUT_WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 8

DEMO_PASSWORD = "practice"
# name, roles, team, display name, scenario roles shown first
DEMO_ACCOUNTS: list[tuple[str, list[str], str | None, str, list[str]]] = [
    ("learner", ["learner"], "Claims", "Demo learner", ["claims", "customer-support"]),
    ("mentor", ["mentor", "learner"], "Claims", "Demo mentor", ["claims", "customer-support"]),
    ("author", ["author", "learner"], "Learning & Development", "Demo author", []),
    ("compliance", ["compliance", "learner"], "Compliance", "Demo compliance officer", []),
    ("admin", ["admin"], None, "Demo administrator", []),
]


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def hash_password(pw: str) -> str:
    """`scrypt$N$r$p$salt$hash` (base64), with a fresh 16-byte salt per call."""
    salt = secrets.token_bytes(16)
    h = hashlib.scrypt(pw.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(h)}"


def verify_password(pw: str, hashed: str | None) -> bool:
    if not hashed:
        return False
    try:
        algo, n, r, p, salt, want = hashed.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(pw.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(base64.b64decode(want)))
    except (ValueError, TypeError):  # a damaged hash never signs anyone in
        return False
    return hmac.compare_digest(got, base64.b64decode(want))


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A real hash to spend the same time on unknown names, so timing does not reveal which names exist."""
    return hash_password(secrets.token_hex(8))


def check_password_strength(pw: str) -> None:
    if len(pw) < MIN_PASSWORD:
        raise UserError(f"the password is {len(pw)} characters; use at least {MIN_PASSWORD}")


def recent_failures(store: Store, name: str) -> int:
    since = iso(now_utc() - LOCKOUT_WINDOW)
    row = store.one("SELECT COUNT(*) AS n FROM login_events WHERE name = ? AND ok = 0 AND at >= ? "
                    "AND COALESCE(reason, '') != 'locked'", [name, since])
    return int(row["n"]) if row else 0


def _max_failures(store: Store) -> int:
    settings = getattr(store, "settings", None)  # set by open_store(org); a bare Store(path) uses the default
    return settings.auth.max_login_failures if settings is not None else 5


def locked_out(store: Store, name: str) -> bool:
    """True when `name` had settings.auth.max_login_failures failed sign-ins in the last 15 minutes."""
    return recent_failures(store, name) >= _max_failures(store)


def _record(store: Store, name: str, ok: bool, reason: str) -> None:
    with store.write() as db:
        db.table("login_events").insert({"name": name[:80], "at": iso(now_utc()), "ok": int(ok), "reason": reason})


def authenticate(store: Store, name: str, password: str) -> bool:
    """Gradio's auth callback. False for unknown names, wrong passwords and names locked out after too many
    failures (attempts while locked are recorded but do not extend the lockout)."""
    name = (name or "").strip()
    if not name:
        return False
    if locked_out(store, name):
        _record(store, name, False, "locked")
        return False
    hashed = password_hash_of(store, name)
    ok = verify_password(password or "", hashed or _dummy_hash()) and hashed is not None
    _record(store, name, ok, "ok" if ok else ("bad password" if hashed else "unknown user"))
    return ok


def ensure_demo_accounts(store: Store) -> bool:
    """Create the documented demo accounts when there are no users yet. Returns True when it created them."""
    if store.one("SELECT 1 AS x FROM users LIMIT 1"):
        return False
    for name, roles, team, display, job in DEMO_ACCOUNTS:
        try:
            add_user(store, name, roles, password_hash=hash_password(DEMO_PASSWORD),
                     team=team, display_name=display, job_roles=job)
        except UserError:  # another process created it meanwhile
            pass
    return True
