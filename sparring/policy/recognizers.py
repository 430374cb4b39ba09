"""Recognizers a policy compiles into: Presidio's predefined ones (tuned where they fail a data-sharing policy),
Sparring's own (names in lower case or capitals, dates of birth, UK postcodes, street addresses, SSNs next to the
word SSN) and the organisation's own from the policy YAML (regex + score + context, deny lists).

Offline: Presidio's email recognizer validates domains with tldextract, whose default extractor downloads the
public suffix list on first use. At import we swap in an extractor that only reads the snapshot bundled with
tldextract (no URLs, no cache writes), both for Presidio's module and for `tldextract.extract` itself.
"""

from __future__ import annotations

import inspect
import re
import types
from functools import lru_cache
from typing import Callable, Iterable, NamedTuple

import tldextract
import tldextract.tldextract as _tld_module
from presidio_analyzer import (AnalysisExplanation, EntityRecognizer, Pattern, PatternRecognizer,
                               RecognizerResult)
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer import predefined_recognizers as _predefined
from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, EmailRecognizer, IbanRecognizer,
                                                      IpRecognizer, NhsRecognizer, PhoneRecognizer, SpacyRecognizer,
                                                      UrlRecognizer, UsSsnRecognizer)
from presidio_analyzer.predefined_recognizers.generic import email_recognizer as _email_module

from ..content.models import Policy, RecognizerSpec
from .explained import ExplainedRecognizer
from .entities import PRESIDIO_ENTITIES
from .scripts import ScriptNameRecognizer
from .spelled import SpelledContactRecognizer
from .names import GIVEN_NAMES, LEADING_VERBS, NOT_SURNAMES, PLACES, ROLE_WORDS, SURNAMES, TITLES
from .world_names import NOT_PEOPLE, PLACES_LOWER, STOP_WORDS, census_surnames, name_nouns, world_given_names

# ------------------------------------------------------------------------------------------ offline tldextract

OFFLINE_TLD = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)
_tld_module.TLD_EXTRACTOR = OFFLINE_TLD  # tldextract.extract() looks this global up at call time
# A stand-in with only the two names email_recognizer uses, so it never reaches the module's online extractor.
_email_module.tldextract = types.SimpleNamespace(  # type: ignore[assignment]
    extract=OFFLINE_TLD, TLDExtract=tldextract.TLDExtract)

NER_ENTITIES = ("PERSON", "LOCATION", "DATE_TIME", "NRP", "ORGANIZATION")
# Labels the small model gives to names it does not know; looked at for PERSON even when the policy allows them.
NAME_SUSPECTS = ("ORGANIZATION", "LOCATION")
# Regions whose national phone formats python-phonenumbers checks (each region is one more scan of the text).
# Numbers written with a + prefix are found whatever the region.
PHONE_REGIONS = ("GB", "US", "IE", "FR", "DE")


# A stretch of text that could hold a phone number: at least 7 digits, with the separators people type.
_PHONE_CANDIDATE = re.compile(r"[+(]?\d(?:[\d \t().\-/]*\d){6,}")
_PHONE_MARGIN = 8  # characters kept either side: python-phonenumbers looks at a number's neighbours


class FastPhoneRecognizer(PhoneRecognizer):
    """Presidio's phonenumbers-based recognizer, run only on the stretches that could hold a number.

    It scans its text once per region and was the costliest recognizer after the NER model: on a 100-word prompt
    with a reference number in it, five scans of the whole prompt. The candidates (7+ digits with typed
    separators, plus a margin) are all a phone number can be, so the findings are the same, from a few dozen
    characters instead of the whole text. Context words are applied later, over the whole text, as before."""

    def analyze(self, text, entities, nlp_artifacts=None):
        spans: list[list[int]] = []
        for m in _PHONE_CANDIDATE.finditer(text):
            start, end = max(0, m.start() - _PHONE_MARGIN), min(len(text), m.end() + _PHONE_MARGIN)
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
        out = []
        for start, end in spans:
            # No artifacts: spaCy's tokens of the whole text would not line up with this slice (PhoneRecognizer
            # reads none of them; presidio types the argument as required all the same).
            for r in super().analyze(text[start:end], entities, None):  # type: ignore[arg-type]
                r.start, r.end = r.start + start, r.end + start
                out.append(r)
        return out
# Presidio's URL pattern backtracks badly on runs of dots ('a.a.a.a...': 40 s on 10,000 characters, 0.2 s on
# 150): it is run on the start of each whitespace-free token only (a URL holds no whitespace), up to the first
# 100 characters and 10 dots, which is where a URL's host and the start of its path are.
_URL_PREFIX = 100
_URL_DOTS = 10


class FastUrlRecognizer(UrlRecognizer):
    """Presidio's URL recognizer, run on each token that could be a URL (it has a dot), on the token's first 100
    characters up to its tenth dot: the same findings for ordinary URLs, a bounded cost for hostile text."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None,
                regex_flags: int | None = None) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        for m in re.finditer(r"\S{4,}", text):
            token = m.group()[:_URL_PREFIX]
            if "." not in token:
                continue
            if token.count(".") > _URL_DOTS:
                token = token[:[i for i, c in enumerate(token) if c == "."][_URL_DOTS]]
            for r in super().analyze(token, entities, None, regex_flags):
                r.start, r.end = r.start + m.start(), r.end + m.start()
                out.append(r)
        return out


PHONE_CONTEXT = ["phone", "number", "telephone", "tel", "mobile", "cell", "call", "ring", "text", "whatsapp",
                 "landline", "contact", "reach", "message", "sms"]


class RegexGroupRecognizer(EntityRecognizer):
    """Regexes whose match *group 1* is the entity: the words around it (a title, "SSN:", "date of birth")
    are evidence, not data, so they are neither flagged nor redacted."""

    name: str  # set by EntityRecognizer.__init__ (presidio leaves it unannotated)

    def __init__(self, entity: str, name: str, patterns: list[tuple[str, str, float]], flags: int = 0,
                 validate=None, context: list[str] | None = None, refine=None):
        self.compiled = [(pname, re.compile(rx, flags), rx, score) for pname, rx, score in patterns]
        self.validate = validate  # validate(matched group) -> bool
        self.refine = refine  # refine(text, start, end) -> (start, end) or None: trim or reject a match
        super().__init__(supported_entities=[entity], name=name, supported_language="en", context=context)

    def load(self) -> None:  # nothing to load; required by EntityRecognizer
        pass

    def analyze(self, text, entities, nlp_artifacts=None) -> list[RecognizerResult]:
        out = []
        for pname, rx, raw, score in self.compiled:
            for m in rx.finditer(text):
                start, end = m.span(1)
                if start < 0 or end <= start:
                    continue
                if self.validate is not None and not self.validate(m.group(1)):
                    continue
                if self.refine is not None:
                    span = self.refine(text, start, end)
                    if span is None:
                        continue
                    start, end = span
                expl = AnalysisExplanation(recognizer=self.name, original_score=score, pattern_name=pname,
                                           pattern=raw, textual_explanation=f"matched '{pname}'")
                out.append(RecognizerResult(
                    entity_type=self.supported_entities[0], start=start, end=end, score=score,
                    analysis_explanation=expl,
                    recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                          RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id}))
        return out


PLACE_PREFIXES = frozenset({"st", "saint", "santa", "san", "port", "fort", "lake", "mount", "cape"})


def _luhn(value: str) -> bool:
    digits = [int(c) for c in value if c.isdigit()]
    if not 12 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _phone_digits_ok(value: str) -> bool:
    n = sum(c.isdigit() for c in value.split("x")[0])
    return 7 <= n <= 15


_ANY_WORD = re.compile(r"[^\W\d_][\w'’.-]*")


def _name_prefix(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The leading run of capitalised words (initials allowed) of a match: 'Julieta S Almeida' from
    'Julieta S Almeida here', nothing from 'not correct'."""
    last = None
    for m in _ANY_WORD.finditer(text, start, end):
        if not m.group()[0].isupper():
            break
        last = m.end()
    if last is None:
        return None
    span = text[start:last].rstrip(".")
    return (start, start + len(span)) if plausible_name(span) else None


