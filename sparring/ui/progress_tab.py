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
POLICY_LEGEND = ("**Policy check**, for prompts: *warned*: the data-sharing policy let the prompt through but found "
                 "details it asks you to think twice about; *redacted*: restricted details were replaced before "
                 "sending; *blocked*: nothing was sent. Empty: nothing restricted was found.")
ASK_MENTOR = ("To ask a mentor about one of your attempts, open the **Review** tab and use **Ask a mentor** there; "
              "their replies appear here and in that tab.")
NO_REPLIES = "<p><em>No questions to a mentor yet.</em></p>"
# Okabe & Ito's colour-blind safe palette, then three of Paul Tol's muted ones: the learner's own skills take them
# in order, so the few skills one person practises get the most distinct colours
SKILL_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
                 "#882255", "#44AA99", "#999933"]
SKILL_COLUMNS = ["Skill", "Attempts", "First score", "Latest score", "Best", "Change"]
IMPROVED_COLUMNS = ["Scenario", "Attempts", "First score", "Latest score", "Change"]


@dataclass
class ProgressScreen:
    headline: str
    skills_over_time: pd.DataFrame  # day (YYYY-MM-DD), skill, score (%)
    skills: list[list[Any]]
    improved: list[list[Any]]
    attempts: list[list[Any]]
    due: str
    due_now: int  # the one due figure: the headline, the box and the catalogue all show it


def _change(points: int) -> str:
    return "—" if points == 0 else (f"▲ +{points}%" if points > 0 else f"▼ {points}%")


def progress_for(ctx: UIContext, learner: str, now: datetime | None = None) -> ProgressScreen:
    """The screen's text and tables, formatted from the read model's Progress (sparring/store/queries.py)."""
    p = progress(ctx.org, ctx.store, learner, now=now)
    titles = {sid: sc.title for sid, sc in ctx.org.scenarios.items()}
    # by day: a learner reads "4 Dec", not ":15 :30 :45"; several attempts on one day are several dots
    points = [{"day": f"{when:%Y-%m-%d}" if when else "", "skill": sk.skill, "score": round(score * 100)}
              for sk in p.skills for when, score in sk.points]
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
    now_rows = [r for r in p.due if r.status == "due"]
    later = [r for r in p.due if r.status != "due" and r.due][:10]
    due = [f"**Due now: {p.due_now}**"]
    due += [f"- **{r.title}**" for r in now_rows] or ["- _Nothing is due today._"]
    if later:
        due += ["", "**Coming up** (not counted as due yet):"] + [f"- {r.title} — {r.due:%d %b %Y}" for r in later]
    elif not now_rows:
        due += ["", "_Scenarios come back here after you practise them; weaker ones come back sooner._"]
    frame = pd.DataFrame(points, columns=["day", "skill", "score"])
    return ProgressScreen(headline, frame, skills, improved, attempts, "\n".join(due), p.due_now)


def load(ctx: UIContext, request: gr.Request | None) -> tuple[Any, ...]:
    from ..review import learner_reviews
    from .real_work_section import learner_text
    from .review_tab import replies_html  # the mentors' replies belong in the learner's progress too

    user = require(request, ctx.store)
    p = progress_for(ctx, user.name)
    replies = replies_html(ctx, user.name) if learner_reviews(ctx.store, user.name) else NO_REPLIES
    plot = gr.update(value=p.skills_over_time, color_map=skill_colours(list(p.skills_over_time["skill"])))
    return (p.headline, plot, p.skills or [["", "", "", "", "", ""]],
            p.improved or [["Nothing yet: retry a scenario to see your improvement", "", "", "", ""]],
            p.attempts or [["", "No attempts yet", "", "", "", ""]], p.due, learner_text(ctx, user.name),
            replies)


@dataclass
class ProgressView:
    refresh: Any  # refresh(trigger, api_name) reloads this view on another event


def skill_colours(skills: list[str]) -> dict[str, str]:
    """One distinct colour per skill shown (in name order), the first colours of the palette first."""
    return {sk: SKILL_COLOURS[i % len(SKILL_COLOURS)] for i, sk in enumerate(sorted(set(skills)))}


def build(ctx: UIContext) -> ProgressView:
    gr.Markdown("### My progress")
    headline = gr.Markdown(elem_id="progress-headline")
    refresh_btn = gr.Button("Refresh", size="sm", elem_id="progress-refresh")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            # points, not lines: a skill practised once is still visible
            plot = gr.ScatterPlot(x="day", y="score", color="skill", title="Skills over time (each dot an attempt)",
                                  x_title="Day (UTC)", y_title="Score (%)", y_lim=[-5, 105], height=300,
                                  sort="x", elem_id="progress-plot")
        with gr.Column(scale=2):
            gr.Markdown("#### Due for re-practice")
            due = gr.Markdown(elem_id="progress-due")
    gr.Markdown("#### Skills")
    skills = gr.Dataframe(headers=SKILL_COLUMNS, interactive=False, elem_id="progress-skills")
    gr.Markdown("#### What improved")
    improved = gr.Dataframe(headers=IMPROVED_COLUMNS, interactive=False, elem_id="progress-improved")
    gr.Markdown("#### Your attempts (latest first)")
    attempts = gr.Dataframe(headers=ATTEMPT_COLUMNS, interactive=False, elem_id="progress-attempts", wrap=True)
    gr.Markdown(POLICY_LEGEND, elem_id="progress-policy-legend")
    gr.Markdown("#### In real work")
    real_work = gr.Markdown(elem_id="progress-real-work")
    gr.Markdown("#### Mentor replies\n" + ASK_MENTOR, elem_id="progress-ask-mentor")
    mentor = gr.HTML(elem_id="progress-mentor")

    def on_load(request: gr.Request):
        return load(ctx, request)

    outs = [headline, plot, skills, improved, attempts, due, real_work, mentor]
    refresh_btn.click(on_load, None, outs, api_name="progress")

    def refresh(trigger: Any, api_name: str) -> None:
        trigger(on_load, None, outs, api_name=api_name, show_progress="minimal")

    return ProgressView(refresh=refresh)
