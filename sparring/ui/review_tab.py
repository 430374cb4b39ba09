"""Mentor review: learners ask about one of their attempts and read the replies; mentors work a queue.

Roles, checked on the server in every handler: asking and reading replies needs `learner` and only ever touches
the signed-in learner's own attempts (the name comes from the session, never from an input); the queue, opening a
review and answering it need `mentor` (admin passes every check). Texts typed here are stored redacted
(sparring.review).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from typing import Any

import gradio as gr
from gradio.context import Context

from .. import review as rv
from ..gaming import GAMING_SIGNALS
from . import render as rd
from .context import UIContext
from .staff_render import criterion_names, folded_quote, name_of
from .guard import mistake, require

ROLES = ("learner", "mentor")  # tab visibility; admin sees every tab
LEARNER_ROLES = ("learner",)
MENTOR_ROLES = ("mentor",)
QUEUE_COLUMNS = ["Review", "Asked (UTC)", "Learner", "Scenario", "Score", "Signals", "Question"]


def _title(ctx: UIContext, sid: str) -> str:
    sc = ctx.org.scenarios.get(sid)
    return sc.title if sc is not None else sid


def _attempt_label(ctx: UIContext, a: dict[str, Any]) -> str:
    res = "passed" if a["passed"] else "not yet"
    return f"#{a['id']} · {(a['submitted_at'] or '')[:16].replace('T', ' ')} · {_title(ctx, a['scenario'])} · " \
           f"{rd.pct(a['score'])} {res}"


def _auto_word(c: rv.CriterionView) -> str:
    """The machine's grade of a review line: pass, fail, or not checked (an ungraded criterion has none)."""
    return "not checked" if c.ungraded else f"automatic {'pass' if c.auto_passed else 'fail'}"


def replies_html(ctx: UIContext, learner: str) -> str:
    """The learner's review requests and the mentors' replies (also usable from the progress view)."""
    items = rv.learner_reviews(ctx.store, learner)
    if not items:
        return "<p><em>No review requests yet. Pick an attempt above and ask a mentor.</em></p>"
    out = []
    for r in items:
        head = (f"<strong>{escape(_title(ctx, r.scenario))}</strong> · attempt #{r.attempt_id} · asked "
                f"{escape(r.created_at[:16].replace('T', ' '))}")
        body = f"<div class='sp-q'>You asked: {escape(r.question or '')}</div>"
        if r.status == "answered":
            changed = [c for c in r.criteria if c.mentor_passed is not None  # an unchecked one is always news
                       and (c.ungraded or c.mentor_passed != c.auto_passed)]
            names = criterion_names(ctx.org, r.scenario)
            ch = "".join(f"<li>{escape(name_of(names, c.criterion))}: {_auto_word(c)} → mentor "
                         f"<strong>{'pass' if c.mentor_passed else 'fail'}</strong></li>" for c in changed)
            body += (f"<div class='sp-reply'><strong>{escape(r.mentor or 'Mentor')}</strong> replied: "
                     f"{escape(r.comment or '')}</div>"
                     + (f"<div>The mentor changed the grade of:<ul>{ch}</ul></div>" if ch else
                        "<div>The mentor agreed with the automatic grade.</div>"))
        else:
            body += "<div><em>Waiting for a mentor.</em></div>"
        out.append(f"<div class='sp-panel sp-review' data-review='{r.id}'>{head}{body}</div>")
    return "".join(out)


# ---------------------------------------------------------------------------------------------- learner


def learner_load(ctx: UIContext, request: gr.Request | None) -> list[Any]:
    user = require(request, ctx.store, *LEARNER_ROLES)
    atts = rv.learner_attempts(ctx.store, user.name)
    choices = [(_attempt_label(ctx, a), a["id"]) for a in atts]
    return [gr.update(choices=choices, value=choices[0][1] if choices else None), replies_html(ctx, user.name)]


def ask(ctx: UIContext, request: gr.Request | None, attempt_id: Any, question: str) -> list[Any]:
    user = require(request, ctx.store, *LEARNER_ROLES)
    if attempt_id in (None, ""):
        raise mistake("Pick one of your attempts first.")
    try:
        rid = rv.request_review(ctx.org, ctx.store, int(attempt_id), user.name, question or "")
    except (rv.ReviewError, ValueError) as e:
        raise mistake(str(e)) from None
    return [f"✓ Sent to the mentors as review #{rid}. Their reply will appear below.", "",
            replies_html(ctx, user.name)]


# ----------------------------------------------------------------------------------------------- mentor


