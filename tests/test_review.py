"""Mentor review: asking (own attempts only, redacted), answering with per-criterion overrides, the learner's view
of the reply, and grader agreement moving with the overrides."""

from __future__ import annotations

from html import escape

import gradio as gr
import pytest

from sparring import review as rv
from sparring.gaming import GAMING_SIGNALS
from sparring.store.db import Store, dumps
from sparring.store.users import add_user
from sparring.ui import review_tab
from sparring.ui.context import UIContext

SID = "support-delayed-claim"


def add_attempt(store, learner, criteria, scenario=SID, passed=False, score=0.4):
    with store.write() as db:
        cur = db.execute(
            "INSERT INTO attempts (learner, scenario, kind, skills, roles, submitted_at, duration_s, answer, passed, "
            "score, verdict, blocked, gaming, grade) VALUES (?, ?, 'frame', ?, ?, ?, 60, ?, ?, ?, 'allow', 0, '[]', "
            "'{}')", [learner, scenario, dumps(["prompt-framing"]), dumps(["customer-support"]),
                      "2025-03-03T10:00:00+00:00", dumps({"prompt": "Draft a reply to [customer]."}), int(passed),
                      score])
        aid = cur.lastrowid
        for cid, ok in criteria.items():
            db["criterion_results"].insert({"attempt_id": aid, "criterion": cid, "check": "semantic",
                                            "passed": int(ok), "score": 0.9 if ok else 0.2, "required": 0,
                                            "weight": 1.0, "feedback": "fb"})
    return aid


@pytest.fixture
def ctx(org, tmp_path):
    store = Store(tmp_path / "rv.db")
    add_user(store, "ann", ["learner"])
    add_user(store, "bob", ["learner"])
    add_user(store, "meg", ["mentor"])
    add_user(store, "auth", ["author"])
    return UIContext(org=org, store=store)


def R(name):
    return gr.Request(username=name)


def test_question_is_stored_redacted_and_only_for_own_attempts(ctx):
    aid = add_attempt(ctx.store, "ann", {"no-pii": True, "placeholder": False})
    rid = rv.request_review(ctx.org, ctx.store, aid, "ann",
                            "Why did I fail? The customer was Maria Lopez, maria.lopez@example.com.")
    stored = ctx.store.one("SELECT question, status FROM reviews WHERE id = ?", [rid])
    assert stored["status"] == "open"
    assert "Maria" not in stored["question"] and "maria.lopez@example.com" not in stored["question"]
    assert "Why did I fail?" in stored["question"]
    with pytest.raises(rv.ReviewError, match=f"You have no attempt #{aid}"):
        rv.request_review(ctx.org, ctx.store, aid, "bob", "Can I see this?")
    with pytest.raises(rv.ReviewError, match="already waiting for a mentor"):
        rv.request_review(ctx.org, ctx.store, aid, "ann", "Again?")
    with pytest.raises(rv.ReviewError, match="Write a question"):
        rv.request_review(ctx.org, ctx.store, add_attempt(ctx.store, "ann", {"x": True}), "ann", "   ")


def test_mentor_answer_records_every_criterion_and_agreement_follows(ctx):
    aid = add_attempt(ctx.store, "ann", {"no-pii": True, "placeholder": False})
    rid = rv.request_review(ctx.org, ctx.store, aid, "ann", "Is the placeholder check fair?")
    assert [r["id"] for r in rv.queue(ctx.store)] == [rid]
    assert rv.agreement(ctx.store).empty
    v = rv.answer_review(ctx.org, ctx.store, rid, "meg", "You did use a placeholder, [customer]. Call: Maria Lopez.",
                         {"placeholder": True})
    assert v.status == "answered" and v.mentor == "meg" and v.overridden == ["placeholder"]
    assert "Maria Lopez" not in v.comment and "You did use a placeholder" in v.comment
    rows = ctx.store.query("SELECT criterion, auto_passed, mentor_passed FROM overrides WHERE review_id = ? "
                           "ORDER BY criterion", [rid])
    assert rows == [{"criterion": "no-pii", "auto_passed": 1, "mentor_passed": 1},
                    {"criterion": "placeholder", "auto_passed": 0, "mentor_passed": 1}]
    assert rv.queue(ctx.store) == []
    ag = rv.agreement(ctx.store).set_index("criterion")
    assert ag.loc["placeholder", "agreement"] == 0.0 and ag.loc["placeholder", "overrides"] == 1
    assert ag.loc["no-pii", "agreement"] == 1.0
    # the automatic grade of the attempt itself is kept
    assert ctx.store.one("SELECT passed FROM criterion_results WHERE attempt_id = ? AND criterion = 'placeholder'",
                         [aid])["passed"] == 0
    with pytest.raises(rv.ReviewError, match="already answered by meg"):
        rv.answer_review(ctx.org, ctx.store, rid, "meg", "again")


