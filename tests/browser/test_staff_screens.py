"""Every staff screen, in Debian's chromium, for every staff role: the mentor's review queue, the author's tools,
the compliance officer's Policy lab and slip charts, the HR lead's Insights (with "In real work", issue 16), and a
learner's own real-work figures in My progress. Each screen at 1280x800 and 390x844: a screenshot in
artifacts/screenshots/staff-*.png, no horizontal scrolling, and an axe-core scan with no serious or critical
violation (browser_support.axe_serious).

The data: the demo data set (dated relative to today), one open review on a 6,000-character answer, and real-work
events written through the store function the gateway's guardrail uses (sparring.gateway.events.record).
"""

from __future__ import annotations

import re

import pytest
from browser_support import (NARROW, SHOTS, WIDE, axe_serious, free_port, need_chromium, sample_org,
                             settled_text, sign_in)
from playwright.sync_api import expect

from sparring.store.db import dumps
from sparring.ui.serve import start

PASSWORD = "staff screens password 7"
SID = "support-delayed-claim"
LONG_PROMPT = "Draft a reply to [customer] about the delayed claim. " * 115  # about 6,000 characters

# Who signs in, their roles, and the staff tabs each must see (and no other staff tab): README's role table.
STAFF = {
    "meg": (["mentor", "learner"], {"review"}),
    "al": (["author", "learner"], {"author", "insights", "review"}),
    "cy": (["compliance", "learner"], {"policy", "insights", "review"}),
    "hana": (["hr"], {"insights"}),
}
STAFF_TABS = {"author", "policy", "review", "insights"}
TAB_TITLES = {"author": "Author", "policy": "Policy lab", "review": "Review", "insights": "Insights"}

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _real_work(store, org, learners: list[str]) -> None:
    """A few weeks of gateway traffic for the learners, through the guardrail's own store function."""
    from sparring.gateway.events import make_event, record, training_map

    training = training_map(org, "external-ai")
    for i, name in enumerate(learners * 4):
        slipped = i % 3 == 0
        ev = make_event(store, {"user": name, "model": "assistant"}, header=None, policy="external-ai",
                        verdict="block" if slipped else "allow", counts={"PERSON": 1} if slipped else {},
                        training=training)
        record(store, ev)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    need_chromium()
    from sparring.auth import hash_password
    from sparring.insights import demo
    from sparring.review import request_review
    from sparring.store.users import add_user
    from sparring.ui import page_script
    from sparring.ui.app import CSS, auth_kwargs, create_ui

    _, org, store = sample_org(tmp_path_factory, "staff.db")
    demo.write(store, org, learners=40, weeks=12, seed=7, start=demo.recent_start(12))  # as `sparring demo-data`
    hashed = hash_password(PASSWORD)
    for name, (roles, _) in STAFF.items():
        add_user(store, name, roles, password_hash=hashed, team="Staff")
    # ann: a learner in the biggest demo team, so her traffic counts for the team too
    team = store.one("SELECT team FROM users WHERE name LIKE 'demo-%' GROUP BY team ORDER BY COUNT(*) DESC, team "
                     "LIMIT 1")["team"]
    add_user(store, "ann", ["learner"], password_hash=hashed, team=team)
    mates = [r["name"] for r in store.query("SELECT name FROM users WHERE team = ? ORDER BY name", [team])]
    _real_work(store, org, mates)
    sc = org.scenarios[SID]
    with store.write() as db:  # one attempt of ann's with a long answer, for the mentor to open
        aid = db.execute(
            "INSERT INTO attempts (learner, scenario, kind, skills, roles, submitted_at, duration_s, answer, passed, "
            "score, verdict, blocked, gaming, grade) VALUES ('ann', ?, ?, ?, ?, '2026-01-05T10:00:00+00:00', 200, "
            "?, 0, 0.45, 'allow', 0, '[]', '{}')",
            [SID, sc.kind, dumps(sc.skills), dumps(sc.roles), dumps({"prompt": LONG_PROMPT})]).lastrowid
        for i, c in enumerate(sc.rubric.criteria):
            db["criterion_results"].insert({"attempt_id": aid, "criterion": c.id, "check": c.check,
                                            "passed": int(i == 0), "score": 1.0 if i == 0 else 0.2,
                                            "required": int(c.required), "weight": c.weight, "feedback": "fb"})
    request_review(org, store, aid, "ann", "Why did the placeholder check fail?")
    blocks = create_ui(org, store)
    blocks.queue()
    port = free_port()
    start(blocks, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
          show_error=False, ssr_mode=False, css=CSS, head=page_script.HEAD,  # the app's CSS and page script, as served
          **auth_kwargs(org, store))
    try:
        yield f"http://127.0.0.1:{port}/", org, sc
    finally:
        blocks.close()


