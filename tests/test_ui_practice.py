"""Practice screen handlers, called as Gradio would call them (with a gr.Request naming the user)."""

from __future__ import annotations

import json

import gradio as gr
import pytest

from sparring.store.db import Store
from sparring.store.users import add_user
from sparring.ui import practice_tab as pt
from sparring.ui.context import UIContext

FRAME, SPOT, TRUST = "support-delayed-claim", "support-travel-cancellation-summary", "support-cooling-off-refund"


@pytest.fixture
def ctx(org, tmp_path):
    store = Store(tmp_path / "ui.db")
    add_user(store, "learner", ["learner"], team="Claims", job_roles=["customer-support"])
    return UIContext(org=org, store=store)


def req(name="learner"):
    return gr.Request(username=name)


def value(update):
    return update["value"] if isinstance(update, dict) and "__type__" in update else update


def test_open_shows_only_the_screen_of_the_kind(ctx):
    for sid, kind in [(FRAME, "frame"), (SPOT, "spot"), (TRUST, "trust")]:
        up = pt.open_scenario(ctx, sid, req())
        assert up["state"]["scenario"] == sid
        # spot: the page asks for spot_rows when spot_key changes, and that shows the box with its sentences
        up.update(pt.spot_rows(ctx, up.get("spot_key", f"{sid}@now"), req()))
        assert {k: up[f"{k}_box"]["visible"] for k in ("frame", "spot", "trust")} == \
            {k: k == kind for k in ("frame", "spot", "trust")}
        assert up["result_box"]["visible"] is False and up["submit_" + kind]["interactive"] is True
        assert ("spot_key" in up) == (kind == "spot")


def test_open_spot_labels_one_row_per_sentence(ctx):
    sc = ctx.org.scenarios[SPOT]
    first = pt.open_scenario(ctx, SPOT, req())
    up = pt.spot_rows(ctx, first["spot_key"], req())
    shown = [i for i in range(pt.MAX_SENTENCES) if up[f"row{i}"]["visible"]]
    assert shown == list(range(len(sc.output)))
    assert up["check0"]["label"] == f"1. {sc.output[0].text}"
    again = pt.open_scenario(ctx, SPOT, req())  # reopening must trigger the rows again (fresh tick boxes)
    assert again["spot_key"] != first["spot_key"]


def test_events_output_only_what_they_change(ctx):
    """Gradio rebuilds every output component of an event on the server: submits and retry must not list the
    screen's ~90 components, and opening a scenario must not list the 60 spot sentence components."""
    with gr.Blocks() as demo:
        view = pt.build(ctx)
        pick, start, tabs = gr.Dropdown(), gr.Button(), gr.Tabs()
        pt.wire_open(ctx, view, start.click, pick, tabs)
    outputs = {fn.api_name: len(fn.outputs) for fn in demo.fns.values() if fn.api_name}
    assert outputs["submit_frame"] == len(pt.FRAME_OUTPUTS) and outputs["submit_spot"] == len(pt.SUBMIT_OUTPUTS)
    assert outputs["retry"] == len(pt.RETRY_OUTPUTS) < 10
    assert outputs["spot_rows"] == 1 + 3 * pt.MAX_SENTENCES
    assert outputs["open_scenario"] == len(pt.OPEN_OUTPUTS) + 1 < 30  # + the tabs, to switch to this one
    for sid in ("support-delayed-claim", "support-travel-cancellation-summary", "support-cooling-off-refund"):
        assert set(pt.open_scenario(ctx, sid, req())) <= set(pt.OPEN_OUTPUTS)


def test_open_trust_offers_the_scenario_options(ctx):
    up = pt.open_scenario(ctx, TRUST, req())
    assert [v for _, v in up["decision"]["choices"]] == ctx.org.scenarios[TRUST].decision.options


def test_blocked_prompt_is_not_sent_and_findings_are_shown_in_place(ctx):
    st = pt.open_scenario(ctx, FRAME, req())["state"]
    # a payment card number is blocked outright by the sample policy (names alone are only redacted)
    prompt = ("Write a reply to Maria Lopez about the contractor's estimate; refund the excess to her card "
              "4111 1111 1111 1111.")
    up = pt.submit_frame(ctx, st, prompt, req())
    assert "Not sent" in value(up["policy_html"])
    spans = value(up["highlight"])["entities"]
    assert any(prompt[e["start"]:e["end"]] == "4111 1111 1111 1111" for e in spans)
    assert up["redacted"]["visible"] and "4111 1111" not in up["redacted"]["value"]
    assert up["reply"]["visible"] is False
    assert 'data-passed="false"' in up["feedback"] and up["submit_frame"]["interactive"] is False
    stored = ctx.store.query("SELECT answer, blocked, grade FROM attempts")
    assert len(stored) == 1 and stored[0]["blocked"] == 1
    assert "4111 1111" not in stored[0]["answer"] + stored[0]["grade"]


