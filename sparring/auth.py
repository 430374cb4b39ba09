"""Built-in accounts: scrypt password hashes with a per-user random salt, and sign-in locked per account and
source with backoff (kept in the database's `login_locks`, so replicas share it).

Only names and outcomes are recorded in `login_events`, never a password, not even a wrong one.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .store.db import Store, iso, now_utc
from .store.users import ROLES, User, UserError, add_user, ensure_user, get_user, list_users, password_hash_of

__all__ = ["ROLES", "User", "UserError", "hash_password", "verify_password", "authenticate", "locked_out",
           "ensure_demo_accounts", "sign_in", "SignIn", "unlock", "locks", "DEMO_ACCOUNTS", "DEMO_PASSWORD", "add_user", "get_user", "list_users",
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
    ("hr", ["hr", "learner"], "People", "Demo HR lead", []),
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


# Backoff: the first lock lasts LOCKOUT_WINDOW, each further one (within LOCKOUT_MEMORY of the last) twice as
# long, up to LOCKOUT_MAX. The per-source row allows SOURCE_FACTOR times more failures, summed over all accounts.
LOCKOUT_MAX = timedelta(hours=24)
LOCKOUT_MEMORY = timedelta(hours=24)
SOURCE_FACTOR = 4
ANY_ACCOUNT = ""  # the `account` of the per-source row in login_locks


@dataclass(frozen=True)
class SignIn:
    """The outcome of one sign-in: `ok`, or refused; `locked_until` is set when a lock refused it."""

    ok: bool
    locked_until: datetime | None = None
    whole_source: bool = False  # the lock covers every account from this source, not just this one

    @property
    def message(self) -> str:
        if self.ok:
            return ""
        if self.locked_until is None:
            return "Incorrect user name or password."
        when = self.locked_until.strftime("%H:%M UTC on %d %b %Y")
        who = "Sign-in from your network address is" if self.whole_source else "This account is"
        return (f"{who} locked after too many failed sign-ins: try again after {when}, or ask a mentor or "
                "administrator to unlock it (`sparring users unlock NAME`).")


def _max_failures(store: Store) -> int:
    settings = getattr(store, "settings", None)  # set by open_store(org); a bare Store(path) uses the default
    return settings.auth.max_login_failures if settings is not None else 5


def _parse(at: str | None) -> datetime | None:
    return datetime.fromisoformat(at) if at else None


def lock_of(store: Store, name: str, source: str = "local") -> SignIn | None:
    """The lock refusing `name` from `source` now (the account+source lock first, then the source's), or None."""
    now = now_utc()
    for account, whole in ((name, False), (ANY_ACCOUNT, True)):
        row = store.one("SELECT locked_until FROM login_locks WHERE account = ? AND source = ?", [account, source])
        until = _parse(row["locked_until"]) if row else None
        if until is not None and until > now:
            return SignIn(False, until, whole)
    return None


def locked_out(store: Store, name: str, source: str = "local") -> bool:
    """True when `name` may not sign in from `source` now (too many failures: see `sign_in`)."""
    return lock_of(store, name, source) is not None


def _fail(db: Any, account: str, source: str, limit: int) -> None:
    """Count one failure on the (account, source) row; lock it with backoff when it reaches `limit`."""
    now = now_utc()
    row = db.execute("SELECT failures, window_start, lockouts, locked_until FROM login_locks "
                     "WHERE account = ? AND source = ?", [account, source]).fetchone()
    failures, start, lockouts, until = (row[0], _parse(row[1]), row[2], _parse(row[3])) if row else (0, now, 0, None)
    if start is None or now - start > LOCKOUT_WINDOW:  # failures older than the window are forgiven
        failures, start = 0, now
    if until is not None and now - until > LOCKOUT_MEMORY:  # so is a lock long past
        lockouts = 0
    failures += 1
    if failures >= limit:
        until = now + min(LOCKOUT_WINDOW * (2 ** lockouts), LOCKOUT_MAX)
        lockouts, failures, start = lockouts + 1, 0, now
    db.execute("INSERT INTO login_locks (account, source, failures, window_start, lockouts, locked_until, updated_at)"
               " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(account, source) DO UPDATE SET failures = excluded.failures,"
               " window_start = excluded.window_start, lockouts = excluded.lockouts,"
               " locked_until = excluded.locked_until, updated_at = excluded.updated_at",
               [account, source, failures, iso(start), lockouts, iso(until) if until else None, iso(now)])


def _record(store: Store, name: str, ok: bool, reason: str, source: str) -> None:
    """One login event; on failure, count it against the account from this source and against the source."""
    with store.write() as db:
        db.table("login_events").insert({"name": name[:80], "at": iso(now_utc()), "ok": int(ok), "reason": reason,
                                         "source": source[:80]})
        if ok:  # the owner proved who they are from here: forget this pair's failures (not the source's)
            db.execute("DELETE FROM login_locks WHERE account = ? AND source = ?", [name[:80], source[:80]])
        elif reason != "locked":  # attempts while locked do not extend the lock
            limit = _max_failures(store)
            _fail(db, name[:80], source[:80], limit)
            _fail(db, ANY_ACCOUNT, source[:80], limit * SOURCE_FACTOR)


def sign_in(store: Store, name: str, password: str, source: str = "local") -> SignIn:
    """Check a built-in sign-in from `source` (the client address). Refused for unknown names, wrong passwords,
    and while a lock holds: [auth] max_login_failures failures for this account from this source, or
    SOURCE_FACTOR times that over all accounts from this source, within 15 minutes. Each lock lasts twice as long
    as the one before (15 min, 30 min, ... 24 h); a success from the same source clears the account's count.
    A stranger elsewhere therefore cannot lock the owner out: locks are per source."""
    name, source = (name or "").strip(), (source or "unknown").strip() or "unknown"
    if not name:
        return SignIn(False)
    lock = lock_of(store, name[:80], source[:80])
    if lock is not None:
        _record(store, name, False, "locked", source)
        return lock
    hashed = password_hash_of(store, name)
    ok = verify_password(password or "", hashed or _dummy_hash()) and hashed is not None
    _record(store, name, ok, "ok" if ok else ("bad password" if hashed else "unknown user"), source)
    if ok:
        return SignIn(True)
    return lock_of(store, name[:80], source[:80]) or SignIn(False)  # this failure may have started a lock


def authenticate(store: Store, name: str, password: str, source: str = "local") -> bool:
    """Gradio's auth callback shape: True when `sign_in` lets the person in."""
    return sign_in(store, name, password, source).ok


def unlock(store: Store, name: str, source: str | None = None) -> int:
    """Lift the locks on account `name` (from every source, or one), and the per-source locks of the sources it
    was locked from (so the owner is not still refused by a source lock). Returns the locks lifted."""
    with store.write() as db:
        where, params = "account = ?", [name]
        if source is not None:
            where, params = "account = ? AND source = ?", [name, source]
        sources = [r[0] for r in db.execute(f"SELECT source FROM login_locks WHERE {where}", params).fetchall()]
        n = db.execute(f"DELETE FROM login_locks WHERE {where} AND locked_until IS NOT NULL", params).rowcount
        db.execute(f"DELETE FROM login_locks WHERE {where}", params)
        for src in sources:
            n += db.execute("DELETE FROM login_locks WHERE account = ? AND source = ? AND locked_until IS NOT NULL",
                            [ANY_ACCOUNT, src]).rowcount
            db.execute("DELETE FROM login_locks WHERE account = ? AND source = ?", [ANY_ACCOUNT, src])
    return n


def locks(store: Store) -> list[dict[str, Any]]:
    """The locks in force now, for `sparring users unlock` and admins."""
    return store.query("SELECT account, source, locked_until, lockouts FROM login_locks "
                       "WHERE locked_until IS NOT NULL AND locked_until > ? ORDER BY locked_until", [iso(now_utc())])


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
