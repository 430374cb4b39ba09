"""Detection that generalises (issue 14): names in any script, spelled-out contact details, numbers glued to their
labels, national identifiers as people type them, lower-case texts, and the false alarms that turned clean answers
into "warned" (addresses, firms, places, date words, units, job titles, acronyms). Each table has the look-alikes
that must stay quiet beside the forms that must be found."""

from __future__ import annotations

import sys

import pytest

from sparring.policy.casing import needs_recasing, recase
from sparring.policy.scripts import script_of
from sparring.policy.spelled import spoken_digits


@pytest.fixture(scope="module")
def engine(org):
    return org.policy_engine("external-ai")


def _found(engine, text: str, entity: str) -> set[str]:
    return {f.text for f in engine.check(text).findings if f.entity == entity}


# ---------------------------------------------------------------------------------------------- names in any script
@pytest.mark.parametrize("text,name", [
    ("Please write to Ирина Соколова about her claim.", "Ирина Соколова"),
    ("The assessor, Κώστας Δημητρίου, sent photos.", "Κώστας Δημητρίου"),
    ("Reply to 田中裕子 about the delay.", "田中裕子"),
    ("Customer 최지우 wants a refund.", "최지우"),
    ("سارة أحمد called twice about the roof.", "سارة أحمد"),
    ("Dear Алексей, thank you for waiting.", "Алексей"),
    ("Ask 中村 さくら to resend the invoice.", "中村 さくら"),
])
def test_names_in_non_latin_scripts_are_found(engine, text, name):
    assert name in _found(engine, text, "PERSON")


@pytest.mark.parametrize("text", [
    "The address is Λεωφόρος Κηφισίας 12, Athens.",          # a street next to its house number
    "The heading read ΑΝΑΦΟΡΑ ΖΗΜΙΑΣ in capitals.",             # capitals: a heading, not a name
    "Привет, как дела? Это обычный текст на русском языке.",  # a text mostly in that script
])
def test_non_latin_text_that_is_not_a_name_is_not_flagged_as_one(engine, text):
    assert not _found(engine, text, "PERSON")


def test_script_of_names_the_script():
    assert [script_of(c) for c in "aЖλ中かカ한ش"] == ["LATIN", "CYRILLIC", "GREEK", "CJK", "HIRAGANA", "KATAKANA",
                                                   "HANGUL", "ARABIC"]


# ---------------------------------------------------------------------------------------------- spelled-out contacts
@pytest.mark.parametrize("text,email", [
    ("email anna dot berg at example dot com please", "anna dot berg at example dot com"),
    ("write to anna [at] example [dot] com", "anna [at] example [dot] com"),
    ("reach her on jan.kowal (at) firma (dot) pl", "jan.kowal (at) firma (dot) pl"),
    ("my address is olek at poczta dot onet dot pl", "olek at poczta dot onet dot pl"),
    ("or piotr.nowak at corp.example if that fails", "piotr.nowak at corp.example"),
    # a word before the address that reads like a local part ('her at anna dot berg') must not hide it
    ("email her at anna dot berg at example dot com please", "anna dot berg at example dot com"),
])
def test_spelled_out_emails_are_found(engine, text, email):
    assert _found(engine, text, "EMAIL_ADDRESS") == {email}


@pytest.mark.parametrize("text", [
    "we met at the office dot com is a site",        # 'at the': a phrase, not a domain
    "Summarise what the regulator says at www.fca.org.uk",  # a verb before 'at', and a URL
    "Look at page dot three of the brochure.",       # 'three' is no top-level domain
    "She is at home. Com on.",
])
def test_phrases_with_at_and_dot_are_not_emails(engine, text):
    assert not _found(engine, text, "EMAIL_ADDRESS")


@pytest.mark.parametrize("text,phone", [
    ("call me on oh seven seven double oh nine double oh two five four",
     "oh seven seven double oh nine double oh two five four"),
    ("ring zero seven seven zero zero nine zero zero two five four after six",
     "zero seven seven zero zero nine zero zero two five four"),
    ("her mobile is oh seven seven 00 900 254", "oh seven seven 00 900 254"),
    # groups said as round figures: "nine hundred" is 900, "one thousand" 1000
    ("Ring him on oh seven seven double oh nine hundred two five four.",
     "oh seven seven double oh nine hundred two five four"),
    ("her number is oh two oh seven nine four six one thousand", "oh two oh seven nine four six one thousand"),
])
def test_phone_numbers_in_words_are_found(engine, text, phone):
    assert _found(engine, text, "PHONE_NUMBER") == {phone}


def test_spoken_digits_reads_double_and_triple():
    assert spoken_digits("oh seven seven double oh triple nine")[0] == "07700999"


@pytest.mark.parametrize("text", [
    "We need one, two or three quotes for the roof.",
    "Count one two three and breathe.",
    # amounts say few digits and many zeros
    "The repair was two thousand five hundred pounds.",
    "We paid two thousand five hundred and forty, then three thousand two hundred one two three.",
    "Nine hundred people and five hundred cars, one two three.",
])
def test_a_few_number_words_are_not_a_phone_number(engine, text):
    assert not _found(engine, text, "PHONE_NUMBER")


