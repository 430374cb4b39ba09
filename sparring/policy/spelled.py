"""Contact details written so that a pattern matcher misses them: emails spelled out ("anna dot berg at example dot
com", "anna [at] example [dot] com") and phone numbers in words ("oh seven seven double oh nine ...").

People write addresses this way on purpose (to dodge scrapers, or a filter) and by habit (dictating a number).
Either way the text still tells a reader how to reach someone, so it is the same entity as the written form:
EMAIL_ADDRESS and PHONE_NUMBER. Each recognizer here reads the spelled form back to its digits or characters and
checks that it is a plausible address or number before it counts.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .explained import ExplainedRecognizer
from presidio_analyzer import RecognizerResult

# ------------------------------------------------------------------------------------------ emails

def _bracketed(word: str) -> str:
    return r"[\[\(\{<]\s*" + word + r"\s*[\]\)\}>]"



_AT = rf"(?:\s*{_bracketed('at')}\s*|\s+at\s+|\s*@\s+|\s+@\s*)"
_DOT = rf"(?:\s*{_bracketed('dot')}\s*|\s+dot\s+|\s*\.(?=\S))"
# The local part: tokens of address characters joined only by spelled-out words or brackets ('anna dot berg'),
# never by a character a token may hold, so that no text can be split into tokens in more than one way (a regex
# that can is slow on '1-1-1-1...').
_LOCAL_TOKEN = r"[a-z0-9][a-z0-9._%+-]{0,63}"
_JOIN = rf"(?:\s*{_bracketed('(?:dot|underscore|dash|hyphen)')}\s*|\s+(?:dot|underscore|dash|hyphen)\s+)"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
SPELLED_EMAIL = re.compile(
    rf"(?<![\w.@%+-])({_LOCAL_TOKEN}(?:{_JOIN}{_LOCAL_TOKEN}){{0,4}}{_AT}{_LABEL}(?:{_DOT}{_LABEL}){{0,3}}{_DOT}"
    r"([a-z]{2,24}))(?![\w@/]|\.[a-z0-9])", re.I)
_SPELLED_TOKEN = re.compile(r"[\[\(\{<]\s*(?:at|dot)\s*[\]\)\}>]|\s(?:at|dot)\s|\s@|@\s", re.I)
# Domains people use in examples and on internal networks, beside the public suffixes.
_PRIVATE_TLDS = frozenset({"example", "test", "invalid", "local", "localhost", "internal", "corp", "lan", "home",
                           "intranet"})
# Words that end a sentence like a TLD would ("meet at the office dot", "at noon"): never the last label after
# a plain 'at'.
_NOT_A_DOMAIN_WORD = frozenset({"the", "a", "an", "my", "your", "our", "his", "her", "their", "this", "that"})


@lru_cache(maxsize=1)
def _tlds() -> frozenset[str]:
    """Top-level domains of the public suffix list snapshot bundled with tldextract (read offline)."""
    from .recognizers import OFFLINE_TLD

    return frozenset(t for t in OFFLINE_TLD.tlds if "." not in t) | _PRIVATE_TLDS


def spelled_email_ok(text: str, start: int, end: int, tld: str) -> bool:
    """A spelled-out address: at least one word or bracket stands for '@' or '.', and the last label is a real
    top-level domain (a public suffix, or one of the private ones people use: example, local, internal...)."""
    span = text[start:end]
    if not _SPELLED_TOKEN.search(span) or tld.lower() not in _tlds():
        return False
    # 'at' as a plain word: the part after it must read as a domain, not a phrase ('at the office dot com', 'at
    # www.fca.org.uk'), and when 'at' is the only spelled word, what comes before it is a name, not a verb
    # ('says at fca.org.uk')
    m = re.search(r"\s+at\s+(\S+)", span, re.I)
    if not m:
        return True
    if m.group(1).lower() in _NOT_A_DOMAIN_WORD or m.group(1).lower().startswith("www"):
        return False
    if len(_SPELLED_TOKEN.findall(span)) == 1:
        from .nlp import english_words
        from .world_names import STOP_WORDS

        local = span[:m.start()].lower()
        return local not in english_words() and local not in STOP_WORDS
    return True


# ------------------------------------------------------------------------------------------ phones

DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "nought": "0", "nil": "0", "one": "1", "two": "2", "three": "3",
               "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_REPEAT = {"double": 2, "triple": 3, "treble": 3}
# UK numbers are dictated in groups, and a group of round figures is said as a number: "nine hundred" is 900,
# "two thousand" 2000. Only right after a single digit ("nine hundred"), never on their own.
_ROUND = {"hundred": "00", "thousand": "000"}
_DIGIT = r"(?:zero|oh|o|nought|nil|one|two|three|four|five|six|seven|eight|nine|\d{1,5})"
_STEP = rf"(?:(?:double|triple|treble)[\s-]+)?{_DIGIT}(?:[\s-]+(?:hundred|thousand))?"
SPOKEN_PHONE = re.compile(rf"(?<![\w+])((?:plus[\s-]+)?{_STEP}(?:(?:[\s,-]|,\s)+{_STEP}){{2,24}})(?![\w])", re.I)


def spoken_digits(span: str) -> tuple[str, int]:
    """The digits a spoken number stands for, and how many of its tokens were words ('oh seven seven double oh'
    -> ('07700', 4); 'nine hundred' -> ('900', 2))."""
    out, words, repeat = [], 0, 1
    for tok in re.findall(r"[a-z]+|\d+", span.lower()):
        if tok == "plus":
            out.append("+")
            words += 1
        elif tok in _ROUND:
            out.append(_ROUND[tok])
            words += 1
        elif tok in _REPEAT:
            repeat = _REPEAT[tok]
            words += 1
        elif tok in DIGIT_WORDS:
            out.append(DIGIT_WORDS[tok] * repeat)
            repeat = 1
            words += 1
        elif tok.isdigit():
            out.append(tok * repeat if len(tok) == 1 else tok)
            repeat = 1
    return "".join(out), words


def spoken_phone_ok(span: str) -> bool:
    """7-15 digits, at least three of them spelled as words, and not just a lone 'o' or 'one' among figures. With
    'hundred' or 'thousand' it must still read digit by digit: an amount ('two thousand five hundred', 'three
    thousand two hundred and one') says few digits and many zeros, a phone number says most of its digits."""
    digits, words = spoken_digits(span)
    n = sum(c.isdigit() for c in digits)
    if not (7 <= n <= 15 and words >= 3):
        return False
    toks = re.findall(r"[a-z]+|\d+", span.lower())
    rounds = [t for t in toks if t in _ROUND]
    if rounds:
        said = sum(len(t) if t.isdigit() else 1 for t in toks if t.isdigit() or t in DIGIT_WORDS)
        zeros = sum(len(_ROUND[t]) for t in rounds)
        return said >= 5 and said > zeros and len(rounds) <= 2 and "thousand" not in toks[toks.index(rounds[0]) + 1:]
    return True


class SpelledContactRecognizer(ExplainedRecognizer):
    """EMAIL_ADDRESS spelled out with 'at' and 'dot', PHONE_NUMBER spoken in words."""


    def __init__(self, entity: str, context: list[str] | None = None):
        name = "SpelledEmailRecognizer" if entity == "EMAIL_ADDRESS" else "SpokenPhoneRecognizer"
        super().__init__(supported_entities=[entity], name=name, supported_language="en", context=context)


    def analyze(self, text, entities, nlp_artifacts=None) -> list[RecognizerResult]:
        out = []
        if self.supported_entities[0] == "EMAIL_ADDRESS":
            pos = 0
            while (m := SPELLED_EMAIL.search(text, pos)) is not None:
                if spelled_email_ok(text, m.start(1), m.end(1), m.group(2)):
                    out.append(self._result(m.start(1), m.end(1), 0.75, "email spelled out with 'at' and 'dot'"))
                    pos = m.end(1)
                else:  # a rejected candidate can hide one that starts a word later ("her at anna dot berg at …")
                    pos = m.start(1) + 1
        else:
            for m in SPOKEN_PHONE.finditer(text):
                if spoken_phone_ok(m.group(1)):
                    s, e = m.span(1)
                    while e > s and text[e - 1] in " ,-":
                        e -= 1
                    out.append(self._result(s, e, 0.5, "phone number in words"))
        return out
