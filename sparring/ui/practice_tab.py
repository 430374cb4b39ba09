"""The practice screen: one scenario at a time, in the shape its kind needs, then feedback, retry, model answer.

frame: brief and material side by side, a prompt box; the policy check runs first and a blocked prompt is shown
       with its findings highlighted in place and the redacted version.
spot:  the AI's answer sentence by sentence, each with a tick box and a reason box.
trust: the AI's answer, use / verify / reject, a confidence slider and a justification.

Handlers are plain functions of (ctx, inputs..., request) returning {component name: update}; `build` wires them
to components. That keeps them testable without a browser, and every one starts with `guard.require`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import gradio as gr

from . import page_script, render
from .context import UIContext
from .answers import refusal
from .guard import mistake, require

log = logging.getLogger("sparring.ui")

MAX_SENTENCES = 20  # spot rows are created up front and shown as needed; more is refused with a clear message
DECISION_LABELS = {
    "use": "Use it — the answer is right and fit to use as it is",
    "verify": "Verify first — check it against a reliable source before using it",
    "reject": "Reject it — do not use this answer",
}
SCROLL_TO_FEEDBACK = ("() => { const el = document.querySelector('#result-box'); "
                      "if (el) el.scrollIntoView({behavior: 'smooth', block: 'start'}); }")
NO_SCENARIO = ("### No scenario open yet\nGo to **Scenarios**, pick one from the list and press "
               "**Start practice**.")


# ------------------------------------------------------------------------------------------------- state


def new_state(scenario_id: str) -> dict[str, Any]:
    """Per-session state (kept in gr.State): the open scenario and when the learner started on it."""
    return {"scenario": scenario_id, "started_at": datetime.now(timezone.utc).isoformat(), "submitted": False}


def _scenario(ctx: UIContext, state: dict[str, Any] | None):
    sid = (state or {}).get("scenario")
    if not sid:
        raise mistake("Open a scenario first: go to Scenarios, pick one and press Start practice.")
    sc = ctx.org.scenarios.get(sid)
    if sc is None:
        raise mistake(f"The scenario '{sid}' is no longer available. Pick another one in Scenarios.")
    return sc


# ---------------------------------------------------------------------------------------------- handlers


def parse_draft(raw: str | None, limit: int = 20_000) -> dict[str, Any]:
    """The browser's draft of one scenario (page_script.py keeps it in localStorage), checked field by field: a
    draft is the learner's own typing, but it comes from the page, so anything odd is dropped, never trusted."""
    import json

    try:
        d = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    if not isinstance(d, dict):
        return {}
    text = lambda v: v[:limit] if isinstance(v, str) else ""  # noqa: E731
    out: dict[str, Any] = {"prompt": text(d.get("prompt")), "justification": text(d.get("justification")),
                           "decision": text(d.get("decision"))}
    try:
        out["confidence"] = min(1.0, max(0.5, float(d.get("confidence") or "")))
    except (TypeError, ValueError):
        out["confidence"] = None
    checks, reasons = d.get("checks"), d.get("reasons")
    out["checks"] = [bool(c) for c in checks[:MAX_SENTENCES]] if isinstance(checks, list) else []
    out["reasons"] = [text(r) for r in reasons[:MAX_SENTENCES]] if isinstance(reasons, list) else []
    return out