@pytest.mark.parametrize("text,phone", [
    ("Tel:07700900254", "07700900254"),
    ("Mob.+44 7700 900254", "+44 7700 900254"),
    ("phone07700 900 254", "07700 900 254"),
    ("Jo Baker\nM: 07700 900254\nE: jo@example.com", "07700 900254"),
    ("Office | T. 020 7946 0321 | Leeds", "020 7946 0321"),
    ("0113 496 0123 office\n07700 900999 mobile", "0113 496 0123"),
    ("Please call me on07700900165.", "07700900165"),
])
def test_numbers_glued_to_their_labels_are_found(engine, text, phone):
    assert phone in _found(engine, text, "PHONE_NUMBER")


# ---------------------------------------------------------------------------------------------- identifiers as typed
@pytest.mark.parametrize("text,value", [
    ("NI number QQ 12 34 56 C", "QQ 12 34 56 C"),          # HMRC's example form
    ("copy of the form: QQ123456C", "QQ123456C"),
    ("my ni no is qq123456c", "qq123456c"),
    ("NI: AB-12-34-56-C", "AB-12-34-56-C"),
    ("National insurance number AB 12 34 56 C on file.", "AB 12 34 56 C"),
    ("Her NINO is JG103759A.", "JG103759A"),
])
def test_uk_ni_numbers_in_the_forms_people_type_are_blocked(engine, text, value):
    res = engine.check(text)
    assert res.verdict == "block" and _found(engine, text, "UK_NINO") == {value}


@pytest.mark.parametrize("text", [
    "we scored as 12 34 56 a team",                  # lower case words before digits, no label
    "Check the NI contributions table.",
    "Order BG123456A was never issued.",             # a prefix HMRC never issues, no NI label
])
def test_ni_lookalikes_are_not_blocked(engine, text):
    assert not _found(engine, text, "UK_NINO")


@pytest.mark.parametrize("text,entity", [
    ("Card 4111-1111-1111-1111 was declined.", "CREDIT_CARD"),
    ("IBAN GB82 WEST 1234 5698 7654 32 for the refund", "IBAN_CODE"),
    ("iban gb82west12345698765432", "IBAN_CODE"),
    ("SSN 123 45 6789 on the form", "US_SSN"),
    ("NHS no: 943-476-5919", "UK_NHS"),
    ("nhs 9434765919", "UK_NHS"),
])
def test_other_blocked_identifiers_in_typed_formats(engine, text, entity):
    res = engine.check(text)
    assert res.verdict == "block" and entity in {f.entity for f in res.findings}


# ---------------------------------------------------------------------------------------------- lower case
def test_recasing_keeps_the_length_and_only_applies_to_lower_case_texts():
    text = "pls ask iwase to call jana about the roof. she said straße 5 is fine."
    assert needs_recasing(text)
    re_cased = recase(text)
    assert len(re_cased) == len(text) and re_cased.lower() == text.lower()
    assert "Iwase" in re_cased and "Pls" in re_cased and "She" in re_cased and "roof" in re_cased
    assert not needs_recasing("Please ask Maria about the roof claim today.")


@pytest.mark.parametrize("text,name", [
    ("can you reply to iwase kurosawa about the roof", "iwase kurosawa"),
    ("notes: spoke to dobrila marković, she wants a callback", "dobrila marković"),
    ("ask thandeka about the invoice, she sent it twice", "thandeka"),
])
def test_names_in_lower_case_texts_are_found_and_quoted_as_typed(engine, text, name):
    assert name in _found(engine, text, "PERSON")


@pytest.mark.parametrize("text", [
    "make this shorter and simpler for the customer please",
    "explain what npm install does and why json files matter",
])
def test_lower_case_texts_of_ordinary_words_stay_clean(engine, text):
    assert engine.check(text).verdict == "allow"


# ---------------------------------------------------------------------------------------------- false alarms
@pytest.mark.parametrize("text,quiet", [
    ("The letter went to 233 Erzsébet tér 19 and then to Porto Alegre.", {"Erzsébet", "Erzsébet tér"}),
    ("Our office is at 12 Villacher Strasse 89.", {"Villacher Strasse"}),
    ("The Davis, Reynolds and Williamson Orchestra claimed for a cello.", {"Davis", "Reynolds", "Williamson"}),
    ("She spent a year at Jones, Mitchell and Williams.", {"Jones", "Mitchell", "Williams"}),
    ("I work for Aunt Bertha Inc now.", {"Bertha", "Bertha Inc"}),
    ("We flew to Eckenroth on Sunday.", {"Eckenroth"}),
    ("Read the Cautionary Tales before the workshop.", {"Tales", "Cautionary Tales"}),
    ("The Loss Adjuster and the Claims Handler agreed.", {"Loss Adjuster", "Claims Handler"}),
    # job titles after a greeting or a field label, departments in the plural (Claims, Accounts, Complaints)
    ("Dear Claims Handler, thank you for the file.", {"Claims Handler"}),
    ("Name: Claims Handler", {"Claims Handler"}),
    ("Thanks, Motor Claims Handler", {"Motor Claims Handler", "Claims Handler"}),
    ("Dear Accounts Payable Clerk, the invoice is attached.", {"Accounts Payable Clerk"}),
    ("Hello Complaints Officer, please review.", {"Complaints Officer"}),
    # a pronoun opening a sentence, prose after a field-like label
    ("You asked the AI assistant to draft the letter.", {"You"}),
    ("Nothing identifies our policyholder: the other insurer matches it by reference.", {"the other insurer"}),
    ("Storm Ciara damaged the roof.", {"Ciara"}),
    ("Due 3 Jan, paid in Sept.", {"Jan", "Sept"}),
])
def test_addresses_firms_places_and_words_are_not_people(engine, text, quiet):
    assert not _found(engine, text, "PERSON") & quiet


