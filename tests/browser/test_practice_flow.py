"""A newcomer's first session, in Debian's chromium driven by Playwright, against the app started as a subprocess:
sign in with the demo account, practise one scenario of each kind (one prompt blocked by policy first), read the
feedback, and find the attempts in My progress. A screenshot of each screen goes to artifacts/screenshots/.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser_support import REPO, SHOTS, TIMEOUT_MS, chromium, free_port, need_chromium, sign_in

FRAME = "Reply to a customer whose escape-of-water claim is delayed"
SPOT = "Check an AI summary of travel cancellation cover before it goes to a customer"
TRUST = "Can a new customer cancel and get a full refund?"
BLOCKED_PROMPT = ("Draft a reply to Maria Lopez about her kitchen leak. Refund her excess to the card "
                  "4111 1111 1111 1111.")
GOOD_PROMPT = ("Draft a reply for our complaints team to [customer], whose water-leak claim has been held up for "
               "five weeks. Cover is confirmed. We are still waiting for the contractor to send the repair "
               "estimate and have chased it twice. If it is not in by [date], the adjuster will bring in a "
               "second contractor. Say sorry for the delay and the unreturned calls, explain the next step and "
               "that we will phone by [date]. Warm, plain English, under 200 words, no payment amounts.")

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PAGE = {"width": 1400, "height": 1000}


@contextlib.contextmanager
def serve_app(tmp: Path):
    """The app at REPO served by a subprocess on a free port with its own database (tmp/sparring.db); yields
    its URL once it answers, and stops it afterwards. One per test module."""
    port = free_port()
    env = {**os.environ, "SPARRING_ROOT": str(REPO), "SPARRING_DB": str(tmp / "sparring.db"),
           "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
    log = open(tmp / "app.log", "wb")
    proc = subprocess.Popen([sys.executable, str(REPO / "app.py")], cwd=tmp, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the app exited with {proc.returncode}:\n{(tmp / 'app.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the app did not serve {url}:\n{(tmp / 'app.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    need_chromium()
    with serve_app(tmp_path_factory.mktemp("app")) as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url):
    with chromium() as browser:
        pg = browser.new_page(viewport=PAGE)
        pg.set_default_timeout(TIMEOUT_MS)
        yield pg


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_from_catalogue(page, title: str) -> None:
    """Choose the scenario in 'Scenario to practise' (type to filter, pick the option) and start it."""
    page.locator("#tab-catalogue-button").click()
    pick = page.locator("#cat-pick input").first
    pick.click()
    pick.fill(title[:40])
    page.get_by_role("option", name=re.compile(re.escape(title))).first.click()
    page.wait_for_function("t => document.querySelector('#cat-pick input').value.startsWith(t)", arg=title)
    page.locator("#cat-start").click()
    page.locator("#practice-header").get_by_text(title).wait_for()


def test_newcomer_practises_one_scenario_of_each_kind(app_url, page):
    from playwright.sync_api import expect

    # Sign in with the demo account the login page itself names.
    page.goto(app_url)
    page.get_by_text("learner").first.wait_for()
    shot(page, "01-sign-in")
    page.get_by_label("username").fill("learner")
    page.get_by_label("password").fill("practice")
    page.get_by_role("button", name="Login").click()
    expect(page.locator("#whoami")).to_contain_text("Signed in as")
    expect(page.locator("#tab-author-button")).to_have_count(0)  # a learner does not see the Author tab
    expect(page.locator("#catalogue")).to_contain_text(FRAME)
    shot(page, "02-catalogue")

    # frame: a prompt that is blocked, then a good one
    open_from_catalogue(page, FRAME)
    expect(page.locator("#practice-material")).to_contain_text("Maria Lopez")
    page.locator("#frame-prompt textarea").fill(BLOCKED_PROMPT)
    page.locator("#frame-submit").click()
    expect(page.locator("#frame-policy")).to_contain_text("Not sent")
    expect(page.locator("#frame-findings")).to_contain_text("4111 1111 1111 1111")
    expect(page.locator("#feedback")).to_contain_text("Not yet")
    expect(page.locator("#frame-reply")).to_be_hidden()
    shot(page, "03-frame-blocked")
    page.locator("#retry").click()
    expect(page.locator("#result-box")).to_be_hidden()
    page.locator("#frame-prompt textarea").fill(GOOD_PROMPT)
    page.locator("#frame-submit").click()
    expect(page.locator("#frame-reply")).to_contain_text("Dear [customer]")
    expect(page.locator("#feedback")).to_contain_text("Passed")
    expect(page.locator("#model-answer")).to_contain_text("Model answer")
    shot(page, "04-frame-feedback")

    # spot: tick the two faulty sentences and say why
    open_from_catalogue(page, SPOT)
    expect(page.locator("#spot-box")).to_contain_text("up to £5,000 per person")
    page.locator("#spot-check-1 input").check()
    page.locator("#spot-reason-1 textarea").fill("The Standard limit is £3,000 per person, not £5,000.")
    page.locator("#spot-check-4 input").check()
    page.locator("#spot-reason-4 textarea").fill("There is no clause A7 and A3 excludes rebooking costs.")
    shot(page, "05-spot")
    page.locator("#spot-submit").click()
    expect(page.locator("#feedback")).to_contain_text("Flags the faulty sentences")
    expect(page.locator("#model-answer")).to_contain_text("The faulty sentences")
    shot(page, "06-spot-feedback")

    # trust: use / verify / reject, confidence, justification
    open_from_catalogue(page, TRUST)
    page.locator("#trust-decision").get_by_text("Use it").click()
    page.locator("#trust-justification textarea").fill(
        "She is inside the 14-day window (documents 9 days ago) and made no claim, so the full premium is "
        "refunded; the £25 fee only applies after 14 days.")
    shot(page, "07-trust")
    page.locator("#trust-submit").click()
    expect(page.locator("#feedback")).to_contain_text("score")
    expect(page.locator("#model-answer")).to_contain_text("Expected decision: use")
    shot(page, "08-trust-feedback")

    # progress: the four attempts are there
    page.locator("#tab-progress-button").click()
    expect(page.locator("#progress-headline")).to_contain_text("4** attempts".replace("**", ""))
    expect(page.locator("#progress-attempts")).to_contain_text(TRUST)
    shot(page, "09-progress")

    # and the catalogue now shows what was passed
    page.locator("#tab-catalogue-button").click()
    expect(page.locator("#cat-summary")).to_contain_text("passed")
    expect(page.locator("#catalogue")).to_contain_text("Passed ✓")

    # signing out leads back to the sign-in form
    page.locator("#sign-out").click()
    expect(page.get_by_role("button", name="Login")).to_be_visible()


def test_author_runs_the_examples_of_a_scenario(app_url, page):
    from playwright.sync_api import expect

    pg = sign_in(page.context.browser, app_url, "author", "practice", PAGE)
    try:
        pg.locator("#tab-author-button").click()
        expect(pg.locator("#author-rubric")).to_contain_text("Criterion")
        expect(pg.locator("#author-problems")).to_contain_text("No problems")
        pg.locator("#author-run").click()
        expect(pg.locator("#author-verdict")).to_contain_text("examples match their labels")
        shot(pg, "10-author")
    finally:
        pg.context.close()


def test_the_server_enforces_roles_over_the_api(app_url):
    """What the browser hides, the server refuses: a learner calling the author endpoint directly."""
    from gradio_client import Client

    learner = Client(app_url, auth=("learner", "practice"), verbose=False)
    with pytest.raises(Exception, match="author role"):
        learner.predict("support-delayed-claim", api_name="/author_run_examples")
    out = learner.predict("support-cooling-off-refund",
                          {"decision": "use", "confidence": 0.8, "justification": "Inside 14 days, no claim."},
                          api_name="/attempt")
    assert out["attempt_id"] and out["grade"]["scenario"] == "support-cooling-off-refund"
