"""Feedback a learner can use (issue 13, items 7 and 8).

- What a learner reads (the summary, each criterion's label and feedback: the practice tab and `grade --json`)
  never shows the machinery: no pattern from a rubric, no recognizer name, no detector score, no entity-type
  constant, no criterion id, no spot sentence id. Checked on every shipped example and model answer.
- The feedback never contradicts the brief: every scenario's model answer grades with no failed criterion.
- Quotes are whole words, around the words that matter; criteria have human names; a non-English answer is
  told that grading is in English here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from grading_helpers import org as bare_org
from grading_helpers import trust
from sparring import gaming
from sparring.grading import feedback as fb
from sparring.grading.rubric import grade
from sparring.policy.entities import KNOWN_ENTITIES

# ------------------------------------------------------------------------------------- pure wording helpers


LONG = ("Before anything else I reread the booklet and the policy schedule very carefully, line by line, and "
        "only then did I see that the administration fee applies after the fourteen-day cooling-off window.")


def test_quote_cuts_only_between_words_and_keeps_the_words_that_matter_in_view():
    q = fb.quote(LONG, 80, around=["fourteen-day"])
    assert len(q) <= 82 and "fourteen-day" in q
    assert q.startswith("“…") and q.endswith("”")
    inner = q.strip("“”").strip("…")
    # every word of the quote is a whole word of the text
    assert all(w in LONG.split() for w in inner.split()), inner
    # without a focus, the start of the text, still whole words
    head = fb.quote(LONG, 60)
    assert head.startswith("“Before") and head.endswith("…”")
    assert all(w in LONG.split() for w in head.strip("“”…").split())
    assert fb.quote("Short and sweet.", 60) == "“Short and sweet.”"
    assert fb.quote("", 60) == "" and fb.quote(None) == ""


def test_quote_focus_falls_back_to_the_start_when_the_key_words_are_absent():
    assert fb.quote(LONG, 60, around=["nothing-like-this"]) == fb.quote(LONG, 60)


def test_key_words_keep_figures_first():
    assert fb.key_words("The limit is £3,000 per person, not £5,000.")[:2] == ["£3,000", "£5,000"]


@pytest.mark.parametrize("entity,words", [
    ("PERSON", "a person's name"), ("EMAIL_ADDRESS", "an email address"), ("UK_NINO", "a National Insurance number"),
    ("IP_ADDRESS", "an IP address"), ("CLAIM_REF", "a Harbourline claim reference"),
    ("SOMETHING_NEW", "a something new"),
])
def test_entity_types_in_words(entity, words):
    assert fb.entity_words(entity, {"CLAIM_REF": "Harbourline claim reference"}) == words


def test_every_known_entity_type_has_words_without_the_constant():
    for e in KNOWN_ENTITIES:
        w = fb.entity_words(e)
        assert e not in w and "_" not in w, (e, w)


def test_redacted_text_reads_in_words():
    assert fb.redacted_words("Dear <PERSON>, about <EMAIL_ADDRESS>.") == "Dear [person's name], about [email address]."


@pytest.mark.parametrize("crit,label", [
    ({"id": "no-pii", "check": "policy"}, "Keeps personal data out of the prompt"),
    ({"id": "r", "check": "regex", "any": ["14[- ]day"]}, "Mentions the required detail"),
    ({"id": "r", "check": "regex", "none": ["guarantee"]}, "Leaves out what should not be there"),
    ({"id": "s", "check": "semantic", "expect": "Explains that the claim waits for the estimate."},
     "Explains that the claim waits for the estimate"),
    ({"id": "s", "check": "semantic", "expect": "Promises a payout.", "absent": True},
     "Leaves out what the task rules out"),
    ({"id": "d", "check": "decision"}, "Makes the right call"),
    ({"id": "j", "check": "justification", "reasons": ["a reason"]}, "Gives the key reasons"),
    ({"id": "named", "check": "decision", "label": "Decides well"}, "Decides well"),
])
def test_default_labels_never_show_the_id(crit, label):
    sc = trust([crit] if crit["check"] != "policy" else [{"id": "d", "check": "decision"}])
    c = sc.rubric.criteria[0] if crit["check"] != "policy" else None
    if c is None:
        from sparring.content.models import Criterion

        c = Criterion.model_validate(crit)
    assert fb.label_for(c, None, "frame") == label


def test_a_plugin_kind_declares_its_default_label(org):
    kind = org.registry.get("claim_reference")
    crit = kind.parse({"id": "claim-ref", "check": "claim_reference"})
    assert fb.label_for(crit, kind, "frame") == "Carries the claim reference"


# ------------------------------------------------------------------------------------- language of the answer

POLISH = ("Odrzucam tę odpowiedź, ponieważ stawka podatku jest nieaktualna. Obecnie stawka wynosi dwanaście "
          "procent, więc podatek od składki to pięćdziesiąt siedem funtów i sześćdziesiąt pensów.")
PORTUGUESE = ("Eu rejeitaria esta resposta, porque a taxa do imposto está desatualizada: hoje a taxa é de doze por "
              "cento, então o imposto sobre o prêmio é de cinquenta e sete libras.")


@pytest.mark.parametrize("text", [POLISH, PORTUGUESE])
def test_a_non_english_answer_is_told_grading_is_in_english(text):
    assert not fb.looks_english(text)
    r = grade(bare_org(), trust([{"id": "d", "check": "decision"}], pass_mark=0.5, expected="reject"),
              {"decision": "reject", "confidence": 0.8, "justification": text})
    assert r.passed  # the decision alone passes: the note is said whatever the result
    assert fb.LANGUAGE_NOTE in r.summary


def test_an_english_answer_gets_no_language_note():
    text = "I would reject it: the rate is out of date, it is 12% now, so IPT is £57.60."
    assert fb.looks_english(text) and fb.summary_note(text) == ""
    r = grade(bare_org(), trust([{"id": "d", "check": "decision"}], pass_mark=0.5, expected="reject"),
              {"decision": "reject", "confidence": 0.8, "justification": text})
    assert "English" not in r.summary


# ------------------------------------------------------------------------- every shipped example, every model answer


def model_answer(sc: Any) -> dict[str, Any]:
    """The scenario's expert answer in the shape of its kind: the model answer as the prompt (frame) or as the
    justification of the expected decision (trust); for spot, each faulty sentence flagged with its `why`."""
    if sc.kind == "frame":
        return {"prompt": sc.model_answer}
    if sc.kind == "trust":
        return {"decision": sc.decision.expected, "confidence": 0.9,
                "justification": sc.model_answer or sc.decision.why or ""}
    return {"flags": {s.id: s.why for s in sc.output if s.faulty}}


@pytest.fixture(scope="module")
def graded(org):
    out = []
    for sid, sc in sorted(org.scenarios.items()):
        out.append((sid, "model answer", grade(org, sc, model_answer(sc))))
        for i, ex in enumerate(sc.examples):
            out.append((sid, ex.name or f"example {i + 1}", grade(org, sc, ex.answer)))
    return out


_META = re.compile(r"[\\\[\](){}?*+|^$]")
_GENERIC_PATTERN = re.compile(r"\\[bdswBDSW.]|\(\?|\[[^\]\w]+\]|[,.)\]]\?")
_SCORE = re.compile(r"\bscore\s*[:=]?\s*[01]?\.\d|(?<![\d£$€,.])0\.\d{2,}\b")


def _forbidden(org, sc) -> dict[str, re.Pattern]:
    """What must not reach a learner for this scenario, each as a pattern that finds it."""
    pats: dict[str, re.Pattern] = {"a regex fragment": _GENERIC_PATTERN, "a detector score": _SCORE,
                                   "a recognizer name": re.compile(r"Recognizer\b|\brule:")}
    for c in sc.rubric.criteria:
        if c.check == "regex":
            for p in list(getattr(c, "any", [])) + list(getattr(c, "all", [])) + list(getattr(c, "none", [])):
                if _META.search(p):
                    pats[f"the pattern {p!r}"] = re.compile(re.escape(p))
        pats[f"the criterion id {c.id!r}"] = re.compile(
            rf"(?<![\w-]){re.escape(c.id)}(?![\w-])" if "-" in c.id else rf"['‘“`]{re.escape(c.id)}['’”`]")
    entities = set(KNOWN_ENTITIES) | {e for p in org.policies.values() for e in p.entities} | \
        {r.entity for p in org.policies.values() for r in p.recognizers}
    pats["an entity-type constant"] = re.compile(r"(?<![\w-])(?:" + "|".join(sorted(entities)) + r")(?![\w-])")
    pats["the hold's id"] = re.compile(re.escape(gaming.HOLD_CRITERION))
    if sc.kind == "spot":
        ids = "|".join(re.escape(s.id) for s in sc.output)
        pats["a sentence id"] = re.compile(rf"(?<![\w-])(?:{ids})(?![\w-])")
    return pats


def _learner_texts(r) -> list[tuple[str, str]]:
    return [("summary", r.summary)] + [(f"{c.id} label", c.label or "") for c in r.criteria] + \
        [(f"{c.id} feedback", c.feedback) for c in r.criteria]


def _quoted_learner_text(answer: dict[str, Any]) -> str:
    """The learner's own words may be quoted back; what they wrote themselves is not machinery."""
    return " ".join(v if isinstance(v, str) else " ".join(map(str, v.values())) if isinstance(v, dict) else ""
                    for v in answer.values())


