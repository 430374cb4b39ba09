"""Who may do what: every role-restricted handler refuses on the server, whatever the browser shows."""

from __future__ import annotations

import gradio as gr
import pytest

from sparring.store.db import Store
from sparring.store.users import add_user
from sparring.ui import author_tab, catalogue, page_script, progress_tab
from sparring.ui.app import auth_kwargs, create_ui, whoami
from sparring.ui.context import UIContext
from sparring.ui.guard import require


@pytest.fixture
def ctx(org, tmp_path):
    store = Store(tmp_path / "ui.db")
    add_user(store, "learner", ["learner"], team="Claims", job_roles=["customer-support"])
    add_user(store, "author", ["author", "learner"])
    add_user(store, "boss", ["admin"])
    return UIContext(org=org, store=store)


def req(name):
    return gr.Request(username=name)


SID = "support-delayed-claim"
AUTHOR_HANDLERS = [
    ("run_examples", lambda ctx, r: author_tab.run_examples(ctx, SID, r)),
    ("show_scenario", lambda ctx, r: author_tab.show_scenario(ctx, SID, r)),
    ("show_tab", lambda ctx, r: author_tab.show_tab(ctx, SID, r)),
    ("recheck", lambda ctx, r: author_tab.recheck(ctx, r)),
]


@pytest.mark.parametrize("name,call", AUTHOR_HANDLERS, ids=[n for n, _ in AUTHOR_HANDLERS])
def test_author_handlers_refuse_a_learner(ctx, name, call):
    with pytest.raises(gr.Error, match="You need the author role"):
        call(ctx, req("learner"))


@pytest.mark.parametrize("user", ["author", "boss"])
def test_author_and_admin_may_see_the_rubric(ctx, user):
    md, _, _ = author_tab.show_scenario(ctx, SID, req(user))
    assert "| **No customer data** (`no-pii`) | policy | yes |" in md


def test_require_names_the_missing_role_and_admin_passes_everything(ctx):
    with pytest.raises(gr.Error) as e:
        require(req("learner"), ctx.store, "compliance")
    assert "compliance role" in str(e.value) and "sparring users add learner --role compliance" in str(e.value)
    assert require(req("boss"), ctx.store, "compliance", "mentor").name == "boss"
    assert require(req("learner"), ctx.store).name == "learner"  # no roles: any signed-in user


def test_learner_handlers_need_a_signed_in_user(ctx):
    with pytest.raises(gr.Error, match="not signed in"):
        progress_tab.load(ctx, gr.Request())
    with pytest.raises(gr.Error, match="not signed in"):
        catalogue.load(ctx, "All", "All", "All", False, None, None)


def test_tabs_are_shown_by_role(ctx):
    tab_roles = [("author",), ("compliance",), ("mentor", "author")]
    line, *tabs = whoami(ctx, req("learner"), tab_roles)
    assert "Demo" not in line and "<code>learner</code>" in line and "team Claims" in line
    assert [t["visible"] for t in tabs] == [False, False, False]
    _, *tabs = whoami(ctx, req("author"), tab_roles)
    assert [t["visible"] for t in tabs] == [True, False, True]
    _, *tabs = whoami(ctx, req("boss"), tab_roles)
    assert [t["visible"] for t in tabs] == [True, True, True]


def test_every_event_has_a_unique_api_name(ctx):
    demo = create_ui(ctx.org, ctx.store)
    names = [d.get("api_name") for d in demo.config["dependencies"] if d.get("backend_fn")]  # not browser-only js
    assert None not in names and "" not in names
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    for needed in ("whoami", "catalogue", "open_scenario", "submit_frame", "submit_spot", "submit_trust", "retry",
                   "progress", "author_run_examples", "warm_status"):
        assert needed in names