# Words that open prose, never a name: after 'policyholder:' or 'Dear' ("our policyholder: the other insurer").
DETERMINERS = frozenset("the a an our my your his her their its this that these those some any every each no".split())


def _lower_name(text: str, start: int, end: int) -> tuple[int, int] | None:
    span = text[start:end].rstrip(" .,")
    if span.split()[0].lower() in DETERMINERS:
        return None
    return (start, start + len(span)) if plausible_name(span) else None



@lru_cache(maxsize=1)
def _english_and_stop_words() -> frozenset[str]:
    from .nlp import english_words

    return english_words() | STOP_WORDS


class _Lexicon(NamedTuple):
    """The word lists a name rule asks (each built once per process: world_names.py)."""

    world: frozenset[str]  # international given names that are not English words
    nouns: frozenset[str]  # common given names the lexicon knows only as nouns (Scott)
    surnames: frozenset[str]  # census surnames that are not English verbs or adjectives
    english: frozenset[str]  # English words and stop words

    def known(self, w: str) -> bool:
        return w in GIVEN_NAMES or w in self.world or w in self.nouns or w in self.surnames


def _lexicon() -> _Lexicon:
    return _Lexicon(world_given_names(), name_nouns(), census_surnames(), _english_and_stop_words())


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < end and start < b for a, b in spans)


def _is_title(word: str) -> bool:
    """Written as a name: a capital, then lower case ('Teresa', 'Živković'; not 'RAG', not 'teresa')."""
    return word[:1].isupper() and word[1:].islower()


# A word of a name: letters of any script, with inner hyphens and apostrophes (O'Neill, Nowak-Kowalska), not a
# possessive 's (Amanda's is Amanda).
_NAME_WORD = r"[^\W\d_](?:[^\W\d_]|-(?=[^\W\d_])|['’](?=[^\W\d_]{2}))*"


