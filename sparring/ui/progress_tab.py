"""My progress: skills over time, attempts, what improved, and what is due for re-practice.

Every figure comes from the read model, sparring/store/queries.progress (docs/metrics.md); this module only
formats it. A learner only ever sees their own progress (the handler takes the name from the signed-in user,
never from an input).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import gradio as gr
import pandas as pd

from ..store.queries import progress
from . import render
from .context import UIContext
from .guard import require

ATTEMPT_COLUMNS = ["When (UTC)", "Scenario", "Kind", "Score", "Result", "Policy check"]
POLICY_WORDS = {"allow": "", "warn": "warned", "redact": "redacted", "block": "blocked"}
SKILL_COLUMNS = ["Skill", "Attempts", "First score", "Latest score", "Best", "Change"]
IMPROVED_COLUMNS = ["Scenario", "Attempts", "First score", "Latest score", "Change"]


@dataclass
class ProgressScreen:
    headline: str
    skills_over_time: pd.DataFrame  # when, skill, score
    skills: list[list[Any]]
    improved: list[list[Any]]
    attempts: list[list[Any]]
    due: str


def _change(points: int) -> str:
    return "—" if points == 0 else (f"▲ +{points}%" if points > 0 else f"▼ {points}%")


def progress_for(ctx: UIContext, learner: str, now: datetime | None = None) -> ProgressScreen:
    """The screen's text and tables, formatted from the read model's Progress (sparring/store/queries.py)."""
    p = progress(ctx.org, ctx.store, learner, now=now)
    titles = {sid: sc.title for sid, sc in ctx.org.scenarios.items()}
    points = [{"when": when, "skill": sk.skill, "score": score} for sk in p.skills for when, score in sk.points]
    skills = [[sk.skill, sk.attempts, render.pct(sk.first_score), render.pct(sk.latest_score),
               render.pct(sk.best_score), _change(sk.change)] for sk in p.skills]
    improved = [[i.title, i.attempts, render.pct(i.first_score), render.pct(i.latest_score), _change(i.change)]
                for i in p.improved]
    attempts = []
    for a in p.attempts:
        policy = "blocked" if a.blocked else POLICY_WORDS.get(a.verdict or "allow", "")
        attempts.append([f"{a.submitted_at:%Y-%m-%d %H:%M}" if a.submitted_at else "",
                         titles.get(a.scenario, a.scenario), render.KIND_LABELS.get(a.kind, a.kind),
                         render.pct(a.score), "✓ passed" if a.passed else "? waiting for a mentor" if a.ungraded else "✗ not yet", policy])
    if not p.n_attempts:
        headline = "You have not practised yet. Go to **Scenarios** and start one: your progress appears here."
    else:
        headline = (f"**{p.n_attempts}** attempts on **{p.attempted_scenarios}** scenarios · "
                    f"**{p.passed_scenarios}** passed · **{p.due_now}** due for re-practice")
    due_lines = [f"- **{r.title}** — due now" for r in p.due if r.status == "due"]
    due_lines += [f"- {r.title} — {r.due:%d %b %Y}" for r in p.due if r.status != "due" and r.due][:10]
    due = "\n".join(due_lines) or "_Nothing scheduled yet. Scenarios come back here after you practise them; " \
                                   "weaker ones come back sooner._"
    frame = pd.DataFrame(points, columns=["when", "skill", "score"])
    return ProgressScreen(headline, frame, skills, improved, attempts, due)


def load(ctx: UIContext, request: gr.Request | None) -> tuple[Any, ...]:
    from .real_work_section import learner_text
    from .review_tab import replies_html  # the mentors' replies belong in the learner's progress too

    user = require(request, ctx.store)
    p = progress_for(ctx, user.name)
    return (p.headline, p.skills_over_time, p.skills or [["", "", "", "", "", ""]],
            p.improved or [["Nothing yet: retry a scenario to see your improvement", "", "", "", ""]],
            p.attempts or [["", "No attempts yet", "", "", "", ""]], p.due, learner_text(ctx, user.name),
            replies_html(ctx, user.name))


@dataclass
class ProgressView:
    refresh: Any  # refresh(trigger, api_name) reloads this view on another event


def build(ctx: UIContext) -> ProgressView:
    gr.Markdown("### My progress")
    headline = gr.Markdown(elem_id="progress-headline")
    refresh_btn = gr.Button("Refresh", size="sm", elem_id="progress-refresh")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            # points, not lines: a skill practised once is still visible
            plot = gr.ScatterPlot(x="when", y="score", color="skill", title="Skills over time (each dot an attempt)",
                                  x_title="When", y_title="Score", y_lim=[0, 1], height=280, elem_id="progress-plot")
        with gr.Column(scale=2):
            gr.Markdown("#### Due for re-practice")
            due = gr.Markdown(elem_id="progress-due")
    gr.Markdown("#### Skills")
    skills = gr.Dataframe(headers=SKILL_COLUMNS, interactive=False, elem_id="progress-skills")
    gr.Markdown("#### What improved")
    improved = gr.Dataframe(headers=IMPROVED_COLUMNS, interactive=False, elem_id="progress-improved")
    gr.Markdown("#### Your attempts (latest first)")
    attempts = gr.Dataframe(headers=ATTEMPT_COLUMNS, interactive=False, elem_id="progress-attempts", wrap=True,
                            column_widths=["16%", "40%", "14%", "8%", "11%", "11%"])
    gr.Markdown("#### In real work")
    real_work = gr.Markdown(elem_id="progress-real-work")
    gr.Markdown("#### Mentor replies")
    mentor = gr.HTML(elem_id="progress-mentor")

    def on_load(request: gr.Request):
        return load(ctx, request)

    outs = [headline, plot, skills, improved, attempts, due, real_work, mentor]
    refresh_btn.click(on_load, None, outs, api_name="progress")

    def refresh(trigger: Any, api_name: str) -> None:
        trigger(on_load, None, outs, api_name=api_name, show_progress="minimal")

    return ProgressView(refresh=refresh)
