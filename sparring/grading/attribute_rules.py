"""The pipeline's attribute rules (spaCy's `attribute_ruler`: fine tag -> coarse part of speech, morphology and a
few lemma and dependency exceptions) applied by dictionary lookup instead of spaCy's Matcher.

Why: the grader parses the learner's sentences on every attempt (grading/logic.py), and in the small English
pipeline the attribute ruler's Matcher (179 one- and two-token patterns, run over every token) cost about as much
as the dependency parser itself (0.64 of 1.75 ms a sentence, measured in docs/benchmarks.md, issue 13). The rules
are the same ones: they are read from the loaded pipe, matched here by tag or lower-case form, and written through
the pipe's own `set_annotations`, in the pipe's own order (later rules win). A pattern that uses an attribute or
operator this module does not know makes `compile_rules` return None, and the caller keeps spaCy's pipe.
tests/test_grading_parse.py checks that both give the same tokens on the shipped content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

# token attribute name in a Matcher pattern -> how to read it from a spaCy Token
_READ: dict[str, Callable[[Any], Any]] = {
    "TAG": lambda t: t.tag_,
    "LOWER": lambda t: t.lower_,
    "ORTH": lambda t: t.text,
    "TEXT": lambda t: t.text,
    "DEP": lambda t: t.dep_,
    "IS_SPACE": lambda t: t.is_space,
}


def _test(attr: str, value: Any) -> Callable[[Any], bool] | None:
    """A predicate on one token for `{attr: value}`, or None when the operator is not one we know."""
    read = _READ.get(attr)
    if read is None:
        return None
    if isinstance(value, dict):
        if len(value) != 1:
            return None
        (op, arg), = value.items()
        if op == "IN":
            allowed = frozenset(arg)
            return lambda t: read(t) in allowed
        if op == "NOT_IN":
            banned = frozenset(arg)
            return lambda t: read(t) not in banned
        if op == "REGEX":
            rx = re.compile(arg)
            return lambda t: bool(rx.search(read(t)))
        return None
    if isinstance(value, (str, bool)):
        return lambda t: read(t) == value
    return None


@dataclass(frozen=True)
class _Rule:
    key: int  # the pipe's rule number: its attrs are ruler.attrs[key]; later numbers win
    match_id: int  # the Matcher key of the rule (the string hash of str(key)), as set_annotations expects
    tokens: tuple[tuple[Callable[[Any], bool], ...], ...]  # per token of the pattern, every predicate must hold


class AttributeRules:
    """The rules of one AttributeRuler, indexed by the first token's tag or lower-case form."""

    def __init__(self, ruler: Any, index: dict[tuple[str, Any], list[_Rule]], scan: list[_Rule]):
        self.ruler = ruler
        self.index = index  # (what is looked up, its value) -> the rules whose first token needs that value
        self.scan = scan  # rules that no lookup narrows down (a regular expression on the first token)

    def __call__(self, doc: Any) -> Any:
        matches: list[tuple[int, int, int, int]] = []
        toks = list(doc)
        n = len(toks)
        index, scan = self.index, self.scan
        for i, t in enumerate(toks):
            tag, low = t.tag_, t.lower_
            groups = [index.get(("tag+lower", (tag, low))), index.get(("tag", tag)), index.get(("lower", low)),
                      index.get(("dep", t.dep_)), index.get(("space", t.is_space)), scan]
            for group in groups:
                for r in group or ():
                    end = i + len(r.tokens)
                    if end <= n and all(p(toks[i + k]) for k, preds in enumerate(r.tokens) for p in preds):
                        matches.append((r.key, r.match_id, i, end))
        # the pipe's order: by rule number, so that later rules have precedence (AttributeRuler.match). Each rule
        # sits under one lookup only, so it is found once per position.
        matches.sort()
        self.ruler.set_annotations(doc, matches)
        return doc


def _values(spec: Any) -> list[Any] | None:
    """The values an exact or IN test accepts, else None."""
    if isinstance(spec, (str, bool)):
        return [spec]
    if isinstance(spec, dict) and set(spec) == {"IN"}:
        return list(spec["IN"])
    return None


def compile_rules(ruler: Any) -> AttributeRules | None:
    """The lookup form of `ruler` (a spaCy AttributeRuler), or None when one of its patterns is beyond it."""
    index: dict[tuple[str, Any], list[_Rule]] = {}
    scan: list[_Rule] = []
    strings = ruler.vocab.strings
    for key, spec in enumerate(ruler.patterns):
        for pattern in spec["patterns"]:
            if not pattern or any(not isinstance(tok, dict) or "OP" in tok for tok in pattern):
                return None
            tokens = []
            for tok in pattern:
                preds = [_test(a, v) for a, v in tok.items()]
                if any(p is None for p in preds):
                    return None
                tokens.append(tuple(p for p in preds if p is not None))
            rule = _Rule(key, strings[str(key)], tuple(tokens))
            first = pattern[0]
            tags, lows = _values(first.get("TAG")), _values(first.get("LOWER"))
            if tags and lows:
                keys = [("tag+lower", (a, b)) for a in tags for b in lows]
            elif tags:
                keys = [("tag", a) for a in tags]
            elif lows:
                keys = [("lower", b) for b in lows]
            elif _values(first.get("DEP")):
                keys = [("dep", d) for d in _values(first.get("DEP")) or ()]
            elif _values(first.get("IS_SPACE")):
                keys = [("space", v) for v in _values(first.get("IS_SPACE")) or ()]
            else:
                scan.append(rule)
                continue
            for k in keys:
                index.setdefault(k, []).append(rule)
    return AttributeRules(ruler, index, scan)