class NameListRecognizer(ExplainedRecognizer):
    """PERSON from the given-name and surname lists, whatever the letter case: `maria lopez`, `JOHN SMITH`,
    `Dear sarah`, `Wisława Szczepańska`. Catches what the small spaCy model misses when a name is not written in
    Title Case, is not English, or stands alone where the sentence says it is a person: in a list or pair of names
    ("founders: Kónya, Becker and Vasquez"), as a speaker's label in a transcript ("Halldór: What a wife.")."""

    WORD = re.compile(_NAME_WORD)
    GREETING = {"dear", "hi", "hello", "hey"}
    # Words after which a capitalised name-noun is a place, not a person ("flew to Florence", "lives in Austin").
    PLACE_WORDS = frozenset("in into near via toward towards around across visit visiting".split())
    # A verb that says the word before it, opening a sentence, is someone: "Scott is ...", "Dexter lives on ...".
    PERSON_VERBS = frozenset("""is was has had lives lived said says began wrote asked told called wants wanted needs
    needed works worked joined left thinks thought""".split())
    # NER labels that make a name-like word something else (Georgia the state, June the month, Java the language).
    NOT_PERSON_LABELS = frozenset({"GPE", "LOC", "FAC", "NORP", "DATE", "TIME", "EVENT", "PRODUCT", "WORK_OF_ART",
                                   "LAW", "LANGUAGE", "MONEY", "QUANTITY", "CARDINAL", "ORDINAL", "PERCENT"})

    name: str  # set by EntityRecognizer.__init__ (presidio leaves it unannotated)

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="NameListRecognizer", supported_language="en")


    def analyze(self, text, entities, nlp_artifacts=None) -> list[RecognizerResult]:
        lex = _lexicon()
        world, nouns, surnames, english = lex
        words = [(m.start(), m.end(), m.group().lower().replace("’", "'")) for m in self.WORD.finditer(text)]
        other = _other_entities(nlp_artifacts)
        out: list[RecognizerResult] = []
        i = 0
        while i < len(words):
            s, e, w = words[i]
            # past the last word: a stand-in that is never adjacent, so every `adjacent and nxt...` test is False
            nxt = words[i + 1] if i + 1 < len(words) else (len(text), len(text), "")
            adjacent = i + 1 < len(words) and text[e:nxt[0]] in (" ", "  ")
            cap = text[s].isupper()  # a name from the world list counts only when written as a name
            title = _is_title(text[s:e])
            given = w in GIVEN_NAMES or cap and w in world or title and w in nouns
            if given and adjacent and (nxt[2] in SURNAMES or text[nxt[0]].isupper() and nxt[2] in surnames
                                       and nxt[2] not in NOT_SURNAMES):
                out.append(self._result(s, nxt[1], 0.75, "given name + surname"))
                i += 2
                continue
            # "Ravil G Yefimov", "Sari J. Paavolainen": given name, initial, capitalised word; "Csanád P Gere": a
            # middle initial between two capitalised words no dictionary knows is a name's shape too
            if cap and (w in world or title and (w in nouns or w not in english)) and adjacent and len(nxt[2]) == 1 \
                    and text[nxt[0]].isupper() and i + 2 < len(words):
                s3, e3, w3 = words[i + 2]
                gap = text[nxt[1]:s3]
                if gap in (" ", ". ", ".  ") and text[s3].isupper() and len(w3) > 1 and w3 not in NOT_SURNAMES \
                        and w3 not in ROLE_WORDS and (w in world or w3 not in english or w3 in surnames):
                    out.append(self._result(s, e3, 0.6, "given name + initial + capitalised word"))
                    i += 3
                    continue
            if (w in GIVEN_NAMES or w in world or title and w in nouns and nxt[2] not in english) \
                    and adjacent and text[nxt[0]].isupper() and not text[s:e].islower() \
                    and nxt[2] not in LEADING_VERBS and nxt[2] not in NOT_SURNAMES and nxt[2] not in ROLE_WORDS \
                    and len(nxt[2]) > 1:
                out.append(self._result(s, nxt[1], 0.6, "given name + capitalised word"))
                i += 2
                continue
            # "patricia desrosiers": a given name in lower case, then a lower-case word that is not English
            if w in world and adjacent and text[s:e].islower() and text[nxt[0]:nxt[1]].islower() \
                    and len(nxt[2]) > 2 and nxt[2] not in english and nxt[2] not in LEADING_VERBS:
                out.append(self._result(s, nxt[1], 0.55, "given name + unknown lower-case word"))
                i += 2
                continue
            prev = words[i - 1][2] if i else ""
            if (w in GIVEN_NAMES or w in world) and prev in self.GREETING:
                out.append(self._result(s, e, 0.6, "greeting + given name"))
            elif (w in GIVEN_NAMES or w in world) and title and prev not in PLACE_PREFIXES \
                    and not (adjacent and nxt[2] in NOT_SURNAMES):
                # A known given name written as a name ("Why is Rebecca so upset?"), not a heading in capitals.
                out.append(self._result(s, e, 0.55, "capitalised given name"))
            elif title and w in nouns and prev not in PLACE_PREFIXES and prev not in self.PLACE_WORDS \
                    and not (adjacent and text[nxt[0]].isupper()) and not _overlaps(s, e, other) \
                    and (i and not _SENTENCE_START.search(text[max(0, s - 8):s])
                         or adjacent and nxt[2] in self.PERSON_VERBS):
                # "remove my kid Florence from the will", "Scott is ...": mid-sentence or the subject of a verb
                # people do, not after 'in'/'via', not tagged a place or a date by the NER model
                out.append(self._result(s, e, 0.5, "capitalised given name (also an English noun)"))
            i += 1
        out.extend(self._by_ending(text, words, other, lex))
        out.extend(self._unknown_pairs(text, words, other, lex))
        out.extend(self._with_particles(text, words, lex))
        out.extend(self._subjects(text, words, other, lex))
        out.extend(self._after_cues(text, other, lex))
        out.extend(self._lists(text, other, lex))
        out.extend(self._speakers(text, other, lex))
        return out

    # Verbs only people do: the capitalised word opening a sentence before one of them is someone.
    DOING = frozenset("""lives lived said says wrote writes asked asks told tells wants wanted needs needed works
    worked joined left thinks thought began rang rings called emailed complained phoned replied""".split())

    def _subjects(self, text, words, other, lex: _Lexicon) -> list[RecognizerResult]:
        """'Ciset lives on ...', 'Dexter said ...': a word written as a name that opens a sentence, is no English
        word (or is a given name: Dexter), and is the subject of a verb only people do."""
        out = []
        given = any_given_names()
        for i, (s, e, w) in enumerate(words[:-1]):
            nxt = words[i + 1]
            if nxt[2] not in self.DOING or text[e:nxt[0]] != " " or not _is_title(text[s:e]) \
                    or _SENTENCE_START.search(text[max(0, s - 8):s]) is None and i \
                    or w in _NOT_A_NAME or w in PRONOUNS or (w in lex.english and w not in given) \
                    or _overlaps(s, e, other):
                continue
            out.append(self._result(s, e, 0.55, "name opening a sentence before a verb people do"))
        return out

    def _with_particles(self, text, words, lex: _Lexicon) -> list[RecognizerResult]:
        """A given name, one or two surname particles, a capitalised surname: 'Ludwig van Beethoven', 'Maria da
        Silva', 'Willemine ten Pas', 'Ursula von der Leyen'."""
        from .world_names import PARTICLES

        out = []
        for i, (s, e, w) in enumerate(words):
            if not (text[s].isupper() and (w in GIVEN_NAMES or w in lex.world or w in lex.nouns)):
                continue
            j = i + 1
            while j < len(words) and j - i <= 2 and words[j][2] in PARTICLES and text[words[j][0]].islower() \
                    and text[words[j - 1][1]:words[j][0]] == " ":
                j += 1
            if i + 1 < j < len(words) and text[words[j - 1][1]:words[j][0]] == " " \
                    and _is_title(text[words[j][0]:words[j][1]]) and len(words[j][2]) > 1:
                out.append(self._result(s, words[j][1], 0.7, "given name + particle + surname"))
        return out

    def _unknown_pairs(self, text, words, other, lex: _Lexicon) -> list[RecognizerResult]:
        """Two or three adjacent words written as names that no lexicon knows as English ('Nkechi Onwuachi',
        'Tobiasz Wrona'): a name from a language the lists do not cover. Not after 'the' (titles of things), not a
        place for the NER model; streets and firms are dropped later by the words around them."""
        out = []
        i = 0
        while i + 1 < len(words):
            j = i
            while j < len(words) and j - i < 3 and _is_title(text[words[j][0]:words[j][1]]) \
                    and words[j][2] not in lex.english and len(words[j][2]) > 2 \
                    and (j == i or text[words[j - 1][1]:words[j][0]] == " "):
                j += 1
            if j - i >= 2 and not _overlaps(words[i][0], words[j - 1][1], other) \
                    and (not i or words[i - 1][2] not in ("the", "of")):
                out.append(self._result(words[i][0], words[j - 1][1], 0.55, "capitalised words no dictionary knows"))
                i = j
            else:
                i += 1
        return out

    def _by_ending(self, text, words, other, lex: _Lexicon) -> list[RecognizerResult]:
        """A capitalised word no lexicon knows that ends like a surname of its language ('Tomaszewski',
        'Živković', 'Musliyevich', 'Ásgeirsdóttir', 'Sokolov'), with the capitalised word before it when that one
        reads as a given name ('Dobrosław Tomaszewski'). Not a place for the NER model (Moldova) or Sparring."""
        out = []
        for i, (s, e, w) in enumerate(words):
            if e - s < 6 or not _is_title(text[s:e]) or w in lex.english or w in PLACES_LOWER \
                    or not _SURNAME_ENDING.search(w) or _overlaps(s, e, other):
                continue
            # 'ul. Chrzanowska 61', '9721 Dalmatinova 43', 'Medvedev Islands': a street or a place named after someone
            nxt = text[e:e + 4].lstrip(" \t")[:1]
            if re.search(r"\d[^\n]{0,3}$|\b(?i:ul|u|ulica|box|no)\.?\s*$", text[max(0, s - 8):s]) \
                    or nxt.isdigit() or nxt.isupper():
                continue
            start = s
            if i:
                ps, pe, pw = words[i - 1]
                if text[pe:s] == " " and _is_title(text[ps:pe]) \
                        and (pw in lex.world or pw in GIVEN_NAMES or pw not in lex.english):
                    start = ps
            out.append(self._result(start, e, 0.5, "surname by its ending"))
        return out

    def _after_cues(self, text, other, lex: _Lexicon) -> list[RecognizerResult]:
        """The word(s) after a verb that takes a person: 'said Maslin to Antonio', 'shouted at Todd', 'people call
        me Csanád'. Capitalised words that are not English verbs or adjectives (nouns may be names: Reed, Walker),
        not a place for the NER model; after 'call me', a lower-case unknown word too. Not 'called' or 'named':
        products and projects are called things ('a tool called Zywave')."""
        out = []
        for m in _PERSON_CUE.finditer(text):
            span = None
            for w in self.WORD.finditer(text, m.end(), min(len(text), m.end() + 60)):
                if span and text[span[1]:w.start()] not in (" ", "  "):
                    break
                raw, low = w.group(), w.group().lower()
                known = lex.known(low)
                name_like = raw[0].isupper() and (known or low not in lex.english) \
                    or m.group(1).lower().endswith(" me") and raw.islower() and (known or low not in lex.english)
                if not name_like or low in _NOT_A_NAME or _overlaps(w.start(), w.end(), other):
                    break
                span = (span[0] if span else w.start(), w.end())
                if len(text[span[0]:span[1]].split()) == 3:
                    break
            if span:
                out.append(self._result(*span, 0.5, f"name after '{m.group(1).lower()}'"))
        return out

    def _lists(self, text, other, lex: _Lexicon) -> list[RecognizerResult]:
        """Names in a list or pair of single names: 'Efimiya, Mary, Ariana, Isabel, Teresa and Jodi', 'Marrero and
        Murphy were ...', 'they had 6: silvana, adam, christopher and caleb'. The list says they are alike; one or
        more known names say what they are. Every member must read as a name: not an English verb or adjective,
        not a place (for the NER model either: 'Spain and Portugal'), firm, role or assistant."""
        out = []
        for m in _NAME_LIST.finditer(text):
            before = self.WORD.findall(text[max(0, m.start() - 12):m.start()])
            after = self.WORD.match(text, m.end() + 1) if text[m.end():m.end() + 1] == " " else None
            # 'to Spain and Portugal' is a place; 'The Clark, Romero and Hall Orchestra' and 'Smith and Nephew Ltd'
            # are one firm's name: the list goes on into a capitalised word
            if before and (before[-1].lower() in self.PLACE_WORDS or before[-1] == "The") \
                    or after and after.group()[0].isupper():
                continue
            members = [(m.start() + x.start(), m.start() + x.end(), x.group()) for x in self.WORD.finditer(m.group())
                       if x.group().lower() != "and"]
            if len(members) < 2:
                continue
            lower = all(x[2].islower() for x in members)
            ok, known = [], 0
            for ms, me, raw in members:
                low = raw.lower().replace("’", "'")
                is_known = lex.known(low)
                shape = _is_title(raw) or lower and is_known
                if not shape or low in _NOT_A_NAME or low in ORG_WORDS or low in LEADING_VERBS or low in TITLES \
                        or (low in lex.english and not is_known) or _overlaps(ms, me, other):
                    continue
                ok.append((ms, me, is_known))
                known += is_known
            odd = len(members) - len(ok)
            if lower and known < 3 or known < 1 or len(ok) < 2 or odd > (len(members) - 2) // 2:
                continue
            for ms, me, is_known in ok:
                out.append(self._result(ms, me, 0.6 if is_known else 0.5, "name in a list of names"))
        return out

    def _speakers(self, text, other, lex: _Lexicon) -> list[RecognizerResult]:
        """Speakers' labels in a transcript ('Halldór: What a wife.' / 'Nicole: Remember me'): a name-like word at
        the start of a line followed by a colon. A known name counts alone; unknown words only when two or more
        lines are labelled that way (a role or heading in English - 'Note:', 'Agent:' - never counts)."""
        labels = []
        for m in _SPEAKER.finditer(text):
            raw = m.group(1)
            low = raw.lower().replace("’", "'")
            if low in _NOT_A_NAME or low in TITLES or _overlaps(m.start(1), m.end(1), other):
                continue
            is_known = lex.known(low)
            if (low in lex.english and not is_known) or not (raw[0].isupper() or raw.islower()):
                continue
            labels.append((m.start(1), m.end(1), is_known))
        if not labels:
            return []
        several = len(labels) >= 2
        return [self._result(s, e, 0.55, "speaker's name in a transcript") for s, e, k in labels if k or several]


