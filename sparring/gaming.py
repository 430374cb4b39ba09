"""Signals that an attempt may be gaming the rubric rather than practising, and the one rule for which of them hold
an attempt for a mentor.

Two sorts of signal:
- text signals (copies of the model answer, of the scenario's own text or of another scenario's model answer;
  keyword lists) look at the answer alone. A copied or stuffed answer can carry exactly the words a grader looks
  for, so the grade cannot vouch for it: `grading.rubric.grade` computes these for every answer and HOLDS an
  answer that raises one (no automatic pass; the score is kept; a mentor decides: grading/verdict.py).
- behaviour signals ('fast', 'flags-everything') are recorded for mentors and insights only. Speed alone says
  nothing about the answer, and over-flagging is already scored by the flags grader (every flag on a sound
  sentence costs precision), so neither holds anything.

Cheap text statistics only (no model): they run on every attempt, including under the load benchmark.
Thresholds were set on the shipped examples and the hand-written genuine answers of tests/gaming/ (no hold on
any of them) and the attack library (tests/test_security_gaming.py); see docs/security.md.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only named for the checker: sparring.organisation imports this layer
    from .organisation import Organisation

GAMING_SIGNALS: dict[str, str] = {
    "fast": "submitted within seconds of opening the scenario",
    "copies-model-answer": "nearly identical to the scenario's model answer, or its words reordered",
    "copies-other-model-answer": "nearly identical to the model answer of another scenario",
    "copies-material": "mostly the scenario's own text (title, brief, material, question, AI output) copied back; "
                       "for a prompt, the title, outcome or brief",
    "keyword-stuffing": "a list of repeated or unconnected keywords rather than sentences",
    "flags-everything": "flags (nearly) every sentence instead of choosing",
    # recorded by the practice screen (sparring/ui/practice_tab.py) on the attempt after which it was asked
    "asked-model-answer": "asked to see the model answer before a second try",
}

# The signals that hold an attempt for a mentor instead of passing it automatically.
HOLDING: frozenset[str] = frozenset({"copies-model-answer", "copies-other-model-answer", "copies-material",
                                     "keyword-stuffing"})

# The hold is a field of the grade (GradeResult.held), not a criterion. In a review of a held attempt it is one
# line named so, next to the criteria (sparring.review); a mentor who passes it lifts the hold.
HOLD_CRITERION = "own-words"

# What the learner reads when their answer is held: what we saw, and what to do instead.
HOLD_REASONS: dict[str, str] = {
    "copies-model-answer": "it repeats the model answer; write your own reasoning",
    "copies-other-model-answer": "it repeats the model answer of a different scenario; answer this scenario",
    "copies-material": "it mostly repeats the scenario's own text; say in your own words what matters and why",
    "keyword-stuffing": "it reads as a list of keywords; write the reasons as sentences",
}

# An answer shorter than this (in words) is too short to judge as a copy or a keyword list.
MIN_WORDS = 8
# A run of this many content words with no punctuation and no function word between them is a keyword list, not
# writing: the longest run in the shipped examples and the genuine answers is 9 (names included; figures are
# not content words here, see _is_number).
MAX_CONTENT_RUN = 12
# A stretch of this many words without punctuation in which at most this share are function words: a list with
# the odd "per" or "the" left in. In honest writing such a stretch has at least 18% function words (shipped
# examples and genuine answers); the keyword lists of the attack library have 0-8%.
LIST_CHUNK = 12
LIST_FUNCTION_SHARE = 0.1
# The same share over the whole answer, when its pieces between punctuation marks average this many words or
# fewer: a list separated by commas or line breaks. The honest answers that sparse in function words (a terse
# comma-separated note among them) average 3.0 words or more per piece; the attack library's comma lists 1-1.2.
LIST_ITEM_WORDS = 2.5
# Share of distinct words below which an answer is repetition (PASS PASS PASS ...).
MIN_DISTINCT = 0.4
# Share of the model answer's word 3-grams that an answer reproduces, and share of the answer's 3-grams that come
# from the model answer: either high means it was pasted (with or without additions, whole or in part).
MODEL_CONTAINED = 0.6
ANSWER_FROM_MODEL = 0.7
# Weighted overlap of the two bags of words (every word, with its count): a reordered or lightly reworded model
# answer keeps its bag; an honest answer to the same question shares the facts but not the bag (at most 0.64 on
# the shipped examples and the genuine answers).
SAME_BAG = 0.75
# Share of the answer's word 3-grams found in the scenario's own text.
FROM_SHOWN = 0.8

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset("a an the to of and or in on for with is are was be it this that as at by from we you i they "
                  "he she our your their not no if then so but about what when will can should would could do "
                  "does has have had my me us them his her its there here which who how".split())
# Function words of a few other languages, for the keyword-list check only: without them an honest answer in
# French or Spanish reads as one long run of content words.
_FOREIGN_STOP = frozenset("le la les l de des du d et est un une que qui pas en au aux ce il elle ne se sa son "
                          "der die das und ist nicht ein eine zu den dem im mit von für auf es sie er "
                          "el los las del y es una por para se su lo al con "
                          "il lo gli di e è che per non si al della del con una".split())
# Where a stretch of writing ends: punctuation (but not the point or comma inside a figure such as £4,860.00),
# brackets, dashes, bullets and line breaks.
_BREAK = re.compile(r"[.,](?!\d)|[;:!?()\[\]{}|/\"“”—–=+*×<>]|\s-\s|^-|\n")


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def shingles(ws: list[str], n: int = 3) -> set[tuple[str, ...]]:
    if len(ws) < n:
        return {tuple(ws)} if ws else set()
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


def shown_texts(scenario: Any) -> tuple[str, ...]:
    """Everything the learner is shown: title, outcome, brief, material, and the AI output (and question)."""
    out = getattr(scenario, "output", None)
    texts = [scenario.title or "", getattr(scenario, "outcome", None) or "", scenario.brief, scenario.material or "",
             getattr(scenario, "question", None) or ""]
    texts += [out] if isinstance(out, str) else [x.text for x in out or []]
    return tuple(texts)


def _copy_sources(scenario: Any) -> tuple[str, ...]:
    """The texts an answer must not merely repeat. A frame prompt may carry the material (the figures "copied
    exactly", minus what the policy forbids: that is the skill practised), so there only the instructions to the
    learner count; a pasted material that still holds personal data is the policy's to fail."""
    if scenario.kind == "frame":
        return (scenario.title or "", getattr(scenario, "outcome", None) or "", scenario.brief)
    return shown_texts(scenario)


@functools.lru_cache(maxsize=256)
def text_shingles(texts: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    """Word 3-grams of authored texts. Cached by content: a scenario's text is the same for every attempt, so
    an edited scenario is simply a new key. Never called with learners' text."""
    return frozenset().union(*(shingles(words(t)) for t in texts if t))


@functools.lru_cache(maxsize=1024)
def _model(answer: str) -> tuple[frozenset, Counter]:
    """3-grams and bag of words of one model answer, computed once per text (an edited scenario is a new key).
    Never called with learners' text."""
    ws = words(answer)
    return frozenset(shingles(ws)), Counter(ws)


def fast_threshold_s(minutes: int) -> float:
    """Less than a twentieth of the expected time, and never more than 30 s: nobody reads a brief that fast."""
    return min(30.0, max(5.0, minutes * 60 / 20))


def _bag_overlap(a: Counter, b: Counter) -> float:
    """Weighted Jaccard of two bags of words: 1.0 for the same words in any order."""
    if len(b) < len(a):
        a, b = b, a
    both = sum(min(n, b[w]) for w, n in a.items() if w in b)
    either = a.total() + b.total() - both
    return both / either if either else 0.0


def _copies(mine: set, bag: Counter, model: frozenset, model_bag: Counter) -> bool:
    if not mine or not model:
        return False
    shared = len(mine & model)
    return (shared / len(model) >= MODEL_CONTAINED or shared / len(mine) >= ANSWER_FROM_MODEL
            or _bag_overlap(bag, model_bag) >= SAME_BAG)


def _lines(text: str) -> list[str]:
    return list(dict.fromkeys(ln.strip() for ln in text.splitlines() if ln.strip()))


def _is_number(w: str) -> bool:
    """A figure's token (4860, 00, 12th, 3rd): a number is not a content word for the stuffing measure. A worked
    sum ("repairs 4,860.00 hire 1,232.40 ... total 6,652.40") is dense in figures and light on function words
    because that is how sums are written, not because it is a keyword list."""
    return any(c.isdigit() for c in w)


def _chunks(text: str) -> list[list[str]]:
    """The words of each stretch of text between punctuation marks or line breaks (lines de-duplicated)."""
    return [words(piece) for line in _lines(text) for piece in _BREAK.split(line)]


def _wording(ws: list[str]) -> list[str]:
    """The words of a stretch without its figures (see _is_number): a figure neither lengthens a run of content
    words nor dilutes its share of function words. (An item's length still counts its figures: "IPT £57.60" is a
    two-word item of a list, not a one-word one.)"""
    return [w for w in ws if not _is_number(w)]


def _function_word(w: str) -> bool:
    return w in _STOP or w in _FOREIGN_STOP


def longest_content_run(text: str) -> int:
    """The longest run of content words with no punctuation and no function word between them."""
    best = 0
    for ws in _chunks(text):
        ws = _wording(ws)
        run = 0
        for w in ws:
            run = 0 if _function_word(w) else run + 1
            best = max(best, run)
    return best


def _stuffed(text: str) -> bool:
    """A keyword list: a long stretch without punctuation that is (almost) all content words, or mostly the same
    few words repeated. Judged per distinct line, so the same short reason given on several spot flags is not
    repetition."""
    alpha = [w for w in words(" ".join(_lines(text))) if not _is_number(w)]
    if len(alpha) < MIN_WORDS:
        return False
    if len(set(alpha)) / len(alpha) < MIN_DISTINCT or longest_content_run(text) >= MAX_CONTENT_RUN:
        return True
    chunks = _chunks(text)
    if any(len(ws) >= LIST_CHUNK and sum(map(_function_word, ws)) / len(ws) <= LIST_FUNCTION_SHARE
           for ws in map(_wording, chunks)):
        return True  # words separated by spaces
    items = [ws for ws in chunks if _wording(ws)]
    return (len(alpha) >= LIST_CHUNK and sum(map(_function_word, alpha)) / len(alpha) <= LIST_FUNCTION_SHARE
            and sum(map(len, items)) / len(items) <= LIST_ITEM_WORDS)  # words separated by commas or lines


def text_signals(scenario: Any, text: str, *, flags: dict[str, str] | None = None,
                 org: Organisation | None = None) -> list[str]:
    """Signal codes that need only the answer: the copy and stuffing checks (and flags-everything for spot).
    `text` is the answer's main free text; `org` (optional) lets the copy check see every scenario's model
    answer."""
    from .grading.text import graded

    text = graded(text)  # a copy disguised with zero-width characters or look-alike letters is still a copy
    out: list[str] = []
    # Repeated lines count once: the same reason pasted on every spot flag is one copy, not three.
    ws = words("\n".join(_lines(text)))
    if len(ws) >= MIN_WORDS:
        mine, bag = shingles(ws), Counter(ws)
        if scenario.model_answer and _copies(mine, bag, *_model(scenario.model_answer)):
            out.append("copies-model-answer")
        if org is not None and "copies-model-answer" not in out:
            if any(_copies(mine, bag, *_model(sc.model_answer)) for sid, sc in org.scenarios.items()
                   if sc.model_answer and sid != scenario.id):
                out.append("copies-other-model-answer")
        if "copies-model-answer" not in out:
            src = text_shingles(_copy_sources(scenario))
            if mine and len(mine & src) / len(mine) >= FROM_SHOWN:
                out.append("copies-material")
    if _stuffed(text):
        out.append("keyword-stuffing")
    if flags is not None and scenario.kind == "spot":
        n = len(scenario.output)
        if n >= 3 and len(flags) >= max(3, round(0.9 * n)):
            out.append("flags-everything")
    return out


def signals(scenario: Any, text: str, *, duration_s: float | None, flags: dict[str, str] | None = None,
            org: Organisation | None = None) -> list[str]:
    """Every signal code (keys of GAMING_SIGNALS) for one attempt: 'fast' from the duration, then the text
    signals."""
    return fast_signal(scenario, duration_s) + text_signals(scenario, text, flags=flags, org=org)


def fast_signal(scenario: Any, duration_s: float | None) -> list[str]:
    """['fast'] when the attempt came in under fast_threshold_s of opening the scenario, else []."""
    return ["fast"] if duration_s is not None and duration_s < fast_threshold_s(scenario.minutes) else []


def holds(codes: list[str]) -> list[str]:
    """The codes among `codes` that hold an attempt for a mentor (in the order given)."""
    return [c for c in codes if c in HOLDING]


def review_question(codes: list[str]) -> str:
    """What the mentor queue shows for an attempt held automatically (no learner text in it)."""
    return ("Held automatically (not asked by the learner): the answer reached the pass mark, but it is "
            + "; ".join(GAMING_SIGNALS[c] for c in holds(codes))
            + f". Pass the '{HOLD_CRITERION}' line if it is the learner's own work.")


def hold_message(codes: list[str]) -> str:
    """Why an answer is held, in words a learner can act on."""
    why = "; ".join(HOLD_REASONS[c] for c in holds(codes))
    return f"Held for a mentor: {why}. Your score is kept, and a mentor can pass the attempt after reading it."
