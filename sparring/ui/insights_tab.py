"""Insights for HR / L&D leads: did people get better per skill and team, and did it last?

Who sees what (checked on the server in every handler; README's role table says the same): `hr` (the HR / L&D
lead) and `admin` see everything; `compliance` sees the policy-slip charts and "In real work"; `author` sees the
grader agreement only (their rubrics against the mentors). The numbers come from `sparring.insights.views` (pure,
cached, timed in docs/benchmarks.md); this module only lays them out.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from gradio.context import Context

from ..insights import charts, views
from .context import UIContext
from . import files, real_work_section
from .guard import mistake, require

ROLES = ("hr", "author", "compliance")  # tab visibility; admin sees every tab
SKILL_ROLES = ("hr",)  # the skill charts, cohorts, anti-gaming signals and the six-weeks summary
SLIP_ROLES = ("hr", "compliance")  # the policy-slip charts (and real work: real_work_section.ROLES)
AGREEMENT_ROLES = ("hr", "author")  # grader agreement: automatic grade against the mentors
ALL = "All"


def _choices(values: list[str]) -> list[str]:
    return [ALL, *values]


AGREEMENT_ROWS = 15  # worst first; the rest are in the CSV


def md_table(df: pd.DataFrame, limit: int | None = None, more: str = "more") -> str:
    """A small table as Markdown: far lighter in the browser than an interactive grid."""
    if df is None or df.empty:
        return "_Nothing to show for these filters._"
    shown = df if limit is None else df.head(limit)
    esc = lambda v: str(v).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(esc(c) for c in shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    if limit is not None and len(df) > limit:
        lines.append(f"\n_{len(df) - limit} {more}._")
    return "\n".join(lines)


def _filters(team: Any, job_role: Any, skill: Any, start: Any, end: Any) -> views.Filters:
    try:
        return views.Filters.of(team, job_role, skill, start, end)
    except ValueError as e:
        raise mistake(str(e)) from None


def _chart(elem_id: str) -> gr.HTML:
    # No click handler (gr.HTML adds one by default): the charts only show, their tooltips are SVG <title>s.
    return gr.HTML(elem_id=elem_id, css_template=charts.CSS, js_on_load=None, container=True, padding=True,
                   min_height=120)


def _charts(page: views.Page, skills_view: bool, slips_view: bool) -> list[str]:
    """The ten charts as SVG, in the order of the tab's outputs (see `build`): pass rate, mean score,
    improvement, retention, trust, time on task, then (after the two tables) slips and slips by entity, then the
    two anti-gaming charts (per week, and per team or skill).
    Memoised with the page (pages are memoised per data version and filters), so re-opening the tab is instant."""
    key = (skills_view, slips_view)
    if key not in page.drawn:
        page.drawn[key] = _draw(page, skills_view, slips_view)
    return page.drawn[key]


def _draw(page: views.Page, skills_view: bool, slips_view: bool) -> list[str]:
    out = ["", "", "", "", "", ""]
    if skills_view:
        out = [
            charts.line_chart(page.pass_rate, x="week", y="rate", color="skill", title="First-attempt pass rate "
                              "by skill", y_title="pass rate", y_lim=[0, 1], tooltip=["skill", "week", "rate",
                                                                                      "learners"]),
            charts.line_chart(page.mean_score, x="week", y="mean_score", color="skill", title="Mean score by skill",
                              y_title="mean score", y_lim=[0, 1],
                              tooltip=["skill", "week", "mean_score", "learners"]),
            charts.bar_chart(page.improvement, x="skill", y="change", title="Improvement: latest minus first score "
                             "on the same scenario", y_title="change in score", fmt=charts.signed_pct,
                             tooltip=["skill", "change", "learners"]),
            charts.bar_chart(page.retention, x="skill", y="retained", title="Six weeks later: re-practice score as "
                             "a share of the first pass", y_title="retained", y_lim=[0, 1],
                             tooltip=["skill", "retained", "learners"]),
            charts.line_chart(page.trust, x="week", y="value", color="measure", title="Trust calibration (lower is "
                              "better)", y_title="rate or Brier score", y_lim=[0, 1], fmt=charts.number,
                              tooltip=["measure", "week", "value", "learners"]),
            charts.bar_chart(page.time_on_task, x="skill", y="median_min", title="Time on task (median minutes)",
                             y_title="minutes", fmt=charts.minutes, tooltip=["skill", "median_min", "learners"]),
        ]
    slips = ["", ""]
    if slips_view:
        slips = [
            charts.line_chart(page.slips, x="week", y="slip_rate", title="Policy slips: share of frame attempts "
                              "blocked", y_title="slip rate", y_lim=[0, 1], tooltip=["week", "slip_rate", "learners"]),
            charts.bar_chart(page.slips_entity, x="entity", y="rate", title="Policy slips by entity type",
                             y_title="share of frame attempts", tooltip=["entity", "rate", "learners"]),
        ]
    gaming = ["", ""]
    if skills_view:
        by = page.gaming_by
        gaming = [
            charts.line_chart(page.gaming, x="week", y="rate", color="signal",
                              title="Anti-gaming signals: share of attempts raising each", y_title="share of attempts",
                              tooltip=["signal", "week", "rate", "learners"]),
            charts.bar_chart(page.gaming_group, x=by, y="rate", title=f"Anti-gaming signals: share of attempts "
                             f"raising any, by {by}", y_title="share of attempts", tooltip=[by, "rate", "learners"]),
        ]
    return [*out, md_table(page.cohorts),
            md_table(page.agreement, limit=AGREEMENT_ROWS, more="more criteria in the CSV download"), *slips,
            *gaming]


@dataclass(frozen=True)
class Sections:
    """What one viewer's role shows of the tab."""

    skills: bool
    slips: bool
    agreement: bool

    @classmethod
    def of(cls, user: Any) -> "Sections":
        return cls(skills=user.has(*SKILL_ROLES), slips=user.has(*SLIP_ROLES),
                   agreement=user.has(*AGREEMENT_ROLES))