# A list of single words joined by commas and a final 'and' / '&' (or just 'X and Y'), on one line.
_NAME_LIST = re.compile(rf"(?<![\w'’-])(?:{_NAME_WORD}, ){{0,9}}{_NAME_WORD},? (?:and|&) {_NAME_WORD}(?![\w-])")
_SPEAKER = re.compile(rf"(?m)^[ \t>*\-\"“]*({_NAME_WORD})[ \t]*:[ \t]*\S")
# Never a person, whatever the sentence says: assistants, roles, the towns Sparring knows.
_NOT_A_NAME = NOT_PEOPLE | ROLE_WORDS | PLACES_LOWER
# Subjects that are never someone's name, though a name dictionary lists some of them ('You' is a given name):
# 'You asked the AI assistant ...' opens half the scenario briefs.
PRONOUNS = frozenset("i you we they he she it one someone somebody everyone everybody nobody anyone anybody who".split())
# Endings of surnames in languages whose names the small English model rarely knows (Slavic, Baltic, Nordic,
# Romanian, Greek, Turkish, Ukrainian); English words do not end this way.
_SURNAME_ENDING = re.compile(r"(?:ović|ovič|ević|evič|[čćšž]ić|ovich|evich|ovna|evna|dóttir|dottir|wicz|ewski|owski|"
                             r"ewska|owska|ński|ńska|inski|inska|escu|opoulos|akis|oglu|oğlu|enko|chuk|czyk|ovsky|"
                             r"evsky|ova|eva|ov|ev)$")
_PERSON_CUE = re.compile(r"\b((?i:said|asked|told|shouted at|replied to|call me|calls me|ask|tell|remind|thank|cc|"
                         r"email|e-mail|ping|chase))[ \t]+(?=[^\W\d_])")


def _other_entities(nlp_artifacts) -> list[tuple[int, int]]:
    """Character spans the NER model gave a label that is not a person or a firm (places, dates, products)."""
    ents = getattr(nlp_artifacts, "entities", None) or []
    return [(e.start_char, e.end_char) for e in ents if e.label_ in NameListRecognizer.NOT_PERSON_LABELS]


# An address on any domain: Presidio's recognizer only accepts domains under a public suffix (tldextract), so
# internal addresses (jane@corp.example, ops@intranet.local, x@hr.internal) slip through, and they are exactly
# the ones that identify colleagues. The last label must start with a letter: `pkg@1.2.3` is a version, not mail;
# `@mention` and `user@` have no domain.
EMAIL_ANY_DOMAIN = (r"(?<![\w.%+-])([A-Za-z0-9_%+-](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@"
                    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9]))"
                    r"(?![\w@-]|\.[A-Za-z0-9])")


def _ssn_digits_ok(value: str) -> bool:
    # Next to the word "SSN" we accept numbers Presidio rejects as samples (123-45-6789): in a prompt they are
    # meant as someone's number. Only structurally impossible ones (000/666 area, 00 group, 0000 serial) pass.
    d = re.sub(r"\D", "", value)
    return len(d) == 9 and d[:3] not in ("000", "666") and d[3:5] != "00" and d[5:] != "0000"


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (r"(\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)?\d{2}|(?:19|20)\d{2}-\d{2}-\d{2}|"
         rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(?:19|20)\d{{2}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}})")
_STREET_TYPES = (r"street|st|road|rd|avenue|ave|lane|ln|drive|close|way|court|ct|crescent|place|boulevard|blvd|"
                 r"terrace|gardens|grove|square|row|mews|parade|walk|hill|rise|view")


# Prefixes HMRC never issues (BG, GB, KN, NK, NT, TN, ZZ); the rest of the number: 3 pairs of digits and a
# letter A-D, each part optionally spaced or dashed.
_NINO_NEVER = r"BG|GB|KN|NK|NT|TN|ZZ"
_NINO_REST = r"(?:[ \t]{0,2}|-)\d{2}(?:[ \t]{0,2}|-)\d{2}(?:[ \t]{0,2}|-)\d{2}(?:[ \t]{0,2}|-)[A-D]"