_TAB_IDS = "() => [...document.querySelectorAll('[id^=tab-][id$=-button]')].map(e => e.id.slice(4, -7))"


def visible_staff_tabs(page, expected: set[str]) -> set[str]:
    """The staff tabs the page offers (in the tab bar or its overflow menu), once the sign-in's role update has
    been applied: waits for the expected set, then reads what is there (so a wrong set fails, with the set)."""
    try:
        page.wait_for_function(f"(want) => {{ const got = ({_TAB_IDS})().filter(t => want.all.includes(t)); "
                               "return got.length === want.seen.length && want.seen.every(t => got.includes(t)); }",
                               arg={"all": sorted(STAFF_TABS), "seen": sorted(expected)}, timeout=30_000)
    except Exception:  # noqa: BLE001 - the assertion below shows what the page offers instead
        pass
    return set(page.evaluate(_TAB_IDS)) & STAFF_TABS


def horizontal_overflow(page) -> int:
    return page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")


def check_screen(page, name: str) -> None:
    """Both widths: a screenshot, no horizontal scrolling, no serious or critical axe-core violation."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("1280", WIDE), ("390", NARROW)):
        page.set_viewport_size(size)
        page.wait_for_timeout(0)  # let layout settle on the new width (no fixed wait: a zero-delay task)
        page.screenshot(path=str(SHOTS / f"staff-{name}-{label}.png"), full_page=True)
        assert horizontal_overflow(page) <= 0, f"{name} at {label} px scrolls sideways"
        found = axe_serious(page)
        assert not found, f"{name} at {label} px: {found}"
    page.set_viewport_size(WIDE)


def open_tab(page, tab_id: str) -> None:
    page.get_by_role("tab", name=TAB_TITLES[tab_id], exact=True).click()
    page.locator(f"#tab-{tab_id}").wait_for(state="visible")


def test_each_role_sees_its_staff_tabs(app, browser):
    url, _, _ = app
    for name, (_, tabs) in STAFF.items():
        page = sign_in(browser, url, name, PASSWORD)
        assert visible_staff_tabs(page, tabs) == tabs, name
        page.close()


def test_mentor_screen(app, browser):
    url, _, sc = app
    page = sign_in(browser, url, "meg", PASSWORD)
    open_tab(page, "review")
    page.get_by_text("review(s) waiting.").wait_for()
    expect(page.locator("#rv-attempt")).to_be_hidden()  # a mentor is not shown the learner's "Ask a mentor"
    expect(page.locator("#rv-question")).to_be_hidden()
    # Real buttons: primary and secondary Gradio buttons, not the small grey text buttons
    for sel in ("#rv-open", "#rv-reload"):
        cls = page.locator(sel).get_attribute("class") or ""
        assert "primary" in cls or "secondary" in cls, (sel, cls)
    page.locator("#rv-pick input").click()
    page.locator("#rv-pick [role=option]", has_text=" · ann · ").first.click()
    page.locator("#rv-open").click()
    page.get_by_text("The learner asks:").wait_for()
    # The long answer is folded: a <details> holds it, closed, with a "show all" summary
    fold = page.locator("#rv-detail details")
    expect(fold.first).to_be_attached()
    assert fold.first.get_attribute("open") is None
    expect(fold.first.locator("summary")).to_contain_text("Show all")
    # Human criterion names on the override boxes, not slugs
    crits = page.locator("#rv-crits")
    for c in sc.rubric.criteria:
        if c.label:
            expect(crits).to_contain_text(c.label)
    check_screen(page, "mentor-review")
    page.close()


def test_author_screens(app, browser):
    url, _, _ = app
    page = sign_in(browser, url, "al", PASSWORD)
    open_tab(page, "author")
    settled_text(page, "#author-rubric")
    settled_text(page, "#author-problems")
    check_screen(page, "author-tools")
    open_tab(page, "insights")
    text = settled_text(page, "#ins-agreement")
    assert "Grader agreement" in page.locator("#tab-insights").inner_text()
    assert text
    expect(page.locator("#ins-pass-rate")).to_be_hidden()  # not the full Insights
    expect(page.locator("#ins-slips")).to_be_hidden()
    check_screen(page, "author-agreement")
    page.close()


def test_compliance_screens(app, browser):
    url, _, _ = app
    page = sign_in(browser, url, "cy", PASSWORD)
    open_tab(page, "policy")
    page.locator("#lab-text textarea").fill("Card 4111 1111 1111 1111, for Maria Lopez, policy HL-1234567.")
    page.locator("#lab-check").click()
    verdict = settled_text(page, "#lab-verdict")
    if "Blocked" in verdict:  # nothing would be sent, so nothing is shown as sent
        assert page.locator("#lab-redacted textarea").input_value() == ""
    page.locator("#lab-tests").click()
    settled_text(page, "#lab-test-summary")
    # never empty: the failing tests, or the "No failures" line
    expect(page.locator("#lab-cases")).to_contain_text(re.compile(r"No failures|\bNO\b|\byes\b"))
    check_screen(page, "compliance-policy-lab")
    open_tab(page, "insights")
    settled_text(page, "#ins-headline")
    expect(page.locator("#ins-slips")).to_contain_text("Policy slips")
    expect(page.locator("#ins-pass-rate")).to_be_hidden()
    check_screen(page, "compliance-insights")
    page.close()


def test_hr_lead_sees_insights_and_real_work(app, browser):
    url, _, _ = app
    page = sign_in(browser, url, "hana", PASSWORD)
    open_tab(page, "insights")
    settled_text(page, "#ins-headline")
    expect(page.locator("#ins-pass-rate svg").first).to_be_visible()
    page.locator("#ins-real-work-btn").click()
    table = settled_text(page, "#ins-real-work")
    assert "No requests through the AI gateway yet" not in table
    expect(page.locator("#ins-real-work-team svg").first).to_be_visible()
    expect(page.locator("#ins-real-work-team")).to_contain_text("In real work")
    # Every percentage on the page is at most 100%, or says why it is more
    over = page.evaluate(r"""() => [...document.querySelectorAll('#tab-insights *')]
        .filter(e => e.children.length === 0)
        .map(e => e.textContent).filter(t => /\b(10[1-9]|1[1-9]\d|[2-9]\d\d|\d{4,})%/.test(t))""")
    assert not over, over
    check_screen(page, "hr-insights")
    page.close()


def test_learner_sees_own_real_work_figures(app, browser):
    url, _, _ = app
    page = sign_in(browser, url, "ann", PASSWORD)
    page.get_by_role("tab", name="My progress", exact=True).click()
    text = settled_text(page, "#progress-real-work")
    assert "AI requests through the gateway" in text and "slips" in text
    page.screenshot(path=str(SHOTS / "staff-learner-real-work-1280.png"), full_page=True)
    page.close()
