"""The Policy lab tab, for compliance staff: pick a policy (or paste a draft), type a text, see every finding
highlighted in place with its entity, score, action and the rule that fired, the verdict and the redacted text;
run the policy's labelled tests and read the precision / recall / F2 table, misses and false alarms.

Nothing typed here is stored or logged: the lab is for trying policies, not for attempts. Handlers are thin:
they call the policy engine (sparring.policy) and only shape its results for display.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

import gradio as gr

from ..patterns import PatternTimeout
from .context import UIContext
from .guard import mistake, require

log = logging.getLogger("sparring.ui")

ROLES = ("compliance",)
PASTED = "__pasted__"
ACTION_COLOURS = {"block": "#e53935", "redact": "#fb8c00", "warn": "#fdd835", "allow": "#9e9e9e"}
FINDING_COLUMNS = ["Entity", "Text", "Action", "Score", "Rule", "Why"]
ENTITY_COLUMNS = ["Entity", "TP", "FP", "FN", "Precision", "Recall", "F2"]
CASE_COLUMNS = ["Test", "Expected", "Got", "Missed", "False alarms", "Passed"]
MAX_TEXT = 20_000
NO_FAILURES = "No failures: all {n} labelled tests pass, with no miss and no false alarm."


# ------------------------------------------------------------------------------------------- engine access


def _engine(ctx: UIContext, policy_id: str | None, pasted_yaml: str | None):
    """(engine, None) for a policy id or a pasted draft; (None, message) when the draft does not validate."""
    if policy_id and policy_id != PASTED:
        if policy_id not in ctx.org.policies:
            return None, f"There is no policy '{policy_id}'. Pick one from the list."
        return ctx.org.policy_engine(policy_id), None
    if pasted_yaml is None or not pasted_yaml.strip():
        return None, "Paste a policy in YAML (see docs/policies.md), or pick a policy from the list."
    from pydantic import ValidationError

    from ..content.models import Policy
    from ..content.problems import from_validation_error
    from ..content.yamlsrc import YamlError, parse
    from ..policy.engine import PolicyEngine

    try:
        src = parse(pasted_yaml)
    except YamlError as e:
        return None, f"pasted policy:{e.line}:{e.col}: {e.message}" + (f" ({e.hint})" if e.hint else "")
    if not isinstance(src.data, dict):
        return None, "The pasted text is not a YAML mapping; start with `id:`, `title:` and `entities:`."
    try:
        pol = Policy.model_validate(src.data)
    except ValidationError as e:
        probs = from_validation_error(e, src, "pasted policy", Policy)
        return None, "\n".join(f"- `{p}`" for p in probs)
    return PolicyEngine(pol), None


def timeout_message(engine: Any, e: Exception) -> str:
    """What to tell the person when a pattern of the policy ran past its time bound (PatternTimeout): which rule,
    and how to fix it. The check refused to answer rather than say "nothing found" (fail closed)."""
    said = str(e)
    rule = next((f"`{rec.name or rec.entity + ' recognizer'}` (pattern `{p.name or p.regex}`)"
                 for rec in engine.policy.recognizers for p in rec.patterns if repr(p.regex) in said),
                "one of the policy's patterns")
    return (f"**Not checked:** {rule} took too long on this text and was stopped, so the policy gave no verdict "
            "(on the gateway or in practice, such a text is refused, not let through). Fix the pattern: remove "
            "nested repetition such as `(a+)+` or `(a|aa)+`, and back-references or look-arounds, so it runs on "
            "the linear-time engine; `sparring validate` checks the policy file for this.")


# ------------------------------------------------------------------------------------------- views


def highlight(text: str, findings: list[Any]) -> list[tuple[str, str | float | None]]:
    """HighlightedText value: the text cut into plain stretches and findings labelled 'ENTITY · action'."""
    out: list[tuple[str, str | float | None]] = []
    pos = 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.start < pos:
            continue
        if f.start > pos:
            out.append((text[pos:f.start], None))
        out.append((text[f.start:f.end], f"{f.entity} · {f.action}"))
        pos = f.end
    if pos < len(text):
        out.append((text[pos:], None))
    return out


def colour_map(findings: list[Any]) -> dict[str, str]:
    return {f"{f.entity} · {f.action}": ACTION_COLOURS[f.action] for f in findings}


def verdict_md(result: Any, policy_id: str) -> str:
    words = {"block": "**Blocked**: nothing would be sent.",
             "redact": "**Redacted**: the text below, with placeholders, would be sent.",
             "warn": "**Sent with a warning**: the person is told to check the flagged parts.",
             "allow": "**Allowed**: nothing this policy protects."}
    n = len(result.findings)
    return (f'<span style="color:{ACTION_COLOURS[result.verdict]}">■</span> Verdict under `{policy_id}`: '
            f"{words[result.verdict]} {n} finding{'s' if n != 1 else ''}.")


def findings_rows(findings: list[Any]) -> list[list[Any]]:
    return [[f.entity, f.text, f.action, round(f.score, 2), f.rule, f.explanation] for f in findings]


def check_text(ctx: UIContext, policy_id: str | None, pasted_yaml: str | None, text: str | None,
               request: gr.Request | None) -> tuple[Any, str, list, str]:
    require(request, ctx.store, *ROLES)
    text = text or ""
    if not text.strip():
        return gr.HighlightedText(value=[]), "Type or paste a text to check.", [], ""
    if len(text) > MAX_TEXT:
        raise mistake(f"The text is {len(text):,} characters; the lab checks up to {MAX_TEXT:,}. Check a part.")
    engine, err = _engine(ctx, policy_id, pasted_yaml)
    if engine is None:
        return gr.HighlightedText(value=[]), err, [], ""
    try:
        result = engine.check(text)
    except PatternTimeout as e:
        log.info("policy lab: %s", type(e).__name__)  # the type only: the message quotes the pattern, not text
        return gr.HighlightedText(value=[]), timeout_message(engine, e), [], ""
    # Blocked: nothing would be sent, so nothing is shown as sent (the findings above say what stopped it)
    sent = "" if result.verdict == "block" else result.redacted
    return (gr.HighlightedText(value=highlight(text, result.findings), color_map=colour_map(result.findings)),
            verdict_md(result, engine.policy.id), findings_rows(result.findings), sent)


def run_tests(ctx: UIContext, policy_id: str | None, pasted_yaml: str | None,
              request: gr.Request | None) -> tuple[str, list, list]:
    require(request, ctx.store, *ROLES)
    from ..policy.evaluate import evaluate, labelled_tests

    engine, err = _engine(ctx, policy_id, pasted_yaml)
    if engine is None:
        return err, [], []
    if policy_id and policy_id != PASTED:
        tests = labelled_tests(ctx.org, policy_id)
    else:
        tests = [("pasted policy", t) for t in engine.policy.tests]
    if not tests:
        return (f"`{engine.policy.id}` has no labelled tests. Add `tests:` to the policy or a file under "
                "policies/tests/ (see docs/policies.md)."), [], []
    try:
        rep = evaluate(engine, tests)
    except PatternTimeout as e:
        return timeout_message(engine, e), [], []
    block = rep.verdicts["block"]
    head = (f"**{rep.passed}/{rep.tests}** labelled tests pass for `{rep.policy}`. "
            f"Blocked texts: recall {block['recall']:.2f}, precision {block['precision']:.2f}.")
    if rep.failures:
        head += "\n\nFailing tests:\n" + "\n".join(f"- {escape(c.label())}" for c in rep.failures)
    ents = [[e, s["tp"], s["fp"], s["fn"], s["precision"], s["recall"], s["f2"]] for e, s in rep.entities.items()]
    # Failures first, then every test with a miss or a false alarm: the rows a compliance team acts on.
    interesting = sorted((c for c in rep.cases if not c.passed or c.missed or c.false_alarms),
                         key=lambda c: c.passed)
    cases = [[c.label(), c.expect, c.got, ", ".join(c.missed),
              "; ".join(f"{a['entity']} '{a['text']}' ({a['action']})" for a in c.false_alarms),
              "yes" if c.passed else "NO"] for c in interesting]
    if not cases:  # an empty table reads as "nothing ran"; say that every test passed cleanly
        cases = [[NO_FAILURES.format(n=rep.tests), "", "", "", "", ""]]
    return head, ents, cases


# ------------------------------------------------------------------------------------------- layout


def build(ctx: UIContext) -> None:
    choices = [(f"{p.title} ({pid})", pid) for pid, p in sorted(ctx.org.policies.items())]
    choices.append(("Paste a draft policy…", PASTED))
    gr.Markdown("### Policy lab\nTry a data-sharing policy on any text, and run its labelled tests. "
                "Nothing you type here is stored.")
    with gr.Row(equal_height=True):
        pick = gr.Dropdown(choices=choices, value=choices[0][1], label="Policy", scale=3, elem_id="lab-policy")
    pasted = gr.Code(language="yaml", label="Draft policy (YAML), used when 'Paste a draft policy…' is picked",
                     lines=8, elem_id="lab-yaml")
    text = gr.Textbox(label="Text to check", lines=5, elem_id="lab-text",
                      placeholder="e.g. Draft a reply to Maria Lopez about policy HL-1234567")
    with gr.Row():
        check_btn = gr.Button("Check", variant="primary", elem_id="lab-check")
        tests_btn = gr.Button("Run the policy's tests", elem_id="lab-tests")
    verdict = gr.Markdown(elem_id="lab-verdict")
    marked = gr.HighlightedText(label="Findings in place", combine_adjacent=False, show_legend=True,
                                elem_id="lab-highlight")
    table = gr.Dataframe(headers=FINDING_COLUMNS, interactive=False, wrap=True, elem_id="lab-findings")
    redacted = gr.Textbox(label="What would be sent (redacted)", lines=4, interactive=False,
                          elem_id="lab-redacted")
    gr.Markdown("#### Labelled tests")
    summary = gr.Markdown(elem_id="lab-test-summary")
    ent_table = gr.Dataframe(headers=ENTITY_COLUMNS, interactive=False, elem_id="lab-entity-scores")
    case_table = gr.Dataframe(headers=CASE_COLUMNS, interactive=False, wrap=True, elem_id="lab-cases")

    def on_check(pid, yaml_text, txt, request: gr.Request):
        return check_text(ctx, pid, yaml_text, txt, request)

    def on_tests(pid, yaml_text, request: gr.Request):
        return run_tests(ctx, pid, yaml_text, request)

    check_btn.click(on_check, [pick, pasted, text], [marked, verdict, table, redacted], api_name="policy_check")
    text.submit(on_check, [pick, pasted, text], [marked, verdict, table, redacted], api_name="policy_check_submit")
    tests_btn.click(on_tests, [pick, pasted], [summary, ent_table, case_table], api_name="policy_tests")
