"""`sparring policy check` and `sparring policy test`, run in-process."""

from __future__ import annotations

import io
import json

from sparring.cli import main


def test_check_json_contract(repo, capsys):
    rc = main(["policy", "check", "--root", str(repo), "--policy", "external-ai", "--json",
               "Write to Maria Lopez about HL-1234567"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0  # the verdict is data, not a failure of the command
    assert doc["verdict"] == "redact"
    assert doc["redacted"] == "Write to <PERSON> about <POLICY_NUMBER>"
    assert {f["entity"] for f in doc["findings"]} == {"PERSON", "POLICY_NUMBER"}
    assert all(set(f) == {"entity", "text", "start", "end", "score", "action", "rule", "explanation"}
               for f in doc["findings"])


def test_check_reads_stdin_and_prints_human_report(repo, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("Draft a reply to [customer] about [claim ref]."))
    rc = main(["policy", "check", "--root", str(repo), "--policy", "external-ai", "-"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "verdict: allow" in out and "no findings" in out


def test_check_policy_file_path(repo, capsys):
    rc = main(["policy", "check", "--root", str(repo), "--policy", str(repo / "policies" / "external-ai.yaml"),
               "Card 4111 1111 1111 1111"])
    out = capsys.readouterr().out
    assert rc == 0 and "verdict: block" in out and "CREDIT_CARD" in out and "why:" in out


def test_check_unknown_policy_and_empty_text_are_usage_errors(repo, capsys):
    assert main(["policy", "check", "--root", str(repo), "--policy", "external-aj", "hello"]) == 2
    assert "did you mean 'external-ai'" in capsys.readouterr().err
    assert main(["policy", "check", "--root", str(repo), "--policy", "external-ai", "  "]) == 2
    assert "no text to check" in capsys.readouterr().err


def test_policy_test_passes_on_shipped_policies(repo, capsys):
    rc = main(["policy", "test", "--root", str(repo), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and doc["ok"]
    (rep,) = doc["policies"]
    assert rep["tests"] >= 150 and rep["failed"] == 0
    assert {"precision", "recall", "f2"} <= set(rep["entities"]["PERSON"])
    assert set(rep["verdicts"]) == {"block", "redact", "warn", "allow"}


def test_policy_test_fails_naming_the_mislabelled_test(org_copy, capsys):
    bad = org_copy / "policies" / "tests" / "mislabelled.yaml"
    bad.write_text("policy: external-ai\ntests:\n"
                   "  - text: Nothing personal in this one.\n    expect: allow\n"
                   "  - text: Write to Maria Lopez about her claim.\n    expect: allow\n", encoding="utf-8")
    rc = main(["policy", "test", "--root", str(org_copy), str(bad)])
    captured = capsys.readouterr()
    assert rc == 1
    assert "1/2 labelled tests pass" in captured.out
    assert "FAIL policies/tests/mislabelled.yaml #2" in captured.err
    assert "expected allow, got redact" in captured.out
    assert "false alarm PERSON 'Maria Lopez'" in captured.out


def test_policy_test_reports_a_missed_entity(org_copy, capsys):
    bad = org_copy / "policies" / "tests" / "missing.yaml"
    bad.write_text("policy: external-ai\ntests:\n"
                   "  - text: Please tidy up this paragraph about storms.\n    expect: redact\n"
                   "    entities: [PERSON]\n", encoding="utf-8")
    rc = main(["policy", "test", "--root", str(org_copy), "--json", str(bad)])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    (rep,) = doc["policies"]
    assert rep["entities"]["PERSON"]["fn"] == 1
    assert rep["misses"][0]["entities"] == ["PERSON"]
    assert rep["failures"][0]["text"].startswith("Please tidy up")