def open_scenario(ctx: UIContext, scenario_id: str | None, request: gr.Request | None,
                  draft: str | None = None) -> dict[str, Any]:
    """Show a scenario on the practice screen, results hidden, inputs empty or as the learner's draft left them
    (`draft`: the JSON the browser kept, see page_script.py; the server only puts it back in the boxes)."""
    require(request, ctx.store)
    if not scenario_id:
        raise mistake("Pick a scenario from the list first.")
    sc = ctx.org.scenarios.get(scenario_id)
    if sc is None:
        raise mistake(f"There is no scenario '{scenario_id}'. Pick one from the list.")
    if sc.kind == "spot" and len(sc.output) > MAX_SENTENCES:
        raise gr.Error(f"This scenario has {len(sc.output)} sentences; the screen shows at most {MAX_SENTENCES}. "
                       "Ask its author to split it.")
    d = parse_draft(draft, ctx.org.settings.limits.max_answer_chars)
    skills = ", ".join(sc.skills)
    header = (f"## {sc.title}\n**{render.KIND_LABELS[sc.kind]}** · about {sc.minutes} min · skills: {skills} · "
              f"workflow: {sc.workflow}\n\n> {render.KIND_HELP[sc.kind]}")
    up: dict[str, Any] = {
        "state": new_state(sc.id),
        "empty_note": gr.update(visible=False),
        "screen": gr.update(visible=True),
        "header": header,
        "brief": sc.brief,
        "material_col": gr.update(visible=bool(sc.material)),
        "material": sc.material or "",
        "frame_box": gr.update(visible=sc.kind == "frame"),
        "spot_box": gr.update(visible=False),  # spot_rows shows it once its sentences are in place
        "trust_box": gr.update(visible=sc.kind == "trust"),
        "draft_key": sc.id,
        **_results_hidden(),
        **_inputs_enabled(True),
    }
    if sc.kind == "frame":
        up["prompt"] = gr.update(value=d.get("prompt", ""))
    elif sc.kind == "spot":
        # A new value (never the same twice) makes the page ask for spot_rows: the 60 sentence components are
        # outputs of that event only, so opening a frame or trust scenario does not rebuild them all.
        up["spot_key"] = f"{sc.id}@{up['state']['started_at']}"
    else:
        up["question"] = f"**What was asked:** {sc.question}" if sc.question else ""
        up["output"] = sc.output
        decision = d.get("decision") if d.get("decision") in sc.decision.options else None
        up["decision"] = gr.update(value=decision, choices=[(DECISION_LABELS[o], o) for o in sc.decision.options])
        up["confidence"] = gr.update(value=d.get("confidence") or 0.75, visible=sc.decision.ask_confidence)
        up["justification"] = gr.update(value=d.get("justification", ""))
    return up


def spot_rows(ctx: UIContext, spot_key: str | None, request: gr.Request | None,
              draft: str | None = None) -> dict[str, Any]:
    """The open spot scenario's sentences, one row each (ticks and reasons empty, or as the draft left them), and
    its screen. `spot_key` is "<scenario id>@<opened at>" (open_scenario sets it)."""
    require(request, ctx.store)
    sc = _scenario(ctx, {"scenario": (spot_key or "").split("@")[0]})
    if sc.kind != "spot":
        return {}
    d = parse_draft(draft, ctx.org.settings.limits.max_answer_chars)
    checks, reasons = d.get("checks", []), d.get("reasons", [])
    up: dict[str, Any] = {"spot_box": gr.update(visible=True)}
    for i in range(MAX_SENTENCES):
        s = sc.output[i] if i < len(sc.output) else None
        up[f"row{i}"] = gr.update(visible=s is not None)
        up[f"check{i}"] = gr.update(value=bool(s and i < len(checks) and checks[i]),
                                    label=f"{i + 1}. {s.text}" if s else "")
        up[f"reason{i}"] = gr.update(value=reasons[i] if s and i < len(reasons) else "")
    return up


