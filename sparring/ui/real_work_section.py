"""The Insights tab's "In real work" section: what the AI gateway saw, per team and role, with the week each team
started practising and the six-week before/after figure. Numbers from sparring/insights/real_work.py; this module
only lays them out. Same roles as the policy-slip charts; teams of fewer than 5 people are never shown."""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from ..insights import charts
from ..insights.real_work import learner_figures, page
from .context import UIContext
from .guard import require

ROLES = ("hr", "compliance")  # the HR / L&D lead, and compliance for the slips in real work


def _pts(v: Any) -> str:
    return "—" if v is None or pd.isna(v) else f"{v:+.1f}" if isinstance(v, float) and v < 0 else f"{v:.1f}"


def render(ctx: UIContext, request: gr.Request | None) -> list[str]:
    require(request, ctx.store, *ROLES)
    p = page(ctx.store)
    s = p["summary"]
    if not s["teams"]:
        note = "_No requests through the AI gateway yet (docs/real-work.md says how to wire it)._"
    else:
        lines = ["| Team | Requests | Slips per 100 | Blocked | By entity type |", "|---|---|---|---|---|"]
        for t in s["teams"]:
            ents = ", ".join(f"{k} {v}" for k, v in t["by_entity"].items()) or "none"
            lines.append(f"| {t['team']} | {t['requests']} | {t['slips_per_100']:.1f} | {t['blocked']} | {ents} |")
        note = "\n".join(lines)
    if p["starts"]:
        note += "\n\n**Started practising** (week of): " + ", ".join(f"{t} {d}" for t, d in sorted(p["starts"].items()))
    ba = p["before_after"]
    if len(ba):
        note += ("\n\n**Six weeks before and after the start** (slips per 100 requests; the comparison is teams not "
                 "yet practising, same weeks; method and limits in docs/metrics.md):\n\n"
                 "| Team | Before | After | Change | Comparison change | Difference |\n|---|---|---|---|---|---|\n")
        note += "\n".join(f"| {r.team} | {_pts(r.before)} | {_pts(r.after)} | {_pts(r.change)} | "
                          f"{_pts(r.comparison_change)} | {_pts(r.difference)} |" for r in ba.itertuples())
    note += (f"\n\n{s['learners']} people · {p['in_the_moment']} practice attempts 'in the moment' (within a week "
             "of a slip that pointed at the scenario)")
    if p["hidden_teams"]:
        note += f" · {p['hidden_teams']} team(s) of fewer than 5 people not shown"
    tip = ["group", "week", "slips_per_100", "requests", "learners"]
    team_chart = charts.line_chart(p["by_team"], x="week", y="slips_per_100", color="group", title="In real work: "
                                   "slips per 100 AI requests, by team", y_title="slips per 100", fmt=charts.number,
                                   tooltip=tip)
    role_chart = charts.line_chart(p["by_role"], x="week", y="slips_per_100", color="group", title="In real work: "
                                   "slips per 100 AI requests, by role", y_title="slips per 100", fmt=charts.number,
                                   tooltip=tip)
    return [team_chart, role_chart, note]


def build(ctx: UIContext) -> None:
    gr.Markdown("#### In real work\nAI requests through the organisation's gateway: how often the policy had to "
                "block or redact, per team and role, week by week. Counts only: no request text is stored "
                "(docs/real-work.md).")
    btn = gr.Button("Show real work", size="sm", elem_id="ins-real-work-btn")
    with gr.Row():
        by_team = gr.HTML(elem_id="ins-real-work-team", css_template=charts.CSS, js_on_load=None, min_height=120)
        by_role = gr.HTML(elem_id="ins-real-work-role", css_template=charts.CSS, js_on_load=None, min_height=120)
    table = gr.Markdown(elem_id="ins-real-work", elem_classes=["sp-tables"])

    def on_show(request: gr.Request) -> list[str]:
        return render(ctx, request)

    btn.click(on_show, None, [by_team, by_role, table], api_name="insights_real_work")


def learner_text(ctx: UIContext, learner: str) -> str:
    """My progress: the learner's own real-work figures (only ever their own; no team rule applies to oneself)."""
    f = learner_figures(ctx.store, learner)
    if not f["requests"]:
        return "_No AI requests through the organisation's gateway in the last six weeks._"
    ents = ", ".join(f"{k} {v}" for k, v in f["by_entity"].items()) or "nothing"
    return (f"Last {f['days'] // 7} weeks: **{f['requests']}** AI requests through the gateway, **{f['slips']}** "
            f"slips ({f['slips_per_100']:.1f} per 100), {f['blocked']} blocked. Found: {ents}. Counts only: the "
            "text of your requests is never stored.")
