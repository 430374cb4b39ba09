"""Grades, policy findings and assistant replies as HTML/Markdown for the page. Pure functions: easy to test.

Everything that came from a person or a model is escaped; the organisation's own Markdown (briefs, material)
is rendered by Gradio's Markdown component, which sanitises HTML.
"""

from __future__ import annotations

from html import escape
from typing import Any, NamedTuple

from ..grading.feedback import entity_names, entity_words, redacted_words

__all__ = ["entity_names"]  # re-exported for the tabs: a policy's own entity types in words

KIND_LABELS = {
    "frame": "Write a prompt",
    "spot": "Spot the errors",
    "trust": "Trust or verify",
}
KIND_HELP = {
    "frame": "Write the prompt you would send to an AI tool for this task. It is checked against the data-sharing "
             "policy before anything is sent.",
    "spot": "Tick every sentence of the AI's answer that is wrong and say, in a few words, what is wrong with it.",
    "trust": "Decide what you would do with this AI answer, how sure you are, and why.",
}
ACTION_WORDS = {
    "block": "blocked",
    "redact": "redacted before sending",
    "warn": "allowed with a warning",
    "allow": "allowed",
}
BLOCKED_ACTION_WORDS = {  # nothing was sent, so say what each finding means, not what happened to it
    "block": "never allowed in an external AI tool",
    "redact": "must be replaced by a placeholder",
    "warn": "allowed, but think twice",
    "allow": "allowed",
}
# Light fills behind dark text (WCAG AA against #1f1f1f / black labels); Gradio's own tag label is styled in app.CSS.
ACTION_COLORS = {"block": "#f8c4c4", "redact": "#ffd9a8", "warn": "#fff3a3", "allow": "#d4ecbd"}
ASSISTANT_STATUS = {
    "timeout": "The AI model did not answer in time. Your attempt was still graded and saved; try again later.",
    "rate_limited": "The AI model is busy (rate limit). Your attempt was still graded and saved; try again in a "
                    "minute.",
    "error": "The AI model could not be reached. Your attempt was still graded and saved; tell your administrator "
             "if this keeps happening.",
    "not_sent": "Nothing was sent to the AI assistant.",
}


def pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


class Mark(NamedTuple):
    icon: str  # a plain glyph every font has (emoji fonts are not everywhere)
    word: str  # what the mark says in words, for screen readers and beside the icon
    css: str
    status: str  # data-status in the page: passed, partly, failed, ungraded


# A criterion's mark from its score (and its own pass): one rule for every screen that shows a criterion, so a ✓
# never sits beside 50%. ✓ needs the criterion passed and most of its credit; ✗ a fail with little or none; all
# between is "partly", whichever side of the criterion's threshold it fell.
FULL_CREDIT = 0.75
NO_CREDIT = 0.25
MARKS = {
    "passed": Mark("✓", "passed", "sp-ok", "passed"),
    "partly": Mark("◐", "partly", "sp-part", "partly"),
    "failed": Mark("✗", "not yet", "sp-no", "failed"),
    "ungraded": Mark("?", "not checked", "sp-unchecked", "ungraded"),
}


def criterion_mark(score: float | None, passed: bool, ungraded: bool = False) -> Mark:
    """✓ passed / ◐ partly / ✗ not yet / ? not checked, for one criterion's result."""
    if ungraded or score is None:
        return MARKS["ungraded"]
    if passed and score >= FULL_CREDIT:
        return MARKS["passed"]
    if not passed and score < NO_CREDIT:
        return MARKS["failed"]
    return MARKS["partly"]


def feedback_words(text: str | None) -> str:
    """A criterion's feedback as the screen shows it: one figure per criterion (its score), never a second."""
    return (text or "").strip()


def grade_html(grade: Any, *, saved: bool = True) -> str:
    """The verdict banner, the score and one line per criterion (mark, name, score, feedback). A criterion that
    could not be checked shows as such ("?", "not checked"), never as a fail; so does an attempt whose verdict
    waits for a mentor (`ungraded`)."""
    ok = bool(grade.passed)
    pending = bool(getattr(grade, "ungraded", False))
    cls = "sp-pass" if ok else "sp-pending" if pending else "sp-fail"
    head = "Passed" if ok else "Not graded yet" if pending else "Not yet"
    rows = []
    for c in grade.criteria:
        m = criterion_mark(c.score, bool(c.passed), bool(c.ungraded))
        req = ' <span class="sp-req">required</span>' if c.required else ""
        score = "" if c.ungraded else f" · {pct(c.score)}"
        rows.append(
            f'<li class="sp-crit {m.css}" data-criterion="{escape(c.id)}" data-status="{m.status}">'
            f'<span class="sp-icon" aria-hidden="true">{m.icon}</span> '
            f'<b>{escape(c.label or c.id)}</b>{req} <span class="sp-cscore">{m.word}{score}</span>'
            f'<div class="sp-feedback">{escape(feedback_words(c.feedback))}</div></li>')
    note = "" if saved else '<p class="sp-note">This attempt could not be saved; your feedback is still shown.</p>'
    return (f'<div class="sp-result {cls}" data-passed="{str(ok).lower()}" data-ungraded="{str(pending).lower()}">'
            f'<div class="sp-banner"><span class="sp-verdict">{head}</span> · '
            f'<span class="sp-score">score {pct(grade.score)}</span> '
            f'<span class="sp-mark">(pass mark {pct(grade.pass_mark)})</span></div>'
            f'<p class="sp-summary">{escape(grade.summary or "")}</p>'
            f'<ul class="sp-criteria">{"".join(rows)}</ul>{note}</div>')


