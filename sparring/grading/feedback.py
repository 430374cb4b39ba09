"""Feedback text: the author's per-criterion template when given, else the grader's own specific text; and the
wording helpers every grader kind uses for what a learner reads.

What a learner reads never shows the machinery: no pattern, recognizer name, detector score, entity-type
constant or criterion id. Those stay in each result's `evidence`, which mentors and authors see. Criteria are
named by `label_for`; personal-data types in words by `entity_words`; a learner's sentence is quoted whole
words at a time by `quote`.

Templates may use {placeholders}: {evidence}, {findings}, {redacted}, {score}, {missing}, and any key the
grader put in its evidence dict. Unknown placeholders are left as they are rather than raising, so a typo in
a template shows up in the feedback instead of breaking the attempt.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import Any

from . import figures
from ..gaming import shown_texts
from .quotes import plain, quote
from .result import CriterionResult

# ------------------------------------------------------------------------------------------ criterion names

# A criterion's name when its author gave no `label`, by grader kind. Written as what a good answer does.
DEFAULT_LABELS: dict[str, str] = {
    "policy": "Keeps personal data out of the prompt",
    "contains": "Mentions the required detail",
    "regex": "Mentions the required detail",
    "semantic": "Makes the key point",
    "flags": "Finds the errors and says what is wrong",
    "decision": "Makes the right call",
    "justification": "Gives the key reasons",
    "length": "Right length",
    "llm_judge": "Meets the expert's standard",
    "python": "Passes the organisation's own check",
    "gaming": "Your own words",
}
FALLBACK_LABEL = "Meets this part of the task"
LABEL_MAX = 90  # longer than this is a paragraph, not a name


def label_for(criterion: Any, kind: Any = None, scenario_kind: str | None = None) -> str:
    """The name a learner sees for a criterion: the author's `label`, else a default for its grader kind
    (a plugin may declare one with `register(..., label=...)`). Never the criterion's id."""
    if getattr(criterion, "label", None):
        return str(criterion.label)
    check = getattr(criterion, "check", "")

    def opt(name: str) -> Any:  # a kind's option, on its typed options model or among a plain Criterion's extras
        return getattr(criterion, name, None)

    if check == "policy":
        return "Keeps personal data out of the prompt" if scenario_kind in (None, "frame") else \
            "Keeps personal data out of the answer"
    if check in ("contains", "regex") and opt("none") and not (opt("any") or opt("all")):
        return "Leaves out what should not be there"
    if check == "semantic":
        expect = opt("expect")
        if opt("absent"):
            return "Leaves out what the task rules out"
        if isinstance(expect, str) and len(expect) <= LABEL_MAX:
            return expect.strip().rstrip(".")
    if check in DEFAULT_LABELS:
        return DEFAULT_LABELS[check]
    declared = getattr(kind, "label", "") if kind is not None else ""
    return declared or FALLBACK_LABEL


# ------------------------------------------------------------------------------------- personal data in words

ENTITY_WORDS: dict[str, str] = {
    "PERSON": "a person's name",
    "EMAIL_ADDRESS": "an email address",
    "PHONE_NUMBER": "a phone number",
    "CREDIT_CARD": "a payment card number",
    "IBAN_CODE": "a bank account number (IBAN)",
    "US_BANK_NUMBER": "a bank account number",
    "US_SSN": "a US social security number",
    "US_ITIN": "a US taxpayer number",
    "US_DRIVER_LICENSE": "a driving licence number",
    "US_PASSPORT": "a passport number",
    "UK_NINO": "a National Insurance number",
    "UK_NHS": "an NHS number",
    "MEDICAL_LICENSE": "a medical licence number",
    "DATE_OF_BIRTH": "a date of birth",
    "STREET_ADDRESS": "a street address",
    "POSTCODE": "a postcode",
    "IP_ADDRESS": "an IP address",
    "LOCATION": "a place name",
    "URL": "a web link",
    "DATE_TIME": "a date or time",
    "ORGANIZATION": "an organisation's name",
    "NRP": "a nationality, religion or political group",
    "CRYPTO": "a crypto wallet address",
}


def _article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def entity_words(entity: str, names: dict[str, str] | None = None) -> str:
    """A personal-data type in words, with its article: PERSON → "a person's name". `names` maps an
    organisation's own entity types to its recognizer's `name` (e.g. CLAIM_REF → "Harbourline claim
    reference"); an unknown type is spelled out in lower case rather than shown as a constant."""
    if entity in ENTITY_WORDS:
        return ENTITY_WORDS[entity]
    name = (names or {}).get(entity) or entity.replace("_", " ").lower()
    return _article(name)  # a recognizer's name as its author wrote it ("Harbourline claim reference")


def placeholder_words(entity: str, names: dict[str, str] | None = None) -> str:
    """The bracketed placeholder a learner would write instead: PERSON → "[person's name]"."""
    return "[" + re.sub(r"^(?:an?|the) ", "", entity_words(entity, names)) + "]"


