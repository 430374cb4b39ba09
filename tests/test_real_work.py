"""Real-work events without a proxy: what the guardrail checks and redacts, fail-closed, the Insights figures and
their small-team rule, the six-week before/after, and just-in-time catalogue marks."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from sparring.gateway.check import check_request
from sparring.gateway.just_in_time import in_the_moment, marks
from sparring.insights import real_work
from sparring.store.db import Store, dumps, iso
from sparring.store.users import add_user

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def event(store: Store, account: str, team: str | None, at: datetime, verdict: str,
          findings: dict[str, int] | None = None, scenarios: list[str] | None = None) -> None:
    with store.write() as db:
        db["real_work_events"].insert({"at": iso(at), "account": account, "team": team, "job_roles": '["claims"]',
                                       "model": "m", "policy": "external-ai", "verdict": verdict,
                                       "findings": dumps(findings or {}), "skills": "[]",
                                       "scenarios": dumps(scenarios or [])})


def attempt(store: Store, learner: str, sid: str, when: datetime) -> None:
    with store.write() as db:
        db["attempts"].insert({"learner": learner, "scenario": sid, "kind": "frame", "skills": "[]", "roles": "[]",
                               "submitted_at": iso(when), "answer": "{}", "passed": 1, "score": 1.0, "grade": "{}",
                               "verdict": "allow", "blocked": 0})


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "rw.db")
    for i in range(5):
        add_user(s, f"c{i}", ["learner"], team="Claims")
        add_user(s, f"f{i}", ["learner"], team="Finance")
    add_user(s, "s0", ["learner"], team="Small")
    add_user(s, "boss", ["compliance"])
    return s


def test_check_request_redacts_every_text_slot_and_counts_entities(org: Any) -> None:
    engine = org.policy_engine("external-ai")
    data = {"messages": [{"role": "system", "content": "You help Johanna Whitfield."},
                         {"role": "user", "content": [{"type": "text", "text": "Write to johanna@example.org"},
                                                      {"type": "image_url", "image_url": {"url": "x"}}]}]}
    c = check_request(engine, data)
    assert c.verdict == "redact" and c.texts == 2
    assert c.counts == {"EMAIL_ADDRESS": 1, "PERSON": 1}
    sent = json.dumps(data)
    assert "Whitfield" not in sent and "johanna@example.org" not in sent and "<EMAIL_ADDRESS>" in sent


def test_check_request_block_leaves_data_alone_and_clean_allows(org: Any) -> None:
    engine = org.policy_engine("external-ai")
    data = {"prompt": "Card 4111 1111 1111 1111 was charged twice"}
    c = check_request(engine, data)
    assert (c.verdict, c.blocked_entities) == ("block", ["CREDIT_CARD"])
    assert data["prompt"].startswith("Card 4111")  # refused whole: nothing of it is sent
    assert check_request(engine, {"messages": [{"role": "user", "content": "Summarise month-end steps."}]}).verdict \
        == "allow"


@pytest.fixture
def guarded_root(org_copy: Path) -> Path:
    (org_copy / "sparring.toml").write_text('[store]\npath = "data/g.db"\n[auth]\ndemo_accounts = false\n',
                                            encoding="utf-8")
    return org_copy


def test_guardrail_fails_closed_and_fail_open_is_explicit(guarded_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi import HTTPException

    from sparring.gateway.guardrail import SparringGuardrail

    g = SparringGuardrail(policy="external-ai", sparring_root=str(guarded_root), guardrail_name="sparring",
                          event_hook="pre_call", default_on=True)
    assert g.fail_open is False

    def broken(texts: list[str]) -> Any:
        raise RuntimeError("engine down: Johanna Whitfield")

    monkeypatch.setattr(g.engine, "check_batch", broken)
    data = {"user": "nobody", "model": "m", "messages": [{"role": "user", "content": "hello"}]}
    with pytest.raises(HTTPException) as e:
        asyncio.run(g.async_pre_call_hook(None, None, data, "acompletion"))
    assert e.value.status_code == 503 and "nothing was sent" in json.dumps(e.value.detail)
    g.fail_open = True
    assert asyncio.run(g.async_pre_call_hook(None, None, data, "acompletion")) is data
    rows = g.store.query("SELECT verdict, account FROM real_work_events") if g.store else []
    assert rows == [{"verdict": "error", "account": "unknown"}] * 2
    raw = b"".join(p.read_bytes() for p in (guarded_root / "data").iterdir())
    assert b"Whitfield" not in raw


def test_summary_hides_small_teams_and_shows_unknown(store: Store) -> None:
    event(store, "c0", "Claims", NOW, "block", {"CREDIT_CARD": 1})
    event(store, "c1", "Claims", NOW, "redact", {"PERSON": 2})
    event(store, "c2", "Claims", NOW, "allow")
    event(store, "c2", "Claims", NOW, "warn", {"LOCATION": 1})
    event(store, "s0", "Small", NOW, "block", {"CREDIT_CARD": 1})
    event(store, "unknown", None, NOW, "allow")
    doc = real_work.summary(store)
    teams = {t["team"]: t for t in doc["teams"]}
    assert set(teams) == {"Claims", "(unknown)"}
    assert teams["Claims"] == {"team": "Claims", "requests": 4, "slips": 2, "slips_per_100": 50.0, "blocked": 1,
                               "by_entity": {"CREDIT_CARD": 1, "LOCATION": 1, "PERSON": 2}}
    assert (doc["learners"], doc["hidden_teams"]) == (3, 1)
    assert real_work.summary(store, since=iso(NOW + timedelta(days=1)))["teams"] == []


def test_six_week_before_after_against_teams_not_yet_practising(store: Store) -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)  # a Monday
    attempt(store, "c0", "support-delayed-claim", start)
    for week in range(-6, 6):
        at = start + timedelta(weeks=week, days=1)
        for i in range(10):  # Claims: 5 slips in 10 before, 1 in 10 after; Finance: 3 in 10 throughout
            event(store, f"c{i % 5}", "Claims", at, "redact" if i < (5 if week < 0 else 1) else "allow")
            event(store, f"f{i % 5}", "Finance", at, "redact" if i < 3 else "allow")
    ba = real_work.before_after(real_work.events_frame(store), real_work.practice_starts(store))
    row = ba.set_index("team").loc["Claims"]
    assert (row["before"], row["after"], row["change"]) == (50.0, 10.0, -40.0)
    assert (row["comparison_before"], row["comparison_after"], row["comparison_change"]) == (30.0, 30.0, 0.0)
    assert row["difference"] == -40.0
    assert "Finance" not in set(ba["team"])  # never practised: comparison only
    wk = real_work.weekly(real_work.events_frame(store), "team")
    assert set(wk["slips_per_100"][wk["group"] == "Finance"]) == {30.0}


def test_just_in_time_marks_lead_until_practised(org: Any, store: Store) -> None:
    sid = "support-delayed-claim"
    event(store, "c0", "Claims", NOW - timedelta(days=1), "redact", {"CLAIM_REF": 1}, [sid])
    event(store, "c1", "Claims", NOW - timedelta(days=9), "redact", {"CLAIM_REF": 1}, [sid])  # too old
    event(store, "c2", "Claims", NOW - timedelta(days=1), "warn", {"LOCATION": 1}, [sid])  # not a slip
    got = marks(org, store, "c0", now=NOW)
    assert got == {sid: "From your work this week: Harbourline claim reference"}
    assert marks(org, store, "c1", now=NOW) == {} and marks(org, store, "c2", now=NOW) == {}
    attempt(store, "c0", sid, NOW - timedelta(hours=2))
    assert marks(org, store, "c0", now=NOW) == {}
    assert in_the_moment(store) == 1


def test_insights_section_and_my_progress(org: Any, store: Store) -> None:
    from sparring.ui import real_work_section
    from sparring.ui.context import UIContext

    ctx = UIContext(org=org, store=store)
    event(store, "c0", "Claims", NOW, "block", {"CREDIT_CARD": 1})
    event(store, "s0", "Small", NOW, "block", {"CREDIT_CARD": 1})
    team_chart, role_chart, table = real_work_section.render(ctx, gr.Request(username="boss"))
    assert "<svg" in team_chart and "| Claims | 1 | 100.0 | 1 | CREDIT_CARD 1 |" in table
    assert "Small" not in table + team_chart and "1 team(s) of fewer than 5 people not shown" in table
    with pytest.raises(gr.Error):
        real_work_section.render(ctx, gr.Request(username="c0"))
    mine = real_work_section.learner_text(ctx, "c0")
    assert "**1** AI requests" in mine and "CREDIT_CARD 1" in mine
    assert "No AI requests" in real_work_section.learner_text(ctx, "c1")


def test_exports_carry_events_as_their_own_statements(org: Any, store: Store, tmp_path: Path) -> None:
    from sparring.insights import export

    event(store, "c0", "Claims", NOW, "redact", {"PERSON": 2}, ["support-delayed-claim"])
    row = export.real_work_rows(store)[0]
    st = export.real_work_statement(row, "https://org.example")
    assert st["verb"]["id"] == "http://adlnet.gov/expapi/verbs/experienced"
    assert st["actor"]["account"] == {"homePage": "https://org.example", "name": "c0"}
    assert st["result"]["extensions"][export.EXT + "real-work"]["findings"] == {"PERSON": 2}
    assert st == export.real_work_statement(row, "https://org.example")  # same row, same id: re-sends dedupe

    class Client:
        batches: list[list[dict[str, Any]]] = []

        def post(self, batch: list[dict[str, Any]]) -> int:
            self.batches.append(batch)
            return 200

    c = Client()
    assert export.export_real_work_xapi(org, store, c, lrs_key="k")["real_work_sent"] == 1  # type: ignore[arg-type]
    assert export.export_real_work_xapi(org, store, c, lrs_key="k")["real_work_sent"] == 0  # type: ignore[arg-type]
    out = tmp_path / "rw.csv"
    assert export.write_real_work_csv(store, out) == 1
    lines = out.read_text().splitlines()
    assert lines[0].split(",") == export.REAL_WORK_COLUMNS and "PERSON=2" in lines[1]


@pytest.mark.parametrize("spec,day,surfaces", [
    ({"weekly": "friday"}, "2026-12-03", True),          # Thursday before a Friday
    ({"weekly": "friday"}, "2026-12-04", False),
    ({"weekly": "monday"}, "2026-12-04", True),          # Friday before a Monday
    ({"weekly": "monday"}, "2026-12-06", False),         # a Sunday is no working day
    ({"monthly": "last business day"}, "2026-12-30", True),   # 31 Dec 2026 is a Thursday
    ({"monthly": "last business day"}, "2026-10-29", True),   # 30 Oct 2026 is a Friday
    ({"monthly": "first business day"}, "2026-10-30", True),  # 2 Nov 2026 is a Monday
    ({"monthly": "first business day"}, "2026-11-02", False),
])
def test_when_surfaces_the_working_day_before(spec: dict[str, str], day: str, surfaces: bool) -> None:
    from datetime import date

    from sparring.content.models import When

    assert When(**spec).surfaces_on(date.fromisoformat(day)) is surfaces  # type: ignore[arg-type]


def test_when_takes_exactly_one_rule() -> None:
    from pydantic import ValidationError

    from sparring.content.models import When

    with pytest.raises(ValidationError, match="exactly one of"):
        When(weekly="friday", monthly="last business day")
    with pytest.raises(ValidationError, match="exactly one of"):
        When()


def test_when_marks_the_learners_own_scenario_the_day_before(org: Any, store: Store) -> None:
    sid = "finance-reconciliation-summary-review"
    assert org.scenarios[sid].when is not None
    eve = datetime(2026, 12, 30, 9, tzinfo=timezone.utc)
    got = marks(org, store, "f0", now=eve, prefer={sid})
    assert got == {sid: "Tomorrow's work: Supplier invoice reconciliation (month end)"}
    assert marks(org, store, "f0", now=eve + timedelta(days=1), prefer={sid}) == {}
    assert marks(org, store, "c0", now=eve, prefer=set()) == {}  # not one of their roles