def render(ctx: UIContext, request: gr.Request | None, team: str | None, job_role: str | None, skill: str | None,
           start: Any, end: Any) -> list[Any]:
    user = require(request, ctx.store, *ROLES)
    see = Sections.of(user)
    flt = _filters(team, job_role, skill, start, end)
    page = views.build_page(ctx.store, ctx.org, flt, skills_view=see.skills, slips_view=see.slips,
                            agreement_view=see.agreement)
    note = page.cautions and ("**Small numbers.** A rate over fewer than 5 learners is drawn as a hollow point or a "
                              "pale bar, and marked 'too few to read' in the tooltips and tables:\n" + page.cautions)
    if not see.skills:
        shown = " and ".join(w for w, on in (("the policy-slip charts and real work", see.slips),
                                             ("the grader agreement", see.agreement)) if on)
        note = (note or "") + f"\n\n_Your role shows {shown}; the skill charts are for the HR / L&D lead._"
    headline = page.headline if see.skills or see.slips else ""
    return [headline, note or "", gr.update(visible=see.skills), gr.update(visible=see.agreement),
            gr.update(visible=see.slips), *_charts(page, see.skills, see.slips)]


def filter_options(ctx: UIContext, request: gr.Request | None) -> list[Any]:
    user = require(request, ctx.store, *ROLES)
    see = Sections.of(user)
    o = views.options(ctx.store, ctx.org)
    return [gr.update(choices=_choices(o["team"]), value=ALL), gr.update(choices=_choices(o["job_role"]), value=ALL),
            gr.update(choices=_choices(o["skill"]), value=ALL),
            gr.update(choices=_choices(o["start_month"]), value=o["start_month"][0] if o["start_month"] else ALL),
            gr.update(visible=see.skills), gr.update(visible=see.skills or see.slips),
            gr.update(visible=see.slips)]


def summary(ctx: UIContext, request: gr.Request | None, cohort: str | None, team: str | None,
            job_role: str | None) -> str:
    require(request, ctx.store, *SKILL_ROLES)
    month = None if cohort in (None, "", ALL) else cohort
    return views.six_weeks_later(ctx.store, ctx.org, month, views.Filters.of(team, job_role))


def download(ctx: UIContext, request: gr.Request | None, team: str | None, job_role: str | None,
             skill: str | None, start: Any, end: Any) -> str:
    user = require(request, ctx.store, *ROLES)
    see = Sections.of(user)
    flt = _filters(team, job_role, skill, start, end)
    page = views.build_page(ctx.store, ctx.org, flt, skills_view=see.skills, slips_view=see.slips,
                            agreement_view=see.agreement)
    out = Path(tempfile.mkdtemp(prefix="sparring-insights-")) / "sparring-insights.csv"
    out.write_text(views.csv_text(page), encoding="utf-8")
    return files.own(out, user.name)  # served to this account (and admins) only


@dataclass
class InsightsView:
    refresh: Any


