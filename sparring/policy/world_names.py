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

from .names import GIVEN_NAMES, LEADING_VERBS, NOT_SURNAMES, ROLE_WORDS, TITLES

# Assistants, tools and brands people name in prompts that are also given names somewhere.
NOT_PEOPLE = frozenset("""
claude alexa siri cortana gemini copilot bard jarvis ada aria nova luna kai sage jasper otto aviva
""".split())

_lock = threading.Lock()


def _dictionary_path() -> Path:
    """The dictionary file, found without importing the package: Sparring reads the name list (GNU FDL 1.2, a
    document) as data and runs none of gender-guesser's code (GPLv3), and never guesses anyone's gender."""
    spec = importlib.util.find_spec("gender_guesser")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("gender-guesser is not installed (it is a pinned dependency: reinstall Sparring)")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "nam_dict.txt"


def _parse(path: Path) -> set[str]:
    out = set()
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
            out.add(name)
    return out


@lru_cache(maxsize=1)
def world_given_names() -> frozenset[str]:
    """Lower-case given names from many countries that are not English words (plus the curated GIVEN_NAMES)."""
    from .nlp import english_words

    with _lock:
        words = english_words()
        try:
            names = _parse(_dictionary_path())
        except (ImportError, OSError):  # the package is a pinned dependency; without it, the curated list only
            names = set()
        skip = words | STOP_WORDS | NOT_PEOPLE | LEADING_VERBS | ROLE_WORDS | NOT_SURNAMES | set(TITLES)
        return frozenset(n for n in names if n not in skip and not _inflected(n, words)) | GIVEN_NAMES


def _inflected(name: str, words: frozenset[str]) -> bool:
    """'tales', 'parks', 'played', 'singing': an English word with a regular ending (the lexicon has lemmas only)."""
    for suffix, add in (("s", ""), ("es", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("er", ""),
                        ("ly", "")):
        if name.endswith(suffix) and len(name) - len(suffix) >= 3 and name[:-len(suffix)] + add in words:
            return True
    return False
