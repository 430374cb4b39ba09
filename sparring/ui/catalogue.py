"""The catalogue: every scenario, those for the learner's role first, with what is new, due and passed.

The learner's status per scenario is read from the store (attempts and the fsrs schedule); the filters are plain
inputs, so the handler is a pure function of (ctx, filters, request).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import gradio as gr

from . import render
from .context import UIContext
from .guard import User, require

ALL = "All"
TIME_CHOICES = [ALL, "5 min or less", "10 min or less", "20 min or less"]
STATUS = {"due": "Due for re-practice", "new": "New", "tried": "Tried, not passed yet", "passed": "Passed ✓"}
STATUS_ORDER = {"due": 0, "new": 1, "tried": 2, "passed": 3}
COLUMNS = ["For you", "Status", "Scenario", "Kind", "Minutes", "Skills", "Workflow", "Next re-practice"]


@dataclass
class Entry:
    id: str
    title: str
    kind: str
    minutes: int
    skills: list[str]
    workflow: str
    for_you: bool
    status: str  # a key of STATUS
    attempts: int
    best: float | None
    due: datetime | None
    reason: str | None = None  # "From your work this week: ..." (sparring/gateway/just_in_time.py)


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def is_for(user: User, scenario_roles: list[str]) -> bool:
    """A scenario is for the learner when one of its roles is one of their job roles, or names their team
    (team "Claims" matches role "claims-handler")."""
    mine = {_slug(r) for r in user.job_roles}
    team = _slug(user.team) if user.team else ""
    for role in scenario_roles:
        r = _slug(role)
        if r in mine or (team and (r == team or team in r.split("-"))):
            return True
    return False


def learner_history(store: Any, learner: str) -> tuple[dict[str, dict[str, Any]], dict[str, datetime]]:
    """Per scenario: attempts, ever passed, best score; and the re-practice due date from the schedule."""
    hist = {r["scenario"]: r for r in store.query(
        "SELECT scenario, COUNT(*) AS n, MAX(passed) AS passed, MAX(score) AS best, MAX(submitted_at) AS last "
        "FROM attempts WHERE learner = ? GROUP BY scenario", [learner])}
    due: dict[str, datetime] = {}
    for r in store.query("SELECT scenario, due FROM schedule WHERE learner = ?", [learner]):
        try:
            d = datetime.fromisoformat(r["due"])
        except (TypeError, ValueError):
            continue
        due[r["scenario"]] = d if d.tzinfo else d.replace(tzinfo=timezone.utc)
    return hist, due


def entries(ctx: UIContext, user: User, now: datetime | None = None) -> list[Entry]:
    now = now or datetime.now(timezone.utc)
    hist, due = learner_history(ctx.store, user.name)
    out = []
    for sc in ctx.org.scenarios.values():
        h = hist.get(sc.id)
        d = due.get(sc.id)
        if h is None:
            status = "new"
        elif d is not None and d <= now:
            status = "due"
        elif h["passed"]:
            status = "passed"
        else:
            status = "tried"
        out.append(Entry(id=sc.id, title=sc.title, kind=sc.kind, minutes=sc.minutes, skills=list(sc.skills),
                         workflow=sc.workflow, for_you=is_for(user, sc.roles), status=status,
                         attempts=h["n"] if h else 0, best=h["best"] if h else None, due=d))
    from ..gateway.just_in_time import marks

    jit = marks(ctx.org, ctx.store, user.name, now=now, prefer={e.id for e in out if e.for_you})
    for e in out:
        e.reason = jit.get(e.id)
    out.sort(key=lambda e: (e.reason is None, not e.for_you, STATUS_ORDER[e.status], e.minutes, e.title.lower()))
    return out


def _max_minutes(time_choice: str | None) -> int | None:
    m = re.match(r"(\d+)", time_choice or "")
    return int(m[1]) if m else None


def filter_entries(items: list[Entry], skill: str | None, workflow: str | None, time_choice: str | None,
                   mine_only: bool) -> list[Entry]:
    limit = _max_minutes(time_choice)
    return [e for e in items
            if (not skill or skill == ALL or skill in e.skills)
            and (not workflow or workflow == ALL or e.workflow == workflow)
            and (limit is None or e.minutes <= limit)
            and (not mine_only or e.for_you)]


def rows(items: list[Entry]) -> list[list[Any]]:
    return [["★" if e.for_you else "", e.reason or STATUS[e.status], e.title, render.KIND_LABELS[e.kind], e.minutes,
             ", ".join(e.skills), e.workflow, f"{e.due:%d %b %Y}" if e.due else ""] for e in items]


def summary(items: list[Entry]) -> str:
    n = {k: sum(1 for e in items if e.status == k) for k in STATUS}
    return (f"**{n['due']}** due for re-practice · **{n['new']}** new · **{n['tried']}** tried · "
            f"**{n['passed']}** passed")


def load(ctx: UIContext, skill: str | None, workflow: str | None, time_choice: str | None, mine_only: bool,
         current: str | None, request: gr.Request | None) -> tuple[Any, Any, list[str], str]:
    """(table, picker, ids in table order, summary) for the signed-in learner and the filters."""
    user = require(request, ctx.store)
    everything = entries(ctx, user)
    shown = filter_entries(everything, skill, workflow, time_choice, mine_only)
    ids = [e.id for e in shown]
    choices = [(f"{e.title} ({render.KIND_LABELS[e.kind]}, {e.minutes} min)", e.id) for e in shown]
    value = current if current in ids else (ids[0] if ids else None)
    note = summary(everything)
    if not shown:
        note += "\n\nNo scenario matches these filters; set them back to **All**."
    table = gr.update(value=rows(shown) or [["", "", "No scenario matches these filters", "", "", "", "", ""]])
    return table, gr.update(choices=choices, value=value), ids, note


def pick_row(ctx: UIContext, ids: list[str] | None, index: Any, request: gr.Request | None) -> Any:
    """Clicking a row of the table picks its scenario."""
    require(request, ctx.store)
    row = index[0] if isinstance(index, (list, tuple)) else index
    if isinstance(row, int) and ids and 0 <= row < len(ids):
        return gr.update(value=ids[row])
    return gr.update()


@dataclass
class CatalogueView:
    pick: Any
    start: Any
    refresh: Any  # call refresh(trigger) to reload the table on another event (tab select, after an attempt)


def build(ctx: UIContext) -> CatalogueView:
    skills = sorted({s for sc in ctx.org.scenarios.values() for s in sc.skills})
    workflows = sorted({sc.workflow for sc in ctx.org.scenarios.values()})
    gr.Markdown("### Scenarios\nChoose a scenario (or click its row in the list) and press **Start practice**. "
                "Scenarios for your role are marked ★ and listed first.")
    with gr.Row(equal_height=True):
        pick = gr.Dropdown(label="Scenario to practise", choices=[], scale=4, elem_id="cat-pick")
        start = gr.Button("Start practice", variant="primary", scale=1, elem_id="cat-start")
    with gr.Row():
        skill = gr.Dropdown([ALL, *skills], value=ALL, label="Skill", elem_id="cat-skill")
        workflow = gr.Dropdown([ALL, *workflows], value=ALL, label="Workflow", elem_id="cat-workflow")
        time_choice = gr.Dropdown(TIME_CHOICES, value=ALL, label="Time", elem_id="cat-time")
        mine = gr.Checkbox(False, label="Only scenarios for my role", elem_id="cat-mine")
    note = gr.Markdown(elem_id="cat-summary")
    table = gr.Dataframe(headers=COLUMNS, interactive=False, wrap=True, elem_id="catalogue", max_height=640,
                         column_widths=["6%", "16%", "26%", "10%", "7%", "14%", "12%", "9%"])
    ids = gr.State([])

    filters = [skill, workflow, time_choice, mine, pick]

    def on_load(sk, wf, tm, mn, cur, request: gr.Request):
        return load(ctx, sk, wf, tm, mn, cur, request)

    def on_select(id_list, evt: gr.SelectData, request: gr.Request):
        return pick_row(ctx, id_list, evt.index, request)

    outs = [table, pick, ids, note]
    for i, comp in enumerate((skill, workflow, time_choice, mine)):
        comp.change(on_load, filters, outs, api_name=f"catalogue_filter_{i}", show_progress="minimal")
    table.select(on_select, [ids], [pick], api_name="catalogue_pick")

    def refresh(trigger: Any, api_name: str) -> None:
        trigger(on_load, filters, outs, api_name=api_name, show_progress="minimal")

    return CatalogueView(pick=pick, start=start, refresh=refresh)