def build(ctx: UIContext) -> InsightsView:
    tab = Context.block  # the gr.Tab create_ui opened for us: the page loads when it is selected
    gr.Markdown("### Insights: did behaviour change?\nPer skill and team: first-attempt pass rates, improvement, "
                "what held up six weeks later, trust in AI answers, policy slips and anti-gaming signals. "
                "Formulas: docs/metrics.md.")
    with gr.Group(visible=True) as filter_box:  # the agreement alone (authors) is not filtered
        with gr.Row():
            team = gr.Dropdown([ALL], value=ALL, label="Team", elem_id="ins-team")
            job_role = gr.Dropdown([ALL], value=ALL, label="Job role", elem_id="ins-role")
            skill = gr.Dropdown([ALL], value=ALL, label="Skill", elem_id="ins-skill")
            # Text boxes, not gr.DateTime: its calendar button has no name a screen reader can say (axe-core,
            # critical); a typed date is checked by views.Filters.of, which names the format when it is wrong.
            start = gr.Textbox(label="From (YYYY-MM-DD)", placeholder="e.g. 2026-09-07", max_length=10,
                               elem_id="ins-start")
            end = gr.Textbox(label="To (YYYY-MM-DD)", placeholder="e.g. 2026-11-30", max_length=10,
                             elem_id="ins-end")
        with gr.Row():
            apply_btn = gr.Button("Show", variant="primary", size="sm", elem_id="ins-apply")
            csv_btn = gr.Button("Prepare CSV", variant="secondary", size="sm", elem_id="ins-csv")
            csv_file = gr.DownloadButton("Download CSV", variant="secondary", size="sm", elem_id="ins-download")
    headline = gr.Markdown(elem_id="ins-headline")
    caution = gr.Markdown(elem_id="ins-caution")
    with gr.Group(visible=True) as skills_box:
        with gr.Row():
            pass_rate = _chart("ins-pass-rate")
            improvement = _chart("ins-improvement")
        with gr.Row():
            retention = _chart("ins-retention")
            trust = _chart("ins-trust")
        with gr.Row():
            mean_score = _chart("ins-mean-score")
            time_on_task = _chart("ins-time")
        gr.Markdown("#### Cohorts by team")
        cohorts = gr.Markdown(elem_id="ins-cohorts", elem_classes=["sp-tables"])
        # Last in the group, below the fold: two small SVGs more in the same response as the rest (no extra round
        # trip); their cost on opening the tab is measured in docs/benchmarks.md, "Insights".
        gr.Markdown("#### Anti-gaming signals\nA signal is a reason for a mentor to look closely, not a verdict "
                    "and not a punishment: 'fast' and 'flags-everything' hold nothing; a copied or keyword-stuffed "
                    "answer waits for a mentor instead of passing automatically. What each signal means: "
                    "docs/metrics.md.")
        with gr.Row():
            gaming = _chart("ins-gaming")
            gaming_group = _chart("ins-gaming-group")
    with gr.Group(visible=True) as agreement_box:
        gr.Markdown("#### Grader agreement (automatic grade vs mentor), per scenario and criterion\nLow agreement "
                    "or kappa on a criterion: experts disagree with the rubric there; revisit it.")
        agreement = gr.Markdown(elem_id="ins-agreement", elem_classes=["sp-tables"])
    with gr.Group(visible=True) as slips_box:
        with gr.Row():
            slips = _chart("ins-slips")
            slips_entity = _chart("ins-slips-entity")
    with gr.Group(visible=True) as real_work_box:
        real_work_section.build(ctx)
    with gr.Group(visible=True) as summary_box:
        gr.Markdown("#### One page: six weeks later")
        with gr.Row():
            cohort = gr.Dropdown([ALL], value=ALL, label="Cohort (start month)", elem_id="ins-cohort")
            summary_btn = gr.Button("Write the summary", variant="secondary", size="sm", elem_id="ins-summary-btn")
        summary_md = gr.Markdown(elem_id="ins-summary")

    filters = [team, job_role, skill, start, end]
    outs = [headline, caution, skills_box, agreement_box, slips_box, pass_rate, mean_score, improvement, retention,
            trust, time_on_task, cohorts, agreement, slips, slips_entity, gaming, gaming_group]

    def on_render(team_v, role_v, skill_v, start_v, end_v, request: gr.Request):
        return render(ctx, request, team_v, role_v, skill_v, start_v, end_v)

    def on_summary(cohort_v, team_v, role_v, request: gr.Request):
        return summary(ctx, request, cohort_v, team_v, role_v)

    def on_csv(team_v, role_v, skill_v, start_v, end_v, request: gr.Request):
        return download(ctx, request, team_v, role_v, skill_v, start_v, end_v)

    apply_btn.click(on_render, filters, outs, api_name="insights")
    summary_btn.click(on_summary, [cohort, team, job_role], summary_md, api_name="insights_summary")
    csv_btn.click(on_csv, filters, csv_file, api_name="insights_csv")

    def on_open(request: gr.Request):
        # One round trip: the filter choices (reset to "All") and the page for everyone, all dates.
        return [*filter_options(ctx, request), *render(ctx, request, ALL, ALL, ALL, None, None)]

    def refresh(trigger: Any, api_name: str) -> None:
        trigger(on_open, None, [team, job_role, skill, cohort, summary_box, filter_box, real_work_box, *outs],
                api_name=api_name, show_progress="minimal")

    if isinstance(tab, gr.Tab):
        refresh(tab.select, "insights_tab")
    return InsightsView(refresh=refresh)
