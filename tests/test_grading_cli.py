"""`sparring test`, `sparring grade`, `sparring calibrate`: exit codes, named mismatches, the --json contract."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from sparring.cli import main

SCENARIO = """id: cli-trust
title: Laptop damaged abroad
kind: trust
roles: [customer-support]
skills: [trust-calibration]
workflow: Answering cover questions
outcome: Checks the schedule before quoting a limit
brief: A customer asks whether their laptop is covered abroad.
output: Yes, gadgets are covered worldwide up to £3,000.
model_answer: Verify against the schedule, which limits gadgets to £1,500 outside the UK.
decision: {expected: verify, credit: {reject: 0.5}}
rubric:
  pass: 0.7
  criteria:
    - id: decision
      check: decision
      required: true
    - id: reasons
      check: justification
      reasons:
        - The gadget limit must be checked against the policy schedule.
        - The limit abroad may be lower than the AI says.
      min_covered: 1
examples:
  - name: good
    answer: {decision: verify, confidence: 0.8, justification: "I would check the gadget limit in the policy schedule first."}
    expect: {passed: true, passed_criteria: [reasons]}
  - name: wrong call
    answer: {decision: use, confidence: 0.9, justification: "Looks right."}
    expect: {passed: false, failed: [decision, reasons]}
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "cli-trust.yaml").write_text(SCENARIO, encoding="utf-8")
    return tmp_path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_test_passes_on_correct_labels(root, capsys):
    code, out, err = run(capsys, "test", "--root", str(root))
    assert code == 0, out + err
    assert "2 of 2 examples" in err


def test_test_names_scenario_example_and_criterion_on_mismatch(root, capsys):
    f = root / "scenarios" / "cli-trust.yaml"
    f.write_text(SCENARIO.replace("expect: {passed: true, passed_criteria: [reasons]}",
                                  "expect: {passed: false, failed: [reasons]}"), encoding="utf-8")
    code, out, err = run(capsys, "test", "--root", str(root))
    assert code == 1
    assert "MISMATCH cli-trust / good: expected fail, graded pass" in out
    assert "criterion 'reasons' should fail but passed" in out


def test_test_json(root, capsys):
    code, out, _ = run(capsys, "test", "--root", str(root), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["ok"] and doc["examples"] == 2 and doc["mismatches"] == 0
    assert {r["example"] for r in doc["results"]} == {"good", "wrong call"}


def test_grade_json_contract(root, tmp_path, capsys):
    ans = tmp_path / "a.json"
    ans.write_text(json.dumps({"decision": "verify", "confidence": 0.9,
                               "justification": "The schedule may cap gadgets lower abroad; check it."}))
    code, out, _ = run(capsys, "grade", "--root", str(root), "--scenario", "cli-trust", "--answer", str(ans),
                       "--json")
    doc = json.loads(out)
    assert code == 0 and doc["scenario"] == "cli-trust" and doc["passed"] is True
    assert 0 <= doc["score"] <= 1 and "policy" in doc
    assert [c["id"] for c in doc["criteria"]] == ["decision", "reasons"]
    assert set(doc["criteria"][0]) >= {"id", "passed", "score", "feedback", "evidence"}


def test_grade_failing_answer_exits_1_and_shows_model_answer(root, tmp_path, capsys):
    ans = tmp_path / "a.json"
    ans.write_text(json.dumps({"decision": "use", "confidence": 0.9, "justification": "Fine."}))
    code, out, _ = run(capsys, "grade", "--root", str(root), "--scenario", "cli-trust", "--answer", str(ans))
    assert code == 1 and "NOT YET" in out and "Model answer: Verify against the schedule" in out


def test_grade_reads_stdin_and_a_scenario_file(root, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"decision": "verify", "confidence": 0.7, "justification": '
                                                 '"Check the policy schedule for the gadget limit."}'))
    code, out, _ = run(capsys, "grade", "--root", str(root), "--scenario",
                       str(root / "scenarios" / "cli-trust.yaml"), "--answer", "-", "--json")
    assert code == 0 and json.loads(out)["passed"]


@pytest.mark.parametrize("content,msg", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"decision": "maybe"}', "answer does not fit a trust scenario"),
])
def test_grade_bad_answer_is_usage_error_with_a_message(root, tmp_path, capsys, content, msg):
    ans = tmp_path / "a.json"
    ans.write_text(content)
    code, out, err = run(capsys, "grade", "--root", str(root), "--scenario", "cli-trust", "--answer", str(ans))
    assert code == 2 and msg in err and "Traceback" not in err


def test_grade_unknown_scenario_suggests(root, tmp_path, capsys):
    ans = tmp_path / "a.json"
    ans.write_text("{}")
    code, _, err = run(capsys, "grade", "--root", str(root), "--scenario", "cli-trst", "--answer", str(ans))
    assert code == 2 and "did you mean 'cli-trust'" in err


def test_calibrate_suggests_a_threshold(root, capsys):
    code, out, _ = run(capsys, "calibrate", "--root", str(root), "cli-trust", "--json")
    doc = json.loads(out)
    row = doc["criteria"][0]
    assert code == 0 and row["criterion"] == "reasons" and row["labelled"] == 2
    assert row["accuracy_suggested"] == 1.0
    good = next(v for v in row["values"] if v["example"] == "good")
    bad = next(v for v in row["values"] if v["example"] == "wrong call")
    assert bad["value"] < row["suggested"] <= good["value"]