def submit_frame(ctx: UIContext, state: dict[str, Any] | None, prompt: str | None,
                 request: gr.Request | None) -> dict[str, Any]:
    user = require(request, ctx.store)
    sc = _scenario(ctx, state)
    prompt = (prompt or "").strip()
    if (why := refusal(sc.kind, {"prompt": prompt})) is not None:
        raise mistake(why)
    outcome = _attempt(ctx, state, user.name, {"prompt": prompt})
    up = _results_shown(ctx, sc, outcome, state, user.name)
    pol = outcome.grade.policy or {}
    verdict = pol.get("verdict", "allow")
    up["frame_result"] = gr.update(visible=True)
    names = _entity_names(ctx, sc)
    up["policy_html"] = gr.update(value=render.policy_html(pol, policy_title=_policy_title(ctx, sc), names=names),
                                  visible=True)
    has_findings = bool(pol.get("findings"))
    hl = render.policy_highlight(prompt, pol, names) if has_findings else None
    up["highlight"] = gr.update(value=hl, visible=has_findings, color_map=render.highlight_colors(hl or {}))
    up["redacted"] = gr.update(value=render.redacted_text(pol, names), visible=verdict in ("block", "redact"))
    sent = not outcome.blocked
    up["reply"] = gr.update(value=render.assistant_md(outcome.assistant), visible=sent and bool(outcome.assistant))
    up["reply_label"] = gr.update(visible=sent and bool(outcome.assistant))
    return up


def submit_spot(ctx: UIContext, state: dict[str, Any] | None, values: list[Any],
                request: gr.Request | None) -> dict[str, Any]:
    """`values`: MAX_SENTENCES tick boxes, then MAX_SENTENCES reasons (the order `build` wires them in)."""
    user = require(request, ctx.store)
    sc = _scenario(ctx, state)
    checks, reasons = values[:MAX_SENTENCES], values[MAX_SENTENCES:2 * MAX_SENTENCES]
    flags = {s.id: (reasons[i] or "").strip() for i, s in enumerate(sc.output[:MAX_SENTENCES]) if checks[i]}
    if (why := refusal(sc.kind, {"flags": flags})) is not None:
        raise mistake(why)
    return _results_shown(ctx, sc, _attempt(ctx, state, user.name, {"flags": flags}), state, user.name)


def submit_trust(ctx: UIContext, state: dict[str, Any] | None, decision: str | None, confidence: float | None,
                 justification: str | None, request: gr.Request | None) -> dict[str, Any]:
    user = require(request, ctx.store)
    sc = _scenario(ctx, state)
    answer = {"decision": decision, "confidence": float(confidence if confidence is not None else 0.75),
              "justification": (justification or "").strip()}
    if (why := refusal(sc.kind, answer)) is not None:  # like an empty prompt: refused, nothing graded
        raise mistake(why)
    return _results_shown(ctx, sc, _attempt(ctx, state, user.name, answer), state, user.name)


def retry(ctx: UIContext, state: dict[str, Any] | None, request: gr.Request | None) -> dict[str, Any]:
    """Same scenario again: the learner's answer stays so they can improve it; results and model answer go."""
    require(request, ctx.store)
    sc = _scenario(ctx, state)
    return {"state": new_state(sc.id), **_results_hidden(), **_inputs_enabled(True)}


# ------------------------------------------------------------------------------------------------ helpers


def _policy_title(ctx: UIContext, sc: Any) -> str | None:
    pol = ctx.org.policies.get(sc.policy) if sc.policy else None
    return pol.title if pol else None


def _entity_names(ctx: UIContext, sc: Any) -> dict[str, str]:
    """The scenario policy's own entity types in words (its recognizers' names), for the findings shown."""
    return render.entity_names(ctx.org.policies.get(sc.policy) if sc.policy else None)


def _attempt(ctx: UIContext, state: dict[str, Any] | None, learner: str, answer: dict[str, Any]):
    """`state` is the open scenario's (the callers' _scenario() has refused a missing one)."""
    from ..grading.rubric import AnswerError
    from ..practice import attempt

    state = state or {}
    started = state.get("started_at")
    try:
        started_at = datetime.fromisoformat(started) if started else None
    except ValueError:
        started_at = None
    try:
        return attempt(ctx.org, ctx.store, state["scenario"], learner, answer, started_at=started_at)
    except AnswerError as e:
        raise mistake(str(e)) from None
    except Exception as e:  # noqa: BLE001 - the learner gets words, the log gets the traceback
        log.exception("attempt failed: scenario=%s learner=%s", state.get("scenario"), learner)
        raise gr.Error(f"Your answer could not be graded ({type(e).__name__}). It is still in the box: try "
                       "again, and tell your administrator if this keeps happening.") from None


