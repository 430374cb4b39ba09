"""What the browser tests share: Debian's chromium, its launch flags, signing in, where screenshots go, and a free
port."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags chromium tries to reach Google's hosts at every start.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]
# A busy 2-core machine: waits are for states, this bound only stops a hang (the first screens and the first
# grading wait for the models to load).
TIMEOUT_MS = 180_000
WIDE, NARROW = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


@contextlib.contextmanager
def chromium():
    """Debian's chromium, launched by Playwright with the flags above; closed on exit."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def sign_in(browser, url: str, name: str, password: str, viewport: dict | None = None):
    """A new page in its own browser context, at url, signed in through the login form as name; returns once the
    page says who is signed in (the role update has been applied). Close it with page.context.close()."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport=viewport or WIDE)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.fill("input[type=text]", name)
    page.fill("input[type=password]", password)
    page.keyboard.press("Enter")
    expect(page.locator("#whoami")).to_contain_text("Signed in as")
    return page


def need_chromium() -> None:
    """Skip locally without chromium; on CI (CI=true) its absence is a failure, never a silent skip."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing on CI; install it with `apt-get install -y chromium`")
        pytest.skip(f"{CHROMIUM} is missing; install it with `apt-get install -y chromium` to run browser tests")


def sample_org(tmp_path_factory, db_name: str):
    """(root, org, store): a copy of the sample organisation's scenarios, policies and graders in a fresh tmp
    root, loaded, with an empty database root/db_name. For the modules that serve the app in-process."""
    from sparring.organisation import load_org
    from sparring.store.db import Store

    root = tmp_path_factory.mktemp("org")
    for name in ("scenarios", "policies", "graders"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, root / name)
    return root, load_org(root), Store(root / db_name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Gradio writes its progress ("processing | 1.8s", "queue: 2/3 | 0.4s") into the output while an event runs: a read
# must wait for the event to settle, never for an amount of time (a busy machine takes longer).
_SETTLED = """([sel, unlike]) => {
  const el = document.querySelector(sel);
  if (!el || el.querySelector('.pending, .generating')) return false;
  const t = (el.innerText || '').trim();
  return t.length > 0 && !/processing \\|| queue: \\d|\\|\\s*\\d+(\\.\\d+)?s\\b/.test(t) && t !== unlike;
}"""


def settled_text(page, selector: str, unlike: str | None = None) -> str:
    """The element's text once the event that fills it has finished (and, with `unlike`, once it has changed)."""
    page.wait_for_function(_SETTLED, arg=[selector, unlike])
    return page.locator(selector).inner_text()


# ------------------------------------------------------------------------------------------------ accessibility

_AXE = None
BLOCKING_IMPACTS = ("serious", "critical")  # the bar every screen must clear (0 of these), at 390 px and 1280 px


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (the engine ships inside axe-playwright-python: offline)."""
    global _AXE
    from axe_playwright_python.sync_playwright import Axe

    if _AXE is None:
        _AXE = Axe()
    return list(_AXE.run(page).response.get("violations", []))


def axe_serious(page) -> list[str]:
    """The serious and critical violations, one readable line each ("rule: help — selectors"); [] when clean.

    Use as `assert not axe_serious(page), axe_serious(page)` after the screen has settled.
    """
    out = []
    for v in axe_violations(page):
        if v.get("impact") in BLOCKING_IMPACTS:
            # the selector and the start of the element's HTML: a Gradio wrapper's selector alone does not say which
            targets = ", ".join(f"{' '.join(map(str, n.get('target', [])))} <{(n.get('html') or '')[:160]}>"
                                for n in v.get("nodes", [])[:5])
            out.append(f"{v['id']} ({v['impact']}): {v.get('help', '')} — {targets}")
    return out
