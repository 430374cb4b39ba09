"""Built-in accounts: scrypt hashes with per-user salts, rate-limited sign-in, demo accounts, the users CLI."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sparring.auth import (DEMO_ACCOUNTS, DEMO_PASSWORD, authenticate, ensure_demo_accounts, hash_password,
                           locked_out, verify_password)
from sparring.cli import main
from sparring.store.db import Store
from sparring.store.users import UserError, add_user, get_user, list_users


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.db")
    yield s
    s.close()


def test_hash_is_scrypt_salted_and_verifies():
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a.startswith("scrypt$") and a != b  # a fresh salt every time
    assert "correct horse" not in a
    assert verify_password("correct horse", a) and verify_password("correct horse", b)
    assert not verify_password("correct hors", a)


@pytest.mark.parametrize("damaged", ["", None, "scrypt$1$2", "md5$x$y$z$a$b", "scrypt$16384$8$1$!!$!!"])
def test_a_damaged_hash_never_signs_in(damaged):
    assert verify_password("anything", damaged) is False


def test_authenticate_and_lockout_after_max_failures(store):
    add_user(store, "ann", ["learner"], password_hash=hash_password("s3cret-pass"))
    store.settings = SimpleNamespace(auth=SimpleNamespace(max_login_failures=3))
    assert authenticate(store, "ann", "s3cret-pass")
    assert [authenticate(store, "ann", "wrong") for _ in range(3)] == [False] * 3
    assert locked_out(store, "ann")
    assert not authenticate(store, "ann", "s3cret-pass")  # right password, but locked for 15 minutes
    # other accounts are unaffected
    add_user(store, "bob", ["learner"], password_hash=hash_password("bobs-pass1"))
    assert authenticate(store, "bob", "bobs-pass1")
    reasons = [r["reason"] for r in store.query("SELECT reason FROM login_events WHERE name='ann' ORDER BY id")]
    assert reasons == ["ok", "bad password", "bad password", "bad password", "locked"]


def _ann(store, limit=3):
    add_user(store, "ann", ["learner"], password_hash=hash_password("s3cret-pass"))
    store.settings = SimpleNamespace(auth=SimpleNamespace(max_login_failures=limit))


def test_lockout_is_per_account_and_source_and_says_until_when(store):
    from sparring.auth import sign_in

    _ann(store)
    for _ in range(3):
        assert not sign_in(store, "ann", "wrong", "203.0.113.9").ok
    locked = sign_in(store, "ann", "s3cret-pass", "203.0.113.9")
    assert not locked.ok and locked.locked_until is not None
    assert "locked" in locked.message and locked.locked_until.strftime("%H:%M UTC") in locked.message
    # the owner, from their own address, is not locked out by the stranger
    assert sign_in(store, "ann", "s3cret-pass", "198.51.100.7").ok
    # the lock is in the database, so another process (a replica) opening the same file sees it
    other = Store(store.path)
    other.settings = store.settings
    try:
        assert locked_out(other, "ann", "203.0.113.9") and not locked_out(other, "ann", "198.51.100.7")
    finally:
        other.close()
    src = store.one("SELECT source FROM login_events WHERE reason = 'locked'")
    assert src == {"source": "203.0.113.9"}


def test_each_lock_lasts_longer_backoff(store):
    from datetime import timedelta

    from sparring import auth

    _ann(store)
    lengths = []
    for _ in range(3):
        for _ in range(3):
            auth.sign_in(store, "ann", "wrong", "203.0.113.9")
        row = store.one("SELECT locked_until, updated_at FROM login_locks WHERE account='ann'")
        until = auth._parse(row["locked_until"])
        lengths.append(until - auth._parse(row["updated_at"]))
        # let the lock run out without waiting: move it into the past (the backoff memory keeps the count)
        with store.write() as db:
            db.execute("UPDATE login_locks SET locked_until = ?", [auth.iso(auth.now_utc() - timedelta(seconds=1))])
    assert [round(x / auth.LOCKOUT_WINDOW) for x in lengths] == [1, 2, 4]


def test_one_source_trying_many_accounts_is_locked_wider(store):
    from sparring.auth import SOURCE_FACTOR, sign_in

    _ann(store)
    for i in range(3 * SOURCE_FACTOR):  # never 3 on the same account, so only the per-source limit applies
        sign_in(store, f"guess-{i}", "x", "203.0.113.9")
    refused = sign_in(store, "ann", "s3cret-pass", "203.0.113.9")
    assert not refused.ok and refused.whole_source and "network address" in refused.message
    assert sign_in(store, "ann", "s3cret-pass", "198.51.100.7").ok


def test_unlock_lifts_the_lock(store):
    from sparring.auth import locks, sign_in, unlock

    _ann(store)
    for _ in range(3):
        sign_in(store, "ann", "wrong", "203.0.113.9")
    assert [r["account"] for r in locks(store)] == ["ann"]
    assert unlock(store, "ann") == 1
    assert locks(store) == [] and sign_in(store, "ann", "s3cret-pass", "203.0.113.9").ok


def test_login_events_hold_names_never_passwords(store):
    add_user(store, "ann", ["learner"], password_hash=hash_password("s3cret-pass"))
    authenticate(store, "ann", "typo-S3CRET")
    authenticate(store, "nobody", "other-secret")
    dump = "\n".join(store.db.iterdump())
    assert "typo-S3CRET" not in dump and "other-secret" not in dump
    assert store.one("SELECT reason FROM login_events WHERE name='nobody'")["reason"] == "unknown user"


def test_accounts_without_password_cannot_sign_in_with_one(store):
    add_user(store, "sso-user", ["learner"])
    assert not authenticate(store, "sso-user", "")


@pytest.mark.parametrize("name,roles,msg", [
    ("ann smith", ["learner"], "not valid"),
    ("ann", ["boss"], "unknown role"),
    ("ann", [], "at least one role"),
])
def test_add_user_refuses_bad_input(store, name, roles, msg):
    with pytest.raises(UserError, match=msg):
        add_user(store, name, roles)


def test_demo_accounts_created_once_and_only_on_empty_store(store):
    assert ensure_demo_accounts(store)
    assert not ensure_demo_accounts(store)
    names = {u.name for u in list_users(store)}
    assert names == {a[0] for a in DEMO_ACCOUNTS}
    assert authenticate(store, "learner", DEMO_PASSWORD)
    assert get_user(store, "admin").has("mentor")  # admin passes every role check
    assert not get_user(store, "learner").has("author")


def test_cli_users_add_and_list(tmp_path, monkeypatch, capsys):
    (tmp_path / "sparring.toml").write_text('[store]\npath = "db/x.db"\n')
    monkeypatch.setenv("NEW_PW", "a-long-password")
    assert main(["users", "add", "carol", "--role", "mentor,learner", "--team", "Claims", "--password-env",
                 "NEW_PW", "--root", str(tmp_path)]) == 0
    assert main(["users", "add", "carol", "--role", "learner", "--password-env", "NEW_PW",
                 "--root", str(tmp_path)]) == 1
    assert "already exists" in capsys.readouterr().err
    monkeypatch.setenv("SHORT", "short")
    assert main(["users", "add", "dan", "--role", "learner", "--password-env", "SHORT", "--root", str(tmp_path)]) == 1
    assert "at least 8" in capsys.readouterr().err
    assert main(["users", "add", "dan", "--role", "learner", "--password-env", "UNSET_VAR_X",
                 "--root", str(tmp_path)]) == 2
    assert main(["users", "list", "--json", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert '"carol"' in out and "a-long-password" not in out and "scrypt" not in out
    s = Store(tmp_path / "db" / "x.db")
    assert authenticate(s, "carol", "a-long-password")
    s.close()
