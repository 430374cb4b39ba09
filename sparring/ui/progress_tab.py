"""My progress: skills over time, attempts, what improved, and what is due for re-practice.

Read-only queries over the learner's own rows; a learner only ever sees their own progress (the handler takes
the name from the signed-in user, never from an input).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import gradio as gr
import pandas as pd

from . import render
from .context import UIContext
from .guard import require

ATTEMPT_COLUMNS = ["When (UTC)", "Scenario", "Kind", "Score", "Result", "Policy check"]
POLICY_WORDS = {"allow": "", "warn": "warned", "redact": "redacted", "block": "blocked"}
SKILL_COLUMNS = ["Skill", "Attempts", "First score", "Latest score", "Best", "Change"]
IMPROVED_COLUMNS = ["Scenario", "Attempts", "First score", "Latest score", "Change"]


@dataclass
class Progress:
    headline: str
    skills_over_time: pd.DataFrame  # when, skill, score
    skills: list[list[Any]]
    improved: list[list[Any]]
    attempts: list[list[Any]]
    due: str


def _when(s: str | None) -> datetime | None:
    if not s:
        return None
    try:
        d = datetime.fromisoformat(s)
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def _change(first: float, last: float) -> str:
    d = round(last * 100) - round(first * 100)  # in shown percentage points, so 100% → 100% is never "-1%"
    return "—" if d == 0 else (f"▲ +{d}%" if d > 0 else f"▼ {d}%")


def progress_for(ctx: UIContext, learner: str, now: datetime | None = None) -> Progress:
    now = now or datetime.now(timezone.utc)
    rows = ctx.store.query("SELECT id, scenario, kind, skills, submitted_at, score, passed, verdict, blocked "
                           "FROM attempts WHERE learner = ? ORDER BY submitted_at, id", [learner])
    titles = {sid: sc.title for sid, sc in ctx.org.scenarios.items()}
    points, per_skill, per_scenario = [], {}, {}
    for r in rows:
        when = _when(r["submitted_at"])
        try:
            skills = json.loads(r["skills"] or "[]")
        except ValueError:
            skills = []
        for sk in skills:
            points.append({"when": when, "skill": sk, "score": float(r["score"])})
            per_skill.setdefault(sk, []).append(float(r["score"]))
        per_scenario.setdefault(r["scenario"], []).append(float(r["score"]))
    skills = [[sk, len(v), render.pct(v[0]), render.pct(v[-1]), render.pct(max(v)), _change(v[0], v[-1])]
              for sk, v in sorted(per_skill.items())]
    improved = [[titles.get(sid, sid), len(v), render.pct(v[0]), render.pct(v[-1]), _change(v[0], v[-1])]
                for sid, v in per_scenario.items() if len(v) > 1 and v[-1] > v[0]]
    attempts = []
    for r in reversed(rows[-50:]):
        when = _when(r["submitted_at"])
        policy = "blocked" if r["blocked"] else POLICY_WORDS.get(r["verdict"] or "allow", "")
        attempts.append([f"{when:%Y-%m-%d %H:%M}" if when else "", titles.get(r["scenario"], r["scenario"]),
                         render.KIND_LABELS.get(r["kind"], r["kind"]), render.pct(r["score"]),
                         "✓ passed" if r["passed"] else "✗ not yet", policy])
    sched = ctx.store.query("SELECT scenario, due FROM schedule WHERE learner = ? ORDER BY due", [learner])
    due_now = [s for s in sched if (_when(s["due"]) or now) <= now]
    later = [s for s in sched if (_when(s["due"]) or now) > now]
    if not rows:
        headline = "You have not practised yet. Go to **Scenarios** and start one: your progress appears here."
    else:
        passed = len({r["scenario"] for r in rows if r["passed"]})
        headline = (f"**{len(rows)}** attempts on **{len(per_scenario)}** scenarios · **{passed}** passed · "
                    f"**{len(due_now)}** due for re-practice")
    due_lines = [f"- **{titles.get(s['scenario'], s['scenario'])}** — due now" for s in due_now]
    due_lines += [f"- {titles.get(s['scenario'], s['scenario'])} — {_when(s['due']):%d %b %Y}" for s in later[:10]]
    due = "\n".join(due_lines) or "_Nothing scheduled yet. Scenarios come back here after you practise them; " \
                                  "weaker ones come back sooner._"
    frame = pd.DataFrame(points, columns=["when", "skill", "score"])
    return Progress(headline, frame, skills, improved, attempts, due)


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
