"""Mentor in the loop, in Debian's chromium: a learner asks for review, a mentor overrides a criterion and replies,
the learner sees the reply, and the author's grader-agreement figures change. Screenshots go to
artifacts/screenshots/review-*.png.
"""

from __future__ import annotations


import pytest
from browser_support import SHOTS, free_port, need_chromium, sample_org, settled_text, sign_in
from playwright.sync_api import expect

from sparring.store.db import dumps
from sparring.ui.serve import start

PASSWORD = "review flow password 7"
SID = "support-delayed-claim"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    need_chromium()
    from sparring.auth import hash_password
    from sparring.store.users import add_user
    from sparring.ui.app import auth_kwargs, create_ui

    _, org, store = sample_org(tmp_path_factory, "review.db")
    hashed = hash_password(PASSWORD)
    for name, roles in [("ann", ["learner"]), ("meg", ["mentor"]), ("al", ["author"])]:
        add_user(store, name, roles, password_hash=hashed)
    sc = org.scenarios[SID]
    with store.write() as db:  # one graded attempt of ann's: the first criterion passed, the others failed
        aid = db.execute(
            "INSERT INTO attempts (learner, scenario, kind, skills, roles, submitted_at, duration_s, answer, passed, "
            "score, verdict, blocked, gaming, grade) VALUES ('ann', ?, ?, ?, ?, '2025-03-03T10:00:00+00:00', 200, ?, "
            "0, 0.45, 'allow', 0, '[]', '{}')",
            [SID, sc.kind, dumps(sc.skills), dumps(sc.roles), dumps({"prompt": "Draft a reply to [customer]."})]
        ).lastrowid
        for i, c in enumerate(sc.rubric.criteria):
            db["criterion_results"].insert({"attempt_id": aid, "criterion": c.id, "check": c.check,
                                            "passed": int(i == 0), "score": 1.0 if i == 0 else 0.2,
                                            "required": int(c.required), "weight": c.weight, "feedback": "fb"})
    blocks = create_ui(org, store)
    blocks.queue()
    port = free_port()
    start(blocks, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                  show_error=False, ssr_mode=False, **auth_kwargs(org, store))
    try:
        from sparring.ui.staff_render import criterion_names

        crit = sc.rubric.criteria[1].id
        yield f"http://127.0.0.1:{port}/", crit, criterion_names(org, SID)[crit]
    finally:
        blocks.close()


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"review-{name}.png"), full_page=True)


def agreement_text(page, unlike: str | None = None) -> str:
    """The author's grader agreement in Insights (the only part of it their role shows); selecting the tab loads
    it afresh."""
    page.get_by_role("tab", name="Author").click()
    page.get_by_role("tab", name="Insights").click()
    return settled_text(page, "#ins-agreement", unlike)


def test_mentor_override_reaches_the_learner_and_the_agreement_figures(app, browser):
    url, crit, name = app  # the criterion's id, and its name as people read it
    author = sign_in(browser, url, "al", PASSWORD)
    before = agreement_text(author)
    assert "No mentor reviews yet" in before

    ann = sign_in(browser, url, "ann", PASSWORD)
    ann.get_by_role("tab", name="Review").click()
    ann.wait_for_function("() => (document.querySelector('#rv-attempt input')?.value || '').includes('#')")
    ann.locator("#rv-question textarea").fill("Why did the placeholder check fail? My reply used [customer].")
    ann.locator("#rv-ask").click()
    ann.get_by_text("Sent to the mentors as review #").wait_for()
    expect(ann.locator("#rv-replies")).to_contain_text("Waiting for a mentor")
    shot(ann, "1-asked")

    meg = sign_in(browser, url, "meg", PASSWORD)
    meg.get_by_role("tab", name="Review").click()
    meg.get_by_text("1 review(s) waiting.").wait_for()
    expect(meg.locator("#rv-attempt")).to_be_hidden()  # a mentor-only account has no learner section
    meg.locator("#rv-open").click()
    meg.get_by_text("The learner asks:").wait_for()
    expect(meg.locator("#rv-detail")).to_contain_text("Why did the placeholder check fail?")
    meg.locator("#rv-crits").get_by_label(name, exact=True).check()  # the mentor passes a criterion the machine failed
    meg.locator("#rv-comment textarea").fill("You did use a placeholder; the check missed it. Counted as passed.")
    meg.locator("#rv-send").click()
    meg.get_by_text(f"changed 1 criterion grade(s): {name}").wait_for()
    shot(meg, "2-mentor-replied")

    ann.reload()
    ann.wait_for_selector("#tabs")
    ann.get_by_role("tab", name="Review").click()
    ann.get_by_text("You did use a placeholder; the check missed it.").wait_for()
    expect(ann.locator("#rv-replies")).to_contain_text("meg replied")
    expect(ann.locator("#rv-replies")).to_contain_text(f"{name}: automatic fail → mentor pass")
    shot(ann, "3-learner-sees-reply")

    after = agreement_text(author, unlike=before)
    assert "No mentor reviews yet" not in after
    row = next(line for line in after.splitlines() if crit in line)
    assert SID in row and "0% (too few)" in row
    shot(author, "4-agreement")
    for p in (author, ann, meg):
        p.close()