def test_allowed_prompt_gets_the_assistant_reply_and_feedback(ctx):
    st = pt.open_scenario(ctx, FRAME, req())["state"]
    ex = ctx.org.scenarios[FRAME].examples[0].answer["prompt"]
    up = pt.submit_frame(ctx, st, ex, req())
    assert up["reply"]["visible"] and "[customer]" in up["reply"]["value"]
    assert up["result_box"]["visible"] and up["frame_result"]["visible"]  # the model answer is in result_box
    assert up["feedback"].count('data-criterion=') == len(ctx.org.scenarios[FRAME].rubric.criteria)
    assert "Saved to your progress" in up["next_step"]


def test_empty_prompt_is_refused_and_nothing_is_stored(ctx):
    st = pt.open_scenario(ctx, FRAME, req())["state"]
    with pytest.raises(gr.Error, match="Write your prompt"):
        pt.submit_frame(ctx, st, "   ", req())
    assert ctx.store.count("attempts") == 0


def test_spot_sends_ticked_sentences_with_their_reasons(ctx):
    st = pt.open_scenario(ctx, SPOT, req())["state"]
    checks = [False] * pt.MAX_SENTENCES
    reasons = [""] * pt.MAX_SENTENCES
    checks[1], reasons[1] = True, "The Standard limit is £3,000 per person, not £5,000."
    reasons[2] = "typed but not ticked: must not be sent"
    up = pt.submit_spot(ctx, st, checks + reasons, req())
    assert up["result_box"]["visible"]
    answer = json.loads(ctx.store.one("SELECT answer FROM attempts")["answer"])
    assert answer["flags"] == {"s2": "The Standard limit is £3,000 per person, not £5,000."}


def test_spot_without_ticks_is_refused(ctx):
    st = pt.open_scenario(ctx, SPOT, req())["state"]
    with pytest.raises(gr.Error, match="Tick at least one"):
        pt.submit_spot(ctx, st, [False] * pt.MAX_SENTENCES + ["x"] * pt.MAX_SENTENCES, req())


def test_trust_then_retry(ctx):
    st = pt.open_scenario(ctx, TRUST, req())["state"]
    with pytest.raises(gr.Error, match="use, verify or reject"):
        pt.submit_trust(ctx, st, None, 0.8, "", req())
    up = pt.submit_trust(ctx, st, "use", 0.9, "Inside the 14-day window and no claim, so a full refund.", req())
    assert up["state"]["submitted"] and up["retry"]["visible"] and "Expected decision: use" in up["model_answer"]
    row = ctx.store.one("SELECT decision, confidence, learner FROM attempts")
    assert (row["decision"], row["confidence"], row["learner"]) == ("use", 0.9, "learner")
    again = pt.retry(ctx, up["state"], req())
    assert again["submit_trust"]["interactive"] is True and again["result_box"]["visible"] is False
    assert again["frame_result"]["visible"] is False  # and the model answer goes with result_box


def test_handlers_refuse_anonymous_and_unknown_users(ctx):
    with pytest.raises(gr.Error, match="not signed in"):
        pt.open_scenario(ctx, FRAME, gr.Request())
    with pytest.raises(gr.Error, match="no account named 'mallory'"):
        pt.submit_frame(ctx, pt.new_state(FRAME), "hello", req("mallory"))
    assert ctx.store.count("attempts") == 0


def test_submit_without_an_open_scenario_says_what_to_do(ctx):
    with pytest.raises(gr.Error, match="Open a scenario first"):
        pt.submit_trust(ctx, None, "use", 0.8, "x", req())


def test_json_api_grades_for_the_signed_in_user_and_explains_bad_answers(ctx):
    from sparring.ui.api import attempt_json

    with pytest.raises(gr.Error, match="answer does not fit a trust scenario"):
        attempt_json(ctx, TRUST, {"prompt": "wrong shape"}, req())
    out = attempt_json(ctx, TRUST, {"decision": "verify", "confidence": 0.6, "justification": "check"}, req())
    assert out["attempt_id"] and out["grade"]["criteria"]
    assert ctx.store.one("SELECT learner FROM attempts WHERE id = ?", [out["attempt_id"]])["learner"] == "learner"


def test_trust_without_a_reason_is_refused_and_nothing_is_graded(ctx):
    st = pt.open_scenario(ctx, TRUST, req())["state"]
    with pytest.raises(gr.Error, match="Why"):
        pt.submit_trust(ctx, st, "use", 0.9, "   ", req())
    assert ctx.store.count("attempts") == 0


def test_the_model_answer_stays_closed_after_a_first_failed_try_and_opens_on_the_second(ctx):
    st = pt.open_scenario(ctx, TRUST, req())["state"]
    first = pt.submit_trust(ctx, st, "reject", 0.9, "I would not trust any refund answer.", req())
    assert "Not yet" in first["feedback"]
    assert first["model_answer"] == "" and first["model_answer_box"]["visible"] is False  # not even in the page
    assert first["show_model"]["visible"] is True and "second try" in first["next_step"]
    st2 = pt.retry(ctx, first["state"], req())["state"]
    second = pt.submit_trust(ctx, st2, "reject", 0.9, "Still not sure, so I would not use it.", req())
    assert "Expected decision: use" in second["model_answer"] and second["model_answer_box"]["visible"] is True
    assert second["show_model"]["visible"] is False


