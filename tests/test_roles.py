"""Roles enforced on the server, over real HTTP: the app from `create_ui` is launched on 127.0.0.1 with its
sign-in, and EVERY event endpoint in its Blocks config is called through gradio_client by each user whose role
may not use it. Each such call must come back as the refusal written by `sparring.ui.guard.require`, never data.
Endpoints open to any signed-in user refuse a caller who is not signed in.

A new endpoint fails `test_every_endpoint_is_classified` until it is added to ROLE_OF below (or matches a prefix
in ROLE_PREFIXES): deciding who may call it is part of adding it.
"""

from __future__ import annotations

import shutil
import socket

import pytest
from sparring.ui.serve import start

pytestmark = pytest.mark.slow

ANY = None  # any signed-in user (handlers then use only the caller's own data)
ROLE_OF: dict[str, tuple[str, ...] | None] = {
    "whoami": ANY, "warm_status": ANY, "catalogue": ANY, "catalogue_tab": ANY, "catalogue_pick": ANY,
    "catalogue_filter_0": ANY, "catalogue_filter_1": ANY, "catalogue_filter_2": ANY, "catalogue_filter_3": ANY,
    "open_scenario": ANY, "spot_rows": ANY, "submit_frame": ANY, "submit_spot": ANY, "submit_trust": ANY, "retry": ANY,
    "progress": ANY, "progress_tab": ANY, "attempt": ANY, "show_model_answer": ANY, "url_open": ANY,
    "open_from_list": ANY,
    "author_tab": ("author",), "author_scenario": ("author",), "author_run_examples": ("author",),
    "author_recheck": ("author",), "author_tab_reviews": ("author",), "author_review_examples": ("author",),
    "author_agreement": ("author",), "author_review_accept": ("author",), "author_review_reject": ("author",),
    "review_tab": ("learner", "mentor"), "review_ask": ("learner",), "review_queue": ("mentor",),
    "review_open": ("mentor",), "review_answer": ("mentor",),
    "insights": ("hr", "author", "compliance"), "insights_csv": ("hr", "author", "compliance"),
    "insights_tab": ("hr", "author", "compliance"), "insights_real_work": ("hr", "compliance"),
    "insights_summary": ("hr",),
}
ROLE_PREFIXES: dict[str, tuple[str, ...]] = {"policy_": ("compliance",)}  # the policy lab's endpoints
USERS = {"u-learner": "learner", "u-mentor": "mentor", "u-author": "author", "u-compliance": "compliance",
         "u-hr": "hr"}
PASSWORD = "correct horse battery staple 42"


