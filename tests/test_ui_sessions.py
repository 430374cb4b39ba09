"""Built-in sessions expire per sign-in (sparring/ui/sessions.py), checked through Gradio's real login routes."""

from __future__ import annotations

import gradio as gr
import httpx
import pytest

from sparring.ui.sessions import SessionTokens, StoredSessions, install
from sparring.ui.serve import start


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_lives_session_hours_from_its_own_sign_in():
    clock = Clock()
    tokens = SessionTokens(hours=1, clock=clock)
    tokens["a"] = "learner"
    clock.now += 1800
    tokens["b"] = "learner"  # the same person signs in on a second device half an hour later
    assert tokens.get("a") == "learner" and "a" in tokens
    clock.now += 1801  # a is 1 h 0 min 1 s old, b half an hour younger
    assert tokens.get("a") is None and "a" not in tokens
    assert tokens.get("b") == "learner", "a new sign-in must not be cut short by an older one"
    assert tokens.get("never issued") is None


def test_expired_tokens_are_forgotten_and_logout_still_works():
    clock = Clock()
    tokens = SessionTokens(hours=1, clock=clock)
    tokens["old"] = "mentor"
    clock.now += 3601
    tokens["new"] = "mentor"  # a sign-in prunes sessions that have expired
    assert "old" not in dict.keys(tokens)
    # Gradio's /logout walks the keys and indexes them: that must not raise for any key it sees.
    for t in list(tokens.keys()):
        if tokens[t] == "mentor":
            del tokens[t]
    assert not dict(tokens)


@pytest.fixture()
def tiny_app():
    with gr.Blocks() as demo:
        gr.Markdown("hello")
    start(demo, server_name="127.0.0.1", server_port=None, auth=lambda u, p: p == "right",
                prevent_thread_lock=True, quiet=True)
    clock = Clock()
    tokens = install(demo.server_app, hours=0.5)
    tokens.clock = clock
    yield demo, clock
    demo.close()


def test_gradio_treats_an_expired_session_as_signed_out(tiny_app):
    demo, clock = tiny_app
    with httpx.Client(base_url=demo.local_url) as c:
        assert c.get("gradio_api/login_check").status_code == 401
        assert c.post("login", data={"username": "learner", "password": "right"}).status_code == 200
        assert c.get("gradio_api/login_check").status_code == 200
        clock.now += 0.5 * 3600 - 1
        assert c.get("gradio_api/login_check").status_code == 200
        clock.now += 2
        assert c.get("gradio_api/login_check").status_code == 401, "the session outlived [auth] session_hours"
        assert c.post("login", data={"username": "learner", "password": "right"}).status_code == 200
        assert c.get("gradio_api/login_check").status_code == 200, "signing in again starts a new session"


def _launch_without_server(monkeypatch, tmp_path):
    """The app's own launch() on the sample organisation and a fresh database, with no real server: only what
    launch() does with the Blocks it built. Returns the organisation, the Blocks and Gradio's launch arguments."""
    from sparring.organisation import get_org
    from sparring.ui import app as app_mod
    from sparring.ui.context import WarmUp

    started = {}

    def fake_launch(self, **kwargs):
        from fastapi import FastAPI

        # Gradio's app, as far as launch() touches it: its token dict and its POST /login, GET / and upload routes
        app = FastAPI()
        app.tokens, app.cookie_id = {"before": "learner"}, "test"  # type: ignore[attr-defined]
        app.add_api_route("/login", lambda: None, methods=["POST"])
        app.add_api_route("/", lambda: "", methods=["GET"])
        app.add_api_route("/gradio_api/upload", lambda: None, methods=["POST"])
        app.get_blocks = lambda: self  # type: ignore[attr-defined]
        self.server_app = app
        started.update(kwargs)

    monkeypatch.setattr(gr.Blocks, "launch", fake_launch)
    monkeypatch.setattr(WarmUp, "start", lambda self: self)
    monkeypatch.setenv("SPARRING_DB", str(tmp_path / "s.db"))
    org = get_org(app_mod.Path(__file__).resolve().parent.parent)
    # launch() points the (process-wide, cached) organisation at $SPARRING_DB: put it back afterwards.
    monkeypatch.setattr(org.settings.store, "path", org.settings.store.path)
    demo = app_mod.launch(org.root, port=0, block=False)
    return org, demo, started


def test_launch_puts_expiring_sessions_on_the_server_it_starts(monkeypatch, tmp_path):
    """The app's own launch(): built-in sign-in gets sessions in the organisation's database (shared by every
    replica, sparring/ui/sessions.py) with its session_hours, and the cookie name every replica shares."""
    org, demo, started = _launch_without_server(monkeypatch, tmp_path)
    assert org.settings.auth.mode == "builtin"
    tokens = demo.server_app.tokens
    assert isinstance(tokens, StoredSessions) and "auth" in started
    assert demo.server_app.cookie_id != "test" and len(demo.server_app.cookie_id) >= 32
    assert tokens.ttl_s == org.settings.auth.session_hours * 3600
    assert tokens.get("before") == "learner", "a sign-in made while the server started is kept"
    logins = [r for r in demo.server_app.router.routes if getattr(r, "path", "") == "/login"]
    assert [r.endpoint.__module__ for r in logins] == ["sparring.ui.login"], "Gradio's /login was not replaced"


def test_launch_creates_the_demo_accounts_the_settings_turn_on(monkeypatch, tmp_path):
    """The sample sparring.toml turns demo accounts on: the web app creates them on a fresh database (opening a
    store alone never does, see test_store.py), and the documented learner can sign in."""
    from sparring.auth import DEMO_ACCOUNTS, DEMO_PASSWORD, authenticate
    from sparring.store.db import open_store
    from sparring.store.users import list_users

    org, _, _ = _launch_without_server(monkeypatch, tmp_path)
    assert org.settings.auth.demo_accounts
    store = open_store(tmp_path / "s.db")
    assert {u.name for u in list_users(store)} == {a[0] for a in DEMO_ACCOUNTS}
    assert authenticate(store, "learner", DEMO_PASSWORD)
