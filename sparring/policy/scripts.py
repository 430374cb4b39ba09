"""Names written in a script other than the Latin alphabet, inside an English text.

The English NER model and every name list Sparring reads are Latin-script, so `Иван Петров`, `Νίκος Παππάς`,
`山田太郎` or `محمد علي` in an English prompt are invisible to them. In an English text a run of words in another
script is rarely anything but a name, a place or a quoted phrase: we flag it as PERSON where it has a name's
shape (capitalised words in a cased script such as Cyrillic or Greek; a short run in an uncased one such as Han,
kana, Hangul, Arabic or Hebrew) or stands where a name stands (after 'to', 'from', 'Dear', a title, 'name:'...).
Not: a text mostly in that script (we cannot read it, and guessing every word would flag everything), words in
capitals (headings, addresses: 'ΧΑΝΔΡΙΑ'), or a run next to a house number (a street: 'Λεωφόρος Συγγρού 119').
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .explained import ExplainedRecognizer
from presidio_analyzer import RecognizerResult

# Scripts with upper and lower case: a name is written with a capital, as in Latin.
CASED = frozenset({"CYRILLIC", "GREEK", "ARMENIAN", "GEORGIAN", "COPTIC", "GLAGOLITIC"})
# Han, kana and Hangul write a full name in 2-4 characters, often without a space.
COMPACT = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL"})


@lru_cache(maxsize=4096)
def script_of(ch: str) -> str:
    """The script of a letter, from its Unicode name: 'LATIN', 'CYRILLIC', 'CJK', 'ARABIC', ... ('' if none)."""
    if not ch.isalpha():
        return ""
    name = unicodedata.name(ch, "")
    first = name.split(" ", 1)[0]
    if first in ("CJK", "IDEOGRAPHIC"):
        return "CJK"
    if first in ("HALFWIDTH", "FULLWIDTH") and " " in name:
        return name.split(" ")[1]
    return first


# A word of letters of one script (checked after matching), with inner apostrophes, hyphens and the middle dots
# Japanese and Chinese put between the parts of a foreign name.
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|[-'’・·](?=[^\W\d_]))*")
# What stands before a name in a sentence ("write to", "Dear", "Mr", "colleague", "Name:").
_CUE_BEFORE = re.compile(r"(?i:\b(?:to|from|with|for|by|cc|dear|hi|hello|hey|mr|mrs|ms|miss|mx|dr|prof|sir|ask|"
                         r"tell|call|email|e-mail|phone|ring|contact|thank|thanks|colleague|customer|client|"
                         r"claimant|policyholder|named|called|is|was|name|surname|signed|regards|cheers|"
                         r"and|or)\b\.?|[:,(])[ \t]*$")
# What follows a name ("Иван said", "Иван's", "Иван, the claimant").
_CUE_AFTER = re.compile(r"^(?:['’]s\b|\s+(?i:said|says|asked|told|wrote|rang|called|is|was|has|had|wants|needs|"
                        r"and|or)\b|\s*[,:)])")


def _run_script(word: str) -> str:
    """The one non-Latin script a word is written in, or '' (Latin, digits, or mixed scripts)."""
    # Japanese writes one name in Han and kana together ('中村 さくら'): one family here
    scripts = {"CJK" if script_of(c) in COMPACT - {"HANGUL"} else script_of(c) for c in word if c.isalpha()}
    if len(scripts) != 1:
        return ""
    (s,) = scripts
    return "" if s in ("LATIN", "") else s


def mostly_foreign(text: str) -> bool:
    """More letters in non-Latin words than in Latin ones: a text in another language, not an English text with
    a name in it (the English NER model's guesses there are noise)."""
    if text.isascii():
        return False
    words = [(m.end() - m.start(), _run_script(m.group())) for m in _WORD.finditer(text)]
    return sum(n for n, sc in words if sc) >= sum(n for n, sc in words if not sc)


class ScriptNameRecognizer(ExplainedRecognizer):
    """PERSON: runs of words in a non-Latin script in an English text (see the module docstring)."""


    def __init__(self):
        super().__init__(supported_entities=["PERSON"], name="ScriptNameRecognizer", supported_language="en")


    def analyze(self, text, entities, nlp_artifacts=None) -> list[RecognizerResult]:
        if text.isascii():
            return []
        words = [(m.start(), m.end(), _run_script(m.group())) for m in _WORD.finditer(text)]
        latin = sum(e - s for s, e, sc in words if not sc)
        other = sum(e - s for s, e, sc in words if sc)
        if not other or other >= latin:
            return []  # no foreign run, or a text mostly in that script: not an English text with a name in it
        out: list[RecognizerResult] = []
        i = 0
        while i < len(words):
            s, e, sc = words[i]
            if not sc:
                i += 1
                continue
            j = i + 1  # the run: following words of the same script, one space (or a middle dot) apart
            while j < len(words) and j - i < 4 and words[j][2] == sc and text[words[j - 1][1]:words[j][0]] in (" ", "・", "·"):
                j += 1
            start, end = s, words[j - 1][1]
            span = text[start:end]
            n = j - i
            i = j
            after = text[end:end + 8]
            if re.match(r"\s*\d", after) or re.search(r"\d[\s,.]*$", text[max(0, start - 6):start]):
                continue  # a street or a building next to its number
            before = text[max(0, start - 24):start]
            cue = bool(_CUE_BEFORE.search(before) or _CUE_AFTER.match(text[end:end + 12]))
            if sc in CASED:
                parts = span.replace("・", " ").replace("·", " ").split()
                if any(p.isupper() and len(p) > 1 for p in parts) or not all(p[0].isupper() for p in parts):
                    continue  # headings and addresses in capitals; ordinary words in lower case
                if n >= 2 or cue:
                    out.append(self._result(start, end, 0.6, f"{sc.title()} words written as a name"))
            else:
                letters = sum(c.isalpha() for c in span)
                short = 2 <= letters <= 4 if sc in COMPACT else 2 <= n <= 3
                if cue or short:
                    out.append(self._result(start, end, 0.6, f"{sc.title()} words where a name stands"))
        return out
