"""The catalogue: every scenario, those for the learner's role first, with what is new, due and passed.

Every figure (status, due, for you) comes from the read model, sparring/store/queries.py (docs/metrics.md); this
module only formats it. The filters are plain inputs, so the handler is a pure function of (ctx, filters,
request).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

import gradio as gr

from ..store.queries import CatalogueRow, catalogue, select, status_counts
from . import page_script, render
from .context import UIContext
from .guard import mistake, require

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


def scenario_href(scenario_id: str) -> str:
    """The scenario's own address (app.url_open opens it on load): relative, so it works under a proxy prefix."""
    return "?" + urlencode({"scenario": scenario_id, "tab": "practice"})


def table_html(items: list[CatalogueRow]) -> str:
    """The catalogue as a table that becomes one card per scenario under 600 px (app.CSS, .sp-cat). Each title
    is a link to the scenario's address; a plain click opens it in place (js_on_load below), a middle click or
    "open in new tab" loads the address."""
    if not items:
        return '<p class="sp-cat-empty">No scenario matches these filters; set them back to <b>All</b>.</p>'
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in COLUMNS)
    body = []
    for e, r in zip(items, rows(items)):
        cells = [f'<span aria-label="for you" title="for your role">★</span>' if e.for_you else "",
                 escape(str(r[1])),
                 f'<a class="sp-open" href="{escape(scenario_href(e.scenario))}" data-scenario="{escape(e.scenario)}">'
                 f"{escape(e.title)}</a>",
                 *(escape(str(x)) for x in r[3:])]
        tds = "".join(f'<td data-label="{escape(c)}" class="sp-c{i}">{v}</td>'
                      for i, (c, v) in enumerate(zip(COLUMNS, cells)))
        body.append(f'<tr data-status="{e.status}">{tds}</tr>')
    return (f'<div class="sp-cat-wrap"><table class="sp-cat"><caption class="sp-sr">Scenarios</caption>'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')


# A plain click on a title opens it here (the Start practice path); modified clicks keep the link's behaviour.
OPEN_ON_CLICK = """element.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-scenario]');
  if (!a || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  trigger('click', {scenario: a.dataset.scenario});
});"""


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
    return table_html(shown), gr.update(choices=choices, value=value), ids, note


def tab_load(ctx: UIContext, skill: str | None, workflow: str | None, time_choice: str | None, mine_only: bool,
             current: str | None, booting: bool, request: gr.Request | None) -> Any:
    """`load` for the Scenarios tab's select event. Gradio selects the first tab as the page boots, while the page
    load lists the scenarios itself (before url_open): that select changes nothing, so the list is queried once."""
    if booting:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    return load(ctx, skill, workflow, time_choice, mine_only, current, request)


def pick_card(ctx: UIContext, ids: list[str] | None, scenario: Any, request: gr.Request | None) -> Any:
    """Clicking a scenario's title picks it (then it opens); only a scenario the table lists."""
    require(request, ctx.store)
    if isinstance(scenario, str) and ids and scenario in ids:
        return gr.update(value=scenario)
    raise mistake("That scenario is not in the list any more. Pick one from the list.")


@dataclass
class CatalogueView:
    pick: Any
    start: Any
    picked: Any  # the event of a title clicked in the table (it sets `pick`); open the scenario on its .success
    refresh: Any  # refresh(trigger, api_name) reloads the table on another event and returns that event


def build(ctx: UIContext) -> CatalogueView:
    skills = sorted({s for sc in ctx.org.scenarios.values() for s in sc.skills})
    workflows = sorted({sc.workflow for sc in ctx.org.scenarios.values()})
    gr.Markdown("### Scenarios\nClick a scenario's title in the list, or choose it here and press **Start "
                "practice**. Scenarios for your role are marked ★ and listed first.")
    with gr.Row(equal_height=True):
        pick = gr.Dropdown(label="Scenario to practise", choices=[], scale=4, elem_id="cat-pick")
        start = gr.Button("Start practice", variant="primary", scale=1, elem_id="cat-start")
    with gr.Row():
        skill = gr.Dropdown([ALL, *skills], value=ALL, label="Skill", elem_id="cat-skill")
        workflow = gr.Dropdown([ALL, *workflows], value=ALL, label="Workflow", elem_id="cat-workflow")
        time_choice = gr.Dropdown(TIME_CHOICES, value=ALL, label="Time", elem_id="cat-time")
        mine = gr.Checkbox(False, label="Only scenarios for my role", elem_id="cat-mine")
    note = gr.Markdown(elem_id="cat-summary")
    table = gr.HTML(elem_id="catalogue", js_on_load=OPEN_ON_CLICK)
    ids = gr.State([])
    # set by page_script.BOOTING in the browser: true while the page boots, when the page load lists the scenarios
    booting = gr.Checkbox(False, visible="hidden", elem_id="cat-booting")

    filters = [skill, workflow, time_choice, mine, pick]

    def on_load(sk, wf, tm, mn, cur, request: gr.Request):
        return load(ctx, sk, wf, tm, mn, cur, request)

    def on_click(id_list, evt: gr.EventData, request: gr.Request):
        return pick_card(ctx, id_list, getattr(evt, "scenario", None), request)

    outs = [table, pick, ids, note]
    inputs: list[Any] = [skill, workflow, time_choice, mine]
    for i, comp in enumerate(inputs):
        comp.change(on_load, filters, outs, api_name=f"catalogue_filter_{i}", show_progress="minimal")
    picked = table.click(on_click, [ids], [pick], api_name="catalogue_pick")

    def on_tab(sk, wf, tm, mn, cur, boot, request: gr.Request):
        return tab_load(ctx, sk, wf, tm, mn, cur, boot, request)

    def refresh(trigger: Any, api_name: str, skip_at_boot: bool = False) -> Any:
        if skip_at_boot:
            return trigger(on_tab, [*filters, booting], outs, api_name=api_name, js=page_script.BOOTING,
                           show_progress="minimal")
        return trigger(on_load, filters, outs, api_name=api_name, show_progress="minimal")

    return CatalogueView(pick=pick, start=start, picked=picked, refresh=refresh)