def mentor_queue(ctx: UIContext, request: gr.Request | None) -> list[Any]:
    require(request, ctx.store, *MENTOR_ROLES)
    rows = rv.queue(ctx.store, "open")
    table = [[r["id"], (r["created_at"] or "")[:16].replace("T", " "), r["learner"], _title(ctx, r["scenario"]),
              rd.pct(r["score"]), ", ".join(rv.signal_codes(r["gaming"])), (r["question"] or "")[:120]] for r in rows]
    choices = [(f"#{r['id']} · {r['learner']} · {_title(ctx, r['scenario'])}", r["id"]) for r in rows]
    msg = f"{len(rows)} review(s) waiting." if rows else "The queue is empty. Well done."
    return [table or [["", "", "", "", "", "", "Nothing waiting"]], gr.update(choices=choices,
            value=choices[0][1] if choices else None), msg]


def _sentence(key: Any) -> str:
    """A flag's key as the learner's screen numbers it: "s2" is sentence 2."""
    k = str(key)
    return k[1:] if k[:1] == "s" and k[1:].isdigit() else k


def _answer_html(answer: dict[str, Any]) -> str:
    """The stored (redacted) answer: every learner text escaped in its own quote (render.learner_quote), a long
    one folded behind "Show all" (staff_render.folded_quote)."""
    if "prompt" in answer:
        return folded_quote(str(answer["prompt"]), "Prompt (as stored, redacted)")
    if "flags" in answer and isinstance(answer["flags"], dict):
        return "<p><b>Flagged sentences:</b></p>" + "".join(
            folded_quote(str(v), f"Flag on sentence {_sentence(k)}") for k, v in answer["flags"].items())
    if "decision" in answer:
        return (f"<p><b>Decision:</b> {escape(str(answer['decision']))} at "
                f"{escape(str(answer.get('confidence', '?')))} confidence</p>"
                + folded_quote(str(answer.get("justification", "")), "Justification"))
    return folded_quote(json.dumps(answer, indent=2, ensure_ascii=False), "Answer")


def _signals_html(codes: list[str]) -> str:
    """Anti-gaming signals, for the mentor to weigh: a reason to look closely, not a verdict."""
    if not codes:
        return ""
    lines = "".join(f"<li><code>{escape(c)}</code>: {escape(GAMING_SIGNALS.get(c, 'unknown signal'))}</li>"
                    for c in codes)
    return f"<p><b>Anti-gaming signals</b> (a reason to look closely, not a verdict):</p><ul>{lines}</ul>"


def _outcome(v: rv.ReviewView) -> str:
    if v.passed:
        return "passed"
    return "not decided: a required part could not be checked" if v.ungraded else "not passed"


def mentor_open(ctx: UIContext, request: gr.Request | None, review_id: Any) -> list[Any]:
    require(request, ctx.store, *MENTOR_ROLES)
    if review_id in (None, ""):
        raise mistake("Pick a review from the queue first.")
    try:
        v = rv.get_review(ctx.store, int(review_id))
    except rv.ReviewError as e:
        raise mistake(str(e)) from None
    # Only the automatic grade below is Sparring's own; every learner text above it sits in a bounded quote.
    names = criterion_names(ctx.org, v.scenario)
    crit_lines = "".join(
        f"<li>{'?' if c.ungraded else '✓' if c.auto_passed else '✗'} <b>{escape(name_of(names, c.criterion))}</b> "
        f"({escape(str(c.check))}, {'not checked: grade it' if c.ungraded else f'{c.score:.0%}'})"
        f"{' · required' if c.required else ''}: "
        f"<span class='sp-feedback'>{escape(c.feedback or '')}</span></li>" for c in v.criteria)
    md = (f"<h3>Review #{v.id} · {escape(_title(ctx, v.scenario))} · {escape(v.learner)}</h3>"
          f"<p>Attempt #{v.attempt_id}, automatic grade <b>{v.score:.0%} {_outcome(v)}</b>.</p>"
          f"<p><b>The learner asks:</b></p>{rd.learner_quote(v.question, 'Question')}"
          f"{_answer_html(v.answer)}{_signals_html(v.gaming)}"
          f"<div class='sp-auto-grade'><p><b>Automatic grade per criterion:</b></p><ul>{crit_lines}</ul></div>")
    choices = [(name_of(names, c.criterion), c.criterion) for c in v.criteria]  # the name shown, the id sent
    passed = [c.criterion for c in v.criteria if (c.mentor_passed if c.mentor_passed is not None else c.auto_passed)]
    return [md, gr.update(choices=choices, value=passed), v.comment or ""]