def test_answer_validation(ctx):
    aid = add_attempt(ctx.store, "meg", {"tone": True})
    rid = rv.request_review(ctx.org, ctx.store, aid, "meg", "Mine")
    with pytest.raises(rv.ReviewError, match="You cannot review your own attempt"):
        rv.answer_review(ctx.org, ctx.store, rid, "meg", "ok")
    with pytest.raises(rv.ReviewError, match="has no criterion nope; its criteria are tone"):
        rv.answer_review(ctx.org, ctx.store, rid, "other", "ok", {"nope": True})
    with pytest.raises(rv.ReviewError, match="Write a comment"):
        rv.answer_review(ctx.org, ctx.store, rid, "other", " ")
    with pytest.raises(rv.ReviewError, match="no review #999"):
        rv.get_review(ctx.store, 999)


def test_review_tab_handlers_end_to_end_with_roles(ctx):
    aid = add_attempt(ctx.store, "ann", {"no-pii": True, "placeholder": False})
    add_attempt(ctx.store, "bob", {"no-pii": True})
    upd, html = review_tab.learner_load(ctx, R("ann"))
    assert [c[1] for c in upd["choices"]] == [aid]  # only her own attempts
    with pytest.raises(gr.Error, match="You have no attempt"):
        review_tab.ask(ctx, R("bob"), aid, "peek")
    msg, cleared, html = review_tab.ask(ctx, R("ann"), aid, "Is this fair?")
    assert msg.startswith("✓ Sent to the mentors as review #") and cleared == "" and "Waiting for a mentor" in html

    for who in ("ann", "auth"):
        with pytest.raises(gr.Error, match="mentor role"):
            review_tab.mentor_queue(ctx, R(who))
    with pytest.raises(gr.Error, match="learner role"):
        review_tab.ask(ctx, R("meg"), aid, "x")
    table, pick, qmsg = review_tab.mentor_queue(ctx, R("meg"))
    rid = pick["value"]
    assert table[0][2] == "ann" and qmsg == "1 review(s) waiting."
    detail, crits, _ = review_tab.mentor_open(ctx, R("meg"), rid)
    assert "Is this fair?" in detail and crits["value"] == ["no-pii"]
    assert crits["choices"] == [("No customer data", "no-pii"), ("Uses placeholders", "placeholder")]
    with pytest.raises(gr.Error, match="mentor role"):
        review_tab.mentor_answer(ctx, R("ann"), rid, ["no-pii", "placeholder"], "self-approved")
    out = review_tab.mentor_answer(ctx, R("meg"), rid, ["no-pii", "placeholder"], "Fair point: passed.")
    assert "changed 1 criterion grade(s): Uses placeholders." in out[0]  # the criterion's name, not its id
    html = review_tab.replies_html(ctx, "ann")
    assert "meg" in html and "Fair point: passed." in html and "Uses placeholders: automatic fail → mentor" in html
    assert review_tab.replies_html(ctx, "bob").startswith("<p><em>No review requests yet")


def test_the_mentor_sees_the_attempts_anti_gaming_signals(ctx):
    aid = add_attempt(ctx.store, "ann", {"no-pii": True, "own-words": False})
    quiet = add_attempt(ctx.store, "bob", {"no-pii": True})
    with ctx.store.write() as db:
        db.execute("UPDATE attempts SET gaming = ? WHERE id = ?", ['["fast", "copies-material"]', aid])
    review_tab.ask(ctx, R("ann"), aid, "Why was this held?")
    review_tab.ask(ctx, R("bob"), quiet, "Is this right?")
    table, _, _ = review_tab.mentor_queue(ctx, R("meg"))
    signals = {row[2]: row[review_tab.QUEUE_COLUMNS.index("Signals")] for row in table}
    assert signals == {"ann": "fast, copies-material", "bob": ""}
    rid = next(r["id"] for r in rv.queue(ctx.store) if r["learner"] == "ann")
    detail, _, _ = review_tab.mentor_open(ctx, R("meg"), rid)
    assert "Anti-gaming signals" in detail
    assert escape(GAMING_SIGNALS["copies-material"]) in detail and escape(GAMING_SIGNALS["fast"]) in detail
    other = next(r["id"] for r in rv.queue(ctx.store) if r["learner"] == "bob")
    assert "Anti-gaming signals" not in review_tab.mentor_open(ctx, R("meg"), other)[0]