def test_asking_for_the_model_answer_shows_it_and_is_recorded_on_the_attempt(ctx):
    st = pt.open_scenario(ctx, TRUST, req())["state"]
    with pytest.raises(gr.Error, match="Submit your answer first"):
        pt.show_model_answer(ctx, st, req())
    first = pt.submit_trust(ctx, st, "reject", 0.9, "I would not trust any refund answer.", req())
    up = pt.show_model_answer(ctx, first["state"], req())
    assert "Expected decision: use" in up["model_answer"] and up["model_answer_box"]["visible"] is True
    assert "noted in your record" in up["model_note"]["value"]
    row = ctx.store.one("SELECT gaming FROM attempts WHERE id = ?", [first["state"]["attempt_id"]])
    assert "asked-model-answer" in json.loads(row["gaming"])
    pt.show_model_answer(ctx, up["state"], req())  # asked twice: recorded once
    row = ctx.store.one("SELECT gaming FROM attempts WHERE id = ?", [first["state"]["attempt_id"]])
    assert json.loads(row["gaming"]).count("asked-model-answer") == 1


def test_a_draft_kept_by_the_browser_is_put_back_when_the_scenario_opens(ctx):
    """page_script.py keeps drafts in localStorage; the open events hand them to the server, which fills the
    boxes and stores nothing."""
    draft = json.dumps({"prompt": "Dear [customer], about your claim", "decision": "verify", "confidence": "0.9",
                        "justification": "I checked clause 4.", "checks": [False, True], "reasons": ["", "Wrong sum"]})
    frame = pt.open_scenario(ctx, FRAME, req(), draft)
    assert frame["prompt"]["value"] == "Dear [customer], about your claim" and frame["draft_key"] == FRAME
    trust = pt.open_scenario(ctx, TRUST, req(), draft)
    assert (trust["decision"]["value"], trust["confidence"]["value"], trust["justification"]["value"]) == \
        ("verify", 0.9, "I checked clause 4.")
    spot = pt.open_scenario(ctx, SPOT, req(), draft)
    rows = pt.spot_rows(ctx, spot["spot_key"], req(), draft)
    assert rows["check1"]["value"] is True and rows["reason1"]["value"] == "Wrong sum"
    assert rows["check0"]["value"] is False and rows["reason0"]["value"] == ""
    assert ctx.store.count("attempts") == 0


@pytest.mark.parametrize("raw", ["", "not json", "[1, 2]", json.dumps({"decision": "maybe", "confidence": "x",
                                                                          "checks": "yes", "prompt": 7})])
def test_an_odd_draft_opens_an_empty_screen(ctx, raw):
    trust = pt.open_scenario(ctx, TRUST, req(), raw)
    assert trust["decision"]["value"] is None and trust["confidence"]["value"] == 0.75
    assert trust["justification"]["value"] == ""
    assert pt.open_scenario(ctx, FRAME, req(), raw)["prompt"]["value"] == ""


def test_json_api_refuses_a_trust_answer_without_a_reason_as_the_screen_does(ctx):
    """One rule (sparring.ui.answers.refusal) for the screen and the API: no justification, nothing graded."""
    from sparring.ui.api import attempt_json

    for why in ("", "   ", None):
        with pytest.raises(gr.Error, match="justification"):
            attempt_json(ctx, TRUST, {"decision": "use", "confidence": 0.9, "justification": why}, req())
    with pytest.raises(gr.Error, match="justification"):
        attempt_json(ctx, TRUST, {"decision": "use", "confidence": 0.9}, req())
    st = pt.open_scenario(ctx, TRUST, req())["state"]
    with pytest.raises(gr.Error, match="justification"):
        pt.submit_trust(ctx, st, "use", 0.9, "", req())
    assert ctx.store.count("attempts") == 0


def test_a_learners_mistake_shows_the_message_and_logs_no_traceback(ctx, caplog):
    import logging

    st = pt.open_scenario(ctx, FRAME, req())["state"]
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(gr.Error, match="Write your prompt") as err:
            pt.submit_frame(ctx, st, "  ", req())
        with pytest.raises(gr.Error, match="Open a scenario first"):
            pt.submit_trust(ctx, None, "use", 0.8, "x", req())
    assert err.value.print_exception is False  # Gradio prints no traceback for it
    refused = [r for r in caplog.records if r.getMessage().startswith("refused: ")]
    assert [r.getMessage() for r in refused] == ["refused: Write your prompt in the box first.",
                                                 "refused: Open a scenario first: go to Scenarios, pick one and "
                                                 "press Start practice."]
    assert all(r.exc_info is None and r.levelno < logging.WARNING for r in caplog.records)