def entity_names(policy: Any) -> dict[str, str]:
    """An organisation policy's own entity types → its recognizers' human names, as a noun for entity_words:
    "Harbourline claim reference" stays capitalised (Harbourline is one of the policy's own names, in its
    allow-list or title); "Confidential project codenames" reads "confidential project codename"."""
    own = " ".join([str(getattr(policy, "title", "") or "")] + [str(t) for t in getattr(policy, "allow_list", None)
                                                               or []])
    out: dict[str, str] = {}
    for r in getattr(policy, "recognizers", None) or []:
        name = str(getattr(r, "name", None) or "").strip()
        if not name:
            continue
        first = name.split()[0]
        if not re.search(rf"\b{re.escape(first)}\b", own):
            name = name[:1].lower() + name[1:]
        if name.endswith("s") and not name.endswith("ss") and not r.entity.endswith("S"):
            name = name[:-1]  # the recognizer is named for the list ("codenames"); one finding is one of them
        out.setdefault(r.entity, name)
    return out


def join_words(items: Iterable[str]) -> str:
    """"a, b and c", each item once, in order."""
    xs = list(dict.fromkeys(items))
    if len(xs) <= 1:
        return "".join(xs)
    return ", ".join(xs[:-1]) + " and " + xs[-1]


def sentence_names(scenario: Any, ids: Iterable[str]) -> str:
    """Spot sentences as the learner sees them, by their number in the AI's output ("sentences 2 and 5"), not by
    their ids (s2, s5), which the practice screen never shows."""
    pos = {s.id: n for n, s in enumerate(getattr(scenario, "output", None) or [], start=1)}
    nums = [str(pos.get(i, i)) for i in ids]
    if not nums:
        return ""
    return ("sentence " if len(nums) == 1 else "sentences ") + join_words(nums)


_PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9_]*)>")


def redacted_words(text: str, names: dict[str, str] | None = None) -> str:
    """A redacted text as a learner reads it: each <ENTITY> placeholder as [words] (<PERSON> → [person's name])."""
    return _PLACEHOLDER.sub(lambda m: placeholder_words(m.group(1), names), text or "")


# ------------------------------------------------------------------------------------------------ quoting

# Where a block of writing ends for whole_sentence: a blank line, or a line that starts a list item.
_BLOCK = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*•·>]|\d+[.)])\s)")
_SENT_END = re.compile(r"[.!?](?:[\"'”’)\]]*)(?=\s|$)")


def whole_sentence(parts: Iterable[str], fragment: str | None) -> str | None:
    """The whole sentence of the learner's text that `fragment` (a unit the grader judged: a clause, or a line of
    a hard-wrapped paragraph) comes from, so a quote never stops at a line break in mid-sentence ("The insured
    reported neck"). `parts`: the learner's texts (each spot flag reason on its own). The fragment itself when
    it cannot be found."""
    if not fragment:
        return fragment
    f = " ".join(fragment.split())
    for part in parts:
        for block in _BLOCK.split(part or ""):
            t = " ".join(block.split())
            i = t.find(f)
            if i < 0:
                continue
            starts = [m.end() for m in _SENT_END.finditer(t, 0, i)]
            start = starts[-1] if starts else 0
            m = _SENT_END.search(t, i + max(len(f) - 1, 0))
            end = m.end() if m else len(t)
            return re.sub(r"^(?:[-*•·>]|\d+[.)])\s+", "", t[start:end].strip())
    return fragment


# ------------------------------------------------------------------------------------------------ language

# A cheap language cue (no language-detection model or dependency): the share of English function words against
# the share of common function words of other European languages, and the share of words with letters outside
# ASCII. English answers that are terse notes ("Reject: outdated rate, IPT now 12%") have few function words of
# either kind, so it takes positive evidence of another language to say an answer is not English.
_EN_FUNCTION = frozenset("the a an and or to of in on for with is are was were be not this that it you we they i "
                         "will would should can do does please".split())
_OTHER_FUNCTION = frozenset(  # French, German, Spanish, Italian, Portuguese, Polish, Dutch; none an English word
    "le la les des du et est un une que qui pas au aux ce il elle ne se sa son sur avec pour mais "
    "der das und ist nicht ein eine zu den dem im mit von für auf es sie er ich wir auch nur "
    "el los las del y es una por para su lo al con pero muy "
    "il gli di è che per non della con sono anche "
    "de da dos das uma um os em na não mas ao eu porque então sobre esta está é o e "
    "w z się jest nie że od po za ale jak tę ten ta więc ponieważ oraz dla "
    "het een van en niet met voor zijn ook".split())
_LETTERS = re.compile(r"[^\W\d_]+")
LANGUAGE_NOTE = ("Answers are graded in English here, and this one does not look like English: the checks may "
                 "have missed what you meant. Write it in English to get feedback you can rely on.")


