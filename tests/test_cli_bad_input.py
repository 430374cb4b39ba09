"""Bad input at the command line (issue 14): broken answers and a broken sparring.toml give exit 2 or 1 and a
message naming the place, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sparring.cli import main

REPO = Path(__file__).resolve().parent.parent
TRUST = "support-laptop-damaged-abroad"


@pytest.mark.parametrize("content, message", [
    ('{"decision": "verify", "confidence": 0.8, "justification": "ok \\ud800 there"}', "justification holds a lone surrogate"),
    ('{"decision": "verify", "confidence": 0.8, "justification": "x", "\\udc00": 1}', "lone surrogate"),
    ("[" * 100_000 + "]" * 100_000, "nested more than"),
    ('{"a":' * 100_000 + "1" + "}" * 100_000, "nested more than"),
    ('{"decision": "verify", "confidence": NaN, "justification": "x"}', "NaN is not a number"),
    ('{"decision": "verify", "confidence": Infinity, "justification": "x"}', "Infinity is not a number"),
    ('{"decision": "verify", "confidence": ' + "9" * 5000 + ', "justification": "x"}', "not a usable answer"),
    ('{"decision": "verify", "confidence": 0.8, "justification": "x"', "not valid JSON"),
    ('"just a string"', "must be a JSON object"),
    (b"\xff\xfe{}", "not UTF-8"),
])
def test_a_broken_answer_exits_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                content: str | bytes, message: str) -> None:
    f = tmp_path / "answer.json"
    if isinstance(content, bytes):
        f.write_bytes(content)
    else:
        f.write_text(content, encoding="utf-8", errors="surrogatepass")
    rc = main(["grade", "--root", str(REPO), "--scenario", TRUST, "--answer", str(f)])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and "Traceback" not in err, err


def test_python_dash_m_gives_the_same_exit_2(tmp_path: Path) -> None:
    f = tmp_path / "deep.json"
    f.write_text("[" * 100_000, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "sparring.cli", "grade", "--root", str(REPO), "--scenario", TRUST,
                           "--answer", str(f)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "nested more than" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("toml, line, words", [
    ('[store]\npath = "data/x.db"\n\n[limits]\nmax_answer_chars = "lots"\n', 5, "max_answer_chars"),
    ('[auth]\nmode = "builtin"\nsesion_hours = 3\n', 3, "sesion_hours"),
    ('[server]\nport = 7860\n[server]\nhost = "x"\n', 3, "TOML syntax error"),
    ('organisation = "A"\n\n\n[models.default]\nmodel = "x"\ntimeout_s = -1\n', 6, "timeout_s"),
])
def test_settings_errors_name_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], toml: str, line: int,
                                       words: str) -> None:
    (tmp_path / "sparring.toml").write_text(toml, encoding="utf-8")
    rc = main(["validate", "--root", str(tmp_path)])
    got = capsys.readouterr()
    err = got.out + got.err
    assert rc in (1, 2) and f"sparring.toml:{line}:" in err and words in err and "Traceback" not in err, err


def test_policy_check_refuses_text_that_is_not_utf8(capsys: pytest.CaptureFixture[str]) -> None:
    # an argument with a byte that is not UTF-8 reaches Python as a lone surrogate (surrogateescape)
    rc = main(["policy", "check", "--root", str(REPO), "--policy", "external-ai", "bad \udcff byte"])
    err = capsys.readouterr().err
    assert rc == 2 and "not UTF-8" in err and "Traceback" not in err