def sparring_recognizers() -> dict[str, list[EntityRecognizer]]:
    """Sparring's own recognizers, by the entity they add to."""
    ssn_ctx = RegexGroupRecognizer("US_SSN", "SsnNextToLabelRecognizer", [(
        "SSN after its label", r"\b(?:ssn|social security(?:\s+(?:number|no\.?|#))?|ss#)\s*(?:is|:|#|-)?\s*"
        r"(\d{3}[- .]?\d{2}[- .]?\d{4})\b", 0.85)], flags=re.I, validate=_ssn_digits_ok)
    titled = RegexGroupRecognizer("PERSON", "TitleNameRecognizer", [(
        "title + name", rf"\b(?i:{'|'.join(TITLES)})\.?\s+((?:[A-Z][a-z'’-]+|[a-z][a-z'’-]{{2,}})"
        r"(?:[ -][A-Z][a-z'’-]+)?)", 0.7), (
        "TITLE + NAME", rf"\b(?:{'|'.join(t.upper() for t in TITLES)})\.?\s+([A-Z][A-Z'’-]+(?:\s[A-Z][A-Z'’-]+)?)\b",
        0.7)])
    dob = RegexGroupRecognizer("DATE_OF_BIRTH", "DateOfBirthRecognizer", [(
        "date after 'date of birth'/'DOB'/'born'",
        rf"\b(?:date\s+of\s+birth|d\.?o\.?b\.?|born(?:\s+on)?|birthday)\s*(?:is|was|:|-|=)?\s*{_DATE}", 0.85)],
        flags=re.I)
    postcode = RegexGroupRecognizer("POSTCODE", "PostcodeRecognizer", [
        ("UK postcode", r"\b((?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s?\d[ABD-HJLNP-UW-Z]{2})\b", 0.6),
        ("US ZIP after 'zip'", r"\b(?i:zip|zip code|zipcode)\s*:?\s*(\d{5}(?:-\d{4})?)\b", 0.7)])
    # python-phonenumbers rejects numbers outside allocated ranges (Ofcom's 07700 900xxx drama range, made-up
    # but realistic numbers): in a prompt they are still someone's number as far as the writer knows.
    phone = RegexGroupRecognizer("PHONE_NUMBER", "PhoneFormatRecognizer", [
        ("international +CC format", r"(?<![\w+])(\+\d{1,3}[\s.-]?(?:\(0\)\s?)?\d{1,4}(?:[\s.-]?\d{2,4}){2,4})(?!\w)", 0.5),
        ("UK national format", r"(?<![\w-])(0\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4})(?![\w-])", 0.4),
        ("US (ddd) ddd-dddd", r"(?<![\w-])(\(\d{3}\)\s?\d{3}[\s.-]\d{4})(?![\w-])", 0.5),
        ("French 0d dd dd dd dd", r"(?<![\w-])(0\d(?:[\s.]\d{2}){4})(?![\w-])", 0.4),
        # Any group of 7-15 digits in 2-5 blocks is a phone number only when a phone word is near (+0.35).
        ("digit groups near a phone word",
         r"(?<![\w./-])((?:\+?\(?\d{1,4}\)?[ .-]){1,4}\d{2,5}(?:[ ]?x\d{1,5})?)(?![\w/-]|\.\d)", 0.2),
        ("number after 'phone:' / 'mobile:' / 'call me on'",
         r"\b(?i:phone|mobile|mob|tel|telephone|cell|fax|desk|office|call me on|call on|reach me on|answering at)"
         r"\b[ \t]*:?[ \t]*\n?[ \t]*((?:\+?\(?\d{1,4}\)?[ .-]?){1,5}\d{2,5}(?:[ ]?x\d{1,5})?)(?![\w/-])", 0.6),
        # Contact blocks put the label after the number: '416 60 039 office', '21 253 109 8211-Office'.
        ("number before its label",
         r"(?<![\w+./-])((?:\+?\(?\d{1,4}\)?[ .-]?){1,5}\d{2,5})[ \t]*[-–,]?[ \t]*"
         r"(?=(?i:office|fax|mobile|cell|home|work|landline|tel|phone|direct)\b)", 0.6),
        # Contact blocks glue the number to its label: 'Tel:07700900254', 'Mob.+44 7700 900254', 'phone07700 900
        # 254', and one-letter labels at the start of a line or after a bar ('M: 07700 ...', '| T. 020 ...').
        ("number glued to its label",
         r"(?:\b(?i:phone|mobile|mob|tel|telephone|cell|cellphone|fax|landline|whatsapp|ph|tlf|tfn|telf|"
         r"call me on|call on|reach me on|text me on)|"
         r"(?:(?m:^)|(?<=[|•·;/]))[ \t]*[TMPFW])(?:[ \t]*[.:#=]|(?=[+(\d]))[ \t]*"
         r"((?:\+?\(?\d{1,4}\)?[ .-]?){1,5}\d{2,5}(?:[ ]?x\d{1,5})?)(?![\w/-])", 0.6)],
        context=PHONE_CONTEXT + ["office", "fax", "desk", "answering"], validate=_phone_digits_ok)
    street = RegexGroupRecognizer("STREET_ADDRESS", "StreetAddressRecognizer", [
        ("number + street", rf"\b((?:(?:flat|apt\.?|apartment|unit)\s+\w+,?\s+)?\d{{1,5}}[a-z]?,?\s+(?:[A-Za-z'’]+\s+){{1,3}}"
         rf"(?:{_STREET_TYPES})\b\.?)", 0.7)], flags=re.I)
    labelled_name = RegexGroupRecognizer("PERSON", "NameAfterLabelRecognizer", [
        ("name after 'my name is' / 'last name?' / 'Dear' / 'signed'",
         r"(?:\b(?i:my name is|name is|this is|signed|dear|hi|hello|regards,?|thanks,?|cheers,?|"
         r"(?:last|first|family|maiden|middle) name\??|surname\??))[ \t]+"
         r"([^\W\d_][\w'’.-]*(?:[ \t]+[^\W\d_][\w'’.-]*){0,2})", 0.6)], refine=_name_prefix)
    name_field = RegexGroupRecognizer("PERSON", "NameFieldRecognizer", [
        ("value of a 'Name:' field",
         r"\b(?i:name|full name|customer name|claimant|policyholder|insured)[ \t]*:[ \t]*"
         r"([^\W\d_][\w'’.-]*(?:[ \t]+[^\W\d_][\w'’.-]*){0,2})", 0.65)], refine=_lower_name)
    card = RegexGroupRecognizer("CREDIT_CARD", "CardNumberAfterLabelRecognizer", [
        ("Luhn-valid number after 'card'",
         r"\b(?i:card|cc|credit card|debit card|visa|mastercard|amex|maestro)\b[^\d\n]{0,25}?"
         r"(?<![\w-])((?:\d[ -]?){11,18}\d)(?![\w-])", 0.8)], validate=_luhn)

    # UK National Insurance numbers as people type them: pairs spaced or dashed ('AB 12 34 56 C', 'AB-12-34-56-C'),
    # HMRC's own example prefix QQ ('QQ 12 34 56 C', 'QQ123456C', which Presidio's pattern refuses because HMRC
    # never issues it: in a prompt it is still typed as someone's number), and any two letters after an NI label.
    nino = RegexGroupRecognizer("UK_NINO", "NiNumberRecognizer", [
        ("NI number, HMRC prefix rules",
         rf"(?<![\w-])((?!{_NINO_NEVER})[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]{_NINO_REST})(?![\w-])", 0.6),
        ("NI number, HMRC prefix rules, lower case",
         rf"(?<![\w-])((?!{_NINO_NEVER.lower()})[a-ceghj-pr-tw-z][a-ceghj-npr-tw-z]\d{{6}}[a-d])(?![\w-])", 0.6),
        ("NI number, HMRC example prefix QQ", rf"(?<![\w-])((?i:qq){_NINO_REST})(?![\w-])", 0.6),
        ("two letters + six digits after an NI label",
         r"\b(?i:national\s+insurance|nat\.?\s*ins\.?|ni|nino|n\.i\.)(?i:\s+(?:no\.?|number|num|#))?\s*"
         rf"(?i:is|:|#|-|=)?\s*([A-Za-z]{{2}}{_NINO_REST.replace('[A-D]', '[A-Da-d]')})(?![\w-])", 0.85)])
    spelled_email = SpelledContactRecognizer("EMAIL_ADDRESS")
    spoken_phone = SpelledContactRecognizer("PHONE_NUMBER", context=PHONE_CONTEXT)
    email = RegexGroupRecognizer("EMAIL_ADDRESS", "EmailAnyDomainRecognizer", [
        ("address on any domain (internal ones too)", EMAIL_ANY_DOMAIN, 0.8)])
    places = RegexGroupRecognizer("LOCATION", "PlaceListRecognizer", [
        ("known town or city", r"\b(" + "|".join(re.escape(p) for p in PLACES) + r")\b", 0.6)])
    return {"LOCATION": [places], "US_SSN": [ssn_ctx], "EMAIL_ADDRESS": [email, spelled_email],
            "CREDIT_CARD": [card], "UK_NINO": [nino],
            "PERSON": [titled, NameListRecognizer(), labelled_name, name_field, ScriptNameRecognizer()],
            "DATE_OF_BIRTH": [dob], "PHONE_NUMBER": [phone, spoken_phone],
            "POSTCODE": [postcode], "STREET_ADDRESS": [street]}


