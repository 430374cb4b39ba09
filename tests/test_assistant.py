"""The sandbox assistant: scripted replies by rule; a litellm model whose failures become clear messages.

The model tests talk to a real HTTP server on 127.0.0.1 that speaks the OpenAI chat API (no network needed)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from openai_stub import StubServer, completion

from sparring.assistant import answer
from sparring.assistant.model import complete
from sparring.assistant.scripted import NO_REPLY, reply
from sparring.config import ModelSettings
from sparring.content.models import AssistantSpec

SPEC = AssistantSpec.model_validate({"replies": [
    {"when": {"any": ["estimate", "contractor"]}, "text": "A"},
    {"when": {"all": ["refund", "Cooling-off"]}, "text": "B"},
    {"when": {"any": ["apolog"], "all": ["delay"]}, "text": "C"},
    {"text": "fallback"},
]})


@pytest.mark.parametrize("prompt,expected", [
    ("Ask the CONTRACTOR for news", "A"),
    ("the repair Estimate is late", "A"),
    ("cooling-off period and a refund", "B"),
    ("a refund please", "fallback"),  # `all` needs every word
    ("Apologise for the delay", "C"),
    ("Apologise", "fallback"),
    ("", "fallback"),
])
def test_scripted_first_match_wins_case_insensitive(prompt, expected):
    assert reply(SPEC, prompt) == expected


def test_scripted_without_replies_says_so():
    assert reply(AssistantSpec(), "hello") == NO_REPLY


STUB = SimpleNamespace(mode="ok", seen=[])


def _respond(body: dict, headers) -> tuple[int, dict]:
    STUB.seen.append({"body": body, "auth": headers.get("Authorization")})
    if STUB.mode == "slow":
        time.sleep(3)
    if STUB.mode == "429":
        return 429, {"error": {"message": "rate limit", "type": "rate_limit_error"}}
    if STUB.mode == "500":
        return 400, {"error": {"message": "bad request", "type": "invalid_request_error"}}
    return 200, completion("Dear [customer], ...")


@pytest.fixture(scope="module")
def stub():
    srv = StubServer(_respond).start()
    yield srv.url
    srv.stop()


def _cfg(base, **kw):
    return ModelSettings(model="openai/stub-model", api_base=base, api_key_env="SPARRING_TEST_KEY", **kw)


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("SPARRING_TEST_KEY", "test-key-123")
    STUB.seen.clear()


def test_model_reply_uses_api_base_and_key_from_env(stub):
    STUB.mode = "ok"
    r = complete("default", _cfg(stub, retries=0), "Draft a reply", system="You help")
    assert r.status == "ok" and r.text.startswith("Dear [customer]")
    assert STUB.seen[0]["auth"] == "Bearer test-key-123"
    assert [m["role"] for m in STUB.seen[0]["body"]["messages"]] == ["system", "user"]


@pytest.mark.parametrize("mode,status,words", [
    ("429", "rate_limited", "busy"),
    ("500", "error", "could not answer"),
])
def test_model_failures_become_messages(stub, mode, status, words):
    STUB.mode = mode
    r = complete("default", _cfg(stub, retries=1), "Draft a reply")
    assert r.status == status and r.text is None
    assert words in r.message and "graded and saved" in r.message
    if status == "rate_limited":
        assert len(STUB.seen) == 2  # retried once, as configured


def test_model_timeout_becomes_a_message(stub):
    STUB.mode = "slow"
    r = complete("default", _cfg(stub, retries=0, timeout_s=0.5), "Draft a reply")
    assert r.status == "timeout" and "0.5 s" in r.message


def test_keyless_local_model_is_reached(stub):
    """A local server needs no key: no api_key_env configured must still send the request."""
    STUB.mode = "ok"
    cfg = ModelSettings(model="openai/stub-model", api_base=stub, retries=0)
    r = complete("default", cfg, "Draft a reply")
    assert r.status == "ok" and r.text.startswith("Dear [customer]")
    assert len(STUB.seen) == 1


def test_missing_key_names_the_variable_and_sends_nothing(stub, monkeypatch):
    monkeypatch.delenv("SPARRING_TEST_KEY")
    r = complete("default", _cfg(stub), "Draft a reply")
    assert r.status == "error" and "SPARRING_TEST_KEY" in r.message
    assert STUB.seen == []


def test_answer_routes_by_scenario_model():
    org = SimpleNamespace(settings=SimpleNamespace(models={}))
    sc = SimpleNamespace(assistant=SPEC)
    assert answer(org, sc, "contractor?") == {"status": "scripted", "text": "A", "message": None}
    sc2 = SimpleNamespace(assistant=SPEC.model_copy(update={"model": "default"}))
    out = answer(org, sc2, "contractor?")  # alias not configured: stays offline, says why
    assert out["status"] == "scripted" and out["text"] == "A" and "not configured" in out["message"]