@pytest.mark.slow
def test_no_learner_facing_text_shows_the_machinery(org, graded):
    leaks = []
    answers = {(sid, "model answer"): model_answer(sc) for sid, sc in org.scenarios.items()}
    answers.update({(sid, ex.name or f"example {i + 1}"): ex.answer for sid, sc in org.scenarios.items()
                    for i, ex in enumerate(sc.examples)})
    for sid, name, r in graded:
        sc = org.scenarios[sid]
        own = _quoted_learner_text(answers[(sid, name)])
        for what, pat in _forbidden(org, sc).items():
            for where, text in _learner_texts(r):
                m = pat.search(text)
                if m and m.group(0) not in own:
                    leaks.append(f"{sid} / {name} / {where}: {what} ({m.group(0)!r}) in {text[:200]!r}")
    assert not leaks, "\n".join(leaks)


@pytest.mark.slow
def test_every_model_answer_passes_every_criterion(org, graded):
    """The feedback never contradicts the brief: the expert's own answer fails nothing. (It is held as a copy
    of the model answer, of course: the hold is the one result left out.)"""
    failed = []
    for sid, name, r in graded:
        if name != "model answer":
            continue
        bad = [f"{c.label}: {c.feedback}" for c in r.criteria if not c.passed and c.check != "gaming"]
        if bad or not (r.passed or r.held_back):
            failed.append(f"{sid}: " + " | ".join(bad or [r.summary]))
    assert not failed, "\n".join(failed)