def attempts_at(ctx: UIContext, learner: str, scenario_id: str) -> int:
    """The learner's stored attempts at one scenario (this one included once saved)."""
    row = ctx.store.one("SELECT COUNT(*) AS n FROM attempts WHERE learner = ? AND scenario = ?",
                        [learner, scenario_id])
    return int(row["n"]) if row else 0


def model_answer_opens(passed: bool, attempts: int) -> bool:
    """The model answer (and the spot key) opens after a pass or from the second attempt on: after a first failed
    try it stays closed, so "Try again" means thinking again, not copying. The learner can still ask for it."""
    return passed or attempts >= 2


ASKED_NOTE = ("You asked to see the model answer: this is noted in your record (it is not a fail). Try the "
              "scenario again later in your own words.")
SHOW_MODEL_LABEL = "Show the model answer (noted in your record)"


def _results_shown(ctx: UIContext, sc: Any, outcome: Any, state: dict[str, Any] | None,
                   learner: str) -> dict[str, Any]:
    state = state or {}
    attempt_id = getattr(outcome, "attempt_id", None)
    saved = attempt_id is not None
    tries = attempts_at(ctx, learner, sc.id) + (0 if saved else 1)
    open_ = model_answer_opens(bool(outcome.grade.passed), tries)
    up = {
        "state": {**state, "submitted": True, "attempt_id": attempt_id},
        "result_box": gr.update(visible=True),
        "feedback": render.grade_html(outcome.grade, saved=saved),
        # closed: not even in the page, so it cannot be read in the page's source either
        "model_answer": render.model_answer_md(sc) if open_ else "",
        "model_answer_box": gr.update(visible=open_),
        "show_model": gr.update(visible=not open_),
        "model_note": gr.update(value="", visible=False),
        **_inputs_enabled(False),
    }
    due = getattr(outcome, "due", None)
    when = f" Next re-practice: **{due:%d %b %Y}**." if due else ""
    hint = "" if open_ else (" The model answer opens after your second try, so try again in your own words "
                             "first.")
    up["next_step"] = (f"Saved to your progress.{when} Press **Try again** to improve your answer, or go back to "
                       f"**Scenarios** for the next one.{hint}" if saved else
                       f"Press **Try again** to improve your answer.{hint}")
    return up


def record_asked(ctx: UIContext, attempt_id: int, learner: str) -> bool:
    """Add the 'asked-model-answer' signal (sparring.gaming.GAMING_SIGNALS) to the learner's own attempt; mentors
    and insights read it like every signal. Only codes are stored, never text."""
    from ..store.db import dumps, loads

    code = "asked-model-answer"
    with ctx.store.write() as db:
        row = db.execute("SELECT gaming FROM attempts WHERE id = ? AND learner = ?", [attempt_id, learner]).fetchone()
        if row is None:
            return False
        codes = loads(row[0], [])
        codes = codes if isinstance(codes, list) else []
        if code not in codes:
            db.execute("UPDATE attempts SET gaming = ? WHERE id = ?", [dumps([*codes, code]), attempt_id])
    return True


def show_model_answer(ctx: UIContext, state: dict[str, Any] | None, request: gr.Request | None) -> dict[str, Any]:
    """The learner asks for the model answer after a failed first try: shown, and recorded on that attempt."""
    user = require(request, ctx.store)
    sc = _scenario(ctx, state)
    state = state or {}
    if not state.get("submitted"):
        raise mistake("Submit your answer first: the model answer opens after a try.")
    if state.get("attempt_id") is not None:
        record_asked(ctx, int(state["attempt_id"]), user.name)
    return {"state": {**state, "asked": True}, "model_answer": render.model_answer_md(sc),
            "model_answer_box": gr.update(visible=True), "show_model": gr.update(visible=False),
            "model_note": gr.update(value=ASKED_NOTE, visible=True)}