def _predefined_for(entity: str) -> list[EntityRecognizer]:
    """Presidio's recognizers for an entity, configured for our texts."""
    if entity in NER_ENTITIES:
        return []  # one SpacyRecognizer serves them all (see build_recognizers)
    tuned: dict[str, Callable[[], list[EntityRecognizer]]] = {
        "EMAIL_ADDRESS": lambda: [EmailRecognizer()],
        "PHONE_NUMBER": lambda: [FastPhoneRecognizer(context=PHONE_CONTEXT, supported_regions=PHONE_REGIONS)],
        "CREDIT_CARD": lambda: [CreditCardRecognizer()],
        # lower-case IBANs ("my iban is gb42nawi...") are still IBANs; the checksum keeps precision
        "IBAN_CODE": lambda: [IbanRecognizer(regex_flags=re.DOTALL | re.MULTILINE | re.IGNORECASE)],
        "US_SSN": lambda: [UsSsnRecognizer()],
        "UK_NINO": lambda: [],  # NiNumberRecognizer covers Presidio's pattern and the forms it refuses
        "UK_NHS": lambda: [NhsRecognizer()],
        "IP_ADDRESS": lambda: [IpRecognizer()],
        "URL": lambda: [FastUrlRecognizer()],
    }
    if entity in tuned:
        return tuned[entity]()
    return [cls(supported_language="en") for cls in _pattern_classes_for(entity)]


_NOT_PATTERN = {"SpacyRecognizer", "StanzaRecognizer", "TransformersRecognizer", "GLiNERRecognizer",
                "HuggingFaceNerRecognizer", "MedicalNERRecognizer"}


@lru_cache(maxsize=None)
def _pattern_classes_for(entity: str) -> tuple[Callable[..., PatternRecognizer], ...]:
    found: list[Callable[..., PatternRecognizer]] = []
    for name, cls in inspect.getmembers(_predefined, inspect.isclass):
        if not issubclass(cls, PatternRecognizer) or name in _NOT_PATTERN:
            continue
        # Presidio's predefined recognizers default their entity; only the base class requires one.
        make: Callable[..., PatternRecognizer] = cls
        try:
            if entity in make(supported_language="en").supported_entities:
                found.append(make)
        except Exception:  # a recognizer needing extra setup is simply not offered
            continue
    return tuple(found)


def from_spec(spec: RecognizerSpec) -> PatternRecognizer:
    """One recognizer from the policy YAML."""
    patterns = [Pattern(p.name or f"{spec.entity} pattern {i + 1}", p.regex, p.score)
                for i, p in enumerate(spec.patterns)]
    return PatternRecognizer(supported_entity=spec.entity, name=spec.name or f"{spec.entity} recognizer",
                             patterns=patterns, deny_list=spec.deny_list,  # empty lists: as presidio's None
                             # presidio declares `context: List[str] = None` and treats None as "no context"
                             context=spec.context or None,  # type: ignore[arg-type]
                             supported_language="en")


def build_recognizers(policy: Policy, entities: Iterable[str]) -> list[EntityRecognizer]:
    """Every recognizer needed to find `entities` under `policy` (and nothing more: fewer recognizers, faster)."""
    wanted = set(entities)
    out: list[EntityRecognizer] = []
    ner = sorted(wanted & set(NER_ENTITIES) | (set(NAME_SUSPECTS) if "PERSON" in wanted else set()))
    if ner:
        out.append(SpacyRecognizer(supported_language="en", supported_entities=ner))
    own = sparring_recognizers()
    for ent in sorted(wanted):
        if ent in PRESIDIO_ENTITIES:
            out.extend(_predefined_for(ent))
        out.extend(own.get(ent, []))
    out.extend(from_spec(spec) for spec in policy.recognizers if spec.entity in wanted)
    return out


def trim_leading_verb(text: str, start: int, end: int) -> int:
    """New start of a PERSON span after dropping an imperative verb spaCy glued to it ('Call Mrs Okafor')."""
    m = re.match(r"([A-Za-z-]+)\.?\s+", text[start:end])
    while m and m.group(1).lower() in LEADING_VERBS | set(TITLES):
        start += m.end()
        m = re.match(r"([A-Za-z-]+)\.?\s+", text[start:end])
    return start


def plausible_name(span: str) -> bool:
    """False for what the small NER model sometimes calls a PERSON but no name looks like: a lone imperative
    verb ('Summarise'), a lone title, anything with digits ('INC-20391', 'expiry 09/27')."""
    span = span.strip(" .,;:'\"()")
    if not re.search(r"[^\W\d_]{2}", span) or re.search(r"\d", span):
        return False
    words = [w.strip(".,'’s") if w.endswith(("'s", "’s")) else w.strip(".,") for w in span.lower().split()]
    return not all(w in LEADING_VERBS or w in TITLES or w in ROLE_WORDS for w in words)


