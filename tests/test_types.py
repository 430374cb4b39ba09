"""The type checker reports no error over sparring/ (mypy, configured in pyproject.toml's [tool.mypy])."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_mypy_reports_no_error_over_the_package():
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"mypy found problems (fix them; see [tool.mypy] in pyproject.toml):\n" \
                                 f"{proc.stdout}{proc.stderr}"
    assert "Success: no issues found" in proc.stdout, proc.stdout