def _results_hidden() -> dict[str, Any]:
    """Hide the feedback (the model answer is inside it) and the frame's policy findings and reply. Their old
    contents stay, hidden, until the next submit replaces them: clearing them too would cost more updates."""
    hide = gr.update(visible=False)
    return {"result_box": hide, "frame_result": hide}


def _inputs_enabled(on: bool) -> dict[str, Any]:
    """Submit buttons are disabled once an attempt is graded; Try again re-enables them (one attempt per press)."""
    en = gr.update(interactive=on)
    return {"submit_frame": en, "submit_spot": en, "submit_trust": en, "retry": gr.update(visible=not on)}


# -------------------------------------------------------------------------------------------------- build


# What each event can change. Opening a scenario resets the whole screen; a submit and a retry touch only the
# feedback area and the buttons (listing all ~90 components cost ~30 ms of the server's event loop per event).
SUBMIT_OUTPUTS = ("state", "result_box", "feedback", "model_answer", "model_answer_box", "show_model", "model_note",
                  "next_step", "submit_frame", "submit_spot", "submit_trust", "retry")
SHOW_MODEL_OUTPUTS = ("state", "model_answer", "model_answer_box", "show_model", "model_note")
FRAME_OUTPUTS = (*SUBMIT_OUTPUTS, "frame_result", "policy_html", "highlight", "redacted", "reply", "reply_label")
RETRY_OUTPUTS = ("state", "result_box", "frame_result", "submit_frame", "submit_spot", "submit_trust", "retry")
OPEN_OUTPUTS = (*RETRY_OUTPUTS, "empty_note", "screen", "header", "brief", "material_col", "material", "frame_box",
                "spot_box", "trust_box", "prompt", "spot_key", "question", "output", "decision", "confidence",
                "justification", "draft_key")
SPOT_ROW_OUTPUTS = ("spot_box", *(f"{part}{i}" for i in range(MAX_SENTENCES) for part in ("row", "check", "reason")))


@dataclass
class PracticeView:
    """The practice screen's components by name, and the ordered list every handler's dict is mapped onto."""

    c: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(self.c)

    @property
    def outputs(self) -> list[Any]:
        return list(self.c.values())

    def outputs_of(self, names: tuple[str, ...]) -> list[Any]:
        return [self.c[n] for n in names]

    def as_list(self, updates: dict[str, Any], names: tuple[str, ...] | None = None) -> list[Any]:
        """The handler's updates in the order of `names` (default: every component). Gradio rebuilds each output
        component of an event on the server, changed or not, so events list only what they can change."""
        names = names or tuple(self.names)
        unknown = set(updates) - set(names)
        if unknown:  # a handler naming a component the event does not output is a programming error: fail loudly
            raise KeyError(f"not outputs of this practice event: {sorted(unknown)}")
        return [updates.get(name, gr.update()) for name in names]


