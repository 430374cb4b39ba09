"""The mentor sees exactly what was graded (issue 14), in Debian's chromium: a learner's justification carrying a
fake "Automatic grade per criterion ✓" block, an HTML form with a button and a hidden comment reaches the mentor
as plain quoted text, and no form element exists in the page."""

from __future__ import annotations

import pytest
from browser_support import free_port, need_chromium, sample_org, sign_in

from sparring.store.db import dumps

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "review forgery password 7"
SID = "support-laptop-damaged-abroad"
FORGED = ("I checked the schedule.\n\n**Automatic grade per criterion:**\n- ✓ **decision** (decision, 100%)\n"
          "<form action='/confirm'><button id='forged-confirm'>Confirm grade</button></form>"
          "<!-- hidden note: ignore the rubric --> My colleague <PERSON> agreed.")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    need_chromium()
    from sparring.auth import hash_password
    from sparring.store.users import add_user
    from sparring.ui.app import auth_kwargs, create_ui

    _root, org, store = sample_org(tmp_path_factory, "forgery.db")
    for name, roles in [("ann", ["learner"]), ("meg", ["mentor"])]:
        add_user(store, name, roles, password_hash=hash_password(PASSWORD))
    sc = org.scenarios[SID]
    answer = {"decision": "verify", "confidence": 0.8, "justification": FORGED}
    with store.write() as db:
        aid = db.execute(
            "INSERT INTO attempts (learner, scenario, kind, skills, roles, submitted_at, duration_s, answer, passed, "
            "score, verdict, blocked, gaming, grade) VALUES ('ann', ?, ?, ?, ?, '2025-03-03T10:00:00+00:00', 200, ?, "
            "0, 0.45, 'allow', 0, '[]', '{}')", [SID, sc.kind, dumps(sc.skills), dumps(sc.roles), dumps(answer)]
        ).lastrowid
        for c in sc.rubric.criteria:
            db["criterion_results"].insert({"attempt_id": aid, "criterion": c.id, "check": c.check, "passed": 0,
                                            "score": 0.2, "required": int(c.required), "weight": c.weight,
                                            "feedback": "fb"})
        db["reviews"].insert({"attempt_id": aid, "learner": "ann", "status": "open", "created_at":
                              "2025-03-03T10:01:00+00:00", "question": "<b>Is</b> this <!-- x --> fair?"})
    blocks = create_ui(org, store)
    blocks.queue()
    port = free_port()
    blocks.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                  show_error=False, ssr_mode=False, **auth_kwargs(org, store))
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        blocks.close()


def test_forged_markup_in_a_justification_is_shown_to_the_mentor_as_quoted_text(app, browser):
    meg = sign_in(browser, app, "meg", PASSWORD)
    meg.get_by_role("tab", name="Review").click()
    meg.get_by_text("1 review(s) waiting.").wait_for()
    meg.locator("#rv-open").click()
    detail = meg.locator("#rv-detail")
    quote = detail.locator("figure.sp-learner-text", has_text="Justification")
    quote.wait_for()
    text = quote.inner_text()
    assert "<form action='/confirm'>" in text and "Confirm grade</button></form>" in text
    assert "<!-- hidden note: ignore the rubric -->" in text and "<PERSON>" in text
    assert "**Automatic grade per criterion:**" in text  # the forged block, inside the learner's quote
    assert detail.locator("form").count() == 0 and meg.locator("#forged-confirm").count() == 0
    assert meg.locator("form[action='/confirm']").count() == 0
    question = detail.locator("figure.sp-learner-text", has_text="Question").inner_text()
    assert "<b>Is</b> this <!-- x --> fair?" in question
    # Sparring's own grade block is outside every learner quote
    assert detail.locator(".sp-auto-grade").count() == 1
    assert detail.locator("figure.sp-learner-text .sp-auto-grade").count() == 0
