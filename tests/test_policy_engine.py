"""The policy engine on the sample organisation's `external-ai` policy, and on small inline policies.
The spaCy pipeline loads once per session (shared NLP engine); each PolicyEngine here is cheap to build."""

from __future__ import annotations

import pytest

from sparring.content.models import Policy
from sparring.policy import redact_for_storage
from sparring.policy.engine import PolicyEngine


@pytest.fixture(scope="module")
def engine(org):
    return org.policy_engine("external-ai")


@pytest.mark.parametrize("text,verdict,entities", [
    ("Write a reply to Maria Lopez about policy HL-1234567.", "redact", {"PERSON", "POLICY_NUMBER"}),
    ("Write a reply to [customer] about [policy number].", "allow", set()),
    ("Reply to <PERSON> (<EMAIL_ADDRESS>) about <POLICY_NUMBER>.", "allow", set()),
    ("can you reply to maria lopez about the assessor", "redact", {"PERSON"}),
    ("CUSTOMER JOHN SMITH COMPLAINED. WRITE A REPLY.", "redact", {"PERSON"}),
    ("Call her on +33 6 12 34 56 78 tomorrow.", "redact", {"PHONE_NUMBER"}),
    ("SSN 123-45-6789 for the US claimant.", "block", {"US_SSN", "LOCATION"}),
    ("Card 4111 1111 1111 1111 was declined.", "block", {"CREDIT_CARD"}),
    ("Brief the board on Project Falcon.", "block", {"CODENAME"}),
    ("The office is closed on 25 December; HomeShield Plus renewals resume on 2 January.", "allow", set()),
    ("Error code ERR-4040 appears when I upload photos.", "allow", set()),
    ("Broker BRK-4821 sent an incomplete proposal.", "warn", {"BROKER_CODE"}),
    ("Email support@harbourline.example for help.", "allow", set()),
    ("Kind regards, Agnieszka Nowak", "redact", {"PERSON"}),                  # sign-off
    ("Name: tünde hoffmann, cover: contents", "redact", {"PERSON"}),          # lower-case form field
    ("card no 213175197796454 was charged twice", "block", {"CREDIT_CARD"}),   # Luhn-valid, unusual length
    ("card no 213175197796455 was charged twice", "allow", set()),            # same digits, Luhn fails
    ("Phone: 467 3395, wants a callback", "redact", {"PHONE_NUMBER"}),        # short local number after a label
    ("Claims went from 1 200 to 1 450 a week", "allow", set()),               # digit groups, no phone word
    ("my iban is gb42nawi04454264788619", "block", {"IBAN_CODE"}),             # lower-case IBAN
    ("The project is amber on the RAG report.", "allow", set()),              # acronym the model calls a PERSON
    ("Ask jane@corp.example and ops@hr.internal", "redact", {"EMAIL_ADDRESS"}),  # non-public domains
    ("pin lodash@4.17.21, ping @claims-team, user@ alone", "allow", set()),     # not emails
    ("Tomomi Nishiyama asked why her claim was cut.", "redact", {"PERSON"}),   # model says ORG
    ("May we ask Claude? Bill the broker. Mark it urgent.", "allow", set()),   # words and tools, not people
    ("Dr. Wells rang about the claim.", "redact", {"PERSON"}),                 # English word after a title
])
def test_verdicts_and_entities(engine, text, verdict, entities):
    res = engine.check(text)
    assert res.verdict == verdict, res.findings
    assert {f.entity for f in res.findings} == entities


def test_redaction_replaces_blocked_and_redacted_but_keeps_warnings(engine):
    res = engine.check("Email maria.lopez@gmail.com about HL-1234567, she lives in Leeds.")
    assert res.redacted == "Email <EMAIL_ADDRESS> about <POLICY_NUMBER>, she lives in Leeds."
    assert any(f.entity == "LOCATION" and f.action == "warn" for f in res.findings)