def build(ctx: UIContext) -> PracticeView:
    v = PracticeView()
    c = v.c
    c["state"] = gr.State(None)
    c["empty_note"] = gr.Markdown(NO_SCENARIO, elem_id="practice-empty")
    with gr.Column(visible=False, elem_id="practice-screen") as screen:
        c["screen"] = screen
        c["header"] = gr.Markdown(elem_id="practice-header")
        # One column in reading order: the brief, then the material in full (graded rows are never below a
        # scroll box's fold), then the answer.
        gr.Markdown("#### 1. The brief")
        c["brief"] = gr.Markdown(elem_id="practice-brief", elem_classes=["sp-panel"])
        with gr.Column(visible=False) as material_col:
            c["material_col"] = material_col
            gr.Markdown("#### 2. Your material")
            c["material"] = gr.Markdown(elem_id="practice-material", elem_classes=["sp-panel", "sp-material"])
        gr.Markdown("#### Your answer", elem_id="practice-answer-heading")

        with gr.Column(visible=False, elem_id="frame-box") as frame_box:
            c["frame_box"] = frame_box
            c["prompt"] = gr.Textbox(label="Your prompt to the AI assistant", lines=6, max_lines=20,
                                     placeholder="Write what you would send to the AI tool. Use placeholders such "
                                     "as [customer] instead of real names, numbers and addresses.",
                                     elem_id="frame-prompt")
            c["submit_frame"] = gr.Button("Check and send", variant="primary", elem_id="frame-submit")
            # one column, so opening a scenario or retrying hides all of it with a single update
            with gr.Column(visible=False, elem_id="frame-result") as frame_result:
                c["frame_result"] = frame_result
                c["policy_html"] = gr.HTML(visible=False, elem_id="frame-policy")
                c["highlight"] = gr.HighlightedText(label="Your prompt, with what the policy found", visible=False,
                                                    combine_adjacent=False, show_legend=False,
                                                    elem_id="frame-findings")
                c["redacted"] = gr.Textbox(label="What could be sent (restricted details replaced)", visible=False,
                                           interactive=False, lines=3, elem_id="frame-redacted")
                c["reply_label"] = gr.Markdown("#### The AI assistant replied", visible=False)
                c["reply"] = gr.Markdown(visible=False, elem_id="frame-reply", elem_classes=["sp-panel"])

        with gr.Column(visible=False, elem_id="spot-box") as spot_box:
            c["spot_box"] = spot_box
            gr.Markdown("#### The AI's answer, sentence by sentence\nTick each sentence that is wrong and say what "
                        "is wrong with it.")
            for i in range(MAX_SENTENCES):
                with gr.Row(visible=False, equal_height=True, elem_classes=["sp-sentence"]) as row:
                    c[f"row{i}"] = row
                    c[f"check{i}"] = gr.Checkbox(label="", scale=3, elem_id=f"spot-check-{i}")
                    c[f"reason{i}"] = gr.Textbox(show_label=False, placeholder="What is wrong with it?", scale=2,
                                                 lines=1, elem_id=f"spot-reason-{i}")
            c["submit_spot"] = gr.Button("Submit my flags", variant="primary", elem_id="spot-submit")
            c["spot_key"] = gr.Textbox(visible="hidden", elem_id="spot-key")  # in the page, never seen

        with gr.Column(visible=False, elem_id="trust-box") as trust_box:
            c["trust_box"] = trust_box
            c["question"] = gr.Markdown()
            gr.Markdown("#### The AI's answer")
            c["output"] = gr.Markdown(elem_id="trust-output", elem_classes=["sp-panel"])
            c["decision"] = gr.Radio(label="What would you do with this answer?", choices=[],
                                     elem_id="trust-decision")
            c["confidence"] = gr.Slider(0.5, 1.0, value=0.75, step=0.05,
                                        label="How sure are you? (0.5 = a guess, 1.0 = certain)",
                                        elem_id="trust-confidence")
            c["justification"] = gr.Textbox(label="Why? Name what you checked or what made you doubt it", lines=3,
                                            elem_id="trust-justification")
            c["submit_trust"] = gr.Button("Submit my decision", variant="primary", elem_id="trust-submit")

        # The open scenario's id, for the page's draft keeping (page_script.py), and the slot the browser fills
        # with a draft when a scenario opens; both in the page, never seen.
        c["draft_key"] = gr.Textbox(visible="hidden", elem_id="draft-key")
        c["draft"] = gr.Textbox(visible="hidden", elem_id="draft-in")
        gr.HTML('<p id="sp-draft-status" class="sp-draft-status" aria-live="polite"></p>')

        with gr.Column(visible=False, elem_id="result-box") as result_box:
            c["result_box"] = result_box
            gr.Markdown("### Feedback")
            c["feedback"] = gr.HTML(elem_id="feedback")
            c["next_step"] = gr.Markdown()
            c["retry"] = gr.Button("Try again", visible=False, elem_id="retry")
            c["show_model"] = gr.Button(SHOW_MODEL_LABEL, visible=False, variant="secondary", elem_id="show-model")
            c["model_note"] = gr.Markdown(visible=False, elem_id="model-note")
            # inside the feedback (result_box), never before an attempt; after a first failed try only on request
            with gr.Accordion("What an expert would do", open=True, visible=False, elem_id="model-answer-box") \
                    as ma_box:
                c["model_answer_box"] = ma_box
                c["model_answer"] = gr.Markdown(elem_id="model-answer")

    state = c["state"]

    def on_frame(st, prompt, request: gr.Request):
        return v.as_list(submit_frame(ctx, st, prompt, request), FRAME_OUTPUTS)

    # gr.Request is injected only into positional parameters before *args, hence this order.
    def on_spot(st, request: gr.Request, *vals):
        return v.as_list(submit_spot(ctx, st, list(vals), request), SUBMIT_OUTPUTS)

    def on_trust(st, decision, confidence, justification, request: gr.Request):
        return v.as_list(submit_trust(ctx, st, decision, confidence, justification, request), SUBMIT_OUTPUTS)

    def on_retry(st, request: gr.Request):
        return v.as_list(retry(ctx, st, request), RETRY_OUTPUTS)

    def on_show_model(st, request: gr.Request):
        return v.as_list(show_model_answer(ctx, st, request), SHOW_MODEL_OUTPUTS)

    def on_spot_rows(key, draft, request: gr.Request):
        return v.as_list(spot_rows(ctx, key, request, draft), SPOT_ROW_OUTPUTS)

    spot_inputs = [c[f"check{i}"] for i in range(MAX_SENTENCES)] + [c[f"reason{i}"] for i in range(MAX_SENTENCES)]
    # One concurrency group for every kind of submit (and the JSON API): grading is CPU-bound, so the limit is
    # on grading as a whole ([server] concurrency), not per button.
    submits = [
        c["submit_frame"].click(on_frame, [state, c["prompt"]], v.outputs_of(FRAME_OUTPUTS), api_name="submit_frame",
                                concurrency_id="grading"),
        c["submit_spot"].click(on_spot, [state, *spot_inputs], v.outputs_of(SUBMIT_OUTPUTS), api_name="submit_spot",
                               concurrency_id="grading"),
        c["submit_trust"].click(on_trust, [state, c["decision"], c["confidence"], c["justification"]],
                                v.outputs_of(SUBMIT_OUTPUTS), api_name="submit_trust", concurrency_id="grading"),
    ]
    for event in submits:  # the draft is sent: forget it; bring the feedback into view (browser-side only)
        event.success(None, None, None, js=page_script.CLEAR_DRAFT).then(None, None, None, js=SCROLL_TO_FEEDBACK)
    c["retry"].click(on_retry, [state], v.outputs_of(RETRY_OUTPUTS), api_name="retry")
    c["show_model"].click(on_show_model, [state], v.outputs_of(SHOW_MODEL_OUTPUTS), api_name="show_model_answer")
    c["spot_key"].change(on_spot_rows, [c["spot_key"], c["draft"]], v.outputs_of(SPOT_ROW_OUTPUTS),
                         api_name="spot_rows", show_progress="hidden", js=page_script.READ_DRAFT_OF_SPOT)
    return v


def wire_open(ctx: UIContext, view: PracticeView, trigger: Any, scenario_input: Any, tabs: Any,
              tab_id: str = "practice", api_name: str = "open_scenario") -> Any:
    """Open the scenario picked in the catalogue (with the learner's draft, if the browser kept one), switch to
    the practice tab and name the scenario in the address bar. Returns the event."""

    def on_open(scenario_id, draft, request: gr.Request):
        return [*view.as_list(open_scenario(ctx, scenario_id, request, draft), OPEN_OUTPUTS),
                gr.Tabs(selected=tab_id)]

    event = trigger(on_open, [scenario_input, view.c["draft"]], [*view.outputs_of(OPEN_OUTPUTS), tabs],
                    api_name=api_name, js=page_script.READ_DRAFT_OF_PICK)
    event.success(None, [scenario_input], None, js=page_script.set_url_scenario())
    return event
