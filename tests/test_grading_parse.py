"""The grader's parse (grading/logic.docs_of) applies the pipeline's attribute rules by lookup
(grading/attribute_rules.py); it must give every token the same tag, part of speech, morphology, lemma and
dependency as spaCy's own attribute_ruler pipe, on the shipped content and on the contractions the rules handle."""

from __future__ import annotations

from pathlib import Path

from sparring.grading import logic
from sparring.grading.semantic_engine import sentences
from sparring.policy.nlp import shared_parser

ROOT = Path(__file__).resolve().parent.parent


def _tokens(doc):
    return [(t.text, t.tag_, t.pos_, str(t.morph), t.lemma_, t.dep_, t.head.i) for t in doc]


def test_lookup_rules_match_spacy_pipe() -> None:
    texts: list[str] = []
    for f in sorted((ROOT / "scenarios").rglob("*.yaml")):
        texts += [s for s in sentences(f.read_text(encoding="utf-8")) if len(s) < 300]
    texts = list(dict.fromkeys(texts))[:1500]
    texts += ["He ain't gonna do it, y'all.", "Let's go, we gotta leave.", "There is no fee to refund.",
              "I don't think it is covered", "It was not the customer who hit the van.", "a  b \n c"]
    assert len(texts) > 200
    ref = [_tokens(d) for d in shared_parser().pipe(texts)]
    got = [_tokens(d) for d in logic.docs_of(texts)]
    assert got == ref
    assert logic._pipeline is not None and logic._pipeline[1] is not None  # the lookup path ran