def test_findings_carry_rule_and_explanation_with_context_boost(engine):
    res = engine.check("Customer called, her mobile number is 07700 900123.")
    (f,) = res.findings
    assert f.entity == "PHONE_NUMBER" and f.text == "07700 900123"
    assert "Phone" in f.rule
    assert "context word" in f.explanation and "final score" in f.explanation


def test_hidden_identifiers_are_found_and_offsets_point_at_the_original(engine):
    text = "Chase HL-12\u200b34567 and ma\u200bria@example.com today"
    res = engine.check(text)
    assert {f.entity for f in res.findings} == {"POLICY_NUMBER", "EMAIL_ADDRESS"}
    for f in res.findings:
        assert text[f.start:f.end] == f.text
    assert res.redacted == "Chase <POLICY_NUMBER> and <EMAIL_ADDRESS> today"


def test_public_contract_and_safe_form(engine):
    res = engine.check("Write to Sophie Martin about her renewal.")
    doc = res.public()
    assert set(doc) == {"verdict", "findings", "redacted"}
    assert set(doc["findings"][0]) == {"entity", "text", "start", "end", "score", "action", "rule"}
    safe = res.public(include_text=False)
    assert "Sophie" not in str(safe)
    assert safe["findings"][0]["text"] == "<PERSON>"


def test_check_batch_matches_check(engine):
    texts = ["Write to Sophie Martin.", "Nothing personal here.", "Card 4111 1111 1111 1111 declined."]
    assert [r.model_dump() for r in engine.check_batch(texts)] == [engine.check(t).model_dump() for t in texts]


def test_empty_text_is_allowed(engine):
    assert engine.check("   ").verdict == "allow"


def _policy(**kw) -> Policy:
    base = {"id": "t", "title": "Test policy"}
    base.update(kw)
    return Policy.model_validate(base)


def test_min_score_filters_weak_findings():
    strict = PolicyEngine(_policy(entities={"PERSON": {"action": "block", "min_score": 0.95}}))
    assert strict.check("Write to Sophie Martin about her renewal.").verdict == "allow"
    loose = PolicyEngine(_policy(entities={"PERSON": {"action": "block", "min_score": 0.5}}))
    assert loose.check("Write to Sophie Martin about her renewal.").verdict == "block"


def test_yaml_recognizer_context_and_deny_list():
    pol = _policy(recognizers=[
        {"entity": "TICKET", "action": "redact", "patterns": [{"name": "ticket", "regex": r"\bT-\d{4}\b",
                                                               "score": 0.3}],
         "context": ["ticket"]},
        {"entity": "CODENAME", "action": "block", "deny_list": ["Bluebird"]}])
    eng = PolicyEngine(pol)
    weak = eng.check("See T-1234 later.")
    assert weak.verdict == "allow"  # 0.3 is under the default min_score 0.5
    boosted = eng.check("See ticket T-1234 later.")
    assert boosted.verdict == "redact" and "ticket" in boosted.findings[0].explanation
    assert eng.check("the bluebird launch").findings[0].entity == "CODENAME"


def test_allow_list_is_case_insensitive_and_whole_word():
    eng = PolicyEngine(_policy(entities={"EMAIL_ADDRESS": "block"}, allow_list=["help@corp.com"]))
    assert eng.check("Mail HELP@corp.com").verdict == "allow"
    assert eng.check("Mail jo@corp.com").verdict == "block"


def test_allowed_entities_are_not_looked_for():
    eng = PolicyEngine(_policy(entities={"PERSON": "allow", "EMAIL_ADDRESS": "warn"}))
    assert eng.entities == ["EMAIL_ADDRESS"]


def test_redact_for_storage_hides_warnings_too(org):
    text = "Maria Lopez in Leeds, policy HL-1234567"
    safe = redact_for_storage(org, None, text)
    assert "Maria" not in safe and "Leeds" not in safe and "HL-1234567" not in safe
    assert safe == redact_for_storage(org, "external-ai", text)
    assert redact_for_storage(org, "no-such-policy", text) == safe  # falls back to the default policy


