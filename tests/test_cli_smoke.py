"""Smoke tests for `sparring validate` and `sparring schema`: exit codes, output shape, and that the JSON Schema
editors use accepts every shipped file and refuses a broken one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from sparring.cli import main

REPO = Path(__file__).resolve().parent.parent


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _broken_org(tmp_path: Path) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.yaml").write_text("id: external-ai\ntitle: Test policy\nentities: {PERSON: block}\n")
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "syntax.yaml").write_text("id: a\ntitle: [unclosed\n")
    (tmp_path / "scenarios" / "kind.yaml").write_text(
        "id: b\ntitle: Something\nkind: tust\nroles: [hr]\nskills: [x]\nworkflow: Expenses\n"
        "outcome: Checks AI answers\nbrief: Decide what to do.\n")
    return tmp_path


# ------------------------------------------------------------------------------------------- validate


def test_validate_passes_on_the_shipped_content(capsys):
    code, out, err = _run(capsys, "validate", "--root", str(REPO))
    assert code == 0, out
    assert out == ""
    assert "OK:" in err and "scenarios" in err


def test_validate_json_on_the_shipped_content(capsys):
    code, out, _ = _run(capsys, "validate", "--root", str(REPO), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["ok"] is True and doc["problems"] == []
    assert doc["scenarios"] >= 18 and doc["policies"] >= 1


def test_validate_reports_every_broken_file_and_exits_1(tmp_path: Path):
    root = _broken_org(tmp_path)
    # The real console entry point, in its own process: the exit code is what CI and editors see.
    proc = subprocess.run([sys.executable, "-m", "sparring.cli", "validate", "--root", str(root)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(ln.startswith("scenarios/syntax.yaml:2:") and "YAML syntax error" in ln for ln in lines), lines
    assert any(ln.startswith("scenarios/kind.yaml:3:7: ") and "did you mean 'trust'?" in ln for ln in lines), lines
    assert "Traceback" not in proc.stderr


def test_validate_only_the_paths_asked_about(tmp_path: Path, capsys):
    root = _broken_org(tmp_path)
    code, out, _ = _run(capsys, "validate", "--root", str(root), "--json", str(root / "scenarios" / "kind.yaml"))
    doc = json.loads(out)
    assert code == 1
    assert {p["file"] for p in doc["problems"]} == {"scenarios/kind.yaml"}
    assert doc["problems"][0]["line"] == 3 and "did you mean 'trust'?" in doc["problems"][0]["hint"]


# --------------------------------------------------------------------------------------------- schema


def _schema(capsys, what: str) -> dict:
    code, out, _ = _run(capsys, "schema", what, "--root", str(REPO))
    assert code == 0
    doc = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(doc)
    return doc


def test_schema_scenario_accepts_every_shipped_scenario_and_refuses_mistakes(capsys):
    schema = _schema(capsys, "scenario")
    validator = jsonschema.Draft202012Validator(schema)
    files = sorted((REPO / "scenarios").rglob("*.yaml"))
    assert len(files) >= 18
    for path in files:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))]
        assert not errors, f"{path.relative_to(REPO)}: {errors[:3]}"
    # The schema is not a rubber stamp: editors flag a misspelt field, an unknown kind and a bad grader option.
    sample = yaml.safe_load((REPO / "scenarios" / "customer-support" / "delayed-claim.yaml").read_text())
    for broken in ({**sample, "outcomes": "x"}, {**sample, "kind": "fram"},
                   {**sample, "rubric": {"criteria": [{"id": "x", "check": "contains", "anny": ["a"]}]}}):
        assert not validator.is_valid(broken)
    # The organisation's own grader kind is in the schema, so editors complete its options too.
    assert "criterion:claim_reference" in schema["$defs"]


def test_schema_policy_accepts_the_shipped_policies(capsys):
    validator = jsonschema.Draft202012Validator(_schema(capsys, "policy"))
    files = sorted((REPO / "policies").rglob("*.yaml"))
    assert files
    for path in files:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))]
        assert not errors, f"{path.relative_to(REPO)}: {errors[:3]}"


@pytest.mark.parametrize("what", ["scenario", "policy"])
def test_shipped_schema_files_are_up_to_date(capsys, what: str):
    """docs/schema/*.json are what the YAML files' `$schema` lines point editors at: regenerate them with
    `sparring schema scenario > docs/schema/scenario.schema.json` (and policy) when the models change."""
    shipped = json.loads((REPO / "docs" / "schema" / f"{what}.schema.json").read_text(encoding="utf-8"))
    assert shipped == _schema(capsys, what)


def test_schema_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["schema", "scenarios"])
    assert e.value.code == 2