def policy_highlight(prompt: str, policy: dict[str, Any] | None,
                     names: dict[str, str] | None = None) -> dict[str, Any]:
    """The prompt with each finding highlighted in place, for gr.HighlightedText, each labelled in words ("a
    person's name · redact"; `names`: the policy's own entity types in words, see grading.feedback)."""
    entities: list[dict[str, Any]] = []
    for f in (policy or {}).get("findings", []):
        start, end = int(f.get("start", 0)), int(f.get("end", 0))
        if 0 <= start < end <= len(prompt):
            label = entity_words(str(f.get("entity")), names)
            entities.append({"entity": f"{label} · {f.get('action')}", "start": start, "end": end})
    entities.sort(key=lambda e: e["start"])
    # HighlightedText cannot show overlapping spans; keep the first of any overlap.
    kept: list[dict[str, Any]] = []
    last_end = -1
    for e in entities:
        if e["start"] >= last_end:
            kept.append(e)
            last_end = e["end"]
    return {"text": prompt, "entities": kept}


def highlight_colors(highlight: dict[str, Any]) -> dict[str, str]:
    """Colour each highlighted finding by its action: block red, redact orange, warn yellow."""
    return {e["entity"]: ACTION_COLORS.get(e["entity"].rsplit(" · ", 1)[-1], "#e0e0e0")
            for e in highlight.get("entities", [])}


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def redacted_text(policy: dict[str, Any] | None, names: dict[str, str] | None = None) -> str:
    """What could be sent, as the learner reads it: placeholders in words ([person's name], not <PERSON>)."""
    return redacted_words(str((policy or {}).get("redacted", "")), names)


def policy_html(policy: dict[str, Any] | None, *, policy_title: str | None = None,
                names: dict[str, str] | None = None) -> str:
    """What the policy decided about the prompt, in words (entity types too: "an email address")."""
    if not policy:
        return ""
    verdict = policy.get("verdict", "allow")
    findings = policy.get("findings", [])
    name = f" “{escape(policy_title)}”" if policy_title else ""
    if verdict == "block":
        head = (f'<p class="sp-blocked"><b>✗ Not sent.</b> The data-sharing policy{name} blocks this prompt. '
                "Nothing left this page. Replace the highlighted details with placeholders such as "
                "[customer] and try again.</p>")
    elif verdict == "redact":
        head = (f'<p class="sp-redacted"><b>Sent redacted.</b> The policy{name} removed the highlighted '
                "details before the prompt was sent.</p>")
    elif verdict == "warn":
        head = (f'<p class="sp-warned"><b>⚠ Sent with a warning.</b> The policy{name} allows these details but '
                "asks you to think twice.</p>")
    else:
        return f'<p class="sp-allowed"><b>✓ Policy check passed.</b> Nothing in your prompt is restricted.</p>'
    words = BLOCKED_ACTION_WORDS if verdict == "block" else ACTION_WORDS
    items = "".join(
        f'<li><b>{escape(_upper_first(entity_words(str(f.get("entity")), names)))}</b> '
        f'“{escape(redacted_words(str(f.get("text", "")), names))}” — '
        f'{escape(words.get(str(f.get("action")), str(f.get("action"))))}</li>' for f in findings)
    return head + (f'<ul class="sp-findings">{items}</ul>' if items else "")


def assistant_md(assistant: dict[str, Any] | None) -> str:
    """The sandbox assistant's reply, or why there is none."""
    if not assistant:
        return ""
    status = assistant.get("status")
    if status in ("ok", "scripted") and assistant.get("text"):
        return str(assistant["text"])
    msg = assistant.get("message") or ASSISTANT_STATUS.get(str(status), "The AI assistant gave no answer.")
    return f"*{msg}*"


def model_answer_md(scenario: Any) -> str:
    """What an expert would have done, shown only after an attempt."""
    parts: list[str] = []
    if scenario.kind == "spot":
        parts.append("**The faulty sentences:**")  # numbered as the screen numbers them
        parts += [f"- **Sentence {n}.** *{s.text}* — {s.why}" for n, s in enumerate(scenario.output, start=1)
                  if s.faulty]
    elif scenario.kind == "trust":
        d = scenario.decision
        parts.append(f"**Expected decision: {d.expected}.**" + (f" {d.why}" if d.why else ""))
    if scenario.model_answer:
        parts += ["", "**Model answer:**", "", scenario.model_answer.strip()]
    return "\n".join(parts) if parts else "_This scenario has no model answer._"


def learner_quote(text: str | None, label: str) -> str:
    """Text a learner (or a model) wrote, for the mentor: escaped and inside one bounded, labelled quote, never
    read as Markdown or HTML. So a forged "Automatic grade per criterion ✓" block reads as the learner's words,
    a <form> or an HTML comment shows as its characters (nothing graded is hidden from the mentor), and
    <PERSON> placeholders stay visible."""
    return (f'<figure class="sp-learner-text"><figcaption>{escape(label)} <small>(the learner\'s own text, shown '
            f'as typed)</small></figcaption><blockquote><pre class="sp-quoted">{escape(text or "")}</pre>'
            "</blockquote></figure>")
