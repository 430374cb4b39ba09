"""Sign-in sessions in the database (sparring/ui/sessions.py StoredSessions, migration 7): what one replica
signs in, every replica on the same database knows, until the session expires or the learner signs out."""

from __future__ import annotations

import pytest
from pg_support import backend_target, pg_server, pg_url  # noqa: F401  (fixtures)

from sparring.store.db import Store
from sparring.ui.sessions import StoredSessions, shared_cookie_id, token_hash


class Clock:
    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def replicas(backend_target):  # noqa: F811
    """Two replicas: two Store objects (two processes' worth of connections) on one database, one clock."""
    a, b = Store(backend_target), Store(backend_target)
    clock = Clock()
    yield StoredSessions(a, hours=1, clock=clock), StoredSessions(b, hours=1, clock=clock), clock
    a.close()
    b.close()


def test_a_sign_in_on_one_replica_holds_on_the_other_until_it_expires(replicas):
    one, other, clock = replicas
    one["tok-a"] = "ann"
    clock.now += 1800
    other["tok-b"] = "ann"  # a second device, half an hour later, through the other replica
    assert other.get("tok-a") == "ann" and "tok-a" in other and other["tok-a"] == "ann"
    clock.now += 1801
    assert other.get("tok-a") is None and "tok-a" not in one
    assert one.get("tok-b") == "ann", "a new sign-in must not be cut short by an older one"
    assert one.get("never issued") is None and one.get(None) is None
    with pytest.raises(KeyError):
        one["tok-a"]


def test_only_a_hash_of_the_token_is_stored_and_expired_rows_are_pruned(replicas):
    one, other, clock = replicas
    one["secret-token"] = "ann"
    rows = one.store.query("SELECT * FROM sessions")
    assert [r["token_hash"] for r in rows] == [token_hash("secret-token")]
    assert "secret-token" not in repr(rows)
    assert one.get(token_hash("secret-token")) is None  # the hash itself is not a cookie that signs in
    clock.now += 7200
    other["fresh"] = "bob"  # a sign-in prunes sessions that have expired
    assert [r["account"] for r in one.store.query("SELECT account FROM sessions")] == ["bob"]


def test_sign_out_on_one_replica_signs_out_on_the_other_and_everywhere_works(replicas):
    one, other, _ = replicas
    one["t1"], one["t2"], one["t3"] = "ann", "ann", "bob"
    del other["t1"]  # Gradio's /logout: the current cookie
    assert one.get("t1") is None and one.get("t2") == "ann"
    for key in list(other.keys()):  # Gradio's /logout?all_session=true walks keys() and indexes them
        if other[key] == "ann":
            del other[key]
    assert one.get("t2") is None and one.get("t3") == "bob" and len(one) == 1


def test_every_replica_names_the_cookie_the_same(replicas):
    one, other, _ = replicas
    first = shared_cookie_id(one.store)
    assert len(first) >= 32 and shared_cookie_id(other.store) == first == shared_cookie_id(one.store)
