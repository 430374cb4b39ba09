"""The Author tab: pick a scenario, read its rubric, run its labelled examples through the grader and see which
match their labels; and the organisation's validation problems, as FILE:LINE:COL with a hint.

Examples are graded by `sparring.grading.examples.check_examples`, the function `sparring test` uses: through
`rubric.grade`, the same path as learners' attempts, each example leave-one-out, so the tab and the command report
the same mismatches. Nothing is stored: examples are the rubric's tests, not attempts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import gradio as gr

from . import render
from .context import UIContext
from .guard import mistake, require


ROLES = ("author",)
EXAMPLE_COLUMNS = ["#", "Example", "Expected", "Graded", "Score", "Matches label?", "Why not"]
REVIEW_COLUMNS = ["#", "Criterion", "Mentor's grade", "Mentor", "When (UTC)", "Status", "Answer (redacted)"]
AGREEMENT_COLUMNS = ["Criterion", "Reviewed attempts", "Without review examples", "Now (accepted ones)",
                     "If the pending are accepted", "Pending", "Accepted"]
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


def run_examples(ctx: UIContext, scenario_id: str | None, request: gr.Request | None) -> tuple[str, list[list[Any]]]:
    """Grade the scenario's labelled examples exactly as `sparring test` does: through
    grading.examples.check_examples, each one leave-one-out (an example never serves as its own evidence)."""
    require(request, ctx.store, *ROLES)
    from ..grading.examples import check_examples

    sc = ctx.org.scenarios.get(scenario_id or "")
    if sc is None:
        raise mistake("Pick a scenario first.")
    if not sc.examples:
        return ("This scenario has no labelled `examples:` yet. Add a few answers with the result you expect; "
                "see docs/authoring.md.", [])
    rows, matched = [], 0
    for ex, r in zip(sc.examples, check_examples(ctx.org, sc)):
        if "passed" in r:
            failing = [cid for cid, c in r["criteria"].items() if not c["passed"]]
            graded = ("pass" if r["passed"] else "fail") + (f"; failing {', '.join(failing)}" if failing else "")
            score = render.pct(r["score"])
        else:  # could not be graded: the mismatch says why
            graded, score = "error", "–"
        diffs = r["mismatches"]
        matched += not diffs
        rows.append([r["index"] + 1, ex.name or _answer_preview(ex.answer), _expected(ex), graded, score,
                     "✓ yes" if not diffs else "✗ no", "; ".join(diffs)])
    head = f"**{matched} of {len(rows)}** examples match their labels."
    if matched < len(rows):
        head += " Fix the rubric (or the label) until every example matches, then run `sparring test`."
    return head, rows


def _answer_preview(answer: dict[str, Any], limit: int = 80) -> str:
    text = answer.get("prompt") or answer.get("justification") or json.dumps(answer.get("flags", answer))
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------ learning from reviews


def _agreement_cell(kappa: float | None, agreement: float | None) -> str:
    if agreement is None:
        return "–"
    k = "κ undefined" if kappa is None else f"κ {kappa:.2f}"
    return f"{k} ({render.pct(agreement)} agree)"


def review_examples_view(ctx: UIContext, scenario_id: str | None, request: gr.Request | None
                         ) -> tuple[str, list[list[Any]]]:
    """The scenario's examples from mentors' reviews (pending first) and what to do with them."""
    require(request, ctx.store, *ROLES)
    from ..review import learns_from_reviews, review_examples

    sc = ctx.org.scenarios.get(scenario_id or "")
    if sc is None:
        return "", []
    if not any(learns_from_reviews(c) for c in sc.rubric.criteria):
        return ("No criterion of this scenario learns from examples (only `semantic` ones do), so mentors' "
                "overrides are counted in grader agreement only.", [])
    items = sorted(review_examples(ctx.store, sc.id), key=lambda e: (e.status != "pending", -e.id))
    rows = [[e.id, e.criterion, "pass" if e.passed else "fail", e.mentor, e.created_at[:16].replace("T", " "),
             e.status, _answer_preview(e.answer, 400)] for e in items]
    pending = sum(1 for e in items if e.status == "pending")
    note = (f"**{pending}** example(s) from mentors' reviews wait for you. Accept one and the grader learns from "
            "it for every learner; reject it and it never counts. Press *Show agreement* to see what accepting "
            "would change." if pending else "No example from a review is waiting." if items else
            "No mentor has overridden a criterion of this scenario yet.")
    return note, rows


def agreement_view(ctx: UIContext, scenario_id: str | None, request: gr.Request | None) -> list[list[Any]]:
    """Grader agreement per criterion, re-graded without, with the accepted and with the pending examples from
    reviews (sparring.review.agreement_with_reviews)."""
    require(request, ctx.store, *ROLES)
    from ..review import agreement_with_reviews

    if (scenario_id or "") not in ctx.org.scenarios:
        raise mistake("Pick a scenario first.")
    return [[a.criterion, a.n, _agreement_cell(a.kappa_without, a.agreement_without),
             _agreement_cell(a.kappa_now, a.agreement_now),
             _agreement_cell(a.kappa_if_accepted, a.agreement_if_accepted), a.pending, a.accepted]
            for a in agreement_with_reviews(ctx.org, ctx.store, scenario_id or "")]


def agreement_md(rows: list[list[Any]]) -> str:
    """The agreement rows as a Markdown table (.sp-tables: it scrolls inside itself, reachable by keyboard). Not a
    Dataframe: at 390 px Gradio's grid scrolls in an inner div that cannot take focus without breaking the grid's
    ARIA roles (axe scrollable-region-focusable, then aria-required-children)."""
    if not rows:
        return "_No reviewed attempts of this scenario yet: agreement needs a mentor's review._"
    esc = lambda v: str(v).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(AGREEMENT_COLUMNS) + " |", "|" + "---|" * len(AGREEMENT_COLUMNS)]
    return "\n".join(lines + ["| " + " | ".join(esc(v) for v in r) + " |" for r in rows])


def decide(ctx: UIContext, scenario_id: str | None, example_id: Any, accept: bool, request: gr.Request | None
           ) -> tuple[str, list[list[Any]], list[list[Any]]]:
    """Accept or reject one pending example from a review; returns the refreshed list and agreement."""
    user = require(request, ctx.store, *ROLES)
    from ..review import ReviewError, decide_example, review_examples

    try:
        number = int(example_id)
    except (TypeError, ValueError):
        raise mistake("Type the number (#) of the example to accept or reject.") from None
    if number not in {e.id for e in review_examples(ctx.store, scenario_id or None)}:
        raise mistake(f"This scenario has no example #{number} from a review; pick one from the list.")
    try:
        decided = decide_example(ctx.org, ctx.store, number, user.name, accept)
    except ReviewError as e:
        raise mistake(str(e)) from None
    note, rows = review_examples_view(ctx, scenario_id, request)
    done = f"Example #{decided.id} {decided.status}" + (": the grader learns from it now." if accept else ".")
    return f"{done}\n\n{note}", rows, agreement_view(ctx, scenario_id, request)


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
    rubric = gr.Markdown(elem_id="author-rubric", elem_classes=["sp-tables"])
    verdict = gr.Markdown(elem_id="author-verdict")
    table = gr.Dataframe(headers=EXAMPLE_COLUMNS, interactive=False, wrap=True, elem_id="author-examples",
                         column_widths=["4%", "20%", "17%", "20%", "7%", "8%", "24%"])
    gr.Markdown("#### Learning from reviews\nWhen a mentor overrides a `semantic` criterion, the attempt's "
                "answer (redacted) becomes a labelled example of it. It counts only once you accept it.")
    rev_note = gr.Markdown(elem_id="author-review-note")
    rev_table = gr.Dataframe(headers=REVIEW_COLUMNS, interactive=False, wrap=True, elem_id="author-review-examples",
                             column_widths=["5%", "13%", "9%", "10%", "13%", "9%", "41%"])
    with gr.Row(equal_height=True):
        rev_id = gr.Number(None, label="Example #", precision=0, scale=1, elem_id="author-review-id")
        accept = gr.Button("Accept", variant="primary", size="sm", scale=1, elem_id="author-review-accept")
        # secondary, not "stop": the theme's white on red is 3.8:1, below WCAG AA for text this size
        reject = gr.Button("Reject", variant="secondary", size="sm", scale=1, elem_id="author-review-reject")
        show_agreement = gr.Button("Show agreement", size="sm", scale=1, elem_id="author-agreement-show")
    gr.Markdown("Grader agreement with the mentors (Cohen's κ and percent), per criterion, on the reviewed "
                "attempts re-graded now; each attempt without the examples it gave.")
    agreement = gr.Markdown(elem_id="author-agreement", elem_classes=["sp-tables"])
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

    def on_reviews(sid: str | None, request: gr.Request) -> tuple[str, list[list[Any]]]:
        return review_examples_view(ctx, sid, request)

    def on_agreement(sid: str | None, request: gr.Request) -> str:
        return agreement_md(agreement_view(ctx, sid, request))

    def on_accept(sid: str | None, number: Any, request: gr.Request) -> tuple[str, list[list[Any]], str]:
        note, rows, agreed = decide(ctx, sid, number, True, request)
        return note, rows, agreement_md(agreed)

    def on_reject(sid: str | None, number: Any, request: gr.Request) -> tuple[str, list[list[Any]], str]:
        note, rows, agreed = decide(ctx, sid, number, False, request)
        return note, rows, agreement_md(agreed)

    pick.change(on_pick, [pick], [rubric, verdict, table], api_name="author_scenario")
    pick.change(on_reviews, [pick], [rev_note, rev_table], api_name="author_review_examples")
    show_agreement.click(on_agreement, [pick], [agreement], api_name="author_agreement")
    accept.click(on_accept, [pick, rev_id], [rev_note, rev_table, agreement], api_name="author_review_accept")
    reject.click(on_reject, [pick, rev_id], [rev_note, rev_table, agreement], api_name="author_review_reject")
    run.click(on_run, [pick], [verdict, table], api_name="author_run_examples")
    recheck_btn.click(on_recheck, None, [problems], api_name="author_recheck")

    def refresh(trigger: Any, api_name: str) -> None:
        trigger(on_show, [pick], [rubric, verdict, table, problems], api_name=api_name)
        trigger(on_reviews, [pick], [rev_note, rev_table], api_name=f"{api_name}_reviews")

    return AuthorView(refresh=refresh)