def test_world_names_hold_international_given_names_but_no_english_words():
    from sparring.policy.world_names import world_given_names

    names = world_given_names()
    assert {"tomomi", "zuzana", "halldór", "szabina", "maria"} <= names
    assert not {"the", "you", "storm", "hope", "will", "may", "claude", "tales"} & names


# Names the small model misses, found where the sentence says they are people - and the look-alikes that are not.
@pytest.mark.parametrize("text,people", [
    ("Minutes: Okonkwo, Becker and Vasquez agreed to reopen the claim.", {"Okonkwo", "Becker", "Vasquez"}),
    ("they had 3 kids: silvana, christopher and caleb", {"silvana", "christopher", "caleb"}),
    ("Siobhán: can you check the excess?\nTeodor: it's £250 on this policy.", {"Siobhán", "Teodor"}),
    ("What's your last name? Boyle", {"Boyle"}),
    ("Please reply to Teresa about the delay, she called twice.", {"Teresa"}),    # WordNet knows Teresa as a noun
    ("Scott is chasing the assessor for the report.", {"Scott"}),
    ("The claimant, Wiktoria Zielińska, sent photos.", {"Wiktoria Zielińska"}),  # letters beyond ASCII
    ("Csanád P Gere lives at the old mill.", {"Csanád P Gere"}),                # middle initial between unknowns
    ("Users call me Bartek on the helpdesk.", {"Bartek"}),
    ("I'm so jealous! said Maslin to Antonio", {"Maslin", "Antonio"}),
    ('Vsevolod: "Who are you?"\nHeather:"I\'m Daniel\'s daughter".', {"Vsevolod", "Heather", "Daniel"}),
    ("Ask Petrović why the invoice is late; Ásgeirsdóttir approved it.", {"Petrović", "Ásgeirsdóttir"}),
    # not people
    ("The letter went to 9721 Dalmatinova 43 and to ul. Narewska 94.", set()),   # streets named after people
    ("Write a newsletter paragraph about our expansion into Spain and Portugal.", set()),
    ("Compare quotes from Hiscox, Beazley and Markel for the fleet.", set()),      # the policy's allow list
    ("Agent: Thanks for calling.\nCaller: My roof is leaking.", set()),           # roles, not speakers' names
    ("Summary: the roof claim is approved.\nNext steps: pay the contractor.", set()),
    ("Sales are up in Georgia and Carolina; our offices are in Reading, Bath and Wells.", set()),
    ("The renewal is due in April and the audit in June.", set()),
    ("The policy was called Home Plus until 2021; a tool called Zywave replaced it.", set()),
])
def test_names_found_by_their_place_in_the_sentence(engine, text, people):
    found = {f.text for f in engine.check(text).findings if f.entity == "PERSON"}
    assert found == people


def test_name_nouns_are_common_given_names_that_wordnet_lists_as_nouns_only():
    from sparring.policy.world_names import census_surnames, name_nouns

    nouns = name_nouns()
    assert {"scott", "teresa", "logan", "heather", "tiffany"} <= nouns
    # verbs and adjectives, months, places and rare one-country names stay out
    assert not {"will", "mark", "grace", "rose", "amber", "april", "june", "florence", "georgia", "asset"} & nouns
    surnames = census_surnames()
    assert {"becker", "vasquez", "reed", "nielsen"} <= surnames
    assert not {"brown", "white", "young", "the", "florence"} & surnames


def test_a_list_that_runs_into_a_firms_name_is_not_a_list_of_people(engine):
    from sparring.policy.recognizers import NameListRecognizer

    rec = NameListRecognizer()
    firm = "They booked the Clark, Romero and Webb Orchestra for the staff party."
    people = "They booked Clark, Romero and Webb for the staff party."
    assert not [r for r in rec.analyze(firm, ["PERSON"]) if "list" in r.analysis_explanation.pattern_name]
    assert len([r for r in rec.analyze(people, ["PERSON"]) if "list" in r.analysis_explanation.pattern_name]) == 3