ORG_WORDS = frozenset("""
inc ltd llc plc gmbh co corp company group partners bank insurance holdings services solutions systems
technologies university college school hospital clinic council trust foundation association society club
orchestra band church ministry department agency office team fund capital markets brothers bros sons
""".split())
_NAME_TOKEN = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*\.?$")


def looks_like_person(span: str, label: str = "LOCATION") -> bool:
    """A span the NER model called a place or an organisation that reads as a person's name: a known given name
    or surname, written as a name (each word capitalised, initials allowed), no organisation or street word, not a
    known place. Organisations need a given name first and at least two words: a lone surname (Becker, Morgan) is
    as likely a firm."""
    span = span.strip()
    if span.endswith(("'s", "’s")):
        span = span[:-2]
    if span in PLACES:
        return False
    raw = span.split()
    words = [w.lower().strip(".,") for w in raw]
    if not words or not plausible_name(span) or len(words) > 4:
        return False
    if any(w in ORG_WORDS or w in NOT_SURNAMES for w in words):
        return False
    if not all(_NAME_TOKEN.match(w) and w[0].isupper() for w in raw):
        return False
    world = world_given_names()
    given = words[0] in GIVEN_NAMES or words[0] in world
    if label == "ORGANIZATION":
        return given and len(words) >= 2
    return given or words[-1] in SURNAMES


_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n]|\n\s*[-*•])\s*[\"'“‘(]?$")


_TITLE_BEFORE = re.compile(rf"\b(?i:{'|'.join(TITLES)})\.?\s*$")


def not_a_person(text: str, start: int, end: int) -> bool:
    """A one-word PERSON from the NER model that is no one: an AI assistant's name ('ask Claude'), or an everyday
    English word opening a sentence ('Bill the broker', 'Mark the claim as urgent'), unless it is one of our
    curated given names."""
    word = text[start:end].strip(" .,;:'\"")
    if " " in word or not word.isalpha():
        return False
    low = word.lower()
    if low in NOT_PEOPLE:
        return True
    from .nlp import english_words

    if low in GIVEN_NAMES or low not in english_words():
        return False
    before = text[:start]
    after = text[end:end + 12]
    # An imperative verb opens the sentence and an object follows ("Bill the broker", "Mark it urgent"); a name is
    # followed by punctuation, a capital, "and", or comes after a title ("Dr. Wells", "Park and Mann").
    return bool(_SENTENCE_START.search(before)) and not _TITLE_BEFORE.search(before) \
        and bool(re.match(r" (?!and\b|or\b)[a-z]", after))


def is_acronym(span: str) -> bool:
    """A lone short word in capitals ('RAG', 'FCA', 'SLA') that the NER model took for a PERSON; names written in
    capitals come with a surname ('JOHN SMITH') or are in our name lists."""
    word = span.strip(" .,;:'\"")
    return " " not in word and word.isupper() and len(word) <= 5 and word.lower() not in GIVEN_NAMES \
        and word.lower() not in SURNAMES


# ------------------------------------------------------------------------------------------ addresses and firms
# Streets, towns and firms are very often named after people ('Victor Hugo u. 49', 'Erzsébet tér 19', 'Porto
# Alegre', 'The Clark, Romero and Hall Orchestra'): the words around them, not the name, say what they are.

# Street types written after the name, in the languages of our customers' addresses; none is a common surname.
STREET_AFTER = frozenset("""
street st str road rd avenue ave av lane ln drive dr boulevard blvd terrace crescent cres mews parade close
turnpike bypass squares sq coves courts extensions extension union route loop pass points heights meadows falls
strasse straße str. gasse weg allee platz ring damm ufer chaussee straat laan plein dreef kade gracht steeg
vej gade alle allé plads stræde gata gatan vägen väg gränd torget veien vegen gate gaten tie katu polku kuja
utca u út útja tér körút krt rakpart köz sor ulica ulice náměstí nábřeží třída cesta trg
""".split())
# Street types and ship prefixes written before the name ('Rua Mina 50', 'Via Roma 131', 'ul. Narewska 94').
STREET_BEFORE = frozenset("""
rua rue via viale vicolo piazza piazzetta largo corso strada avenida avda calle carrer camino paseo plaza praça
praca travessa rambla allée allee chemin impasse quai ul ulica trg ulitsa prospekt bulevar odos leoforos
uss usns usnv uscgc psc fpo apo dpo box
""".split())
# Words that make what stands before them a firm: 'Williamson Orchestra', 'Bertha Inc', 'Thomas and Sons'.
FIRM_WORDS = ORG_WORDS | frozenset("""
incorporated investments consulting consultants associates solicitors llp gmbh srl
labs laboratories media logistics industries enterprises ventures studios productions records publishing
motors airlines pharmaceuticals pharma analytics technologies software
""".split())
# Legal forms written in capitals after a firm's name ('Nordea AB', 'Equinor AS'): as words they are English.
FIRM_SUFFIXES = frozenset("AB AS ASA SA AG NV BV SPA SARL OY OYJ LP KG SE".split())
# Verbs and phrases after which a capitalised word is a place ('flew to Coles', 'originally from Eckenroth').
_PLACE_CUE = re.compile(r"(?i:\b(?:flew|flown|fly|flying|travell?ed|travell?ing|returned|moved(?:\s+here)?|drove|"
                        r"driven|relocated|emigrated|headed|arrived|based|located|situated|lives|live|living|"
                        r"born|originally|visited|visiting|visit)\s+(?:to|in|from|at|into|back\s+to)?\s*|"
                        r"\b(?:city|town|village|county|province|state|capital)\s+of\s+)$")
_HOUSE_NUMBER_AFTER = re.compile(r"[ \t]{1,3}\d{1,6}[A-Za-z]?(?![\d\w]|[ \t.-]?\d{3})")
_HOUSE_NUMBER_BEFORE = re.compile(r"(?<![\d.,:/-])(\d{1,6}[A-Za-z]?),?[ \t]{1,3}$")
_STATE_AND_CODE_AFTER = re.compile(r"\s*\n?\s*,\s*[A-Z]{2,3}\b|\s*,?\s*[A-Z]{2}\s+\d{4,6}\b")
_ADDRESS_LINE = re.compile(r"\d{1,6}[A-Za-z]?,?\s+[^\W\d_]|(?i:\b(?:apt|apartment|suite|unit|flat|floor|box|"
                           r"po box)\b\.?\s*#?\s*\d)")
_FIRM_LIST = re.compile(r"(?<![\w'’-])(?:[A-Z][\w'’-]*, ){0,4}[A-Z][\w'’-]*,? (?:and|&) [A-Z][\w'’-]*(?![\w-])")


def _word_before(text: str, start: int) -> str:
    m = re.search(r"([^\W\d_]+)\.?[ \t]*$", text[max(0, start - 30):start])
    return m.group(1).lower() if m else ""


