"""Given names from many countries, for the names the small spaCy model does not know.

The small English model calls unfamiliar names organisations or places ("Tomomi Nishiyama" → ORG,
"Elle Sandström" → GPE) and misses them in lists ("Efimiya, Mary, Ariana"). Our own curated lists (names.py) hold
the names common in a UK/EU/US customer base; this module adds the ~40,000 given names of the international
`nam_dict.txt` dictionary shipped by the gender-guesser package (Jörg Michael's name dictionary, compiled from
national sources of about 50 countries; a general-purpose list, not a fake-name generator's).

Many given names are also ordinary English words (Will, May, Mark, Grace, Storm, Hope, Page, Sky ...) or places
(Florence, Adelaide, Austin): every name that is a word in the English lexicon spaCy's model ships with (the
lemmatizer's WordNet index, about 90,000 words and place names, plus its irregular forms and stop words, and
regular inflections of them) is left out, and so are the names of AI tools
people talk to in prompts (Claude, Alexa, ...). The curated lists in names.py, which do hold some such names
(John, Maria), apply only in the stricter patterns there.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from pathlib import Path

from spacy.lang.en.stop_words import STOP_WORDS

from .names import GIVEN_NAMES, LEADING_VERBS, NOT_SURNAMES, PLACES, ROLE_WORDS, SURNAMES, TITLES

# Assistants, tools and brands people name in prompts that are also given names somewhere.
NOT_PEOPLE = frozenset("""
claude alexa siri cortana gemini copilot bard jarvis ada aria nova luna kai sage jasper otto aviva
""".split())

# Month and day names that are also given names (April, June, August): a date, far more often than a person.
MONTHS = frozenset("january february march april may june july august september october november december "
                   "monday tuesday wednesday thursday friday saturday sunday".split())

# Particles of surnames (Ludwig van Beethoven, Maria da Silva, Ursula von der Leyen): part of a name after a given
# name, never a name alone; as words they are a vehicle, a preposition or an article ('the van', 'de minimis').
PARTICLES = frozenset("van von der den de del della di da dos das du la le ter ten bin ibn al el".split())

# Given names that are, in a prompt, nearly always a country, state or city (WordNet cannot tell them apart).
PLACE_NAMES = frozenset("""america argentina asia africa europe france india kenya georgia virginia carolina jordan
chad israel florida dakota montana nevada sydney adelaide alexandria augusta cleveland columbus orlando trinidad
verona odessa raleigh cheyenne shasta sierra savannah victoria austin florence""".split())

# Never a name in any of the lists below: stop words, assistants, role and street words, titles.
_NEVER_NAMES = STOP_WORDS | NOT_PEOPLE | ROLE_WORDS | NOT_SURNAMES | set(TITLES) | PARTICLES
# The towns Sparring knows (names.PLACES), lower-cased.
PLACES_LOWER = frozenset(p.lower() for p in PLACES)
_PLACES = PLACES_LOWER | PLACE_NAMES

_lock = threading.Lock()


def _package_file(package: str, dist: str, *parts: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{dist} is not installed (it is a pinned dependency: reinstall Sparring)")
    return Path(list(spec.submodule_search_locations)[0]).joinpath(*parts)


def _dictionary_path() -> Path:
    """The dictionary file: Sparring reads the name list (GNU FDL 1.2, a document) as data and runs none of
    gender-guesser's code (GPLv3), and never guesses anyone's gender."""
    return _package_file("gender_guesser", "gender-guesser", "data", "nam_dict.txt")


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, bool]:
    """The dictionary's names (read once), or nothing when gender-guesser is missing: then the curated lists only."""
    try:
        return _parse(_dictionary_path())
    except (ImportError, OSError):
        return {}


@lru_cache(maxsize=4)
def _census(part: str) -> frozenset[str]:
    """The lower-case names of one of the `names` package's census lists (dist.all.last, dist.male.first, ...)."""
    try:
        with _package_file("names", "names", part).open(encoding="ascii") as f:
            return frozenset(line.split()[0].lower() for line in f if line.strip())
    except (ImportError, OSError):
        return frozenset()


def _parse(path: Path) -> dict[str, bool]:
    """Names of the dictionary, each with whether it is a common name somewhere: the file gives each name's
    frequency (1-9, A-D) per country from column 30; common = 6 or more in one country, or 3 or more in three."""
    out: dict[str, bool] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line or line[0] in "#=":
                continue
            parts = line.split()
            if len(parts) < 2:
                continue
            name = parts[1].lower()
            # '+' joins multi-part names (Abd+Allah); keep single words of letters (hyphen/apostrophe allowed)
            if "+" in name or len(name) < 3 or not name.replace("-", "").replace("'", "").isalpha():
                continue
            freq = [int(c, 16) for c in line[30:].rstrip("$\n ") if c in "123456789ABCD"]
            out[name] = out.get(name, False) or max(freq, default=0) >= 6 or sum(x >= 3 for x in freq) >= 3
    return out


@lru_cache(maxsize=1)
def world_given_names() -> frozenset[str]:
    """Lower-case given names from many countries that are not English words (plus the curated GIVEN_NAMES)."""
    from .nlp import english_words

    with _lock:
        words = english_words()
        skip = words | _NEVER_NAMES | LEADING_VERBS
        return frozenset(n for n in _dictionary() if n not in skip and not _inflected(n, words)) | GIVEN_NAMES


@lru_cache(maxsize=1)
def name_nouns() -> frozenset[str]:
    """Common given names that the lexicon knows only as nouns. WordNet lists people and places that way (scott,
    teresa, logan, florence, heather), so world_given_names() leaves them out; written as a name in the middle of a
    sentence, such a word is a person far more often than a thing. Kept: the names of both the international
    dictionary that are common somewhere (Maja, Maha) or in the 1990 US Census first-name lists (Scott), so
    "asset" or "ale", rare names in a single country, are not names here. Names that are
    also verbs or adjectives (will, mark, grace, rose, amber), months and the towns Sparring knows never count."""
    from .nlp import noun_only_words

    with _lock:
        names = _dictionary()
        first = _census("dist.male.first") | _census("dist.female.first")
        if not names or not first:
            return frozenset()
        skip = _NEVER_NAMES | LEADING_VERBS | MONTHS | _PLACES
        return frozenset(n for n in noun_only_words() if n in names and (n in first or names[n]) and n not in skip)


@lru_cache(maxsize=1)
def census_surnames() -> frozenset[str]:
    """The 88,799 surnames of the 1990 US Census (public domain; shipped as a data file by the MIT-licensed `names`
    package, which Sparring reads and never imports), minus the words the lexicon also knows as verbs, adjectives
    or adverbs (Brown, Young, Will, Bell...) and stop words. Used only where the sentence already says "these are
    people": a list or pair of names, a speaker's label, a 'last name' answer."""
    from .nlp import english_words, noun_only_words

    with _lock:
        common = (english_words() - noun_only_words()) | _NEVER_NAMES | _PLACES
        return frozenset(n for n in _census("dist.all.last") if len(n) > 2 and n not in common) | SURNAMES


def _inflected(name: str, words: frozenset[str]) -> bool:
    """'tales', 'parks', 'played', 'singing': an English word with a regular ending (the lexicon has lemmas only)."""
    for suffix, add in (("s", ""), ("es", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("er", ""),
                        ("ly", "")):
        # 'ly' needs a longer stem: Carly and Kelly are not adverbs of 'car' and 'kel'
        if name.endswith(suffix) and len(name) - len(suffix) >= (4 if suffix == "ly" else 3) \
                and name[:-len(suffix)] + add in words:
            return True
    return False
