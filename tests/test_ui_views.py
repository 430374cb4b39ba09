"""Catalogue, progress, author and rendering: what each view shows for a given store and scenario."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from html import unescape
from types import SimpleNamespace

import gradio as gr
import pytest

from sparring.grading.result import CriterionResult, GradeResult
from sparring.store.db import Store, dumps, iso
from sparring.store import queries
from sparring.store.users import add_user
from sparring.ui import author_tab, catalogue, progress_tab, render
from sparring.ui.context import UIContext

NOW = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)


@pytest.fixture
def ctx(org, tmp_path):
    store = Store(tmp_path / "ui.db")
    add_user(store, "learner", ["learner"], team="Claims", job_roles=["customer-support"])
    add_user(store, "other", ["learner"])
    add_user(store, "author", ["author"])
    return UIContext(org=org, store=store)


def req(name="learner"):
    return gr.Request(username=name)


def add_attempt(store, learner, sid, score, passed, when, skills=("prompt-framing",), due=None):
    with store.write() as db:
        db["attempts"].insert({"learner": learner, "scenario": sid, "kind": "frame", "skills": dumps(list(skills)),
                               "roles": "[]", "submitted_at": iso(when), "answer": "{}", "passed": int(passed),
                               "score": score, "grade": "{}", "verdict": "allow", "blocked": 0})
        if due is not None:
            db["schedule"].upsert({"learner": learner, "scenario": sid, "due": iso(due), "card": "{}",
                                   "updated_at": iso(when)}, pk=("learner", "scenario"))


# ------------------------------------------------------------------------------------------- catalogue


def test_catalogue_lists_my_role_first_and_marks_status(ctx):
    s = ctx.store
    add_attempt(s, "learner", "support-delayed-claim", 0.9, True, NOW - timedelta(days=3), due=NOW + timedelta(days=5))
    add_attempt(s, "learner", "support-cooling-off-refund", 0.4, False, NOW - timedelta(days=3),
                due=NOW - timedelta(hours=1))
    add_attempt(s, "learner", "support-final-response-letter", 0.5, False, NOW, due=NOW + timedelta(days=1))
    add_attempt(s, "other", "support-laptop-damaged-abroad", 1.0, True, NOW)  # someone else's: not mine
    items = queries.catalogue(ctx.org, s, "learner", now=NOW)
    by_id = {e.scenario: e for e in items}
    assert by_id["support-delayed-claim"].status == "passed"
    assert by_id["support-cooling-off-refund"].status == "due"
    assert by_id["support-final-response-letter"].status == "tried"
    assert by_id["support-laptop-damaged-abroad"].status == "new"
    flags = [e.for_you for e in items]
    assert flags == sorted(flags, reverse=True) and any(flags) and not all(flags)
    assert items[0].scenario == "support-cooling-off-refund"  # mine and due comes first
    assert "**1** due for re-practice" in catalogue.summary(items)


@pytest.mark.parametrize("skill,workflow,time,mine,expect", [
    ("All", "All", "All", False, lambda e: True),
    ("error-spotting", "All", "All", False, lambda e: "error-spotting" in e.skills),
    ("All", "All", "5 min or less", False, lambda e: e.minutes <= 5),
    ("All", "All", "All", True, lambda e: e.for_you),
])
def test_catalogue_filters(ctx, skill, workflow, time, mine, expect):
    items = queries.catalogue(ctx.org, ctx.store, "learner")
    table, _, ids, _ = catalogue.load(ctx, skill, workflow, time, mine, None, req())
    assert ids and ids == [e.scenario for e in items if expect(e)]


def test_catalogue_load_and_row_pick(ctx):
    table, picker, ids, note = catalogue.load(ctx, "All", "All", "All", True, None, req())
    assert ids and all(ctx.org.scenarios[i] for i in ids) and picker["value"] == ids[0]
    assert table.count("<tr data-status") == len(ids)
    assert f'data-scenario="{ids[1]}"' in table and catalogue.scenario_href(ids[1]) in table.replace("&amp;", "&")
    assert catalogue.pick_card(ctx, ids, ids[1], req())["value"] == ids[1]
    with pytest.raises(gr.Error, match="not in the list"):
        catalogue.pick_card(ctx, ids, "no-such-scenario", req())
    _, _, none, note = catalogue.load(ctx, "error-spotting", "All", "All", True, None, req())
    assert "No scenario matches" in note or none


# -------------------------------------------------------------------------------------------- progress


def test_progress_shows_only_my_attempts_and_what_improved(ctx):
    s = ctx.store
    add_attempt(s, "learner", "support-delayed-claim", 0.4, False, NOW - timedelta(days=7),
                skills=["prompt-framing", "data-handling"])
    add_attempt(s, "learner", "support-delayed-claim", 0.9, True, NOW - timedelta(days=1),
                skills=["prompt-framing", "data-handling"], due=NOW - timedelta(hours=2))
    add_attempt(s, "other", "support-cooling-off-refund", 1.0, True, NOW)
    p = progress_tab.progress_for(ctx, "learner", now=NOW)
    assert "**2** attempts on **1** scenarios" in p.headline and "**1** due" in p.headline
    assert len(p.attempts) == 2 and p.attempts[0][3] == "90%"  # latest first
    assert [r[0] for r in p.skills] == ["data-handling", "prompt-framing"]
    assert p.skills[0][2:] == ["40%", "90%", "90%", "▲ +50%"]
    assert p.improved == [[ctx.org.scenarios["support-delayed-claim"].title, 2, "40%", "90%", "▲ +50%"]]
    assert set(p.skills_over_time["skill"]) == {"prompt-framing", "data-handling"}
    assert "**Due now: 1**" in p.due and p.due_now == 1
    # dates on the time axis, never clock minutes; scores in % so a 100% dot is not clipped at the edge
    assert set(p.skills_over_time["day"]) == {f"{NOW - timedelta(days=7):%Y-%m-%d}", f"{NOW - timedelta(days=1):%Y-%m-%d}"}
    assert p.skills_over_time["score"].max() == 90


def test_one_due_count_for_the_headline_the_box_and_the_catalogue(ctx):
    """Issue 15: the header said 0 due while the box listed four items (scheduled later, not due)."""
    s = ctx.store
    add_attempt(s, "learner", "support-delayed-claim", 0.9, True, NOW - timedelta(days=3), due=NOW - timedelta(hours=1))
    for sid in ("support-cooling-off-refund", "support-final-response-letter"):
        add_attempt(s, "learner", sid, 0.9, True, NOW - timedelta(days=1), due=NOW + timedelta(days=4))
    p = progress_tab.progress_for(ctx, "learner", now=NOW)
    items = queries.catalogue(ctx.org, ctx.store, "learner", now=NOW)
    now_list = p.due.split("**Coming up**")[0]
    assert p.due_now == 1 and "**1** due" in p.headline and "**Due now: 1**" in p.due
    assert now_list.count("\n- ") == 1 and "**1** due for re-practice" in catalogue.summary(items)
    assert p.due.count(f"{NOW + timedelta(days=4):%d %b %Y}") == 2  # listed as coming up, not as due


def test_skills_have_distinct_colours(ctx):
    every = sorted({k for sc in ctx.org.scenarios.values() for k in sc.skills})
    colours = progress_tab.skill_colours(every + every[:2])
    assert len(set(colours.values())) == len(colours) == len(every)
    assert progress_tab.skill_colours(["b", "a"]) == {"a": "#0072B2", "b": "#E69F00"}  # a learner's few: the first


def test_progress_for_a_newcomer_says_what_to_do(ctx):
    headline, *_ = progress_tab.load(ctx, req())
    assert "not practised yet" in headline


# ---------------------------------------------------------------------------------------------- author


def test_author_tab_catches_a_mislabelled_semantic_example_as_sparring_test_does(tmp_path):
    """Graded with itself as a neighbour the mislabelled example agrees with its wrong label; the Author tab
    grades it leave-one-out through check_examples, like `sparring test`, and reports the mismatch."""
    from grading_helpers import org as bare_org
    from grading_helpers import trust

    from sparring.content.models import Example
    from sparring.grading.examples import check_examples
    from sparring.grading.rubric import grade

    def ex(name, text, ok):
        expect = {"passed": ok, "passed_criteria": ["c"]} if ok else {"passed": False, "failed": ["c"]}
        return Example.model_validate({"name": name, "expect": expect, "answer": {
            "decision": "verify", "confidence": 0.7, "justification": text}})

    sc = trust([{"id": "c", "check": "semantic",
                 "expect": "Explains that the claim waits for the contractor's repair estimate."}], pass_mark=0.5)
    sc.examples = [ex("figures", "Nothing moves until the builder sends his figures over.", True),
                   ex("vague", "The claim is with the contractor at the moment.", False),
                   ex("figures-2", "Nothing happens until the builder's figures arrive.", True),
                   ex("vague-2", "The contractor has the claim for now.", False),
                   ex("mislabelled", "Apologise for the delay and thank her for her patience.", True)]
    o = bare_org(tmp_path)
    o.scenarios = {sc.id: sc}
    store = Store(tmp_path / "a.db")
    add_user(store, "author", ["author"])
    # the old path (no leave-one-out): the example is its own nearest neighbour and "passes" as labelled
    assert grade(o, sc, sc.examples[-1].answer).passed
    head, rows = author_tab.run_examples(UIContext(org=o, store=store), sc.id, req("author"))
    by_name = {r[1]: r for r in rows}
    assert "**4 of 5** examples match" in head
    assert by_name["mislabelled"][5] == "✗ no" and "'c' should pass but failed" in by_name["mislabelled"][6]
    assert all(by_name[n][5] == "✓ yes" for n in ("figures", "vague", "figures-2", "vague-2"))
    # the same mismatches as `sparring test`, word for word
    assert [r[6] for r in rows] == ["; ".join(r["mismatches"]) for r in check_examples(o, sc)]


def test_run_examples_grades_each_labelled_example(ctx):
    sc = ctx.org.scenarios["support-cooling-off-refund"]
    head, rows = author_tab.run_examples(ctx, sc.id, req("author"))
    assert len(rows) == len(sc.examples) and f"of {len(sc.examples)}** examples match" in head
    assert {r[5] for r in rows} <= {"✓ yes", "✗ no"}
    assert ctx.store.count("attempts") == 0  # examples are tests, never attempts


def test_problems_listing():
    assert "No problems" in author_tab.problems_md([], 3, 1)
    md = author_tab.problems_md(["scenarios/x.yaml:3:5: unknown grader kind 'semantik' (did you mean 'semantic'?)"],
                                0, 0)
    assert "1 problem(s)" in md and "scenarios/x.yaml:3:5" in md


# ---------------------------------------------------------------------------------------------- render


def _grade(passed, failed=()):
    crits = [CriterionResult(id=c, passed=c not in failed, score=0.0 if c in failed else 1.0, feedback="fb")
             for c in ("a", "b")]
    return GradeResult(scenario="s", kind="frame", passed=passed, score=0.5, pass_mark=0.8, criteria=crits)


def test_grade_html_escapes_learner_text():
    g = _grade(False, failed=["a"])
    g.criteria[0].feedback = "<script>alert(1)</script>"
    html = render.grade_html(g)
    assert "<script>" not in html and "&lt;script&gt;" in html and "✗" in html and "✓" in html


def test_policy_highlight_keeps_valid_non_overlapping_spans():
    text = "Call Maria Lopez on 07700 900481"
    pol = {"findings": [{"entity": "PERSON", "action": "redact", "start": 5, "end": 16},
                        {"entity": "PERSON", "action": "redact", "start": 11, "end": 16},  # overlaps: dropped
                        {"entity": "X", "action": "block", "start": 30, "end": 99}]}  # out of range: dropped
    hl = render.policy_highlight(text, pol)
    assert hl["entities"] == [{"entity": "a person's name · redact", "start": 5, "end": 16}]
    assert render.highlight_colors(hl) == {"a person's name · redact": render.ACTION_COLORS["redact"]}


def test_policy_findings_are_shown_in_words_not_as_entity_types():
    pol = {"verdict": "redact", "redacted": "Write to <PERSON> about <CLAIM_REF>",
           "findings": [{"entity": "PERSON", "action": "redact", "text": "<PERSON>"},
                        {"entity": "CLAIM_REF", "action": "redact", "text": "<CLAIM_REF>"}]}
    names = {"CLAIM_REF": "Harbourline claim reference"}
    html = unescape(render.policy_html(pol, names=names))
    assert "A person's name" in html and "A Harbourline claim reference" in html
    assert "PERSON" not in html and "CLAIM_REF" not in html
    assert render.redacted_text(pol, names) == "Write to [person's name] about [Harbourline claim reference]"


@pytest.mark.parametrize("status,words", [("timeout", "did not answer in time"), ("rate_limited", "busy"),
                                          ("error", "could not be reached")])
def test_assistant_failures_are_explained(status, words):
    assert words in render.assistant_md({"status": status, "text": None, "message": None})


def test_progress_shows_the_mentors_reply_to_my_review(ctx):
    from sparring import review

    add_attempt(ctx.store, "learner", "support-delayed-claim", 0.4, False, NOW - timedelta(days=1))
    attempt_id = ctx.store.one("SELECT id FROM attempts WHERE learner = 'learner'")["id"]
    rid = review.request_review(ctx.org, ctx.store, attempt_id, "learner", "Why did my placeholder not count?")
    *_, mentor = progress_tab.load(ctx, req())
    assert "Waiting for a mentor" in mentor
    review.answer_review(ctx.org, ctx.store, rid, "mentor", "Use square brackets, e.g. [customer].")
    *_, mentor = progress_tab.load(ctx, req())
    assert "Use square brackets" in mentor and "Waiting" not in mentor
    *_, others = progress_tab.load(ctx, req("other"))
    assert "Use square brackets" not in others  # only the learner's own reviews


@pytest.mark.parametrize("score,passed,ungraded,mark", [
    (1.0, True, False, "✓"), (0.75, True, False, "✓"), (0.5, True, False, "◐"), (0.5, False, False, "◐"),
    (0.44, False, False, "◐"), (0.1, False, False, "✗"), (0.9, False, False, "◐"), (0.0, False, True, "?"),
])
def test_one_rule_marks_a_criterion_from_its_score(score, passed, ungraded, mark):
    """Issue 15: a green ✓ beside 50%. ✓ needs a pass with most of the credit, ✗ a fail with little."""
    from sparring.ui.render import criterion_mark

    assert criterion_mark(score, passed, ungraded).icon == mark


def test_feedback_shows_one_figure_per_criterion(org):
    from sparring.ui.render import feedback_words

    from sparring.grading.rubric import grade

    # Issue 15: 'verify' earns half the decision credit in this scenario; the criterion's score (which also counts
    # calibration) is the only figure, so the decision's words must not carry a second percentage.
    result = grade(org, org.scenarios["hr-mileage-threshold-claim"],
                   {"decision": "verify", "confidence": 0.9, "justification": "Check the split first."})
    words = feedback_words(next(c for c in result.criteria if c.check == "decision").feedback)
    assert "part of the credit" in words
    assert "%" not in words


def test_author_agreement_is_a_markdown_table_with_every_column_and_an_empty_line():
    from sparring.ui.author_tab import AGREEMENT_COLUMNS, agreement_md

    md = agreement_md([["tone|warm", 3, "0.50 (75% agree)", "—", "—", 1, 0]])
    head, rule, row = md.splitlines()
    assert head.count("|") == len(AGREEMENT_COLUMNS) + 1 and all(c in head for c in AGREEMENT_COLUMNS)
    assert "tone\\|warm" in row and row.count(" | ") == len(AGREEMENT_COLUMNS) - 1  # the | is escaped, one cell
    assert "No reviewed attempts" in agreement_md([])
