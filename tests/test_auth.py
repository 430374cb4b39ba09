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
