"""What the browser tests share: Debian's chromium, its launch flags, where screenshots go, and a free port."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags chromium tries to reach Google's hosts at every start.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]


def need_chromium() -> None:
    """Skip locally without chromium; on CI (CI=true) its absence is a failure, never a silent skip."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing on CI; install it with `apt-get install -y chromium`")
        pytest.skip(f"{CHROMIUM} is missing; install it with `apt-get install -y chromium` to run browser tests")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
