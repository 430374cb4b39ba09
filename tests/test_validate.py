"""`sparring validate`: one broken snippet per kind of authoring mistake → the message, the file and the line.

Each case writes a tiny organisation (one policy, the snippet files) and checks that some problem names the
right file and line and says what is wrong (and, for misspellings, what was meant). Line numbers are 1-based,
as editors show them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sparring.organisation import load_org

POLICY = """\
id: external-ai
title: Sending text to external AI tools
entities:
  PERSON: block
"""

FRAME = """\
id: frame-a
title: Reply to a customer
kind: frame
roles: [customer-support]
skills: [prompt-framing]
workflow: Complaint inbox
outcome: Uses placeholders for customer details
policy: external-ai
brief: Ask the assistant for a reply.
rubric:
  criteria:
    - id: no-pii
      check: policy
      required: true
    - id: placeholder
      check: contains
      any: ["[customer]"]
examples:
  - answer: {prompt: "Reply to [customer]."}
    expect: {passed: true}
"""

SPOT = """\
id: spot-a
title: Check the letter
kind: spot
roles: [claims]
skills: [error-spotting]
workflow: Recovery letters
outcome: Checks AI letters before sending
brief: Flag the wrong sentences.
output:
  - {id: s1, text: The accident was on 14 January.}
  - {id: s2, text: We seek £6902.40., faulty: true, why: The total is £6652.40.}
  - {id: s3, text: Please pay within 21 days.}
rubric:
  criteria:
    - id: caught
      check: flags
examples:
  - answer: {flags: {s2: wrong total}}
    expect: {passed: true}
"""

TRUST = """\
id: trust-a
title: Pay the settlement?
kind: trust
roles: [claims]
skills: [trust-calibration]
workflow: Contents claims
outcome: Rejects overpayments
brief: Decide whether to use the figure.
output: Pay £6,000.
decision:
  options: [use, verify, reject]
  expected: reject
rubric:
  criteria:
    - id: decision
      check: decision
examples:
  - answer: {decision: reject, confidence: 0.9, justification: The ring is over the limit.}
    expect: {passed: true}