def roles_of(api_name: str):
    if api_name in ROLE_OF:
        return ROLE_OF[api_name]
    for prefix, roles in ROLE_PREFIXES.items():
        if api_name.startswith(prefix):
            return roles
    raise KeyError(api_name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app(repo, tmp_path_factory):
    from sparring.auth import hash_password
    from sparring.organisation import load_org
    from sparring.insights import demo
    from sparring.store.db import Store
    from sparring.store.db import dumps
    from sparring.store.users import UserError, add_user
    from sparring.ui.app import auth_kwargs, create_ui

    root = tmp_path_factory.mktemp("org")
    for name in ("scenarios", "policies", "graders"):
        if (repo / name).exists():
            shutil.copytree(repo / name, root / name)
    org = load_org(root)
    store = Store(root / "roles.db")
    demo.write(store, org, learners=8, weeks=3, seed=1)  # other people's data to (fail to) reach
    hashed = hash_password(PASSWORD)
    for name, role in USERS.items():
        try:
            add_user(store, name, [role], password_hash=hashed)
        except UserError:  # `hr` waits for sparring/store/users.ROLES; the row is the one add_user writes
            with store.write() as db:
                db["users"].insert({"name": name, "roles": dumps([role]), "team": None, "display_name": None,
                                    "password_hash": hashed, "created_at": "2026-01-01T00:00:00+00:00",
                                    "job_roles": "[]"})
    blocks = create_ui(org, store)
    blocks.queue()
    port = _free_port()
    start(blocks, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                  show_error=False, ssr_mode=False, **auth_kwargs(org, store))
    try:
        yield blocks, f"http://127.0.0.1:{port}/"
    finally:
        blocks.close()


def endpoints(blocks) -> list[str]:
    """Every event that runs server code (browser-only `js` events have no handler to protect)."""
    return [d["api_name"] for d in blocks.config["dependencies"] if d.get("backend_fn", True)]


def test_every_endpoint_is_classified(app):
    blocks, _ = app
    names = endpoints(blocks)
    assert names and None not in names
    unknown = []
    for n in names:
        try:
            roles_of(n)
        except KeyError:
            unknown.append(n)
    assert not unknown, f"decide who may call these endpoints and add them to ROLE_OF: {unknown}"


def _client(url, user):
    from gradio_client import Client

    return Client(url, auth=(user, PASSWORD), verbose=False, download_files=False)


_API: dict[str, dict] = {}


def _args(client, api_name):
    """Valid example arguments for the endpoint, from its own API description (the same for every user)."""
    if not _API:
        _API.update(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    info = _API[f"/{api_name}"]
    args = []
    for p in info["parameters"]:
        args.append(p["parameter_default"] if p.get("parameter_has_default") else p.get("example_input"))
    return args


@pytest.fixture(scope="module")
def clients(app):
    _, url = app
    return {u: _client(url, u) for u in USERS}


def _call(client, api_name):
    """None when the endpoint answered; the error text when it refused or failed."""
    from gradio_client.exceptions import AppError

    try:
        client.predict(*_args(client, api_name), api_name=f"/{api_name}")
    except AppError as e:
        return str(e)
    return None


def test_every_endpoint_refuses_the_wrong_roles(app, clients):
    from concurrent.futures import ThreadPoolExecutor

    blocks, _ = app
    _args(clients["u-learner"], "whoami")  # fetch the API description once, before the threads start

    def run(user):  # one thread per user: their calls in order, the users side by side
        out = []
        for api_name in endpoints(blocks):
            roles = roles_of(api_name)
            if roles is ANY or USERS[user] in roles:
                continue
            out.append((api_name, user, roles, _call(clients[user], api_name)))
        return out

    with ThreadPoolExecutor(len(USERS)) as pool:
        results = [r for rs in pool.map(run, USERS) for r in rs]
    leaks = [(a, u) for a, u, _, err in results if err is None]
    assert not leaks, f"endpoints answered a caller without the role: {leaks}"
    for api_name, user, roles, err in results:
        need = err.split(" role", 1)[0]
        assert "You need the " in need and all(r in need for r in roles), (api_name, user, err)
    assert len(results) >= 30


def test_allowed_roles_are_not_refused(app, clients):
    """The other side: the role table matches the handlers (a refusal here means the table or a handler is wrong)."""
    blocks, _ = app
    cheap = ["review_tab", "review_queue", "insights_tab", "insights", "insights_summary", "author_recheck"]
    for api_name in cheap:
        if api_name not in endpoints(blocks):
            continue
        roles = roles_of(api_name)
        user = next(u for u, r in USERS.items() if r in roles)
        err = _call(clients[user], api_name)
        assert err is None or "role" not in err, (api_name, user, err)


def test_not_signed_in_callers_get_nothing(app):
    import httpx

    _, url = app
    r = httpx.get(url + "config", timeout=10)
    assert r.status_code in (401, 403) or "dependencies" not in r.text
    r = httpx.post(url + "gradio_api/call/insights", json={"data": ["All", "All", "All", None, None]}, timeout=10)
    assert r.status_code in (401, 403), r.text[:200]
    with pytest.raises(Exception):
        from gradio_client import Client

        Client(url, verbose=False)


# ------------------------------------------------------------------------------ README's role table


EVERYONE = {"Scenarios", "Practice", "My progress"}  # create_ui's tabs without a role


def readme_roles(repo) -> dict[str, dict[str, str]]:
    """role → {tab title: what of it (may be empty)}, from the role table in README.md."""
    text = (repo / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| user | role | tabs it sees"):].split("\n\n", 1)[0].splitlines()[2:]
    out: dict[str, dict[str, str]] = {}
    for line in table:
        _, role, sees = (c.strip() for c in line.strip("|").split("|"))
        tabs = {}
        for item in sees.split(" · "):
            tab, _, what = item.partition(":")
            tabs[tab.strip()] = what.strip()
        out[role] = tabs
    return out


def code_tabs(role: str) -> set[str]:
    """The titles of the tabs create_ui shows a user with this one role (the same rule as sparring.ui.app)."""
    import importlib

    from sparring.store.users import User
    from sparring.ui import author_tab
    from sparring.ui.app import OPTIONAL_TABS

    user = User(name="x", roles=[role])
    tabs = set(EVERYONE) | ({"Author"} if user.has(*author_tab.ROLES) else set())
    for modname, title, _, default in OPTIONAL_TABS:
        roles = getattr(importlib.import_module(modname), "ROLES", default)
        if user.has(*roles):
            tabs.add(title)
    return tabs


def test_readme_role_table_says_what_each_role_sees(repo):
    from sparring.store.users import User
    from sparring.ui.insights_tab import Sections

    table = readme_roles(repo)
    assert set(table) >= {"learner", "mentor", "author", "compliance", "hr", "admin"}
    for role, tabs in table.items():
        if role == "admin":
            assert tabs == {"everything": ""}
            continue
        assert code_tabs(role) == EVERYONE | set(tabs), role
        if "Insights" in tabs:  # the parts of Insights the row names are the parts the role is shown
            see, what = Sections.of(User(name="x", roles=[role])), tabs["Insights"]
            assert see.skills == ("skills" in what), role
            assert see.agreement == ("grader agreement" in what), role
            assert see.slips == ("policy slips" in what and "in real work" in what), role
    assert code_tabs("author") & {"Policy lab"} == set()  # the author is not shown the Policy lab (issue 15)
