"""The web app: `create_ui(org, store)` builds the Blocks, `launch()` serves them.

Identity: Gradio's login form checks built-in accounts (`auth` mode `builtin`), or a trusted header set by an SSO
proxy names the user (`header`), or one local user (`none`, a single-person demo). Either way the user name
reaches every handler as `request.username`, and every handler checks the role on the server (guard.require);
tabs a role may not use are also hidden, as a courtesy.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import sys
import tempfile
from html import escape
from urllib.parse import parse_qs
from pathlib import Path
from typing import Any

import gradio as gr

from ..organisation import Organisation
from . import api, author_tab, catalogue, files, login, page_script, practice_tab, progress_tab, sessions
from .context import UIContext, WarmUp
from .guard import current_user, require
from .serve import start

log = logging.getLogger("sparring.ui")

# Relative, so it works under a proxy's path prefix; same tab (Markdown links would open a new one).
SIGN_OUT = '<a href="./logout" target="_self" id="sign-out">Sign out</a>'
MAX_FILE_SIZE = "1mb"  # nothing in Sparring uploads files; Gradio's upload route still exists
LOCAL_USER = "local"  # auth mode "none": everything runs as this one user
HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,79}$")

# Tabs written by other areas: (module, title, tab id, roles shown to when the module does not say).
OPTIONAL_TABS = [
    ("sparring.ui.policy_lab", "Policy lab", "policy", ("compliance",)),
    ("sparring.ui.review_tab", "Review", "review", ("learner", "mentor")),
    ("sparring.ui.insights_tab", "Insights", "insights", ("hr", "author", "compliance")),
]

CSS = """
/* Glyphs every Debian chromium has (.ci/run installs fonts-dejavu): one font for letters, capitals and symbols,
   so "EMAIL_ADDRESS" or the "AI" of a heading never mixes faces. */
:root, body, .gradio-container, .gradio-container * { --font: "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
  --font-mono: "DejaVu Sans Mono", "Liberation Mono", monospace; }