"""


def edit(base: str, old: str, new: str) -> str:
    assert old in base, f"test table out of date: {old!r} not in the base snippet"
    return base.replace(old, new, 1)


# (case, {file: text}, file with the problem, line, substrings the message must contain)
CASES = [
    ("yaml syntax error",
     {"a.yaml": edit(FRAME, "title: Reply to a customer", "title: Reply: to a customer")},
     "a.yaml", 2, ["YAML syntax error", "mapping values are not allowed"]),
    ("yaml unclosed bracket",
     {"a.yaml": edit(FRAME, "roles: [customer-support]", "roles: [customer-support")},
     "a.yaml", 4, ["YAML syntax error", "flow sequence"]),
    ("yaml unclosed quote",
     {"a.yaml": edit(FRAME, "workflow: Complaint inbox", "workflow: 'Complaint inbox")},
     "a.yaml", 6, ["YAML syntax error", "quoted scalar"]),
    ("yaml duplicate key",
     {"a.yaml": edit(FRAME, "brief: Ask", "title: Again\nbrief: Ask")},
     "a.yaml", 9, ["duplicate key 'title'"]),
    ("duplicate id across files",
     {"a.yaml": FRAME, "b.yaml": FRAME},
     "b.yaml", 1, ["duplicate scenario id 'frame-a'", "a.yaml"]),
    ("wrong type: text for a number",
     {"a.yaml": edit(FRAME, "policy: external-ai", "minutes: lots\npolicy: external-ai")},
     "a.yaml", 8, ["minutes", "valid integer", "got str"]),
    ("wrong type: text for a list",
     {"a.yaml": edit(FRAME, "roles: [customer-support]", "roles: customer-support")},
     "a.yaml", 4, ["roles", "valid list"]),
    ("missing required field",
     {"a.yaml": edit(FRAME, "workflow: Complaint inbox\n", "")},
     "a.yaml", 1, ["missing required field 'workflow'"]),
    ("unknown field, did you mean",
     {"a.yaml": edit(FRAME, "outcome:", "outcomes:")},
     "a.yaml", 7, ["unknown field 'outcomes'", "did you mean 'outcome'?"]),
    ("unknown nested field, did you mean",
     {"a.yaml": edit(FRAME, "  criteria:", "  critera:")},
     "a.yaml", 11, ["unknown field 'critera'", "did you mean 'criteria'?"]),
    ("unknown grader option, did you mean",
     {"a.yaml": edit(FRAME, 'any: ["[customer]"]', 'anny: ["[customer]"]')},
     "a.yaml", 17, ["unknown field 'anny'", "did you mean 'any'?"]),
    ("unknown kind, did you mean",
     {"a.yaml": edit(FRAME, "kind: frame", "kind: fraem")},
     "a.yaml", 3, ["unknown scenario kind 'fraem'", "did you mean 'frame'?"]),
    ("unknown policy id, did you mean",
     {"a.yaml": edit(FRAME, "policy: external-ai", "policy: external-aii")},
     "a.yaml", 8, ["unknown policy 'external-aii'", "did you mean 'external-ai'?"]),
    ("frame without a policy",
     {"a.yaml": edit(FRAME, "policy: external-ai\n", "")},
     "a.yaml", 1, ["needs `policy:`"]),
    ("unknown grader kind, did you mean",
     {"a.yaml": edit(FRAME, "check: contains", "check: contain")},
     "a.yaml", 16, ["unknown grader kind 'contain'", "did you mean 'contains'?"]),
    ("grader kind for another scenario kind",
     {"a.yaml": edit(FRAME, "check: contains\n      any: [\"[customer]\"]", "check: flags")},
     "a.yaml", 16, ["grader kind 'flags' does not apply to frame scenarios"]),
    ("duplicate criterion id",
     {"a.yaml": edit(FRAME, "- id: placeholder", "- id: no-pii")},
     "a.yaml", 15, ["criterion id 'no-pii' is used twice"]),
    ("duplicate spot sentence ids",
     {"s.yaml": edit(SPOT, "{id: s3,", "{id: s1,")},
     "s.yaml", 12, ["sentence id 's1' appears twice"]),
    ("spot without a faulty sentence",
     {"s.yaml": edit(SPOT, "faulty: true, why: The total is £6652.40.", "faulty: false")},
     "s.yaml", 9, ["no sentence in `output` is marked `faulty: true`"]),
    ("faulty sentence without why",
     {"s.yaml": edit(SPOT, ", why: The total is £6652.40.", "")},
     "s.yaml", 11, ["faulty but has no `why`"]),
    ("trust expected decision not in options",
     {"t.yaml": edit(TRUST, "options: [use, verify, reject]", "options: [use, verify]")},
     "t.yaml", 12, ["expected decision 'reject' is not one of the options"]),
    ("trust decision misspelt",
     {"t.yaml": edit(TRUST, "expected: reject", "expected: rejct")},
     "t.yaml", 12, ["'expected' is 'rejct'", "did you mean 'reject'?"]),
    ("example answer of the wrong shape (frame)",
     {"a.yaml": edit(FRAME, '{prompt: "Reply to [customer]."}', "{flags: {s1: wrong}}")},
     "a.yaml", 19, ["example answer for a frame scenario", "unknown field 'flags'"]),
    ("example answer of the wrong shape (trust)",
     {"t.yaml": edit(TRUST, "decision: reject, confidence", "decision: maybe, confidence")},
     "t.yaml", 18, ["example answer for a trust scenario", "'decision' is 'maybe'"]),
    ("example flags an unknown sentence",
     {"s.yaml": edit(SPOT, "{flags: {s2: wrong total}}", "{flags: {s9: wrong total}}")},
     "s.yaml", 18, ["example flags sentence 's9'", "not in `output`"]),
    ("unknown criterion in example expect",
     {"a.yaml": edit(FRAME, "expect: {passed: true}", "expect: {passed: false, failed: [placeholders]}")},
     "a.yaml", 20, ["example expects unknown criterion 'placeholders'", "did you mean 'placeholder'?"]),
]


def _org(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "external-ai.yaml").write_text(POLICY)
    (tmp_path / "scenarios").mkdir()
    for name, text in files.items():
        (tmp_path / "scenarios" / name).write_text(text)
    return tmp_path


def test_the_base_snippets_are_valid(tmp_path: Path):
    org = load_org(_org(tmp_path, {"a.yaml": FRAME, "s.yaml": SPOT, "t.yaml": TRUST}))
    assert not org.problems, "\n".join(map(str, org.problems))
    assert set(org.scenarios) == {"frame-a", "spot-a", "trust-a"}


@pytest.mark.parametrize("case,files,file,line,needles", CASES, ids=[c[0] for c in CASES])
def test_broken_snippet_is_reported_at_its_line(tmp_path: Path, case, files, file, line, needles):
    org = load_org(_org(tmp_path, files))
    shown = f"scenarios/{file}"
    here = [p for p in org.problems if p.file == shown and all(n in str(p) for n in needles)]
    assert here, f"no problem in {shown} mentions {needles}; got:\n" + "\n".join(map(str, org.problems))
    assert here[0].line == line, f"{case}: reported at line {here[0].line}, expected {line}: {here[0]}"
    assert str(here[0]).startswith(f"{shown}:{line}:{here[0].col}: ")
    # A broken file never reaches the catalogue.
    assert len(org.scenarios) < len(files)


def test_every_problem_in_every_file_is_reported_at_once(tmp_path: Path):
    org = load_org(_org(tmp_path, {
        "a.yaml": edit(FRAME, "kind: frame", "kind: fraem"),
        "s.yaml": edit(SPOT, "{id: s3,", "{id: s1,"),
        "t.yaml": edit(edit(TRUST, "options: [use, verify, reject]", "options: [use, verify]"),
                       "check: decision", "check: decisoin"),
    }))
    files = {p.file for p in org.problems}
    assert files == {"scenarios/a.yaml", "scenarios/s.yaml", "scenarios/t.yaml"}
    # The trust file has two mistakes: both are reported in the same run.
    assert len([p for p in org.problems if p.file == "scenarios/t.yaml"]) == 2
    assert not org.scenarios  # nothing broken is served