def test_no_shipped_scenario_brief_names_a_person(engine, org):
    # briefs speak to the learner ("You asked ...") about roles ("the Claims Handler"), never about a named person
    flagged = {(sid, f.text) for sid, sc in org.scenarios.items() for f in engine.check(sc.brief).findings
               if f.entity == "PERSON"}
    assert not flagged


@pytest.mark.parametrize("text,name", [
    ("Dear Priya, thanks for the photos.", "Priya"),
    ("Thanks, Ann Lee", "Ann Lee"),
    ("Policyholder: Ann Lee", "Ann Lee"),
    ("Dear Mr Fletcher, your claim is settled.", "Fletcher"),
])
def test_names_after_greetings_and_labels_are_still_found(engine, text, name):
    assert name in _found(engine, text, "PERSON")


@pytest.mark.parametrize("text", [
    "Can AI help me draft this reply?",
    "The NI contributions table is attached.",
    "The boiler is rated at 24 kW.",
    "Contact the broker about the renewal.",
])
def test_acronyms_units_and_verbs_are_not_places(engine, text):
    assert not _found(engine, text, "LOCATION")


@pytest.mark.parametrize("text,name", [
    ("Mrs Hall rang about the claim.", "Hall"),                 # a title makes it a name, whatever the word
    ("Ludwig van Beethoven wrote to us.", "Ludwig van Beethoven"),
    ("Dexter lives on Ziegelgasse 19.", "Dexter"),              # an English word that is a given name
    ("Anna Berg 07700 900254", "Anna Berg"),                    # a phone number after a name is no house number
])
def test_names_next_to_the_words_that_silence_others_are_still_found(engine, text, name):
    assert name in _found(engine, text, "PERSON")


# ---------------------------------------------------------------------------------------------- our own labelled set
def test_own_labelled_set_is_deterministic_and_its_spans_are_valid(repo):
    sys.path.insert(0, str(repo / "bench"))
    from policy_own_set import own_set

    rows = own_set()
    assert rows == own_set()
    kinds = {r["kind"] for r in rows}
    assert {"contact", "scripts", "spelled", "lower", "prompts", "clean"} <= kinds
    for r in rows:
        for ent, s, e in r["spans"]:
            assert 0 <= s < e <= len(r["text"]) and r["text"][s:e].strip() == r["text"][s:e]


def test_own_labelled_set_meets_the_issue_targets(engine, repo):
    sys.path.insert(0, str(repo / "bench"))
    from policy_bench import TARGET, score
    from policy_own_set import own_set

    rows = own_set()
    res = engine.check_batch([r["text"] for r in rows])
    pred = [[(f.entity, f.start, f.end) for f in x.findings if f.entity in TARGET] for x in res]
    total = score([r["spans"] for r in rows], pred)["ALL 7"]
    assert total["recall"] >= 0.92 and total["precision"] >= 0.85, total


# ---------------------------------------------------------------------------------------------- NER windows (speed)
def test_the_ner_model_reads_only_sentences_that_could_hold_a_name(engine):
    from sparring.policy.nlp import ner_windows

    text = "Please keep the tone warm. Avoid jargon. Tomomi Nishiyama rang on Monday. She asked twice."
    windows = [text[s:e] for s, e in ner_windows(text)]
    assert any("Tomomi Nishiyama" in w for w in windows)
    assert not any("Please keep" in w or "Avoid jargon" in w for w in windows)
    assert ner_windows("please keep the tone warm and avoid jargon.") == []
    assert "Tomomi Nishiyama" in _found(engine, text, "PERSON")


@pytest.mark.parametrize("text,name", [
    ("Please reply today. Heather asked about the excess.", "Heather"),   # a name opening a sentence
    ("Keep it short. The customer is 山田太郎 from the Leeds office.", "山田太郎"),  # letters without case
    ("keep it short. ask iwase to call jana novotna.", "jana novotna"),   # lower case, re-cased first
])
def test_names_in_the_sentences_the_model_reads_are_still_found(engine, text, name):
    assert name in _found(engine, text, "PERSON")