def mentor_answer(ctx: UIContext, request: gr.Request | None, review_id: Any, passed: list[str] | None,
                  comment: str) -> list[Any]:
    user = require(request, ctx.store, *MENTOR_ROLES)
    if review_id in (None, ""):
        raise mistake("Pick a review from the queue first.")
    try:
        v = rv.get_review(ctx.store, int(review_id))
        ticked = set(passed or [])
        grades = {c.criterion: c.criterion in ticked for c in v.criteria}
        v = rv.answer_review(ctx.org, ctx.store, int(review_id), user.name, comment or "", grades)
    except rv.ReviewError as e:
        raise mistake(str(e)) from None
    n = len(v.overridden)
    names = criterion_names(ctx.org, v.scenario)
    changed = ", ".join(name_of(names, c) for c in v.overridden)
    msg = (f"✓ Reply sent to {v.learner}" + (f"; you changed {n} criterion grade(s): {changed}."
                                             if n else "; you agreed with the automatic grade."))
    return [msg, *mentor_queue(ctx, request)]


# ------------------------------------------------------------------------------------------------ build


@dataclass
class ReviewView:
    refresh: Any


def build(ctx: UIContext) -> ReviewView:
    tab = Context.block  # the gr.Tab create_ui opened for us: the lists load when it is selected
    with gr.Group(visible=True) as learner_box:
        gr.Markdown("### Ask a mentor\nNot sure the automatic grade is fair, or want advice? Pick one of your "
                    "attempts and ask. Personal data in your question is redacted before it is stored.")
        attempt = gr.Dropdown(label="Your attempt", choices=[], elem_id="rv-attempt")
        question = gr.Textbox(label="Your question", lines=3, max_length=rv.MAX_TEXT, elem_id="rv-question")
        ask_btn = gr.Button("Ask for review", variant="primary", elem_id="rv-ask")
        ask_msg = gr.Markdown(elem_id="rv-ask-msg")
        gr.Markdown("### Mentor replies")
        replies = gr.HTML(elem_id="rv-replies")
    with gr.Group(visible=False) as mentor_box:
        gr.Markdown("### Review queue (mentors)")
        queue_msg = gr.Markdown(elem_id="rv-queue-msg")
        queue_tbl = gr.Dataframe(headers=QUEUE_COLUMNS, interactive=False, elem_id="rv-queue")
        with gr.Row(equal_height=True):
            pick = gr.Dropdown(label="Open review", choices=[], elem_id="rv-pick")
            open_btn = gr.Button("Open", variant="primary", scale=0, min_width=120, elem_id="rv-open")
            reload_btn = gr.Button("Reload queue", variant="secondary", scale=0, min_width=140, elem_id="rv-reload")
        detail = gr.HTML(elem_id="rv-detail")  # escaped HTML built by mentor_open: never Markdown
        crits = gr.CheckboxGroup(label="Criteria you judge as PASSED (untick to fail, tick to pass)", choices=[],
                                 elem_id="rv-crits")
        comment = gr.Textbox(label="Your comment to the learner", lines=3, max_length=rv.MAX_TEXT,
                             elem_id="rv-comment")
        send_btn = gr.Button("Send reply", variant="primary", elem_id="rv-send")
        send_msg = gr.Markdown(elem_id="rv-send-msg")

    def on_ask(attempt_v, question_v, request: gr.Request):
        return ask(ctx, request, attempt_v, question_v)

    def on_queue(request: gr.Request):
        return mentor_queue(ctx, request)

    def on_open(review_v, request: gr.Request):
        return mentor_open(ctx, request, review_v)

    def on_send(review_v, crits_v, comment_v, request: gr.Request):
        return mentor_answer(ctx, request, review_v, crits_v, comment_v)

    def on_select(request: gr.Request):
        # Any signed-in user may open the tab; each part loads only for the roles it needs. A mentor (who is often
        # a learner too) is shown the queue, not the learner's "Ask a mentor" form: one job per screen.
        user = require(request, ctx.store, *ROLES)
        is_mentor = user.has(*MENTOR_ROLES)
        is_learner = user.has(*LEARNER_ROLES) and not is_mentor
        lv = learner_load(ctx, request) if is_learner else [gr.update(), ""]
        mq = mentor_queue(ctx, request) if is_mentor else [gr.update(), gr.update(), ""]
        return [gr.update(visible=is_learner), gr.update(visible=is_mentor), *lv, *mq]

    ask_btn.click(on_ask, [attempt, question], [ask_msg, question, replies], api_name="review_ask")
    reload_btn.click(on_queue, None, [queue_tbl, pick, queue_msg], api_name="review_queue")
    open_btn.click(on_open, [pick], [detail, crits, comment], api_name="review_open")
    send_btn.click(on_send, [pick, crits, comment], [send_msg, queue_tbl, pick, queue_msg], api_name="review_answer")
    select_outs = [learner_box, mentor_box, attempt, replies, queue_tbl, pick, queue_msg]

    def refresh(trigger: Any, api_name: str) -> None:
        trigger(on_select, None, select_outs, api_name=api_name, show_progress="minimal")

    if isinstance(tab, gr.Tab):
        refresh(tab.select, "review_tab")
    return ReviewView(refresh=refresh)
