"""Sign-in behind a reverse proxy (issue 17): the per-source lockout takes the client address from
X-Forwarded-For only when the peer is a trusted proxy ($SPARRING_TRUSTED_PROXIES), through Sparring's real
/login route (sparring.ui.login.install) on a FastAPI app."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from sparring.auth import hash_password, locked_out
from sparring.store.db import Store
from sparring.store.users import add_user
from sparring.ui.login import client_address, install, trusted_proxies

NGINX = "10.0.0.5"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.db")
    add_user(s, "ann", ["learner"], password_hash=hash_password("s3cret-pass"))
    s.settings = SimpleNamespace(auth=SimpleNamespace(max_login_failures=3))
    yield s
    s.close()


def _client(store, monkeypatch, trusted: str) -> TestClient:
    monkeypatch.setenv("SPARRING_TRUSTED_PROXIES", trusted)
    app = FastAPI()
    app.tokens = {}  # type: ignore[attr-defined]  # what Gradio's App carries and our /login fills
    app.cookie_id = "test"  # type: ignore[attr-defined]
    install(app, store)
    return TestClient(app, client=(NGINX, 40000))


def _fail(c: TestClient, forwarded: str | None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return c.post("/login", data={"username": "ann", "password": "wrong"}, headers=headers).status_code


def test_trusted_proxy_locks_each_forwarded_address_separately(store, monkeypatch):
    c = _client(store, monkeypatch, f"{NGINX}, 192.0.2.0/24")
    assert [_fail(c, "203.0.113.9") for _ in range(3)] == [400, 400, 429]  # the third failure locks
    assert locked_out(store, "ann", "203.0.113.9")
    assert not locked_out(store, "ann", "198.51.100.7") and not locked_out(store, "ann", NGINX)
    ok = c.post("/login", data={"username": "ann", "password": "s3cret-pass"},
                headers={"X-Forwarded-For": "198.51.100.7"})
    assert ok.status_code == 200
    # the right-most untrusted hop counts: what the client wrote on the left is not believed, and a second
    # trusted proxy (192.0.2.8) in the chain is skipped
    assert _fail(c, "1.2.3.4, 198.51.100.20, 192.0.2.8") == 400
    assert {r["source"] for r in store.query("SELECT source FROM login_events")} == {
        "203.0.113.9", "198.51.100.7", "198.51.100.20"}


def test_untrusted_peer_header_is_ignored(store, monkeypatch):
    c = _client(store, monkeypatch, "")  # the default: no proxy trusted
    statuses = [_fail(c, f"203.0.113.{i}") for i in range(4)]  # a spoofer "from" four addresses
    assert statuses == [400, 400, 429, 429]  # still one source: the peer's
    assert locked_out(store, "ann", NGINX)
    assert {r["source"] for r in store.query("SELECT source FROM login_events")} == {NGINX}


def test_client_address_rules():
    nets = trusted_proxies("10.0.0.0/8")
    assert client_address("10.0.0.5", ["203.0.113.9"], nets) == "203.0.113.9"
    assert client_address("198.51.100.1", ["203.0.113.9"], nets) == "198.51.100.1"  # peer not trusted
    assert client_address("10.0.0.5", [], nets) == "10.0.0.5"  # no header: the proxy itself
    assert client_address("10.0.0.5", ["203.0.113.9, not-an-ip, 10.0.0.9"], nets) == "10.0.0.9"
    assert client_address("10.0.0.5", ["203.0.113.9", "10.0.0.7"], nets) == "203.0.113.9"  # two header lines


def test_a_wrong_trusted_proxy_entry_names_itself():
    with pytest.raises(ValueError, match="SPARRING_TRUSTED_PROXIES: 'nginx'"):
        trusted_proxies("127.0.0.1, nginx")
