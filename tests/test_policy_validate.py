"""`sparring validate` on malformed policies: every problem at FILE:LINE with an actionable message."""

from __future__ import annotations

import pytest

from sparring.cli import main

GOOD_HEAD = "id: broken\ntitle: Broken policy\n"


@pytest.mark.parametrize("body,line,message", [
    ("entities:\n  PERSON: blok\n", 4, "'action' is 'blok', not an allowed value (did you mean 'block'?)"),
    ("entities:\n  PERSON: {action: redakt}\n", 4, "'action' is 'redakt'"),
    ("entities:\n  PERSN: block\n", 4, "unknown entity 'PERSN' (did you mean 'PERSON'?)"),
    ("recognizers:\n  - entity: TICKET\n    patterns: [{regex: 'T-(\\d+', score: 0.5}]\n", 5,
     "does not compile"),
    ("recognizers:\n  - entity: TICKET\n    deny_list: [a]\n  - entity: TICKET\n    deny_list: [b]\n", 6,
     "recognizer 'TICKET' is defined twice"),
    # several problems in one file: the cross-checks still run when the structure is broken
    ("entities:\n  PERSN: block\n  EMAIL_ADDRESS: blok\n", 4, "unknown entity 'PERSN'"),
])
def test_malformed_policy_points_at_the_line(tmp_path, capsys, body, line, message):
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "broken.yaml").write_text(GOOD_HEAD + body, encoding="utf-8")
    rc = main(["validate", "--root", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 1
    hits = [ln for ln in out.splitlines() if message in ln]
    assert hits, out
    assert hits[0].startswith(f"policies/broken.yaml:{line}:"), out


def test_policy_test_file_with_unknown_policy(tmp_path, capsys):
    (tmp_path / "policies" / "tests").mkdir(parents=True)
    (tmp_path / "policies" / "tests" / "t.yaml").write_text(
        "policy: external-aj\ntests:\n  - text: hi\n    expect: allow\n", encoding="utf-8")
    assert main(["validate", "--root", str(tmp_path)]) == 1
    assert "policies/tests/t.yaml:1:" in capsys.readouterr().out


def test_policy_test_file_with_unknown_entity(org_copy, capsys):
    path = org_copy / "policies" / "tests" / "typo.yaml"
    path.write_text("policy: external-ai\ntests:\n  - text: Write to Maria\n    expect: redact\n"
                    "    entities: [PERSN]\n", encoding="utf-8")
    assert main(["validate", "--root", str(org_copy)]) == 1
    out = capsys.readouterr().out
    assert "policies/tests/typo.yaml:5:" in out and "unknown entity 'PERSN' (did you mean 'PERSON'?)" in out