.gradio-container, .gradio-container button, .gradio-container input, .gradio-container textarea,
.gradio-container select { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
.gradio-container code, .gradio-container pre { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; }
/* WCAG AA: white on the primary orange was 2.8:1; this burnt orange is 5.2:1. Grey helper text darkened too. */
.gradio-container { --button-primary-background-fill: #c2410c; --button-primary-background-fill-hover: #9a3412;
  --button-primary-text-color: #ffffff; --button-primary-border-color: #c2410c;
  --body-text-color-subdued: #4a4a4a; --block-info-text-color: #4a4a4a; }
.gradio-container .min_value, .gradio-container .max_value { color: #4a4a4a; }
/* visible focus for keyboard users, on every control */
.gradio-container a:focus-visible, .gradio-container button:focus-visible, .gradio-container input:focus-visible,
.gradio-container textarea:focus-visible, .gradio-container [tabindex]:focus-visible {
  outline: 3px solid #1a56db; outline-offset: 2px; }
/* words never break inside (no "invoic e", "inflati on"); a long unbroken token may still wrap as a last resort */
.gradio-container { word-break: normal; overflow-wrap: break-word; hyphens: manual; }
.sp-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
/* the catalogue: a table, one card per scenario under 600 px */
.sp-cat-wrap { max-width: 100%; overflow-x: auto; }
.sp-cat { width: 100%; border-collapse: collapse; font-size: .95em; }
.sp-cat th, .sp-cat td { text-align: left; vertical-align: top; padding: 6px 8px;
  border-bottom: 1px solid var(--border-color-primary); word-break: normal; overflow-wrap: normal; }
.sp-cat th { white-space: nowrap; font-weight: 600; }
.sp-cat td.sp-c7 { white-space: nowrap; }
.sp-cat a.sp-open { font-weight: 600; color: #1a4fb8; text-decoration: underline; }
.sp-cat tr[data-status="due"] td.sp-c1 { font-weight: 600; }
@media (max-width: 600px) {
  .sp-cat thead { display: none; }
  .sp-cat, .sp-cat tbody, .sp-cat tr, .sp-cat td { display: block; width: auto; }
  .sp-cat tr { border: 1px solid var(--border-color-primary); border-radius: 8px; margin: 0 0 10px; padding: 6px 10px; }
  .sp-cat td { border: 0; padding: 2px 0; }
  .sp-cat td.sp-c0:empty { display: none; }
  .sp-cat td.sp-c2 { font-size: 1.05em; }
  .sp-cat td:not(.sp-c2):not(.sp-c0)::before { content: attr(data-label) ": "; font-weight: 600; }
  .sp-cat td.sp-c7:empty, .sp-cat td.sp-c7:empty::before { display: none; }
}
/* highlighted findings: dark text on light fills (WCAG AA), the tag label dark too, never broken inside */
#frame-findings .textfield span, #frame-findings .text { word-break: normal; overflow-wrap: normal; }
#frame-findings .label { color: #1f1f1f !important; font-weight: 600; }
#frame-findings .textspan { color: #1f1f1f; }
/* Gradio's footer links, readable (its default grey is 1.9:1) */
footer, footer a, footer button, footer span { color: #4a4a4a !important; opacity: 1 !important; }
/* tables of figures (My progress): words whole; a table wider than the screen scrolls inside its own frame */
.gradio-container table th, .gradio-container table td,
.gradio-container table th *, .gradio-container table td * { word-break: normal !important;
  overflow-wrap: normal !important; hyphens: manual; }
.sp-draft-status { font-size: .9em; color: #4a4a4a; min-height: 1.2em; margin: 0; }
.sp-panel { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 14px;
            background: var(--background-fill-secondary); }
/* material in full; a table wider than the screen scrolls inside itself, and words never break inside */
.sp-panel table { display: block; max-width: 100%; overflow-x: auto; }
/* staff tables of figures (Insights, Author): the same; without the cap the Gradio block around the table became
   the scroller, a div no keyboard can reach (axe scrollable-region-focusable at 390 px). The page script gives
   each of these tables tabindex=0, whatever the width, so the element that scrolls is always focusable. */
.sp-tables table { display: block; max-width: 100%; overflow-x: auto; }
.sp-panel th, .sp-panel td { word-break: normal; overflow-wrap: normal; hyphens: manual; }
/* on a phone a two-column table (field | value, as in a claim record) reads as label-over-value rows, so no value
   hides behind a sideways scroll; wider tables (ledgers) keep their columns and scroll inside themselves */
@media (max-width: 600px) {
  .sp-panel table:not(:has(tr > :nth-child(3))) { display: block; overflow-x: visible; border: 0; }
  .sp-panel table:not(:has(tr > :nth-child(3))) thead { display: none; }
  .sp-panel table:not(:has(tr > :nth-child(3))) :is(tbody, tr, td, th) { display: block; width: auto;
    border: 0; padding: 0; }
  .sp-panel table:not(:has(tr > :nth-child(3))) tr { padding: 4px 0; border-bottom: 1px solid var(--border-color-primary); }
  .sp-panel table:not(:has(tr > :nth-child(3))) td:first-child { font-weight: 600; }
}
.sp-result { border-radius: 10px; padding: 12px 16px; border: 2px solid; }
.sp-result.sp-pass { border-color: #2e7d32; background: rgba(46,125,50,.07); }
.sp-result.sp-fail { border-color: #c62828; background: rgba(198,40,40,.06); }
.sp-result.sp-pending { border-color: #6d4c00; background: rgba(255,193,7,.08); }
.sp-banner { font-size: 1.25em; font-weight: 700; }
.sp-learner-text { margin: 8px 0; border-left: 4px solid #8a6d3b; background: rgba(138,109,59,.08);
  padding: 6px 10px; border-radius: 4px; }
.sp-learner-text figcaption { font-weight: 600; font-size: .9em; }
.sp-quoted { white-space: pre-wrap; word-break: break-word; margin: 4px 0 0; font-family: inherit; }
.sp-banner .sp-mark { font-weight: 400; font-size: .8em; opacity: .8; }
.sp-criteria { list-style: none; padding-left: 0; margin: 8px 0 0 0; }
.sp-crit { padding: 6px 0; border-top: 1px solid var(--border-color-primary); }
.sp-crit .sp-cscore { opacity: .7; font-size: .9em; margin-left: 6px; }
.sp-crit .sp-feedback { margin: 2px 0 0 1.8em; }
.sp-req { font-size: .75em; padding: 1px 6px; border-radius: 6px; background: #ffe0b2; color: #6d4c00; }
.sp-blocked { color: #b71c1c; } .sp-redacted { color: #6d4c00; } .sp-warned { color: #6d4c00; }
.sp-sentence { align-items: center; }
#warm-status { font-size: .95em; }
.sp-busy { display: flex; align-items: center; gap: 8px; margin: 0; }
.sp-spinner { width: 14px; height: 14px; border: 2px solid #bbb; border-top-color: #f97316; border-radius: 50%;
              display: inline-block; animation: sp-spin .8s linear infinite; }
@keyframes sp-spin { to { transform: rotate(360deg); } }
.sp-warm-error { color: #b71c1c; }
.sp-icon { display: inline-block; width: 1.35em; height: 1.35em; line-height: 1.35em; text-align: center;
           border-radius: 50%; color: #fff; font-weight: 700; font-size: .9em; }
.sp-ok .sp-icon { background: #2e7d32; } .sp-no .sp-icon { background: #c62828; }
.sp-part .sp-icon { background: #8a5300; }
.sp-unchecked .sp-icon { background: #6d4c00; }
"""


# ------------------------------------------------------------------------------------------------ header


def whoami(ctx: UIContext, request: gr.Request | None, tab_roles: list[tuple[str, ...]]) -> list[Any]:
    """The signed-in line and, for each role-restricted tab, whether this user may see it."""
    user = current_user(request, ctx.store)
    roles = ", ".join(user.roles)
    team = f" · team {user.team}" if user.team else ""
    out = f" · {SIGN_OUT}" if ctx.org.settings.auth.mode == "builtin" else ""
    line = (f"Signed in as <b>{escape(user.label)}</b> (<code>{escape(user.name)}</code> · {escape(roles)}"
            f"{escape(team)}){out}")
    return [line, *[gr.update(visible=user.has(*roles_)) for roles_ in tab_roles]]


def warm_status(ctx: UIContext, request: gr.Request | None) -> tuple[Any, Any]:
    require(request, ctx.store)
    if ctx.warmup is None:
        return gr.update(value="", visible=False), gr.Timer(active=False)
    done, msg = ctx.warmup.status()
    if not done:
        return gr.update(value=_busy(msg), visible=True), gr.Timer(active=True)
    if msg and msg != "Ready.":  # an error worth showing stays on screen
        return gr.update(value=f'<p class="sp-warm-error">⚠ {escape(msg)}</p>', visible=True), gr.Timer(active=False)
    return gr.update(value="", visible=False), gr.Timer(active=False)


def _busy(msg: str) -> str:
    return f'<p class="sp-busy"><span class="sp-spinner" aria-hidden="true"></span> {escape(msg)}</p>'


def _optional_module(name: str):
    """A tab module another area may not have written yet: absent is fine, broken is an error."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name == name:
            return None
        raise


LEARNER_TABS = ("catalogue", "practice", "progress")  # every signed-in person has these


def url_params(raw: str | None, request: gr.Request | None) -> dict[str, str]:
    """The page's query (`scenario`, `tab`): as the page passed it (page_script.READ_URL), else as the request
    carries it. First value of each; nothing else is read."""
    parsed = {k: v[0] for k, v in parse_qs(raw or "").items() if v}
    if not parsed and request is not None:
        parsed = {k: str(v) for k, v in dict(getattr(request, "query_params", None) or {}).items()}
    return {k: parsed[k].strip() for k in ("scenario", "tab") if parsed.get(k)}


def url_open(ctx: UIContext, view: Any, tab_roles: dict[str, tuple[str, ...]], draft: str | None,
             raw: str | None, request: gr.Request | None) -> list[Any]:
    """On load: open what the address names. `?scenario=ID` opens that scenario (with the browser's draft of it)
    on the practice tab; `?tab=ID` selects a tab this user may see. Anything else leaves the page as it is."""
    user = current_user(request, ctx.store)
    p = url_params(raw, request)
    keep = [gr.update() for _ in practice_tab.OPEN_OUTPUTS]
    sid = p.get("scenario")
    if sid:
        if sid not in ctx.org.scenarios:
            gr.Warning(f"There is no scenario '{sid}' (the link may be old). Pick one from the list.")
            return [*keep, gr.Tabs(selected="catalogue"), gr.update()]
        up = practice_tab.open_scenario(ctx, sid, request, draft)
        return [*view.as_list(up, practice_tab.OPEN_OUTPUTS), gr.Tabs(selected="practice"), gr.update(value=sid)]
    tab = p.get("tab")
    if tab in LEARNER_TABS or (tab in tab_roles and user.has(*tab_roles[tab])):
        return [*keep, gr.Tabs(selected=tab), gr.update()]
    return [*keep, gr.update(), gr.update()]


def create_ui(org: Organisation, store: Any, warmup: WarmUp | None = None) -> gr.Blocks:
    ctx = UIContext(org=org, store=store, warmup=warmup)
    from ..review import load_accepted

    load_accepted(org, store)  # examples from reviews that authors accepted count for learners from the start
    title = f"Sparring · {org.settings.organisation}"
    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        with gr.Row(equal_height=True):
            gr.Markdown(f"# Sparring\n{org.settings.organisation}: practise judgment with AI tools on your own "
                        "work, and get feedback at once.", elem_id="app-title")
            # The sign-out link is there from the start, so it works even when the session has expired.
            user_line = gr.HTML(SIGN_OUT if org.settings.auth.mode == "builtin" else "", elem_id="whoami")
        first = warmup is not None and not warmup.ready
        warm = gr.HTML(_busy("Warming up the checkers…") if first else "", visible=first, elem_id="warm-status")
        timer = gr.Timer(1.0, active=first)

        # the page's query, passed in by page_script.READ_URL on load; in the page, never seen
        url_box = gr.Textbox(visible="hidden", elem_id="url-params")
        restricted: list[tuple[Any, tuple[str, ...]]] = []
        tab_ids: dict[str, Any] = {}
        tab_role_ids: dict[str, tuple[str, ...]] = {}
        # wrap: at 390 px every tab stays reachable on a second row, none hidden behind "…"
        with gr.Tabs(elem_id="tabs", overflow_behavior="wrap") as tabs:
            with gr.Tab("Scenarios", id="catalogue", elem_id="tab-catalogue") as t_cat:
                cat = catalogue.build(ctx)
            with gr.Tab("Practice", id="practice", elem_id="tab-practice") as t_prac:
                practice = practice_tab.build(ctx)
            with gr.Tab("My progress", id="progress", elem_id="tab-progress") as t_prog:
                prog = progress_tab.build(ctx)
            with gr.Tab("Author", id="author", visible=False, elem_id="tab-author") as t_author:
                author = author_tab.build(ctx)
            restricted.append((t_author, author_tab.ROLES))
            tab_ids.update(catalogue=t_cat, practice=t_prac, progress=t_prog, author=t_author)
            tab_role_ids["author"] = author_tab.ROLES
            for modname, tab_title, tab_id, default_roles in OPTIONAL_TABS:
                mod = _optional_module(modname)
                if mod is None:
                    continue
                with gr.Tab(tab_title, id=tab_id, visible=False, elem_id=f"tab-{tab_id}") as t:
                    mod.build(ctx)
                restricted.append((t, tuple(getattr(mod, "ROLES", default_roles))))
                tab_ids[tab_id] = t
                tab_role_ids[tab_id] = restricted[-1][1]

        tab_roles = [r for _, r in restricted]

        def on_load(request: gr.Request):
            return whoami(ctx, request, tab_roles)

        def on_tick(request: gr.Request):
            return warm_status(ctx, request)

        def on_url(draft, raw, request: gr.Request):
            return url_open(ctx, practice, tab_role_ids, draft, raw, request)

        loaded = demo.load(on_load, None, [user_line, *[t for t, _ in restricted]], api_name="whoami")
        listed = cat.refresh(loaded.success, "catalogue")  # not after a refusal: one message is enough
        # after the list, so the list's own choice of scenario does not replace the one the address names
        listed.then(on_url, [practice.c["draft"], url_box],
                    [*practice.outputs_of(practice_tab.OPEN_OUTPUTS), tabs, cat.pick], api_name="url_open",
                    js=page_script.READ_URL, show_progress="minimal")
        cat.refresh(t_cat.select, "catalogue_tab", skip_at_boot=True)  # the boot's select: listed above already
        prog.refresh(t_prog.select, "progress_tab")
        author.refresh(t_author.select, "author_tab")
        for tab_id, t in tab_ids.items():  # the address bar names the tab (and, in practice, the scenario)
            t.select(None, None, None, js=page_script.set_url(tab_id))
        practice_tab.wire_open(ctx, practice, cat.start.click, cat.pick, tabs)
        practice_tab.wire_open(ctx, practice, cat.picked.success, cat.pick, tabs, api_name="open_from_list")
        timer.tick(on_tick, None, [warm, timer], api_name="warm_status", show_progress="hidden")
        api.register(ctx)
    return demo


# ------------------------------------------------------------------------------------------------ launch


def _header_user(store: Any, header: str):
    """auth_dependency for `header` mode: the proxy authenticated the person and put their name in `header`.
    Unknown names become learners on first sight; a missing or malformed header is refused (401)."""

    def dependency(request) -> str | None:
        name = (request.headers.get(header) or "").strip()
        if not HEADER_NAME_RE.match(name):
            return None
        from ..store.users import ensure_user

        ensure_user(store, name)
        return name

    return dependency


def _local_user(store: Any):
    def dependency(request) -> str:  # noqa: ARG001 - one user whatever the request
        from ..store.users import ensure_user

        ensure_user(store, LOCAL_USER, ["admin"])
        return LOCAL_USER

    return dependency


def auth_kwargs(org: Organisation, store: Any) -> dict[str, Any]:
    """The `launch()` arguments that establish who is asking, for the organisation's auth mode."""
    a = org.settings.auth
    if a.mode == "header":
        return {"auth_dependency": _header_user(store, a.header)}
    if a.mode == "none":
        return {"auth_dependency": _local_user(store)}
    from ..auth import authenticate

    demo = getattr(a, "demo_accounts", False)
    message = ("Sign in with your Sparring account." +
               (" To try it out: user <b>learner</b>, password <b>practice</b>." if demo else ""))
    from .login import LOGIN_NOTICE

    # `auth` is only the fallback: launch() replaces Gradio's /login with ui/login.py's, which knows the source
    return {"auth": lambda name, password: authenticate(store, name, password, "unknown"),
            "auth_message": message + LOGIN_NOTICE}


def launch(root: str | Path | None = None, host: str | None = None, port: int | None = None, *,
           block: bool = True) -> gr.Blocks:
    """Serve the organisation at ROOT (default: $SPARRING_ROOT, else the current directory).
    $SPARRING_DB overrides `[store] path` (tests, benchmarks and throw-away demos use it)."""
    from ..auth import ensure_demo_accounts
    from ..content.problems import ContentError
    from ..organisation import get_org
    from ..store.db import StoreError, apply_db_override, open_store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Gradio resolves its temp folder (realpath: several syscalls) every time it builds a component, and it
    # builds one per output of every event; the same folder, resolved once, costs nothing.
    os.environ.setdefault("GRADIO_TEMP_DIR", str((Path(tempfile.gettempdir()) / "gradio").resolve()))
    root = Path(root or os.environ.get("SPARRING_ROOT") or ".").resolve()
    try:
        org = get_org(root)
    except ContentError as e:
        sys.exit("\n".join(map(str, e.problems)))
    for p in org.problems:  # the valid scenarios are still served; authors see these in the Author tab too
        log.warning("content problem: %s", p)
    if not org.scenarios:
        sys.exit(f"{root}: no valid scenario to serve. Run `sparring validate --root {root}` to see why.")
    apply_db_override(org)
    try:
        store = open_store(org)
    except StoreError as e:
        sys.exit(str(e))
    settings = org.settings
    if settings.auth.demo_accounts:  # only the app that people sign in to needs them; opening a store never does
        ensure_demo_accounts(store)
    warm = WarmUp(org)
    demo = create_ui(org, store, warm)
    # api_open=False: Gradio otherwise also serves every event at /gradio_api/run/<name>, outside the queue, so
    # a script could skip the concurrency and queue limits below.
    demo.queue(default_concurrency_limit=settings.server.concurrency, max_size=settings.server.max_queue,
               api_open=False)
    db_dir = str(settings.store_path(org.root).resolve().parent)
    start(
        demo,
        warmup=warm,  # /readyz answers 503 until it has finished
        server_name=host or os.environ.get("GRADIO_SERVER_NAME") or settings.server.host,
        server_port=int(port or os.environ.get("GRADIO_SERVER_PORT") or settings.server.port),
        **auth_kwargs(org, store),
        show_error=False,  # errors reach people as gr.Error messages written for them, never tracebacks
        footer_links=["api"],
        run_history=False,  # would keep learners' answers in the browser's storage
        enable_monitoring=False,
        max_file_size=MAX_FILE_SIZE,  # nothing in Sparring uploads files
        blocked_paths=[db_dir, str(org.root / "sparring.toml")],
        ssr_mode=False,
        css=CSS,
        head=page_script.HEAD,  # drafts, the address bar, the leave-page warning: browser-side only
        prevent_thread_lock=True,
        quiet=False,
    )
    if org.settings.auth.mode == "builtin":  # Gradio's own login tokens never expire; these do, per sign-in
        sessions.install(demo.server_app, org.settings.auth.session_hours, store)
        login.install(demo.server_app, store)  # sign-in locked per account and source, and says until when
    login.close_uploads(demo.server_app)  # nothing in Sparring uploads files
    login.check_fn_index(demo.server_app)  # an unknown event is a clean 400, not Gradio's 500
    files.guard(demo.server_app, store)  # a file made for one account is served to it (and admins) only
    # Models load only once the server answers: on 2 cores, loading them during start-up delays the first page.
    warm.start()
    if block:
        demo.block_thread()
    return demo
