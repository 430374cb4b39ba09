"""Patterns that cannot hang (issue 14): author and compliance regexes run on RE2 (linear time) where it can run
them; the others are time-bounded and `sparring validate` refuses the ones that backtrack (sparring/patterns.py).

The hostile cases run in a subprocess with a timeout: before this, `^(a+)+$` in a scenario hung `sparring grade`
for more than 100 s on 41 characters and `(a|aa)+$` in a policy took 41 s on 37.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sparring.patterns import PatternTimeout, compile_pattern, problem

REPO = Path(__file__).resolve().parent.parent
TRUST = REPO / "scenarios" / "customer-support" / "laptop-abroad.yaml"


def _org(tmp_path: Path, *, regex: str | None = None, policy_regex: str | None = None) -> Path:
    """A small organisation: the sample policy (optionally with one more pattern) and the laptop trust scenario
    whose rubric is one regex criterion."""
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "policies").mkdir()
    pol = (REPO / "policies" / "external-ai.yaml").read_text(encoding="utf-8")
    if policy_regex is not None:
        pol = pol.replace("recognizers:\n", "recognizers:\n  - entity: HOSTILE\n    action: block\n"
                          f"    patterns:\n      - {{name: hostile, regex: '{policy_regex}', score: 0.9}}\n", 1)
    (tmp_path / "policies" / "external-ai.yaml").write_text(pol, encoding="utf-8")
    sc = TRUST.read_text(encoding="utf-8")
    sc = sc[: sc.index("rubric:")] + textwrap.dedent(f"""\
        rubric:
          pass: 0.5
          criteria:
            - id: pattern
              check: regex
              any: ['{regex or "schedule"}']
        """)
    (tmp_path / "scenarios" / "laptop.yaml").write_text(sc, encoding="utf-8")
    return tmp_path


def _run_after_warmup(script: str, timeout: float) -> str:
    """Run `script` in a fresh Python; everything before it prints READY is set-up (imports, models) and is not
    timed; from READY on it must finish within `timeout` seconds."""
    # unbuffered bytes: a buffered reader would swallow what follows READY before communicate() reads the pipe
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=0)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline().decode()
        assert first.strip() == "READY", first + proc.stderr.read().decode()
        out_b, err_b = proc.communicate(timeout=timeout)
        out, err = out_b.decode(), err_b.decode()
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"still running {timeout} s after set-up: the pattern backtracks")
    assert proc.returncode == 0, err
    return out


def test_a_nested_quantifier_in_a_scenario_grades_a_hostile_answer_at_once(tmp_path: Path) -> None:
    root = _org(tmp_path, regex="^(a+)+$")
    script = textwrap.dedent(f"""
        import json
        from pathlib import Path
        from sparring.organisation import load_org
        from sparring.grading.rubric import grade
        org = load_org(Path({str(root)!r}))
        assert not org.problems, org.problems
        sc = org.scenarios["support-laptop-damaged-abroad"]
        grade(org, sc, {{"decision": "verify", "confidence": 0.8, "justification": "aaaa"}})  # warm
        print("READY", flush=True)
        r = grade(org, sc, {{"decision": "verify", "confidence": 0.8, "justification": "a" * 40 + "!"}})
        print(json.dumps(r.public()["criteria"][0]), flush=True)
        import os; os._exit(0)  # not timed either: interpreter teardown (model threads) takes seconds
        """)
    crit = json.loads(_run_after_warmup(script, timeout=1.0))
    assert crit["id"] == "pattern" and crit["passed"] is False  # graded, not an error


def test_a_hostile_policy_pattern_is_bounded(tmp_path: Path) -> None:
    root = _org(tmp_path, policy_regex="(a|aa)+$")
    script = textwrap.dedent(f"""
        from pathlib import Path
        from sparring.organisation import load_org
        org = load_org(Path({str(root)!r}))
        assert not org.problems, org.problems
        eng = org.policy_engine("external-ai")
        eng.check("Call Maria Lopez today.")  # warm: models loaded
        print("READY", flush=True)
        r = eng.check("a" * 37 + "b")
        r2 = eng.check("see " + "a" * 37)
        print(r.verdict, r2.verdict, ",".join(f.entity for f in r2.findings), flush=True)
        import os; os._exit(0)
        """)
    out = _run_after_warmup(script, timeout=5.0).split()
    assert out[1] == "block" and "HOSTILE" in out[2].split(",")  # it ran, and the pattern still matches


def test_validate_refuses_a_pattern_that_backtracks_with_file_line_and_fix(tmp_path: Path) -> None:
    # RE2 cannot run a lookbehind, so this one would run on the backtracking engine: refused
    root = _org(tmp_path, policy_regex="(?<=x)(a|aa)+$")
    proc = subprocess.run([sys.executable, "-m", "sparring.cli", "validate", "--root", str(root)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "backtracks catastrophically" in ln]
    assert lines, proc.stdout + proc.stderr
    assert re.search(r"external-ai\.yaml:\d+:\d+:", lines[0]) and "rewrite it" in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("rx, flags, refused", [
    ("^(a+)+$", 0, False),                      # RE2 runs it in linear time
    ("(a|aa)+$", re.I, False),                  # same
    (r"(?<![\d-])\d{7}(?![\d-])", re.I | re.M | re.S, False),  # the sample policy's lookaround: backtracks little
    (r"^(a+)+\1$", 0, True),                   # backreference (RE2 cannot) and nested repetition: exponential
    (r"([a-z]+)+(?=!)", re.I, True),            # lookahead after nested repetition
    ("(", 0, True),                             # does not compile
])
def test_pattern_problems(rx: str, flags: int, refused: bool) -> None:
    assert (problem(rx, flags) is not None) == refused


def test_re2_patterns_keep_their_meaning_and_bounded_ones_time_out() -> None:
    assert compile_pattern(r"\bHL-?\d{7}\b", re.I).engine == "re2"
    assert compile_pattern(r"\bHL-?\d{7}\b", re.I).search("policy hl-1234567 here")
    assert not compile_pattern(r"\bHL-?\d{7}\b", 0).search("policy hl-1234567 here")
    slow = compile_pattern(r"(?=x?)(a|aa)+$", 0)
    assert slow.engine == "regex"
    with pytest.raises(PatternTimeout):
        slow.search("a" * 60 + "b")


def test_shipped_content_still_validates(tmp_path: Path) -> None:
    for name in ("scenarios", "policies", "graders"):
        shutil.copytree(REPO / name, tmp_path / name)
    from sparring.organisation import load_org

    assert not load_org(tmp_path).problems


def test_long_whitespace_runs_in_an_answer_grade_at_once() -> None:
    # bench/regex_bench.py found the clause splitter cubic on a run of spaces: 1,000 spaces took 100 s
    script = textwrap.dedent("""
        from sparring.organisation import get_org
        from sparring.grading.rubric import grade
        org = get_org(".")
        sc = org.scenarios["support-laptop-damaged-abroad"]
        grade(org, sc, {"decision": "verify", "confidence": 0.8, "justification": "Check the schedule."})
        print("READY", flush=True)
        text = "Check" + " " * 5000 + "the schedule but" + "\\t" * 5000 + "it is optional cover; ask him."
        r = grade(org, sc, {"decision": "verify", "confidence": 0.8, "justification": text})
        print(r.score, flush=True)
        import os; os._exit(0)
        """)
    assert float(_run_after_warmup(script, timeout=10.0)) >= 0
