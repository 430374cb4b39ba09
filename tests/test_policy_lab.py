"""Policy lab tab handlers: role refusal on the server, findings in place, pasted drafts, labelled tests."""

from __future__ import annotations

import gradio as gr
import pytest

from sparring.store.db import Store
from sparring.store.users import add_user
from sparring.ui import policy_lab
from sparring.ui.context import UIContext


@pytest.fixture
def ctx(org, tmp_path):
    store = Store(tmp_path / "lab.db")
    add_user(store, "learner", ["learner"])
    add_user(store, "comp", ["compliance"])
    return UIContext(org=org, store=store)


def req(name):
    return gr.Request(username=name)


@pytest.mark.parametrize("call", [
    lambda ctx, r: policy_lab.check_text(ctx, "external-ai", "", "hello", r),
    lambda ctx, r: policy_lab.run_tests(ctx, "external-ai", "", r),
], ids=["check", "tests"])
def test_learner_is_refused(ctx, call):
    with pytest.raises(gr.Error, match="compliance role"):
        call(ctx, req("learner"))


def test_check_highlights_findings_in_place(ctx):
    text = "Write to Maria Lopez about HL-1234567 in Leeds."
    marked, verdict, rows, redacted = policy_lab.check_text(ctx, "external-ai", "", text, req("comp"))
    value = marked.value if hasattr(marked, "value") else marked
    pieces = [(p["token"], p["class_or_confidence"]) if isinstance(p, dict) else tuple(p)
              for p in (value["data"] if isinstance(value, dict) and "data" in value else value)]
    assert "".join(t for t, _ in pieces) == text  # the text is shown whole, findings marked in place
    assert ("Maria Lopez", "PERSON · redact") in pieces and ("Leeds", "LOCATION · warn") in pieces
    assert "Redacted" in verdict
    assert redacted == "Write to <PERSON> about <POLICY_NUMBER> in Leeds."
    assert {r[0] for r in rows} == {"PERSON", "POLICY_NUMBER", "LOCATION"}
    assert all(r[4] and "score" in r[5] for r in rows)  # rule and explanation shown


def test_pasted_draft_policy_and_its_errors(ctx):
    draft = "id: draft\ntitle: Draft policy\nentities:\n  EMAIL_ADDRESS: block\n"
    _, verdict, rows, redacted = policy_lab.check_text(ctx, policy_lab.PASTED, draft, "mail jo@corp.com",
                                                       req("comp"))
    assert "Blocked" in verdict and redacted == ""  # blocked: nothing would be sent, so nothing shows as sent
    _, msg, rows, _ = policy_lab.check_text(ctx, policy_lab.PASTED, draft.replace("block", "blok"), "x",
                                            req("comp"))
    assert "pasted policy:4:" in msg and "did you mean 'block'" in msg and rows == []


def test_run_tests_shows_scores(ctx):
    head, ents, cases = policy_lab.run_tests(ctx, "external-ai", "", req("comp"))
    assert "labelled tests pass" in head
    assert any(r[0] == "PERSON" for r in ents)
    assert all(len(r) == len(policy_lab.CASE_COLUMNS) for r in cases)


def test_a_clean_test_run_says_no_failures(ctx):
    draft = ("id: draft\ntitle: Draft policy\nentities:\n  EMAIL_ADDRESS: block\ntests:\n"
             "  - text: mail jo@corp.com\n    expect: block\n    entities: [EMAIL_ADDRESS]\n"
             "  - text: see you at nine\n    expect: allow\n")
    head, _, cases = policy_lab.run_tests(ctx, policy_lab.PASTED, draft, req("comp"))
    assert "**2/2**" in head
    assert cases == [[policy_lab.NO_FAILURES.format(n=2), "", "", "", "", ""]]


BACKREF_DRAFT = """id: draft
title: Draft policy
entities:
  DOUBLE: block
recognizers:
  - entity: DOUBLE
    name: doubled letters
    patterns:
      - name: twice
        regex: '(\\w)\\1'
"""


def test_a_pattern_past_its_time_bound_names_the_rule_and_the_fix(ctx, monkeypatch):
    import sparring.patterns as patterns

    # the back-reference keeps the pattern off RE2, on the bounded backtracking engine; a bound of ~0 s makes
    # it run out on any text, as a slow pattern would on a long one
    _, verdict, rows, _ = policy_lab.check_text(ctx, policy_lab.PASTED, BACKREF_DRAFT, "a good book", req("comp"))
    assert "Blocked" in verdict  # it works within the bound
    monkeypatch.setattr(patterns, "PATTERN_TIMEOUT_S", 1e-9)
    text = "a b c d e " * 1000  # no doubled letter: a match would not stop it early
    marked, verdict, rows, sent = policy_lab.check_text(ctx, policy_lab.PASTED, BACKREF_DRAFT, text, req("comp"))
    assert "Not checked" in verdict and "`doubled letters` (pattern `twice`)" in verdict
    assert "sparring validate" in verdict and rows == [] and sent == ""
    head, ents, cases = policy_lab.run_tests(ctx, policy_lab.PASTED, BACKREF_DRAFT + """tests:
  - text: "a b c d e f g h i j k"
    expect: allow
""", req("comp"))
    assert "Not checked" in head and "doubled letters" in head and ents == [] and cases == []