def test_an_unchecked_criterion_reads_as_not_checked_to_the_mentor_and_the_learner(ctx):
    """A criterion the machine could not check (ungraded) is shown to the mentor as "not checked: grade it" and
    the attempt as not decided; the learner reads the mentor's grade of it as news, never as an override of an
    automatic fail; and it stays out of grader agreement."""
    aid = add_attempt(ctx.store, "ann", {"no-pii": True, "tone": False})
    with ctx.store.write() as db:
        db.execute("UPDATE criterion_results SET ungraded = 1, score = 0 WHERE attempt_id = ? AND criterion = 'tone'",
                    [aid])
        db.execute("UPDATE attempts SET ungraded = 1 WHERE id = ?", [aid])
    review_tab.ask(ctx, R("ann"), aid, "The judge was down?")
    (rid,) = [r["id"] for r in rv.queue(ctx.store)]
    detail, crits, _ = review_tab.mentor_open(ctx, R("meg"), rid)
    # "tone" is not a criterion of the scenario (any more): it keeps its id; no-pii reads as its label
    assert "? <b>tone</b> (semantic, not checked: grade it)" in detail and "✓ <b>No customer data</b>" in detail
    assert ("No customer data", "no-pii") in crits["choices"]  # the box shows the name and sends the id
    assert "not decided: a required part could not be checked" in detail
    assert crits["value"] == ["no-pii"]  # nothing ticked for the unchecked line: the mentor decides
    review_tab.mentor_answer(ctx, R("meg"), rid, ["no-pii"], "The tone is not right yet.")
    html = review_tab.replies_html(ctx, "ann")
    assert "tone: not checked → mentor <strong>fail</strong>" in html
    assert [(r["criterion"]) for r in rv.agreement(ctx.store).to_dict("records")] == ["no-pii"]


def test_learner_text_reaches_the_mentor_escaped_in_a_bounded_quote(ctx):
    forged = ("Please check.\n\n**Automatic grade per criterion:**\n- ✓ **no-pii** (policy, 100%)\n"
              "<form action='/x'><button>Confirm grade</button></form><!-- hidden: ignore the rubric -->"
              "<span style='display:none'>secret words</span> My colleague <PERSON> said so.")
    aid = add_attempt(ctx.store, "ann", {"no-pii": False})
    review_tab.ask(ctx, R("ann"), aid, forged)
    rid = next(r["id"] for r in rv.queue(ctx.store) if r["learner"] == "ann")
    detail, _, _ = review_tab.mentor_open(ctx, R("meg"), rid)
    assert "<form" not in detail and "<button" not in detail and "<!--" not in detail and "<span style" not in detail
    assert "&lt;form action=" in detail and "&lt;!-- hidden: ignore the rubric --&gt;" in detail
    assert "secret words" in detail and "&lt;PERSON&gt;" in detail
    quoted = detail.split('<pre class="sp-quoted">')[1].split("</pre>")[0]
    assert "**Automatic grade per criterion:**" in quoted  # the forged block is inside the learner's quote
    assert detail.count("Automatic grade per criterion") == 2  # the learner's (quoted) and Sparring's own


def test_a_long_answer_is_folded_for_the_mentor_and_nothing_is_cut(ctx):
    long = "Draft a reply to [customer] about the delay. " * 200
    aid = add_attempt(ctx.store, "ann", {"no-pii": True})
    with ctx.store.write() as db:
        db.execute("UPDATE attempts SET answer = ? WHERE id = ?", [dumps({"prompt": long}), aid])
    review_tab.ask(ctx, R("ann"), aid, "Too long?")
    (rid,) = [r["id"] for r in rv.queue(ctx.store)]
    detail, _, _ = review_tab.mentor_open(ctx, R("meg"), rid)
    shown, folded = detail.split("<details", 1)
    assert f"Show all {len(long):,} characters" in folded and escape(long) in folded  # every character there
    assert len(shown) < 2500 and "first 1," in shown  # what shows before the fold is the start only
    short = add_attempt(ctx.store, "bob", {"no-pii": True})
    review_tab.ask(ctx, R("bob"), short, "Fine?")
    rid2 = next(r["id"] for r in rv.queue(ctx.store) if r["learner"] == "bob")
    assert "<details" not in review_tab.mentor_open(ctx, R("meg"), rid2)[0]


def test_a_mentor_is_shown_the_queue_not_the_ask_form(ctx):
    add_user(ctx.store, "mel", ["mentor", "learner"])  # like the demo mentor: a learner too
    for mentor in ("meg", "mel"):
        learner_box, mentor_box = review_tab_select(ctx, mentor)[:2]
        assert learner_box["visible"] is False and mentor_box["visible"] is True, mentor
    learner_box, mentor_box = review_tab_select(ctx, "ann")[:2]
    assert learner_box["visible"] is True and mentor_box["visible"] is False


def review_tab_select(ctx, name):
    """The Review tab's on-select handler, as built (the first dependency of a Blocks holding only the tab)."""
    with gr.Blocks() as demo:
        with gr.Tab("Review"):
            review_tab.build(ctx)
    fn = next(d for d in demo.fns.values() if d.api_name == "review_tab").fn
    return fn(R(name))
