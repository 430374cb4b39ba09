"""The Author tab: pick a scenario, read its rubric, run its labelled examples through the grader and see which
match their labels; and the organisation's validation problems, as FILE:LINE:COL with a hint.

Examples go through `sparring.grading.rubric.grade`, the same path as learners' attempts, so what the author sees
here is what learners will get. Nothing is stored: examples are the rubric's tests, not attempts.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import gradio as gr

from . import render
from .context import UIContext
from .guard import require

log = logging.getLogger("sparring.ui")

ROLES = ("author",)
EXAMPLE_COLUMNS = ["#", "Example", "Expected", "Graded", "Score", "Matches label?", "Why not"]
COMMON_FIELDS = {"id", "check", "required", "weight", "label", "feedback"}


def rubric_md(sc: Any) -> str:
    lines = [f"### {sc.title}",
             f"`{sc.id}` · **{render.KIND_LABELS[sc.kind]}** ({sc.kind}) · roles: {', '.join(sc.roles)} · "
             f"policy: {sc.policy or '—'} · pass mark **{sc.rubric.pass_mark:.0%}** · {len(sc.examples)} "
             "labelled example(s)", "",
             "| Criterion | Check | Required | Weight | Options |", "|---|---|---|---|---|"]
    for c in sc.rubric.criteria:
        data = c.model_dump(by_alias=True, exclude_none=True)
        data.update(getattr(c, "options", {}) or {})
        opts = {k: v for k, v in data.items() if k not in COMMON_FIELDS and v not in (None, [], {})}
        shown = json.dumps(opts, ensure_ascii=False)[:300].replace("|", "\\|") if opts else ""
        label = (c.label or c.id).replace("|", "\\|")
        lines.append(f"| **{label}** (`{c.id}`) | {c.check} | {'yes' if c.required else ''} | {c.weight:g} | "
                     f"{shown} |")
    return "\n".join(lines)


def _expected(ex: Any) -> str:
    parts = ["pass" if ex.expect.passed else "fail"]
    if ex.expect.failed:
        parts.append("failing " + ", ".join(ex.expect.failed))
    if ex.expect.passed_criteria:
        parts.append("passing " + ", ".join(ex.expect.passed_criteria))
    return "; ".join(parts)


def compare(ex: Any, result: Any) -> list[str]:
    """What differs between an example's label and its grade (empty: as labelled)."""
    out = []
    if result.passed != ex.expect.passed:
        out.append(f"expected {'pass' if ex.expect.passed else 'fail'}, graded {'pass' if result.passed else 'fail'}")
    by_id = {c.id: c for c in result.criteria}
    for cid in ex.expect.failed:
        if cid in by_id and by_id[cid].passed:
            out.append(f"'{cid}' should fail but passed")
    for cid in ex.expect.passed_criteria:
        if cid in by_id and not by_id[cid].passed:
            out.append(f"'{cid}' should pass but failed: {by_id[cid].feedback[:160]}")
    return out


def run_examples(ctx: UIContext, scenario_id: str | None, request: gr.Request | None) -> tuple[str, list[list[Any]]]:
    require(request, ctx.store, *ROLES)
    from ..grading.rubric import grade

    sc = ctx.org.scenarios.get(scenario_id or "")
    if sc is None:
        raise gr.Error("Pick a scenario first.")
    if not sc.examples:
        return ("This scenario has no labelled `examples:` yet. Add a few answers with the result you expect; "
                "see docs/authoring.md.", [])
    rows, matched = [], 0
    for i, ex in enumerate(sc.examples, 1):
        try:
            result = grade(ctx.org, sc, ex.answer)
            diffs = compare(ex, result)
            graded = ("pass" if result.passed else "fail") + (
                f"; failing {', '.join(result.failed_ids())}" if result.failed_ids() else "")
            score = render.pct(result.score)
        except Exception as e:  # noqa: BLE001 - shown in the row, the author fixes the example or the rubric
            log.exception("example %s of %s failed to grade", i, sc.id)
            diffs, graded, score = [f"cannot be graded: {e}"], "error", "–"
        matched += not diffs
        rows.append([i, ex.name or _answer_preview(ex.answer), _expected(ex), graded, score,
                     "✓ yes" if not diffs else "✗ no", "; ".join(diffs)])
    head = f"**{matched} of {len(rows)}** examples match their labels."
    if matched < len(rows):
        head += " Fix the rubric (or the label) until every example matches, then run `sparring test`."
    return head, rows