def looks_english(text: str) -> bool:
    """False only on evidence of another language: more of its function words than of English ones, or mostly
    words in letters outside ASCII (another script, or a language written with diacritics). Short texts get the
    benefit of the doubt."""
    ws = [w.casefold() for w in _LETTERS.findall(text or "")]
    letters = "".join(ws)
    if len(letters) >= 12 and sum(not c.isascii() for c in letters) / len(letters) >= 0.5:
        return False  # another script (written without spaces, as Chinese or Japanese are, it is one "word")
    if len(ws) < 6:
        return True
    n = len(ws)
    en = sum(w in _EN_FUNCTION for w in ws) / n
    other = sum(w in _OTHER_FUNCTION for w in ws) / n
    non_ascii = sum(not w.isascii() for w in ws) / n
    if non_ascii >= 0.3:
        return False
    return not (other > en and (other >= 0.08 or non_ascii >= 0.15))


LANGUAGE_HINT = "Answers are graded in English here."


def language_note(text: str) -> str:
    """For one criterion's failure: " " + LANGUAGE_HINT when the text does not look like English, else "". (The
    grade's summary carries the full LANGUAGE_NOTE once, see summary_note.)"""
    return "" if looks_english(text) else " " + LANGUAGE_HINT


def summary_note(text: str) -> str:
    """What the grade's summary adds about the answer as a whole: the language note, passed or not."""
    return "" if looks_english(text) else " " + LANGUAGE_NOTE


_KEY_STOP = frozenset("that this with from into than then they them their there what when which while will would "
                      "should could about because explains says said answer prompt reply learner".split())


def key_words(statement: str) -> list[str]:
    """The words of an authored statement a quote should keep in view: figures and longer content words."""
    ws = re.findall(r"[£$€]?\d(?:[\d,.:]*\d)?%?|[^\W\d_]{4,}", statement or "")
    figs = [w for w in ws if any(c.isdigit() for c in w)]
    return figs + [w for w in ws if w not in figs and w.casefold() not in _KEY_STOP]


def copied_note(prep: Any) -> str:
    return (" Sentences copied from the scenario's own text were not counted as reasons: say why in your own "
            "words." if getattr(prep, "copied", None) else "")


# ------------------------------------------------------------------------------------------------ templates


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value) or "nothing"
    return str(value)


# Evidence keys that hold the machinery (patterns, detector output): never put into a learner's template.
_TECHNICAL = {"found", "missing", "forbidden", "findings", "redacted"}


def render(criterion: Any, result: CriterionResult) -> str:
    tpl = criterion.feedback.pass_ if result.passed else criterion.feedback.fail
    if not tpl:
        return result.feedback
    values = _Keep(score=f"{result.score:.0%}", evidence=_fmt(result.evidence) if result.evidence else "")
    if isinstance(result.evidence, dict):
        ev = result.evidence
        values.update({k: _fmt(v) for k, v in ev.items()
                       if v is not None and not isinstance(v, dict) and k not in _TECHNICAL})
        # the learner-facing forms the graders put beside the technical ones (see kinds/policy.py, contains.py)
        learner = ev.get("learner")
        if isinstance(learner, dict):
            values.update({k: _fmt(v) for k, v in learner.items()})
        # {evidence} is the learner's sentence that decided the criterion, when the grader has one
        sentence = ev.get("sentence")
        values["evidence"] = quote(sentence) if sentence else ""
        values["sentence"] = plain(sentence)
    try:
        text = string.Formatter().vformat(tpl, (), values)
    except (ValueError, IndexError):
        text = tpl
    text = text.strip()
    # Keep the grader's specific detail (what exactly was found or missing) after the author's words. A regex
    # result has none to add: it may not name its pattern, so the author's words are all a learner can use.
    if result.check == "regex":
        return text
    if result.feedback and result.feedback not in text:
        text = f"{text} {result.feedback}".strip()
    return text


def _all_strings(value: Any) -> Iterable[str]:
    """Every string inside an authored value (a criterion's options, the decision, the model answer)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _all_strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _all_strings(v)
    elif hasattr(value, "model_dump"):
        yield from _all_strings(value.model_dump())


def material_figures(scenario: Any) -> list[figures.Figure]:
    """The figures the learner was given or the author wrote: what the learner is shown (gaming.shown_texts), the
    model answer, the decision's `why`, and every text of the rubric's criteria (expect, reasons, why)."""
    texts = list(shown_texts(scenario))
    texts += _all_strings(getattr(scenario, "model_answer", None))
    texts += _all_strings(getattr(scenario, "decision", None))
    texts += _all_strings([c for c in scenario.rubric.criteria])
    return [f for t in texts if t for f in figures.authored(t)]


def unsupported_note(scenario: Any, text: str) -> str:
    """A note (never a fail) for the figures of the answer that appear nowhere in the material: an invented total
    or date is worth a second look. A figure that contradicts an expected one fails its criterion elsewhere."""
    odd = list(dict.fromkeys(str(f) for f in figures.unsupported(figures.extract(text or ""),
                                                                  material_figures(scenario))))
    if not odd:
        return ""
    # The figures themselves are not quoted: the summary is stored, and a figure the policy flags (a card number,
    # a date of birth) must never be at rest in raw form.
    named = "a figure" if len(odd) == 1 else f"{len(odd)} figures"
    return (f" Your answer gives {named} you will not find in the material: check where "
            f"{'it comes' if len(odd) == 1 else 'they come'} from.")