@pytest.mark.slow
def test_grade_json_carries_the_label_and_keeps_the_technical_evidence_for_mentors(org):
    sc = org.scenarios["claims-motor-fnol-triage"]
    r = grade(org, sc, {"prompt": "Triage claim CLM-2026-007318 for Daniel Okafor, email "
                                  "daniel.okafor@postbox.example.com: rear-ended at the lights, neck pain."})
    doc = r.public()
    pii = next(c for c in doc["criteria"] if c["id"] == "no-pii")
    assert pii["label"] == "No personal data" and not pii["passed"]
    assert "a person's name" in pii["feedback"] and "an email address" in pii["feedback"]
    assert "Daniel Okafor" not in pii["feedback"] and "PERSON" not in pii["feedback"]
    # mentors and authors keep the detail: entity type, rule and score, and the redacted text as sent
    assert any(f.startswith("PERSON (redact, rule: ") and "score" in f for f in pii["evidence"]["findings"])
    assert "<PERSON>" in pii["evidence"]["redacted"]


@pytest.mark.parametrize("sid,leak", [
    ("support-cooling-off-refund", "Your answer falls short here: it mentions none of: '14[- ]day', 'fourteen'."),
    ("support-cooling-off-refund", "it mentions none of '\\\\b14'"),
    ("claims-motor-fnol-triage", "PERSON (redact, rule: SpacyRecognizer, score 0.85)"),
    ("claims-motor-fnol-triage", "Not yet: no-pii must pass."),
    ("claims-motor-fnol-triage", "Replace EMAIL_ADDRESS with a placeholder."),
    ("claims-motor-fnol-triage", "Write <CLAIM_REF> instead."),
    ("support-travel-cancellation-summary", "Missed: s5 (check the reference it cites)."),
    ("support-travel-cancellation-summary", "the 'caught' criterion failed"),
])
def test_the_leak_check_finds_each_kind_of_machinery(org, sid, leak):
    """The check above can fail: each of the leaks the issue saw is caught by one of its patterns."""
    assert any(p.search(leak) for p in _forbidden(org, org.scenarios[sid]).values()), leak


def test_a_quote_is_the_whole_sentence_even_when_the_answer_is_hard_wrapped():
    text = ("Draft a checklist for claim [claim ref]. The insured reported neck\npain the next day; no ambulance.\n"
            "- first item\n- second item about the estimate\n- third")
    assert fb.whole_sentence([text], "The insured reported neck") == \
        "The insured reported neck pain the next day; no ambulance."
    assert fb.whole_sentence([text], "second item about") == "second item about the estimate"
    # spot: each flag reason is its own text, never run into the next one
    assert fb.whole_sentence(["Reason one", "It is £3,000. Not £5,000 as it says"], "Not £5,000") == \
        "Not £5,000 as it says"
    assert fb.whole_sentence([text], "not in the answer") == "not in the answer"


@pytest.mark.slow
def test_semantic_feedback_quotes_the_whole_sentence(org):
    sc = org.scenarios["claims-motor-fnol-triage"]
    prompt = ("Please draft a triage checklist for motor claim [claim ref]. Our customer was stationary at a red\n"
              "light when a van drove into the back of the car. The customer reported neck\n"
              "pain the following day. List evidence, liability and injury handling as a numbered list please.")
    r = grade(org, sc, {"prompt": prompt})
    injury = next(c for c in r.criteria if c.id == "injury")
    assert injury.passed and "“The customer reported neck pain the following day.”" in injury.feedback


def test_an_organisations_own_types_read_as_its_recognizer_names(org):
    names = fb.entity_names(org.policies["external-ai"])
    assert fb.entity_words("CLAIM_REF", names) == "a Harbourline claim reference"  # Harbourline: its own name
    assert fb.entity_words("CODENAME", names) == "a confidential project codename"  # not "a Confidential ...s"
