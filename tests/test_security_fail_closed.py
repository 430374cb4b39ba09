"""Fail closed (issue 14): a policy check whose pattern runs past its time bound must never read as "nothing
found". Presidio skips a timed-out pattern silently; Sparring's bounded patterns raise PatternTimeout instead,
and each caller refuses or withholds: storage keeps `<UNCHECKED TEXT>`, the practice gate sends nothing, the
gateway answers 503 unless fail_open is set, `sparring policy check` exits 2.

The timeout is forced for real: the time bound (sparring.patterns.PATTERN_TIMEOUT_S) is set to a nanosecond, so
the `regex` module's own timer stops Presidio's real email pattern; the engine itself is not mocked.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from sparring import practice
from sparring.patterns import PatternTimeout
from sparring.redaction import UNCHECKED, free_text
from sparring.store.db import Store

TEXT = "Please write to Maria Lopez at maria.lopez@gmail.com about claim HL-1234567."
RAW = ("Maria", "Lopez", "maria.lopez@gmail.com")


@pytest.fixture
def tiny_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sparring.patterns.PATTERN_TIMEOUT_S", 1e-9)


def _everything_at_rest(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        out = []
        for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for row in con.execute(f'SELECT * FROM "{t}"'):
                out.extend(str(v) for v in row)
        return "\n".join(out)
    finally:
        con.close()


def test_a_timed_out_pattern_raises_instead_of_finding_nothing(org: Any, tiny_bound: None) -> None:
    engine = org.policy_engine("external-ai")
    with pytest.raises(PatternTimeout):
        engine.check(TEXT)
    closed = engine.check_fail_closed(TEXT)
    assert closed.verdict == "block" and closed.timed_out
    assert [(f.entity, f.start, f.end, f.action) for f in closed.findings] == [("UNCHECKED_TEXT", 0, len(TEXT),
                                                                               "block")]
    assert not any(raw in closed.redacted for raw in RAW)


def test_the_same_check_finds_the_email_within_its_bound(org: Any) -> None:
    r = org.policy_engine("external-ai").check(TEXT)
    assert r.timed_out is None and "EMAIL_ADDRESS" in r.entities


def test_stored_free_text_is_withheld_and_the_log_names_no_text(org: Any, tiny_bound: None,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert free_text(org, "external-ai", TEXT) == UNCHECKED
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "withheld" in logged and "did not finish" in logged
    assert not any(raw in logged for raw in RAW)


@pytest.mark.parametrize("scenario, answer", [
    ("support-delayed-claim", {"prompt": TEXT}),
    ("support-final-response-letter", {"flags": {"s4": TEXT}}),
])
def test_practice_gate_blocks_and_stores_nothing_raw(org: Any, tiny_bound: None, tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture, scenario: str,
                                                      answer: dict[str, Any]) -> None:
    store = Store(tmp_path / "p.db")
    try:
        with caplog.at_level(logging.INFO):
            out = practice.attempt(org, store, scenario, "ann", answer)
        assert out.attempt_id is not None
        if "prompt" in answer:
            assert out.blocked and out.assistant and out.assistant["status"] == "not_sent"
            assert "did not finish" in out.assistant["message"]
        assert not out.grade.passed
        rest = _everything_at_rest(tmp_path / "p.db")
    finally:
        store.close()
    for raw in RAW:
        assert raw not in rest, raw
    assert UNCHECKED in rest
    row = json.dumps(out.answer_redacted)
    assert UNCHECKED in row and "Lopez" not in row
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(raw in logged for raw in RAW)


def test_gateway_refuses_a_request_it_could_not_check_unless_fail_open(org_copy: Path, tiny_bound: None,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi import HTTPException

    from sparring.gateway.guardrail import SparringGuardrail

    (org_copy / "sparring.toml").write_text('[store]\npath = "data/g.db"\n[auth]\ndemo_accounts = false\n',
                                            encoding="utf-8")
    monkeypatch.setattr("sparring.patterns.PATTERN_TIMEOUT_S", 0.5)  # the guardrail's warm-up check must pass
    g = SparringGuardrail(policy="external-ai", sparring_root=str(org_copy), guardrail_name="sparring",
                          event_hook="pre_call", default_on=True)
    monkeypatch.setattr("sparring.patterns.PATTERN_TIMEOUT_S", 1e-9)
    data = {"user": "nobody", "model": "m", "messages": [{"role": "user", "content": TEXT}]}
    with pytest.raises(HTTPException) as e:
        asyncio.run(g.async_pre_call_hook(None, None, data, "acompletion"))
    detail = json.dumps(e.value.detail)
    assert e.value.status_code == 503 and "did not finish" in detail and "nothing was sent" in detail
    assert not any(raw in detail for raw in RAW)
    g.fail_open = True  # explicit: the request goes through unchecked, recorded as an error
    assert asyncio.run(g.async_pre_call_hook(None, None, data, "acompletion")) is data
    assert g.store is not None
    assert [r["verdict"] for r in g.store.query("SELECT verdict FROM real_work_events")] == ["error", "error"]


def test_policy_check_cli_exits_2_on_a_timeout(org: Any, tiny_bound: None, capsys: pytest.CaptureFixture[str]) -> None:
    from sparring.cli import main

    code = main(["policy", "check", "--root", str(Path(__file__).resolve().parent.parent), "--policy",
                 "external-ai", TEXT])
    err = capsys.readouterr().err
    assert code == 2 and "did not finish" in err and "not known to be clean" in err
    assert not any(raw in err for raw in RAW)