def reads_as_address(text: str, start: int, end: int) -> bool:
    """A capitalised stretch that is part of an address: next to a house number, a street type or a ship prefix,
    followed by a state code or postcode, or a town's line under a street line in an address block."""
    words = text[start:end].lower().replace(".", " ").split()
    if not words:
        return False
    nxt = re.match(r"[ \t]*([^\W\d_]+)", text[end:end + 20])
    if words[-1] in STREET_AFTER or words[0] in STREET_BEFORE or _word_before(text, start) in STREET_BEFORE:
        return True
    if nxt and nxt.group(1).lower() in STREET_AFTER:
        return True
    year = re.search(r"(?:19|20)\d\d,?[ \t]*$", text[max(0, start - 6):start])
    if _HOUSE_NUMBER_AFTER.match(text, end) or (_HOUSE_NUMBER_BEFORE.search(text[max(0, start - 12):start])
                                               and not year):
        return True
    if _STATE_AND_CODE_AFTER.match(text, end):
        return True
    # A line of its own (a town) under a line that holds a street or an apartment, in the same block.
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if not re.fullmatch(r"[\W_]*", text[line_start:start]) or not re.fullmatch(r"[\W\d_]*(?:[A-Z]{2,3})?[\W\d_]*",
                                                                              text[end:line_end]):
        return False
    prev = text[:line_start].rstrip("\n ").rsplit("\n", 1)[-1] if line_start else ""
    return bool(prev and _ADDRESS_LINE.search(prev) and not re.search(r"(?i)\b(?:tel|phone|mobile|fax|e-?mail)\b",
                                                                        prev))


def reads_as_firm(text: str, start: int, end: int) -> bool:
    """Part of a firm's name: a firm word right after it ('Orchestra', 'Inc', 'and Sons'), or a list of surnames
    after 'at', 'for' or 'The' (one works at a firm, not at people) or followed by a firm word."""
    words = text[start:end].lower().replace(".", " ").split()
    after = re.match(r"[ \t]*(?:(?:and|&)[ \t]+)?([^\W\d_]+)", text[end:end + 30])
    if any(w in FIRM_WORDS for w in words) or after and (after.group(1).lower() in FIRM_WORDS
                                                         or after.group(1) in FIRM_SUFFIXES):
        return True
    lo = max(0, start - 120)
    for m in _FIRM_LIST.finditer(text, lo, min(len(text), end + 120)):
        if not (m.start() <= start and end <= m.end()):
            continue
        before = _word_before(text, m.start())
        tail = re.match(r"[ \t]*([^\W\d_]+)", text[m.end():m.end() + 30])
        if before in ("at", "for", "the") or tail and tail.group(1).lower() in FIRM_WORDS:
            return True
    return False


JOB_WORDS = ROLE_WORDS | frozenset("""
adjuster handler officer analyst executive director manager surveyor engineer leader lead head assistant advisor
adviser consultant specialist coordinator administrator clerk underwriter actuary solicitor inspector investigator
supervisor representative agent partner president chair chairman chairwoman secretary treasurer controller auditor
accountant nurse doctor technician operator driver attendant officer ceo cfo coo cto
""".split())


def is_job_title(span: str) -> bool:
    """'Loss Adjuster', 'Head of Claims', 'Senior Claims Analyst': a job word among English words, no name. The
    lexicon holds lemmas only, so a department in the plural ('Claims', 'Complaints', 'Accounts') is read through
    its regular inflection, as english_not_a_name does."""
    from .nlp import english_words
    from .world_names import _inflected

    words = [w.strip(".,").lower() for w in span.split()]
    if not any(w in JOB_WORDS or _inflected(w, JOB_WORDS) for w in words):
        return False
    english = english_words()
    given = any_given_names()
    return all((w in english or w in JOB_WORDS or w in STOP_WORDS or _inflected(w, english)) and w not in given
               for w in words)


def english_not_a_name(span: str) -> bool:
    """Every word of the span is an English word (or its regular inflection) and none is in a name list:
    'Cautionary Tales', 'Salesperson', 'Guilty Pleasures', 'Czech Republic'. Names that are words (Will, Rose)
    are in the lists."""
    from .nlp import english_words
    from .world_names import _inflected

    words = [w.strip(".,'’") for w in span.lower().split()]
    if not words:
        return False
    english = english_words()
    lex = _lexicon()
    given = any_given_names()
    for w in words:
        if w.endswith(("'s", "’s")):
            w = w[:-2]
        if w in given or lex.known(w) and w not in english_only_nouns_that_are_not_names():
            return False
        if w not in english and w not in STOP_WORDS and not _inflected(w, english):
            return False
    return True


@lru_cache(maxsize=1)
def any_given_names() -> frozenset[str]:
    """Every given name of the international dictionary and the census first-name lists, English words included
    (Frank, Dexter, Florence): evidence that the model's PERSON is a name, never a reason on its own."""
    from .world_names import _census, _dictionary

    return frozenset(_dictionary()) | _census("dist.male.first") | _census("dist.female.first") | GIVEN_NAMES


@lru_cache(maxsize=1)
def english_only_nouns_that_are_not_names() -> frozenset[str]:
    """Census surnames that are everyday nouns (person, song, suite): a surname list is not evidence for them."""
    return frozenset("person song suite address box files file apt unit flat floor room office street".split())


def is_a_place_here(text: str, start: int) -> bool:
    """After a verb of travel or dwelling ('flew to', 'originally from', 'based in'): a place."""
    return bool(_PLACE_CUE.search(text[max(0, start - 40):start]))


# ------------------------------------------------------------------------------------------ words, not names
# Month and weekday abbreviations: 'Jan', 'Jun' and 'Sat' are given names somewhere, 'Mar' and 'Oct' look like
# places to the NER model; in a prompt they are dates.
DATE_WORDS = frozenset("""jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
january february march april may june july august september october november december monday tuesday wednesday
thursday friday saturday sunday""".split())
# Place codes written in capitals that are places; other short acronyms the NER model calls places (AI, NI, HR)
# are not.
PLACE_ACRONYMS = frozenset("UK US USA EU UAE GB NYC DC NZ HK".split())
_NUMBER_BEFORE = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:\s*(?:-|to|–)\s*\d+(?:[.,]\d+)*)?\s*(?:degrees?\s+)?$")


def a_word_not_a_name(text: str, start: int, end: int, entity: str) -> bool:
    """A one-word PERSON or LOCATION that is a date word ('Jan', 'Sept'), a unit after a number ('24 kW',
    '1,500 Watts', '30 Kelvin'), an acronym in capitals that is not a place (LOCATION 'AI', 'NI'), or a name
    particle used as a word ('de minimis', 'the van'). `text` is the text as typed (before re-casing): its case
    is the evidence."""
    span = text[start:end]
    words = span.split()
    low = [w.lower().strip(".,") for w in words]
    if len(words) == 1:
        if low[0] in DATE_WORDS:
            return True
        if _NUMBER_BEFORE.search(text[max(0, start - 24):start]):
            return True
        if entity == "LOCATION" and (span.isupper() and len(span) <= 3 and span not in PLACE_ACRONYMS
                                     or low[0] in LEADING_VERBS):
            return True  # 'AI', 'NI'; 'Contact' opening an instruction
    from .world_names import PARTICLES

    # 'de minimis', 'la carte', 'van hire': a particle, then a word in lower case, is Latin or French or a van
    return low[0] in PARTICLES and (len(words) == 1 or words[1][:1].islower())
