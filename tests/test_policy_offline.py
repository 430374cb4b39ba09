"""Checking a text with an email address and a URL opens no socket: tldextract reads its bundled suffix list."""

from __future__ import annotations

import socket

import pytest

from sparring.policy import recognizers
from sparring.policy.engine import PolicyEngine


def test_no_socket_while_checking_email_and_url(org, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted while checking a text")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    # Force tldextract to (re)load its suffix list inside the guarded block, as on a fresh process.
    monkeypatch.setattr(recognizers.OFFLINE_TLD, "_extractor", None)
    engine = PolicyEngine(org.policy("external-ai"))
    res = engine.check("Send it to maria.lopez@gmail.com and see https://www.fca.org.uk/consumer-duty")
    assert {f.entity for f in res.findings} >= {"EMAIL_ADDRESS", "URL"}


def test_presidio_email_recognizer_uses_the_offline_extractor():
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer
    import tldextract.tldextract as tld

    assert email_recognizer.tldextract.extract is recognizers.OFFLINE_TLD
    assert tld.TLD_EXTRACTOR is recognizers.OFFLINE_TLD
    assert recognizers.OFFLINE_TLD.suffix_list_urls == ()


@pytest.mark.parametrize("url", ["https://intranet.harbourline.internal/claims", "www.fca.org.uk/firms"])
def test_urls_are_warned_not_fetched(org, url, monkeypatch):
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    res = org.policy_engine("external-ai").check(f"Explain {url} simply")
    assert res.verdict == "warn"
