"""Texts typed all in lower case, re-cased before analysis so the NER model and the name rules can read them.

The small English NER model finds names by their capital letters: in 'pls ask iwase to call jana novotna' it sees
none. A text in which no word past the start of a sentence is capitalised (people typing fast, chat, phones) is
therefore re-cased the way an editor would: the first word of each sentence and 'i'; titles and the word after
them ('mrs okafor'); given names and surnames from the name lists; towns Sparring knows; and words that are in
no English lexicon (with their regular inflections), since in such a text those are mostly names. Then the same
pipeline runs on the re-cased copy.

Re-casing changes no length (a letter whose capital is longer, like 'ß', is left alone), so every offset found
in the copy is an offset in what was typed, and findings quote the original text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .names import GIVEN_NAMES, SURNAMES, TITLES

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n\s*|[:;]\s*\n)$")
# Shorthand of people typing fast and words of computing that no dictionary lists: never re-cased as names.
_SHORTHAND = frozenset("""
pls plz thx thanks ty ok okay asap fyi btw lol imo imho tbh idk eta aka etc eg ie vs re fwd cc bcc pm am
email emails emailed emailing e-mail online offline website websites app apps wifi gmail hotmail outlook
login logins signup chatbot chatgpt ai gpt llm api apis url urls pdf pdfs faq faqs ceo cfo cto hr it uk us eu
covid gdpr kyc aml sms mms dm dms iban ssn nino nhs dob txt msg msgs pic pics info admin admins ref refs
yeah yep nope hmm ah oh uh um hi hey hello bye cheers dear
json yaml yml xml html css js ts npm pip sql csv xlsx docx pptx sdk cli ui ux os ios android linux github gitlab
repo repos config env dev prod staging backend frontend webhook webhooks oauth sso vpn dns http https www
""".split())


def _is_title_case_word(w: str) -> bool:
    return len(w) > 1 and w[0].isupper() and w[1:].islower()


def needs_recasing(text: str) -> bool:
    """True when the text has at least four words and none past the start of a sentence is written with a
    capital and then lower case ('Leeds', 'Maria'): a text typed in lower case, whatever its acronyms."""
    words = 0
    for m in _WORD.finditer(text):
        words += 1
        w = m.group()
        if _is_title_case_word(w) and not _SENTENCE_START.search(text[max(0, m.start() - 3):m.start()]) \
                and w != "I":
            return False
    return words >= 4


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """(English words and stop words, names and towns). WordNet lists many people and places as nouns (logan,
    mahler, salinas), so a word that is only a noun there and is in a name list counts as a name; stop words,
    name particles (van, de) and months never do."""
    from .nlp import english_words
    from .world_names import (MONTHS, PARTICLES, PLACES_LOWER, STOP_WORDS, census_surnames, name_nouns,
                              world_given_names)

    names = (world_given_names() | name_nouns() | census_surnames() | GIVEN_NAMES | SURNAMES | PLACES_LOWER) \
        - STOP_WORDS - PARTICLES - MONTHS
    return english_words() | STOP_WORDS, names


def _english(low: str, english: frozenset[str]) -> bool:
    from .world_names import _inflected

    base = low.replace("’", "'")
    if base in english or "'" in base and base.split("'")[0] in english:
        return True
    # comparatives and superlatives the lexicon does not list: simpler, largest, happier
    for suffix, add in (("r", ""), ("st", ""), ("ier", "y"), ("iest", "y")):
        if base.endswith(suffix) and len(base) - len(suffix) >= 3 and base[:-len(suffix)] + add in english:
            return True
    return _inflected(base, english)


def _capitalise(text: str, start: int, out: list[str]) -> None:
    up = text[start].upper()
    if len(up) == 1:
        out[start] = up


def recase(text: str) -> str:
    """The text with the words a writer would capitalise capitalised (see the module docstring); same length.

    A word in a name list that is also an English word (logan, patience, salinas) is capitalised only next to a
    word capitalised as a name ('mathias ruud', 'torpy and salinas'): alone it is more often the word."""
    english, names = _lexicon()
    from .nlp import noun_only_words

    nouns = noun_only_words()
    out = list(text)
    words = list(_WORD.finditer(text))
    kind: list[str] = []  # 'name', 'maybe' (a name that is also a word), 'start' or ''
    prev_title = False
    for m in words:
        w, s = m.group(), m.start()
        low = w.lower()
        k = ""
        if _SENTENCE_START.search(text[max(0, s - 3):s]) or low == "i":
            k = "start"
        elif prev_title:
            k = "name"
        elif low in _SHORTHAND or len(low) < 2:
            k = ""
        elif low in TITLES:
            k = "start"
        elif low in GIVEN_NAMES or low in SURNAMES:
            k = "name"
        elif len(low) >= 3 and not _english(low, english) and re.search(r"[aeiouyà-ÿ]", low):
            k = "name"
        elif low in names or low in nouns:
            k = "maybe"  # a name that is also a word, or a word WordNet knows only as a noun (kurosawa, mahler)
        prev_title = low in TITLES and w.islower()
        kind.append(k)
    for i, m in enumerate(words):
        k = kind[i]
        if k == "maybe":
            near = [j for j in (i - 1, i + 1) if 0 <= j < len(words)
                    and re.fullmatch(r" | and | & |, ", text[min(m.end(), words[j].end()):max(m.start(), words[j].start())])]
            k = "name" if any(kind[j] == "name" for j in near) else ""
        if k and m.group().islower():
            _capitalise(text, m.start(), out)
    return "".join(out)