def _answer_preview(answer: dict[str, Any]) -> str:
    text = answer.get("prompt") or answer.get("justification") or json.dumps(answer.get("flags", answer))
    text = str(text)
    return text if len(text) <= 80 else text[:77] + "…"


def problems_md(problems: list[Any], n_scenarios: int, n_policies: int) -> str:
    if not problems:
        return f"✓ No problems: {n_scenarios} scenarios and {n_policies} policies are valid."
    lines = [f"**{len(problems)} problem(s)** — each is FILE:LINE:COL: message (hint). Fix them in the YAML, then "
             "press *Check the files again*.", "", "```"]
    lines += [str(p) for p in problems]
    lines.append("```")
    return "\n".join(lines)


def show_scenario(ctx: UIContext, scenario_id: str | None, request: gr.Request | None) -> tuple[str, str, list]:
    require(request, ctx.store, *ROLES)
    sc = ctx.org.scenarios.get(scenario_id or "")
    if sc is None:
        return "_Pick a scenario._", "", []
    return rubric_md(sc), "", []


def recheck(ctx: UIContext, request: gr.Request | None) -> str:
    """Validate the files on disk now (the running app keeps serving the content it started with)."""
    require(request, ctx.store, *ROLES)
    from ..organisation import load_org

    fresh = load_org(ctx.org.root)
    note = ("\n\n_The app keeps serving the content it started with; restart it to publish changes._"
            if fresh.ok() else "")
    return problems_md(fresh.problems, len(fresh.scenarios), len(fresh.policies)) + note


def show_tab(ctx: UIContext, scenario_id: str | None, request: gr.Request | None) -> tuple[str, str, list, str]:
    """Filled in when the tab is opened, not at build time: rubrics (expected answers) must not reach the page
    config that every signed-in user downloads."""
    rubric, verdict, table = show_scenario(ctx, scenario_id, request)
    org = ctx.org
    return rubric, verdict, table, problems_md(org.problems, len(org.scenarios), len(org.policies))


@dataclass
class AuthorView:
    refresh: Any  # refresh(trigger, api_name): fill the tab on another event (the tab being selected)


def build(ctx: UIContext) -> AuthorView:
    org = ctx.org
    choices = [(f"{sc.title} ({sc.id})", sc.id) for sc in sorted(org.scenarios.values(), key=lambda s: s.id)]
    gr.Markdown("### Author\nPick a scenario to see its rubric, then run its labelled examples through the grader "
                "learners get.")
    with gr.Row(equal_height=True):
        pick = gr.Dropdown(choices=choices, value=choices[0][1] if choices else None, label="Scenario", scale=4,
                           elem_id="author-pick")
        run = gr.Button("Run the examples", variant="primary", scale=1, elem_id="author-run")
    rubric = gr.Markdown(elem_id="author-rubric")
    verdict = gr.Markdown(elem_id="author-verdict")
    table = gr.Dataframe(headers=EXAMPLE_COLUMNS, interactive=False, wrap=True, elem_id="author-examples",
                         column_widths=["4%", "20%", "17%", "20%", "7%", "8%", "24%"])
    gr.Markdown("#### Validation problems")
    problems = gr.Markdown(elem_id="author-problems")
    recheck_btn = gr.Button("Check the files again", size="sm", elem_id="author-recheck")

    def on_pick(sid, request: gr.Request):
        return show_scenario(ctx, sid, request)

    def on_run(sid, request: gr.Request):
        return run_examples(ctx, sid, request)

    def on_recheck(request: gr.Request):
        return recheck(ctx, request)

    def on_show(sid, request: gr.Request):
        return show_tab(ctx, sid, request)

    pick.change(on_pick, [pick], [rubric, verdict, table], api_name="author_scenario")
    run.click(on_run, [pick], [verdict, table], api_name="author_run_examples")
    recheck_btn.click(on_recheck, None, [problems], api_name="author_recheck")

    def refresh(trigger: Any, api_name: str) -> None:
        trigger(on_show, [pick], [rubric, verdict, table, problems], api_name=api_name)

    return AuthorView(refresh=refresh)