def test_rubrics_do_not_reach_the_page_config(ctx):
    """The config is sent to every signed-in user; expected answers must only arrive through guarded handlers."""
    demo = create_ui(ctx.org, ctx.store)
    blob = str(demo.config)
    sc = ctx.org.scenarios["support-travel-cancellation-summary"]
    assert all(s.why not in blob for s in sc.output if s.faulty)
    assert "A second contractor will be appointed" not in blob


def test_auth_modes(ctx, org):
    a = auth_kwargs(org, ctx.store)
    assert callable(a["auth"]) and "learner" in a["auth_message"]
    assert a["auth"]("learner", "wrong password") is False


def test_header_mode_trusts_only_a_well_formed_header(ctx, org, monkeypatch):
    monkeypatch.setattr(org.settings.auth, "mode", "header")
    dep = auth_kwargs(org, ctx.store)["auth_dependency"]

    class Req:
        def __init__(self, headers):
            self.headers = headers

    assert dep(Req({})) is None
    assert dep(Req({"X-Forwarded-User": "bad name; drop table"})) is None
    assert dep(Req({"X-Forwarded-User": "jane.doe@harbourline.example"})) == "jane.doe@harbourline.example"
    new = require(req("jane.doe@harbourline.example"), ctx.store)
    assert new.roles == ["learner"]


def test_optional_tabs_absent_is_fine_broken_is_an_error(tmp_path, monkeypatch):
    from sparring.ui.app import _optional_module

    assert _optional_module("sparring.ui.no_such_tab") is None
    (tmp_path / "broken_tab_mod.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
        _optional_module("broken_tab_mod")


def test_warm_up_status_is_shown_until_ready_then_hidden(ctx, monkeypatch):
    import threading

    import sparring.grading.embeddings as emb
    from types import SimpleNamespace

    from sparring.ui.app import warm_status
    from sparring.ui.context import WarmUp

    monkeypatch.setattr(emb, "warm_up", lambda: None)  # this test is about the status, not the model
    gate = threading.Event()

    class SlowEngine:
        def check(self, text):
            gate.wait(30)

    fake_org = SimpleNamespace(policies={"p": None}, policy_engine=lambda pid: SlowEngine())
    warm = WarmUp(fake_org).start()
    ctx.warmup = warm
    html, timer = warm_status(ctx, req("learner"))
    assert html["visible"] and "Warming up" in html["value"] and timer.active
    gate.set()
    assert warm.wait(60)
    html, timer = warm_status(ctx, req("learner"))
    assert html["visible"] is False and not timer.active, html


def test_a_page_load_queries_the_catalogue_once(ctx, monkeypatch):
    """The page load lists the scenarios (whoami → catalogue → url_open); the Scenarios tab's select, which Gradio
    fires as the page boots, is told so by page_script.BOOTING and queries nothing. A later select does reload."""
    queried = []
    real = catalogue.catalogue
    monkeypatch.setattr(catalogue, "catalogue", lambda *a, **k: queried.append(1) or real(*a, **k))
    demo = create_ui(ctx.org, ctx.store)
    deps = {d["api_name"]: d for d in demo.config["dependencies"] if d.get("api_name")}
    assert deps["catalogue"]["trigger_after"] == deps["whoami"]["id"]
    assert deps["url_open"]["trigger_after"] == deps["catalogue"]["id"]  # the address opens after the list
    tab = deps["catalogue_tab"]
    assert tab["js"] == page_script.BOOTING and "booting()" in page_script.HEAD

    def run(name, *args):
        return demo.fns[deps[name]["id"]].fn(*args, request=req("learner"))

    filters = (catalogue.ALL, catalogue.ALL, catalogue.ALL, False, None)
    run("whoami")
    skipped = run("catalogue_tab", *filters, True)  # booting: the value BOOTING sends before url_open has run
    listed = run("catalogue", *filters)
    assert len(queried) == 1
    assert all(isinstance(o, type(gr.skip())) for o in skipped)
    assert "Can a new customer cancel" in listed[0]
    again = run("catalogue_tab", *filters, False)  # the learner comes back to the tab: a fresh list
    assert len(queried) == 2 and again[0] == listed[0]
