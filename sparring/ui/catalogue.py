"""The catalogue: every scenario, those for the learner's role first, with what is new, due and passed.

Every figure (status, due, for you) comes from the read model, sparring/store/queries.py (docs/metrics.md); this
module only formats it. The filters are plain inputs, so the handler is a pure function of (ctx, filters,
request).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import gradio as gr

from ..store.queries import CatalogueRow, catalogue, select, status_counts
from . import render
from .context import UIContext
from .guard import require

ALL = "All"
TIME_CHOICES = [ALL, "5 min or less", "10 min or less", "20 min or less"]
STATUS = {"due": "Due for re-practice", "new": "New", "tried": "Tried, not passed yet", "passed": "Passed ✓"}
COLUMNS = ["For you", "Status", "Scenario", "Kind", "Minutes", "Skills", "Workflow", "Next re-practice"]


def _max_minutes(time_choice: str | None) -> int | None:
    m = re.match(r"(\d+)", time_choice or "")
    return int(m[1]) if m else None


def _any(choice: str | None) -> str | None:
    return None if not choice or choice == ALL else choice


def rows(items: list[CatalogueRow]) -> list[list[Any]]:
    return [["★" if e.for_you else "", e.reason or STATUS[e.status], e.title, render.KIND_LABELS[e.kind], e.minutes,
             ", ".join(e.skills), e.workflow, f"{e.due:%d %b %Y}" if e.due else ""] for e in items]


def summary(items: list[CatalogueRow]) -> str:
    n = status_counts(items)
    return (f"**{n['due']}** due for re-practice · **{n['new']}** new · **{n['tried']}** tried · "
            f"**{n['passed']}** passed")


def load(ctx: UIContext, skill: str | None, workflow: str | None, time_choice: str | None, mine_only: bool,
         current: str | None, request: gr.Request | None) -> tuple[Any, Any, list[str], str]:
    """(table, picker, ids in table order, summary) for the signed-in learner and the filters."""
    user = require(request, ctx.store)
    everything = catalogue(ctx.org, ctx.store, user.name)
    shown = select(everything, skill=_any(skill), workflow=_any(workflow), max_minutes=_max_minutes(time_choice),
                   mine_only=bool(mine_only))
    ids = [e.scenario for e in shown]
    choices = [(f"{e.title} ({render.KIND_LABELS[e.kind]}, {e.minutes} min)", e.scenario) for e in shown]
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
    inputs: list[Any] = [skill, workflow, time_choice, mine]
    for i, comp in enumerate(inputs):
        comp.change(on_load, filters, outs, api_name=f"catalogue_filter_{i}", show_progress="minimal")
    table.select(on_select, [ids], [pick], api_name="catalogue_pick")

    def refresh(trigger: Any, api_name: str) -> None:
        trigger(on_load, filters, outs, api_name=api_name, show_progress="minimal")

    return CatalogueView(pick=pick, start=start, refresh=refresh)
